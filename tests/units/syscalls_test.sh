#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hearthd makes no system call outside hearth.service's SystemCallFilter=. No user manager runs
# on the build machines, so the filter itself cannot be applied here; instead hearthd runs under
# strace on a private session bus, serves a sign-in and a page, hands out a login URL, stops on
# SIGTERM, and every call it (or its backend) made is checked against the filter's expansion by
# `systemd-analyze syscall-filter`. A call outside it would make systemd kill the service with
# SIGSYS or fail it with EPERM. Prints nothing on success.
# Usage: tests/units/syscalls_test.sh BUILD_DIR
set -euo pipefail

build=${1:?usage: syscalls_test.sh BUILD_DIR}
hearthd=$(realpath "$build/hearthd")
unit=$(realpath "$(dirname "$0")/../../systemd/hearth.service")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
  echo "syscalls_test: FAIL: $*" >&2
  exit 1
}
for tool in strace dbus-run-session curl systemd-analyze; do
  command -v "$tool" >/dev/null || fail "$tool is missing"
done

mkdir -m 700 "$work/runtime"
# LeakSanitizer cannot run under ptrace; the last setting in ASAN_OPTIONS wins.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
# Runs inside the private bus: start hearthd under strace, wait for its login URL (printed once
# it serves), use it, stop hearthd with SIGTERM and wait for it.
cat >"$work/session.sh" <<'SESSION'
set -euo pipefail
work=$1 hearthd=$2
coproc DAEMON { exec strace -f -qq -o "$work/trace" "$hearthd" --print-login-url 2>"$work/hearthd.log"; }
strace_pid=$DAEMON_PID
read -r -t 30 url <&"${DAEMON[0]}" || { echo "hearthd printed no login URL in 30 s"; exit 1; }
app=$(sed -n 's|^\(http://h-[0-9a-f]*\.localhost:\([0-9]*\)/\).*|\1|p' <<<"$url")
port=$(sed -n 's|^http://h-[0-9a-f]*\.localhost:\([0-9]*\)/.*|\1|p' <<<"$url")
[ -n "$port" ] || { echo "unexpected login URL: $url"; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ]
[ "$(curl -s -o /dev/null -c "$work/jar" -w '%{http_code}' "$url")" = 303 ]
[ "$(curl -s -o /dev/null -b "$work/jar" -w '%{http_code}' "$app")" = 200 ]
"$hearthd" --login-url >/dev/null
hearthd_pid=$(pgrep -P "$strace_pid" -x hearthd)
kill -TERM "$hearthd_pid"
wait "$strace_pid"
SESSION
XDG_RUNTIME_DIR=$work/runtime XDG_DATA_HOME=$work/data XDG_CONFIG_HOME=$work/config HOME=$work \
  timeout 90 dbus-run-session -- bash "$work/session.sh" "$work" "$hearthd" >"$work/log" 2>&1 ||
  fail "driving hearthd failed:
$(cat "$work/log" "$work/hearthd.log" 2>/dev/null | tail -n 30)"

# The filter: every SystemCallFilter= line of the unit, groups expanded.
systemd-analyze syscall-filter --no-pager >"$work/groups" 2>/dev/null
expand() {  # prints the system calls of the names/groups given
  local name
  for name in "$@"; do
    if [[ $name == @* ]]; then
      # shellcheck disable=SC2046
      expand $(awk -v g="$name" '/^@/ { in_g = ($1 == g); next } in_g && NF && $1 !~ /^#/ { print $1 }' "$work/groups")
    else
      echo "$name"
    fi
  done
}
# shellcheck disable=SC2046
expand $(sed -n 's/^SystemCallFilter=//p' "$unit") | sort -u >"$work/allowed"
[ "$(wc -l <"$work/allowed")" -gt 100 ] || fail "could not expand the unit's SystemCallFilter="

sed -n 's/^[0-9]\+ \+\([a-z0-9_]\+\)(.*/\1/p; s/^[0-9]\+ \+<\.\.\. \([a-z0-9_]\+\) resumed>.*/\1/p' \
  "$work/trace" | sort -u >"$work/made"
[ "$(wc -l <"$work/made")" -gt 20 ] || fail "strace recorded almost nothing"
outside=$(comm -23 "$work/made" "$work/allowed")
[ -z "$outside" ] || fail "hearthd made system calls outside hearth.service's SystemCallFilter=: $outside"
