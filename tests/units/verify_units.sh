#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks the units Hearth ships, without a running user manager (none runs on the build
# machines, and `systemd --user` must not be started there):
#   - `systemd-analyze --user verify` on hearth.service and hearth.socket prints nothing. It needs
#     only XDG_RUNTIME_DIR (given a private temporary one), and ExecStart= naming an existing
#     executable, so it checks a copy that runs BUILD_DIR/hearthd.
#   - the offline security review stays at or below the exposure threshold.
#   - a private dbus-daemon accepts dbus/org.hearth.Hearth1.service as an activatable name.
# Prints nothing on success; with --score, prints systemd-analyze's overall exposure line.
# Usage: tests/units/verify_units.sh BUILD_DIR [--score]
set -euo pipefail

build=${1:?usage: verify_units.sh BUILD_DIR [--score]}
print_score=${2:-}
root=$(realpath "$(dirname "$0")/../..")
hearthd=$(realpath "$build/hearthd")
max_exposure=3.5

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "verify_units: FAIL: $*" >&2
  exit 1
}
[ -x "$hearthd" ] || fail "$hearthd is not an executable (build it first)"

# The shipped unit must run the installed binary; the copy runs the one just built.
grep -qx 'ExecStart=/usr/bin/hearthd' "$root/systemd/hearth.service" ||
  fail "hearth.service must run ExecStart=/usr/bin/hearthd"
mkdir -m 700 "$work/runtime"
mkdir "$work/units"
sed "s|^ExecStart=/usr/bin/hearthd$|ExecStart=$hearthd|" "$root/systemd/hearth.service" \
  >"$work/units/hearth.service"
cp "$root/systemd/hearth.socket" "$work/units/"
export XDG_RUNTIME_DIR=$work/runtime

out=$(systemd-analyze --user verify "$work/units/hearth.service" "$work/units/hearth.socket" 2>&1) ||
  fail "systemd-analyze --user verify failed:
$out"
[ -z "$out" ] || fail "systemd-analyze --user verify complained:
$out"

out=$(systemd-analyze --user security --offline=true --threshold=0 --no-pager \
  "$work/units/hearth.service" 2>&1) || true
score=$(sed -n 's/.*Overall exposure level for hearth.service: \([0-9.]*\).*/\1/p' <<<"$out")
[ -n "$score" ] || fail "no exposure level in systemd-analyze security output:
$out"
awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }' ||
  fail "exposure level $score is above $max_exposure:
$out"
[ "$print_score" != --score ] || echo "hearth.service exposure level: $score (systemd-analyze --user security --offline=true)"

# D-Bus activation file: a private session bus that reads it lists the name as activatable.
grep -qx 'SystemdService=hearth.service' "$root/dbus/org.hearth.Hearth1.service" ||
  fail "the D-Bus activation file must name SystemdService=hearth.service"
mkdir "$work/services"
cp "$root/dbus/org.hearth.Hearth1.service" "$work/services/"
cat >"$work/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=$work</listen>
  <servicedir>$work/services</servicedir>
  <policy context="default">
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
out=$(dbus-run-session --config-file="$work/bus.conf" -- dbus-send --session --print-reply \
  --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.ListActivatableNames 2>&1) ||
  fail "private dbus-daemon failed:
$out"
grep -q 'string "org.hearth.Hearth1"' <<<"$out" ||
  fail "dbus-daemon does not list org.hearth.Hearth1 as activatable:
$out"
