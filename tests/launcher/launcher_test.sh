#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# launcher.webkit: the real `hearth` launcher against the real `hearthd`, on a private session bus
# that D-Bus-activates the daemon, and a virtual X display (Xvfb). Checks that:
#   - `hearth --print-url` prints a login link that works;
#   - `hearth` opens a WebKitGTK window that signs in and shows the app page (its title, not the
#     401 page's), paints it (screenshot in $HEARTH_SCREENSHOT_DIR/launcher.png), starts at the
#     default size despite a garbage window.ini, remembers a new size, closes on SIGTERM, and
#     opens at the remembered size next time;
#   - with no bus, or a bus that cannot start Hearth, it exits 3 with a clear message.
# Usage: launcher_test.sh BUILD_DIR   (runs BUILD_DIR/hearth and BUILD_DIR/hearthd)
# Needs: dbus-daemon (dbus), busctl (systemd), Xvfb (xvfb), xprop and xwininfo (x11-utils),
# xdotool, import and identify (imagemagick), curl.
set -euo pipefail

build=$(cd "${1:?usage: launcher_test.sh BUILD_DIR}" && pwd)
hearth=$build/hearth
hearthd=$build/hearthd
shot_dir=${HEARTH_SCREENSHOT_DIR:-$build/screenshots}
app_title='Hearth · Hearth'  # ui/templates/page.html for the home page; the 401 page differs

for tool in dbus-daemon busctl Xvfb xprop xwininfo xdotool import identify curl; do
  command -v "$tool" >/dev/null || { echo "launcher_test: needs $tool" >&2; exit 1; }
