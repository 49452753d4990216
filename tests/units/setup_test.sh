#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `hearthctl setup` against a temporary config home and a stand-in `systemctl` that records its
# arguments (no user manager runs on the build machines; systemd-socket-activate stands in for a
# listening hearth.socket). Checks the drop-in it writes (and that systemd accepts it),
# idempotence, --new-port, --no-enable, bad arguments, a hand-edited drop-in, and failing or
# missing systemctl. Prints nothing on success.
# Usage: tests/units/setup_test.sh BUILD_DIR
set -euo pipefail

build=${1:?usage: setup_test.sh BUILD_DIR}
hearthctl=$(realpath "$build/hearthctl")
units=$(realpath "$(dirname "$0")/../../systemd")

work=$(mktemp -d)
LISTENER_PID=
trap '[ -z "${LISTENER_PID:-}" ] || kill "$LISTENER_PID" 2>/dev/null; rm -rf "$work"' EXIT
fail() {
  echo "setup_test: FAIL: $*" >&2
  if [ -f "$work/out" ]; then sed 's/^/  output: /' "$work/out" >&2; fi
  exit 1
}

export HOME=$work/home
export XDG_CONFIG_HOME=$work/config  # does not exist yet: setup creates it
mkdir -p "$HOME" "$work/bin" "$work/empty"
cat >"$work/bin/systemctl" <<STUB
#!/bin/sh
echo "\$*" >>"$work/calls"
exit \${STUB_SYSTEMCTL_STATUS:-0}
STUB
chmod +x "$work/bin/systemctl"
stub_path=$work/bin:$PATH
dropin=$XDG_CONFIG_HOME/systemd/user/hearth.socket.d/port.conf

