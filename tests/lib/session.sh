# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# tests/lib/session.sh: a private desktop session for shell tests that run the real hearthd.
#
# Source it from a script that runs under `set -euo pipefail`. It gives the script:
#   session_new NAME [TAG] a fresh directory $session_dir (mktemp hearth-TAG.XXXXXX under $TMPDIR
#                          or /tmp; TAG defaults to NAME) and the prefix "NAME: FAIL:" for fail
#   session_env            HOME and XDG_{CONFIG,DATA,CACHE}_HOME, XDG_RUNTIME_DIR (all 0700) under
#                          $session_dir, exported; the caller's bus, display, systemd and socket
#                          activation variables unset
#   session_bus_start HEARTHD
#                          a private session bus ($session_dir/bus, config bus.conf, log bus.log)
#                          whose service directory ($session_dir/services) D-Bus-activates
#                          org.hearth.Hearth1 as HEARTHD; exports DBUS_SESSION_BUS_ADDRESS and
#                          sets $session_bus_pid. dbus-daemon leads its own process group, so
#                          whatever it activates inherits this environment and stderr (bus.log)
#   session_bus_stop       ends that process group (the bus and what it activated) and the bus
#   session_remove         deletes $session_dir
#   session_dump_logs FILE...  on stderr, the tail of each non-empty $session_dir/FILE
#   fail MESSAGE           prints "NAME: FAIL: MESSAGE" on stderr and exits 1
#   wait_for SECONDS WHAT COMMAND...  polls COMMAND until it succeeds (every $session_poll
#                          seconds, default 0.1); fails after SECONDS
#   stop_pid PID           SIGTERM, then SIGKILL if PID is still there after 5 s
#   gone PID               true once PID has exited (an unreaped zombie counts)
# The caller owns the EXIT trap: it stops what it started, then calls session_bus_stop and
# session_remove.

session_name='' session_dir='' session_bus_pid='' session_poll=${session_poll:-0.1}

session_new() {
  session_name=$1
  session_dir=$(mktemp -d "${TMPDIR:-/tmp}/hearth-${2:-$1}.XXXXXX")
}

fail() {
  echo "${session_name:-test}: FAIL: $*" >&2
  exit 1
}

wait_for() {
  local seconds=$1 what=$2 deadline=$((SECONDS + $1))
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || fail "no $what after ${seconds} s"
    sleep "$session_poll"
  done
}

stop_pid() {
  local pid=$1 deadline=$((SECONDS + 5))
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

gone() { [ ! -e "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

session_env() {
  local d=$session_dir
  mkdir -p "$d/home" "$d/config" "$d/data" "$d/cache" "$d/run" "$d/services"
  chmod 0700 "$d/home" "$d/config" "$d/data" "$d/cache" "$d/run" "$d/services"
  export HOME=$d/home XDG_CONFIG_HOME=$d/config XDG_DATA_HOME=$d/data XDG_CACHE_HOME=$d/cache \
    XDG_RUNTIME_DIR=$d/run LC_ALL=C.UTF-8
  unset DBUS_SESSION_BUS_ADDRESS DISPLAY WAYLAND_DISPLAY NOTIFY_SOCKET LISTEN_FDS LISTEN_PID \
    LISTEN_FDNAMES JOURNAL_STREAM
}

session_bus_ready() { grep -q '^unix:' "$session_dir/bus.address"; }

session_bus_start() {
  local hearthd=$1 d=$session_dir
  cat >"$d/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$d/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>$d/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
  cat >"$d/services/org.hearth.Hearth1.service" <<SERVICE
[D-BUS Service]
Name=org.hearth.Hearth1
Exec=$hearthd
SERVICE
  setsid dbus-daemon --config-file="$d/bus.conf" --nofork --print-address=3 \
    3>"$d/bus.address" 2>"$d/bus.log" &
  session_bus_pid=$!
  wait_for 10 "address from dbus-daemon" session_bus_ready
  DBUS_SESSION_BUS_ADDRESS=$(head -n 1 "$d/bus.address")
  export DBUS_SESSION_BUS_ADDRESS
}

session_bus_stop() {
  [ -n "$session_bus_pid" ] || return 0
  kill -TERM -- "-$session_bus_pid" 2>/dev/null || true
  stop_pid "$session_bus_pid"
  session_bus_pid=''
}

session_remove() {
  [ -z "$session_dir" ] || rm -rf "$session_dir"
}

session_dump_logs() {
  local log
  for log in "$@"; do
    [ -s "$session_dir/$log" ] && { echo "--- $log"; tail -n 40 "$session_dir/$log"; } >&2
  done
  return 0
}