done
[ -x "$hearth" ] && [ -x "$hearthd" ] || { echo "launcher_test: no hearth/hearthd in $build" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=../lib/session.sh
. "$(dirname "$0")/../lib/session.sh"
session_new launcher_test launcher
work=$session_dir
xvfb_pid='' launcher_pid='' hearthd_pid='' last_title=''

cleanup() {
  local status=$?
  stop_pid "$launcher_pid"
  stop_pid "$hearthd_pid"
  session_bus_stop
  stop_pid "$xvfb_pid"
  if [ "$status" -ne 0 ]; then
    [ -z "$last_title" ] || echo "--- last window title: $last_title" >&2
    session_dump_logs hearth.err bus.log xvfb.log
  fi
  session_remove
  exit "$status"
}
trap cleanup EXIT

# --- A private desktop session: XDG directories, an X display, a session bus. ----------------
session_env
# WebKitGTK on Xvfb: no GPU, so no accelerated compositing.
export WEBKIT_DISABLE_COMPOSITING_MODE=1
# No accessibility bus in this session: keep AT-SPI from looking for one (log noise only).
export NO_AT_BRIDGE=1

# Xvfb picks a free display and writes its number to fd 3 once it accepts connections.
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$work/display" 2>"$work/xvfb.log" &
xvfb_pid=$!
display_ready() { grep -qE '^[0-9]+$' "$work/display"; }
wait_for 10 "display from Xvfb" display_ready
DISPLAY=:$(head -n 1 "$work/display")
export DISPLAY

session_bus_start "$hearthd"

# --- hearth --print-url: activates hearthd, prints a link that signs in. ----------------------
url=$("$hearth" --print-url 2>"$work/hearth.err") || fail "hearth --print-url exited $?"
[[ $url =~ ^http://h-[0-9a-f]{40}\.localhost:[0-9]+/login\?token=[0-9a-f-]+$ ]] ||
  fail "hearth --print-url printed '$url', not http://h-<hex>.localhost:PORT/login?token=..."
# curl resolves .localhost names to loopback itself, as browsers do (glibc may not).
code=$(curl -s -o /dev/null -w '%{http_code}' "$url")
[ "$code" = 303 ] || fail "the printed login link answered $code, not 303"
hearthd_pid=$(busctl --address="$DBUS_SESSION_BUS_ADDRESS" call org.freedesktop.DBus \
  /org/freedesktop/DBus org.freedesktop.DBus GetConnectionUnixProcessID s org.hearth.Hearth1 |
  awk '{print $2}')
[ -n "$hearthd_pid" ] || fail "nobody owns org.hearth.Hearth1 after activation"
echo "launcher_test: --print-url ok (hearthd pid $hearthd_pid)"

# --- hearth: the window. -----------------------------------------------------------------------
config=$XDG_CONFIG_HOME/hearth/window.ini
mkdir -p "$XDG_CONFIG_HOME/hearth"
chmod 0700 "$XDG_CONFIG_HOME/hearth"
printf '[window]\nwidth=wide\nheight=\x01\x02\xff\n\x00garbage\n' >"$config"

window=''
find_window() {  # the launcher's visible top-level window, by WM_CLASS
  window=$(xdotool search --onlyvisible --classname '^org\.hearth\.Hearth$' 2>/dev/null |
    head -n 1) && [ -n "$window" ]
}
window_title() { xprop -id "$window" _NET_WM_NAME | sed -n 's/^_NET_WM_NAME(UTF8_STRING) = "\(.*\)"$/\1/p'; }
title_is_app() {
  last_title=$(window_title)
  [ "$last_title" = "$app_title" ]
}
window_size() { xwininfo -id "$window" | awk '/Width:/ {w=$2} /Height:/ {h=$2} END {print w "x" h}'; }
launcher_alive() {
  kill -0 "$launcher_pid" 2>/dev/null || fail "hearth exited early: $(tail -n 5 "$work/hearth.err")"
}

start_launcher() {
  "$hearth" >"$work/hearth.out" 2>"$work/hearth.err" &
  launcher_pid=$!
  wait_for 30 "hearth window" eval 'launcher_alive && find_window'
  wait_for 30 "page titled '$app_title'" eval 'launcher_alive && title_is_app'
}

stop_launcher() {
  kill -TERM "$launcher_pid"
  wait_for 10 "exit of hearth after SIGTERM" gone "$launcher_pid"
  local status=0
  wait "$launcher_pid" || status=$?
  launcher_pid=''
  [ "$status" -eq 0 ] || fail "hearth exited $status on SIGTERM"
}

start_launcher
read -r _ wm_class <<<"$(xprop -id "$window" WM_CLASS)"
[ "$wm_class" = '= "org.hearth.Hearth", "org.hearth.Hearth"' ] || fail "WM_CLASS $wm_class"
window_pid=$(xprop -id "$window" _NET_WM_PID | awk '{print $3}')
[ "$window_pid" = "$launcher_pid" ] || fail "the window belongs to pid $window_pid, not hearth"
size=$(window_size)
[ "$size" = 1000x720 ] || fail "window is $size, not the default 1000x720 (garbage window.ini)"

# The title arrives with the HTML; wait until the page is painted too (a blank window has one
# colour, the rendered page hundreds).
mkdir -p "$shot_dir"
shot=$shot_dir/launcher.png
painted() { import -window "$window" "$shot" 2>/dev/null && (($(identify -format '%k' "$shot") > 50)); }
wait_for 30 "painted page in the window" painted
echo "launcher_test: window shows '$app_title' at $size, screenshot $shot"

xdotool windowsize "$window" 900 650
remembered() { grep -qx 'width=900' "$config" && grep -qx 'height=650' "$config"; }
wait_for 10 "900x650 in $config after a resize" remembered
[ "$(stat -c %a "$config")" = 600 ] || fail "$config is not 0600"
stop_launcher
remembered || fail "$config lost the size on SIGTERM"
# The session cookie is never written to disk (web_window.h); WebKit's defaults go unused.
cookies=$(find "$XDG_DATA_HOME" "$XDG_CACHE_HOME" -iname '*cookie*' | head -n 1)
[ -z "$cookies" ] || fail "the window stored cookies on disk: $cookies"
[ -d "$XDG_DATA_HOME/hearth/webview" ] || fail "no website data directory"
for d in "$XDG_DATA_HOME/org.hearth.Hearth" "$XDG_CACHE_HOME/org.hearth.Hearth" \
  "$XDG_DATA_HOME/webkitgtk" "$XDG_CACHE_HOME/webkitgtk"; do
  [ ! -e "$d" ] || fail "WebKit wrote outside Hearth's directory: $d"
done

start_launcher  # again: a fresh sign-in, at the remembered size
size=$(window_size)
[ "$size" = 900x650 ] || fail "reopened at $size, not the remembered 900x650"
stop_launcher
echo "launcher_test: size remembered across runs, SIGTERM exits 0"

# --- Nothing to talk to: exit 3 and say why. -----------------------------------------------------
expect_unreachable() {  # expect_unreachable MESSAGE_PATTERN [ENV...]
  local pattern=$1 status=0
  shift
  env "$@" "$hearth" --print-url >"$work/hearth.out" 2>"$work/hearth.err" || status=$?
  [ "$status" -eq 3 ] || fail "expected exit 3 ($pattern), got $status: $(cat "$work/hearth.err")"
  grep -q "$pattern" "$work/hearth.err" || fail "unclear message: $(cat "$work/hearth.err")"
  [ ! -s "$work/hearth.out" ] || fail "printed a URL with no daemon: $(cat "$work/hearth.out")"
}
expect_unreachable 'cannot reach the session bus' \
  DBUS_SESSION_BUS_ADDRESS="unix:path=$work/no-such-bus"

kill -TERM "$hearthd_pid"
wait_for 10 "exit of hearthd after SIGTERM" gone "$hearthd_pid"
hearthd_pid=''
rm "$work/services/org.hearth.Hearth1.service"
busctl --address="$DBUS_SESSION_BUS_ADDRESS" call org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus ReloadConfig
expect_unreachable 'not running'
echo "launcher_test: unreachable bus and daemon exit 3"
echo "launcher_test: PASS"