# Runs `hearthctl setup ARGS...` with the stand-in first on PATH; output in $work/out, the
# systemctl calls in $work/calls; sets $status.
setup() {
  rm -f "$work/calls"
  touch "$work/calls"
  set +e
  PATH=$stub_path "$hearthctl" setup "$@" >"$work/out" 2>&1
  status=$?
  set -e
}
port_of() { sed -n 's/^ListenStream=127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$dropin"; }
expect_calls() {
  local want
  want=$(printf '%s\n' "$@")
  [ "$(cat "$work/calls")" = "$want" ] ||
    fail "systemctl calls: expected [$want], got [$(cat "$work/calls")]"
}
# Nothing listens on the port: stop whatever runs on an old port, start the socket on this one.
reopen_calls=("--user daemon-reload" "--user stop hearth.socket hearth.service"
              "--user enable --now hearth.socket")
# The socket listens on the port already: leave Hearth running.
listening_calls=("--user daemon-reload" "--user enable --now hearth.socket")

# Holds 127.0.0.1:$1 open the way a running hearth.socket would, until stop_listener.
start_listener() {
  coproc LISTENER { exec systemd-socket-activate -l "127.0.0.1:$1" sleep 600 2>&1; }
  local line
  read -r line <&"${LISTENER[0]}" || fail "systemd-socket-activate did not start"
  [[ $line == "Listening on 127.0.0.1:$1 "* ]] || fail "listener: $line"
}
stop_listener() {
  kill "$LISTENER_PID"
  wait "$LISTENER_PID" || true
}

# First run: a new port, the units reloaded, the socket (re)started on it.
setup
[ "$status" -eq 0 ] || fail "first setup exited $status"
[ -f "$dropin" ] || fail "no drop-in at $dropin"
[ "$(grep -v '^#' "$dropin" | head -2)" = $'[Socket]\nListenStream=' ] ||
  fail "drop-in does not reset ListenStream= in [Socket]: $(cat "$dropin")"
[ "$(grep -c '^ListenStream=.' "$dropin")" -eq 1 ] || fail "drop-in needs exactly one address"
port=$(port_of)
[ -n "$port" ] || fail "drop-in names no 127.0.0.1 port: $(cat "$dropin")"
[ "$port" -ge 20000 ] && [ "$port" -le 65535 ] || fail "port $port outside 20000-65535"
read -r eph_lo eph_hi </proc/sys/net/ipv4/ip_local_port_range
if [ "$eph_lo" -gt 20000 ] || [ "$eph_hi" -lt 65535 ]; then
  { [ "$port" -lt "$eph_lo" ] || [ "$port" -gt "$eph_hi" ]; } ||
    fail "port $port lies in the ephemeral range $eph_lo-$eph_hi"
fi
expect_calls "${reopen_calls[@]}"
grep -q "127.0.0.1:$port" "$work/out" || fail "setup did not print the address"
[ "$(stat -c %a "$XDG_CONFIG_HOME")" = 700 ] || fail "new config home is not 0700"
[ "$(stat -c %a "$(dirname "$dropin")")" = 755 ] || fail "drop-in directory is not 0755"

# systemd accepts the shipped socket with this drop-in (verify reads drop-ins beside the units).
mkdir -p "$work/units/hearth.socket.d" "$work/runtime"
chmod 700 "$work/runtime"
cp "$units/hearth.socket" "$work/units/"
sed "s|^ExecStart=.*|ExecStart=$(command -v true)|" "$units/hearth.service" >"$work/units/hearth.service"
cp "$dropin" "$work/units/hearth.socket.d/"
verify=$(XDG_RUNTIME_DIR=$work/runtime systemd-analyze --user verify \
  "$work/units/hearth.socket" 2>&1) || fail "systemd-analyze rejects the drop-in: $verify"
[ -z "$verify" ] || fail "systemd-analyze complains about the drop-in: $verify"

# Second run, the socket listening: idempotent. Same port, file untouched, Hearth not stopped.
inode=$(stat -c %i "$dropin")
start_listener "$port"
setup
stop_listener
[ "$status" -eq 0 ] || fail "second setup exited $status"
[ "$(port_of)" = "$port" ] || fail "second setup changed the port from $port to $(port_of)"
[ "$(stat -c %i "$dropin")" = "$inode" ] || fail "second setup rewrote an unchanged drop-in"
expect_calls "${listening_calls[@]}"

# Third run, nothing listening (an earlier run failed, or the socket is on an old port): same
# port, and the socket is restarted on it.
setup
[ "$status" -eq 0 ] || fail "third setup exited $status"
[ "$(port_of)" = "$port" ] || fail "third setup changed the port from $port to $(port_of)"
expect_calls "${reopen_calls[@]}"

# --new-port: another port, and the socket restarted so it listens there.
setup --new-port
[ "$status" -eq 0 ] || fail "setup --new-port exited $status"
new=$(port_of)
[ -n "$new" ] && [ "$new" != "$port" ] || fail "--new-port kept port $port (now '$new')"
expect_calls "${reopen_calls[@]}"
[ ! -e "$dropin.tmp" ] || fail "a temporary file was left beside the drop-in"

# --no-enable: writes the drop-in, runs nothing.
rm -rf "$XDG_CONFIG_HOME"
setup --no-enable
[ "$status" -eq 0 ] || fail "setup --no-enable exited $status"
[ -n "$(port_of)" ] || fail "--no-enable wrote no port"
expect_calls

# Bad arguments: exit 2, nothing done.
rm -rf "$XDG_CONFIG_HOME"
setup --bogus
[ "$status" -eq 2 ] || fail "unknown argument: exit $status, expected 2"
[ ! -e "$dropin" ] || fail "unknown argument still wrote the drop-in"
expect_calls

# A hand-edited drop-in without a loopback port is left alone; --new-port replaces it.
mkdir -p "$(dirname "$dropin")"
printf '[Socket]\nListenStream=\nListenStream=0.0.0.0:8080\n' >"$dropin"
setup
[ "$status" -eq 1 ] || fail "edited drop-in: exit $status, expected 1"
grep -q '0.0.0.0:8080' "$dropin" || fail "setup overwrote a hand-edited drop-in"
grep -q -- '--new-port' "$work/out" || fail "the error does not say how to proceed"
setup --new-port
[ "$status" -eq 0 ] && [ -n "$(port_of)" ] || fail "--new-port did not replace the edited drop-in"

# systemctl fails: exit 1, a message, the drop-in kept.
STUB_SYSTEMCTL_STATUS=1 setup
[ "$status" -eq 1 ] || fail "failing systemctl: exit $status, expected 1"
grep -q 'daemon-reload' "$work/out" || fail "the error does not name the failed command"
[ -n "$(port_of)" ] || fail "failing systemctl lost the drop-in"

# No systemctl on PATH: exit 1 and say so.
set +e
PATH=$work/empty "$hearthctl" setup >"$work/out" 2>&1
status=$?
set -e
[ "$status" -eq 1 ] || fail "missing systemctl: exit $status, expected 1"
grep -q 'not on PATH' "$work/out" || fail "the error does not say systemctl is missing"
