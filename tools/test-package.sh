#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian package (tools/build-deb.sh: dpkg-buildpackage, lintian, contents, size),
# installs it with apt, and checks that the installed Hearth works: a private session bus that
# reads the standard service directories D-Bus-activates /usr/bin/hearthd through the installed
# /usr/share/dbus-1/services/org.hearth.Hearth1.service, and the installed hearthctl and hearth
# talk to it. The package is removed again at the end, unless it was installed before.
# Needs root (or sudo) for apt. Usage: tools/test-package.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-build-deb}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
fail() {
  echo "test-package: FAIL: $*" >&2
  exit 1
}

tools/build-deb.sh "$out"
deb=$(realpath "$out"/hearth_*_"$(dpkg-architecture -qDEB_HOST_ARCH)".deb)

was_installed=0
dpkg-query -W -f='${Status}' hearth 2>/dev/null | grep -q 'install ok installed' && was_installed=1
work=$(mktemp -d)
bus_pid=''
cleanup() {
  local status=$?
  if [ -n "$bus_pid" ]; then kill -TERM -- "-$bus_pid" 2>/dev/null || true; fi
  if [ "$status" -ne 0 ] && [ -s "$work/bus.log" ]; then tail -n 20 "$work/bus.log" >&2; fi
  rm -rf "$work"
  if [ "$was_installed" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive as_root apt-get purge -y -qq hearth >/dev/null 2>&1 || true
  fi
  exit "$status"
}
trap cleanup EXIT

DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$deb" \
  >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get install $deb failed"; }
dpkg-query -W -f='${Status}\n' hearth | grep -qx 'install ok installed' ||
  fail "hearth is not installed after apt-get install $deb"
for f in /usr/bin/hearthd /usr/bin/hearthctl /usr/bin/hearth /usr/libexec/hearth/hearthd-backend \
  /usr/lib/systemd/user/hearth.socket \
  /usr/lib/systemd/user/hearth.service /usr/share/dbus-1/services/org.hearth.Hearth1.service \
  /usr/share/applications/org.hearth.Hearth.desktop \
  /usr/share/icons/hicolor/scalable/apps/org.hearth.Hearth.svg; do
  dpkg -S "$f" >/dev/null 2>&1 || fail "$f does not belong to the installed package"
done
# The binaries resolve every library from the package's dependencies.
for b in /usr/bin/hearthd /usr/bin/hearthctl /usr/bin/hearth /usr/libexec/hearth/hearthd-backend; do
  ! ldd "$b" | grep -q 'not found' || fail "$b misses a library"
done

# A private user session whose bus finds services where the installed package put them.
mkdir -p "$work/home" "$work/config" "$work/data" "$work/run"
chmod 0700 "$work/home" "$work/config" "$work/data" "$work/run"
export HOME=$work/home XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data \
  XDG_RUNTIME_DIR=$work/run
unset DISPLAY WAYLAND_DISPLAY NOTIFY_SOCKET LISTEN_FDS LISTEN_PID
# Debian's own session bus configuration (standard service directories), on a private address.
setsid dbus-daemon --session --nofork --address="unix:path=$work/bus" --print-address=3 \
  3>"$work/bus.address" 2>"$work/bus.log" &
bus_pid=$!
deadline=$((SECONDS + 10))
until grep -q '^unix:' "$work/bus.address"; do
  ((SECONDS < deadline)) || fail "dbus-daemon printed no address"
  sleep 0.1
done
DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$work/bus.address")
export DBUS_SESSION_BUS_ADDRESS

url=$(/usr/bin/hearthctl url) || fail "hearthctl url exited $? (activation of the installed daemon)"
[[ $url =~ ^http://h-[0-9a-f]+\.localhost:[0-9]+/login\?token=[0-9a-f-]+$ ]] || fail "hearthctl url: $url"
owner=$(busctl --address="$DBUS_SESSION_BUS_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus GetConnectionUnixProcessID s org.hearth.Hearth1 | awk '{print $2}')
[ "$(readlink "/proc/$owner/exe")" = /usr/bin/hearthd ] ||
  fail "org.hearth.Hearth1 is owned by $(readlink "/proc/$owner/exe"), not /usr/bin/hearthd"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
[ "$code" = 303 ] || fail "the login link of the installed daemon answered $code, not 303"
# It answered, so the backend it runs has long been exec'd.
backend=$(cat "/proc/$owner/task/$owner/children" 2>/dev/null | awk '{print $1}')
[ -n "$backend" ] && [ "$(readlink "/proc/$backend/exe")" = /usr/libexec/hearth/hearthd-backend ] ||
  fail "the installed hearthd runs no /usr/libexec/hearth/hearthd-backend (child: ${backend:-none})"
/usr/bin/hearth --print-url | grep -q '^http://h-[0-9a-f]*\.localhost:' || fail "hearth --print-url"
/usr/bin/hearthctl status >/dev/null || fail "hearthctl status exited $?"
kill -TERM "$owner"
deadline=$((SECONDS + 10))
while [ -e "/proc/$owner" ]; do
  ((SECONDS < deadline)) || fail "the installed hearthd did not exit on SIGTERM"
  sleep 0.1
done
echo "test-package: installed $(basename "$deb"); D-Bus activation, hearthctl and hearth work"
