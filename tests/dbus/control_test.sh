#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# dbus.control: the whole org.hearth.Hearth1 interface (dbus/org.hearth.Hearth1.xml) of the real
# hearthd, D-Bus-activated on a private session bus, driven three ways: `busctl`, `gdbus` and
# `hearthctl`. Checks activation, every method (replies, their types, and what they do to the
# backend and to sign-ins over HTTP), the errors, the properties, the signals across a Restart
# (seen by `busctl monitor` and `gdbus monitor`), that introspection matches the XML, and
# hearthctl's commands and exit codes (0 ok, 1 error from the daemon, 2 bad arguments,
# 3 unreachable, 4 backend not running). Prints progress lines; FAIL says what was expected.
# Usage: control_test.sh BUILD_DIR   (runs BUILD_DIR/hearthd and BUILD_DIR/hearthctl)
# Needs: dbus-daemon (dbus), busctl (systemd), gdbus (libglib2.0-bin), curl, jq, python3.
set -euo pipefail

build=$(cd "${1:?usage: control_test.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
hearthd=$build/hearthd
hearthctl=$build/hearthctl
contract=$here/../../dbus/org.hearth.Hearth1.xml
gvariant_json=$here/gvariant_json.py
members=$here/interface_members.py

for tool in dbus-daemon busctl gdbus curl jq python3 setsid; do
  command -v "$tool" >/dev/null || { echo "control_test: needs $tool" >&2; exit 1; }
done
[ -x "$hearthd" ] && [ -x "$hearthctl" ] ||
  { echo "control_test: no hearthd/hearthctl in $build" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=../lib/session.sh
. "$here/../lib/session.sh"
session_new control_test dbus-control
work=$session_dir
monitor_pid='' gmonitor_pid='' hearthd_pid=''

cleanup() {
  local status=$?
  stop_pid "$gmonitor_pid"
  stop_pid "$monitor_pid"
  stop_pid "$hearthd_pid"
  session_bus_stop
  [ "$status" -eq 0 ] || session_dump_logs bus.log ctl.err gmonitor.log
  session_remove
  exit "$status"
}
trap cleanup EXIT

session_env
session_bus_start "$hearthd"
bus=$DBUS_SESSION_BUS_ADDRESS
version=$("$hearthd" --version | awk '{print $2}')

# --- Helpers ---------------------------------------------------------------------------------
expect_eq() {  # expect_eq WHAT EXPECTED ACTUAL
  [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}
expect_match() {  # expect_match WHAT REGEX ACTUAL
  [[ $3 =~ $2 ]] || fail "$1: expected something matching /$2/, got '$3'"
}
uuid7_re='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
now_ms() { date +%s%3N; }

# busctl: METHOD [SIGNATURE ARGS...]; prints the reply as JSON {"type":…,"data":[…]}.
bcall() {
  busctl --address="$bus" --json=short call org.hearth.Hearth1 /org/hearth/Hearth1 \
    org.hearth.Hearth1 "$@"
}
# busctl get-property: NAME; prints {"type":…,"data":…}.
bprop() {
  busctl --address="$bus" --json=short get-property org.hearth.Hearth1 /org/hearth/Hearth1 \
    org.hearth.Hearth1 "$1"
}
prop() { bprop "$1" | jq -r .data; }
bus_call() {  # bus_call METHOD [SIGNATURE ARGS...]: a call to the bus itself, plain output
  busctl --address="$bus" call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus "$@"
}
# gdbus: METHOD [ARGS...] of org.hearth.Hearth1 (or a full interface.method); prints the reply
# as JSON, in busctl's "data" shape (gvariant_json.py).
gcall_raw() {
  local method=$1
  shift
  [[ $method == *.* ]] || method=org.hearth.Hearth1.$method
  gdbus call --address "$bus" --dest org.hearth.Hearth1 --object-path /org/hearth/Hearth1 \
    --method "$method" "$@"
}
gcall() {
  local out
  out=$(gcall_raw "$@") || return
  gvariant_to_json <<<"$out"
}
# GVariant text to JSON. A flat tuple of numbers and plain strings is rewritten here (python's
# start-up costs seconds on a loaded machine); anything else goes to gvariant_json.py.
gvariant_to_json() {
  local text
  text=$(cat)
  if [[ $text =~ ^\(([^\\\"\'{}<>@]|\'[^\\\'\"]*\')*\)$ ]]; then
    sed -E "s/(^|[(, ])(byte|u?int(16|32|64)|double|handle) /\1/g; s/'([^']*)'/\"\1\"/g;
            s/,\)$/)/; s/^\(/[/; s/\)$/]/" <<<"$text"
  else
    python3 "$gvariant_json" <<<"$text"
  fi
}

# expect_bus_error TOOL ERROR_NAME METHOD [ARGS...]: the call fails with ERROR_NAME and prints no
# reply. gdbus names the error itself; busctl only prints its message, so for busctl the name is
# read from the reply that `busctl monitor` saw (the last error sent to a caller of METHOD).
expect_bus_error() {
  local tool=$1 error=$2 method=$3 status=0
  shift 3
  case $tool in
    busctl) bcall "$method" "$@" >"$work/call.out" 2>"$work/call.err" || status=$? ;;
    gdbus) gcall_raw "$method" "$@" >"$work/call.out" 2>"$work/call.err" || status=$? ;;
  esac
  [ "$status" -ne 0 ] || fail "$tool $method $*: expected $error, but it succeeded: $(cat "$work/call.out")"
  [ ! -s "$work/call.out" ] || fail "$tool $method $*: printed a reply on error: $(cat "$work/call.out")"
  local got
  if [ "$tool" = gdbus ]; then
    got=$(sed -n 's/^Error: GDBus\.Error:\([^:]*\):.*/\1/p' "$work/call.err")
  else
    wait_for 5 "error reply to $method in busctl monitor" monitor_has_error_for "$method"
    got=$(last_error_for "$method")
  fi
  expect_eq "$tool $method $* error" "$error" "$got"
}
# The error name of the reply to the last call of METHOD that busctl monitor saw, if any.
last_error_for() {
  jq -rnR --arg m "$1" '
    [inputs | fromjson?]
    | (map(select(.type == "method_call" and .interface == "org.hearth.Hearth1" and .member == $m))
     | last) as $call
    | if $call == null then empty else
        map(select(.type == "error" and .destination == $call.sender
                   and .reply_cookie == $call.cookie)) | last | .error_name // empty
      end' "$work/monitor.json"
}
monitor_has_error_for() { [ -n "$(last_error_for "$1")" ]; }

# Signals from hearthd that busctl monitor saw after line $1 of its output, one JSON each.
signals_since() {
  tail -n "+$(($1 + 1))" "$work/monitor.json" |
    jq -cR --arg owner "$owner" 'fromjson? | select(.type == "signal" and .sender == $owner)'
}

# HTTP. login_code URL [CURL ARGS...]: the status of a GET of URL; headers in $work/headers.
login_code() {
  local url=$1
  shift
  curl -s -o /dev/null -D "$work/headers" -w '%{http_code}' --max-time 20 "$@" "$url"
}
# expect_login_once URL WHAT: the login link signs in once (303 with a cookie), then no more.
expect_login_once() {
  local code
  code=$(login_code "$1")
  expect_eq "$2: first use of the login link" 303 "$code"
  grep -qi '^set-cookie: ' "$work/headers" || fail "$2: the login answered 303 without a Set-Cookie"
  code=$(login_code "$1")
  [ "$code" != 303 ] || fail "$2: the login link worked twice (second use answered 303)"
}
expect_login_refused() {  # expect_login_refused URL WHAT
  local code
  code=$(login_code "$1")
  [ "$code" != 303 ] || fail "$2: the login link still signs in (303)"
}
# Hearth's pages and cookie live under its own host name (curl resolves .localhost names itself).
app_url() { echo "http://$(cat "$XDG_DATA_HOME/hearth/host"):$port/"; }
login_url() { echo "$(app_url)login?token=$1"; }
healthz() { login_code "http://127.0.0.1:$port/healthz" -H "Host: 127.0.0.1:$port"; }

state_is() { [ "$(prop State)" = "$1" ]; }
wait_running() { wait_for 30 "State running" state_is running; }

# check_supervise WHAT JSON: JSON is Supervise's a{sv} in busctl's shape; checks every key, its
# type and the values that can be known. Sets $sv_state, $sv_pid.
check_supervise() {
  local what=$1 json=$2
  expect_eq "$what: keys and types" \
    "backend_pid=u database=s database_detail=s last_exit_reason=s last_probe_latency_us=t port=q restarts=u sandbox=s state=s supervisor_uptime_ms=t uptime_ms=t url=s version=s" \
    "$(jq -r 'to_entries | map("\(.key)=\(.value.type)") | sort | join(" ")' <<<"$json")"
  sv_state=$(jq -r .state.data <<<"$json")
  sv_pid=$(jq -r .backend_pid.data <<<"$json")
  expect_match "$what: state" '^(starting|running|restarting|backing-off|failed|stopped)$' "$sv_state"
  expect_eq "$what: port" "$port" "$(jq -r .port.data <<<"$json")"
  expect_eq "$what: url" "$(app_url)" "$(jq -r .url.data <<<"$json")"
  expect_eq "$what: version" "$version" "$(jq -r .version.data <<<"$json")"
  expect_match "$what: restarts" '^[0-9]+$' "$(jq -r .restarts.data <<<"$json")"
  if [ "$sv_state" = running ]; then
    [ "$sv_pid" -gt 0 ] || fail "$what: running with backend_pid 0"
    backend_of_hearthd "$sv_pid" || fail "$what: backend_pid $sv_pid is not a child of hearthd $hearthd_pid"
  fi
}
backend_of_hearthd() {  # the process exists and hearthd is its parent
  [ "$(awk '{print $4}' "/proc/$1/stat" 2>/dev/null)" = "$hearthd_pid" ]
}

# --- Activation: the first call starts hearthd -------------------------------------------------
busctl --address="$bus" --json=short monitor >"$work/monitor.json" 2>"$work/monitor.err" &
monitor_pid=$!
monitor_ready() { grep -q 'Monitoring bus message stream' "$work/monitor.err"; }
wait_for 10 "'Monitoring bus message stream' from busctl monitor" monitor_ready

expect_eq "NameHasOwner before the first call" 'b false' "$(bus_call NameHasOwner s org.hearth.Hearth1)"
reply=$(bcall Supervise) || fail "the first Supervise (which should activate hearthd) failed"
expect_eq "Supervise's reply type" 'a{sv}' "$(jq -r .type <<<"$reply")"
expect_eq "NameHasOwner after the first call" 'b true' "$(bus_call NameHasOwner s org.hearth.Hearth1)"
grep -q "Activating service name='org.hearth.Hearth1'" "$work/bus.log" ||
  fail "dbus-daemon did not log activating org.hearth.Hearth1"
owner=$(bus_call GetNameOwner s org.hearth.Hearth1 | sed 's/^s "\(.*\)"$/\1/')
hearthd_pid=$(bus_call GetConnectionUnixProcessID s org.hearth.Hearth1 | awk '{print $2}')
expect_eq "the owner of org.hearth.Hearth1" "$(realpath "$hearthd")" "$(readlink "/proc/$hearthd_pid/exe")"
port=$(prop Port)
check_supervise "first Supervise" "$(jq '.data[0]' <<<"$reply")"
expect_match "first Supervise: state" '^(starting|running)$' "$sv_state"
wait_running
echo "control_test: activation ok (hearthd pid $hearthd_pid, $owner, port $port)"

# --- Supervise and the properties, through busctl and gdbus -------------------------------------
check_supervise "busctl Supervise" "$(bcall Supervise | jq '.data[0]')"
expect_eq "busctl Supervise: state" running "$sv_state"
expect_eq "busctl Supervise: backend_pid" "$(prop BackendPid)" "$sv_pid"
check_supervise "gdbus Supervise" "$(gcall Supervise | jq '.[0]')"
expect_eq "gdbus Supervise: state" running "$sv_state"
expect_eq "gdbus Supervise: backend_pid" "$(prop BackendPid)" "$sv_pid"
sv=$(bcall Supervise | jq '.data[0]')
[ "$(jq .uptime_ms.data <<<"$sv")" -gt 0 ] || fail "uptime_ms is 0 while running: $sv"
[ "$(jq .supervisor_uptime_ms.data <<<"$sv")" -ge "$(jq .uptime_ms.data <<<"$sv")" ] ||
  fail "supervisor_uptime_ms is less than the backend's uptime_ms: $sv"

declare -A prop_type=([State]=s [Port]=q [BackendPid]=u [Restarts]=u [Version]=s)
declare -A prop_want=([State]=running [Port]=$port [BackendPid]=$(jq .backend_pid.data <<<"$sv")
  [Restarts]=$(jq .restarts.data <<<"$sv") [Version]=$version)
for name in State Port BackendPid Restarts Version; do
  expect_eq "busctl get-property $name" "{\"type\":\"${prop_type[$name]}\",\"data\":$(jq -n --arg v "${prop_want[$name]}" 'if $v | test("^[0-9]+$") then ($v | tonumber) else $v end')}" \
    "$(bprop "$name")"
done
all=$(gcall org.freedesktop.DBus.Properties.GetAll org.hearth.Hearth1 | jq -c '.[0]')
expect_eq "GetAll's properties and types" "BackendPid=u Port=q Restarts=u State=s Version=s" \
  "$(jq -r 'to_entries | map("\(.key)=\(.value.type)") | sort | join(" ")' <<<"$all")"
for name in State Port BackendPid Restarts Version; do
  expect_eq "GetAll $name" "${prop_want[$name]}" "$(jq -r --arg n "$name" '.[$n].data' <<<"$all")"
done
echo "control_test: Supervise and properties ok"

# --- Introspection matches dbus/org.hearth.Hearth1.xml -------------------------------------------
python3 "$members" org.hearth.Hearth1 "$contract" >"$work/members.want"
busctl --address="$bus" introspect --xml-interface org.hearth.Hearth1 /org/hearth/Hearth1 \
  >"$work/introspect.busctl.xml"
gdbus introspect --address "$bus" --dest org.hearth.Hearth1 --object-path /org/hearth/Hearth1 \
  --xml >"$work/introspect.gdbus.xml"
for tool in busctl gdbus; do
  python3 "$members" org.hearth.Hearth1 "$work/introspect.$tool.xml" >"$work/members.$tool" ||
    fail "$tool introspect: no org.hearth.Hearth1 interface"
  diff -u "$work/members.want" "$work/members.$tool" >"$work/members.diff" ||
    fail "$tool introspection differs from $contract:
$(cat "$work/members.diff")"
done
echo "control_test: introspection matches the XML ($(wc -l <"$work/members.want") members)"

# --- Restart: a new backend on the same port, and its signals ------------------------------------
gdbus monitor --address "$bus" --dest org.hearth.Hearth1 --object-path /org/hearth/Hearth1 \
  >"$work/gmonitor.log" 2>&1 &
gmonitor_pid=$!
# gdbus subscribes before it asks who owns the name, so once it prints the owner it hears signals.
gmonitor_ready() { grep -q "is owned by $owner" "$work/gmonitor.log"; }
wait_for 10 "'is owned by $owner' from gdbus monitor" gmonitor_ready

old_pid=$(prop BackendPid)
restarts=$(prop Restarts)
mark=$(wc -l <"$work/monitor.json")
reply=$(bcall Restart)
expect_eq "busctl Restart's reply type" u "$(jq -r .type <<<"$reply")"
new_pid=$(jq -r '.data[0]' <<<"$reply")
[ "$new_pid" -gt 0 ] && [ "$new_pid" != "$old_pid" ] ||
  fail "busctl Restart answered pid $new_pid; expected a new pid, not the old $old_pid"
# Restart answers once the new backend serves: no waiting here.
expect_eq "/healthz right after Restart" 200 "$(healthz)"
expect_eq "State right after Restart" running "$(prop State)"
expect_eq "BackendPid after Restart" "$new_pid" "$(prop BackendPid)"
expect_eq "Port after Restart" "$port" "$(prop Port)"
expect_eq "Restarts after Restart" "$((restarts + 1))" "$(prop Restarts)"
backend_of_hearthd "$new_pid" || fail "the new backend $new_pid is not a child of hearthd"
wait_for 5 "exit of the old backend $old_pid" gone "$old_pid"

# busctl monitor: StateChanged restarting -> starting -> running, BackendExited for the old pid,
# PropertiesChanged that ends with the new state.
signals_seen() { signals_since "$mark" >"$work/signals.json" && grep -q '"data":\["running"' "$work/signals.json"; }
wait_for 10 "StateChanged running in busctl monitor" signals_seen
expect_eq "StateChanged states across a Restart (busctl monitor)" "restarting starting running" \
  "$(jq -r 'select(.member == "StateChanged") | .payload.data[0]' "$work/signals.json" | xargs)"
expect_eq "BackendExited across a Restart (busctl monitor)" "uis $old_pid 0" \
  "$(jq -r 'select(.member == "BackendExited") | "\(.payload.type) \(.payload.data[0]) \(.payload.data[1])"' "$work/signals.json" | xargs)"
expect_eq "the last PropertiesChanged (busctl monitor)" \
  "org.hearth.Hearth1 State=running BackendPid=$new_pid Restarts=$((restarts + 1))" \
  "$(jq -r 'select(.member == "PropertiesChanged") | .payload.data
              | "\(.[0]) State=\(.[1].State.data) BackendPid=\(.[1].BackendPid.data) Restarts=\(.[1].Restarts.data)"' \
      "$work/signals.json" | tail -n 1)"
# The same through gdbus monitor.
gsignals() {  # gsignals MEMBER: the arguments of each MEMBER signal gdbus monitor saw, as JSON
  sed -n "s|^/org/hearth/Hearth1: $1 ||p" "$work/gmonitor.log" | python3 "$gvariant_json"
}
gmonitor_saw_running() { gsignals org.hearth.Hearth1.StateChanged | grep -q '^\["running"'; }
wait_for 10 "StateChanged running in gdbus monitor" gmonitor_saw_running
expect_eq "StateChanged states across a Restart (gdbus monitor)" "restarting starting running" \
  "$(gsignals org.hearth.Hearth1.StateChanged | jq -r '.[0]' | xargs)"
expect_eq "BackendExited across a Restart (gdbus monitor)" "$old_pid 0" \
  "$(gsignals org.hearth.Hearth1.BackendExited | jq -r '"\(.[0]) \(.[1])"' | xargs)"
expect_eq "the last PropertiesChanged (gdbus monitor)" \
  "org.hearth.Hearth1 State=running BackendPid=$new_pid Restarts=$((restarts + 1))" \
  "$(gsignals org.freedesktop.DBus.Properties.PropertiesChanged | jq -r '
      "\(.[0]) State=\(.[1].State.data) BackendPid=\(.[1].BackendPid.data) Restarts=\(.[1].Restarts.data)"' |
      tail -n 1)"
stop_pid "$gmonitor_pid"
gmonitor_pid=''
echo "control_test: busctl Restart ok ($old_pid -> $new_pid), signals seen by both monitors"

old_pid=$new_pid
reply=$(gcall Restart)
new_pid=$(jq -r '.[0]' <<<"$reply")
[ "$new_pid" -gt 0 ] && [ "$new_pid" != "$old_pid" ] ||
  fail "gdbus Restart answered $reply; expected a new pid, not the old $old_pid"
expect_eq "/healthz right after gdbus Restart" 200 "$(healthz)"
expect_eq "BackendPid after gdbus Restart" "$new_pid" "$(prop BackendPid)"
expect_eq "Port after gdbus Restart" "$port" "$(prop Port)"
echo "control_test: gdbus Restart ok ($old_pid -> $new_pid)"

# --- Stop, and Supervise starts it again -------------------------------------------------------
stop_then_supervise() {  # stop_then_supervise TOOL
  local tool=$1 old reply
  old=$(prop BackendPid)
  if [ "$tool" = busctl ]; then
    reply=$(bcall Stop)
    expect_eq "busctl Stop's reply (none)" '' "$reply"
  else
    reply=$(gcall Stop)
    expect_eq "gdbus Stop's reply" '[]' "$reply"
  fi
  expect_eq "State after $tool Stop" stopped "$(prop State)"
  expect_eq "BackendPid after $tool Stop" 0 "$(prop BackendPid)"
  expect_eq "Port after $tool Stop" "$port" "$(prop Port)"
  wait_for 5 "exit of the stopped backend $old" gone "$old"
  if [ "$tool" = busctl ]; then reply=$(bcall Supervise | jq '.data[0]'); else reply=$(gcall Supervise | jq '.[0]'); fi
  check_supervise "$tool Supervise after Stop" "$reply"
  expect_match "$tool Supervise after Stop: state" '^(starting|running)$' "$sv_state"
  [ "$sv_pid" -gt 0 ] || fail "$tool Supervise after Stop: backend_pid is 0, expected a new backend"
  wait_running
  expect_eq "/healthz after $tool Supervise" 200 "$(healthz)"
  echo "control_test: $tool Stop (state stopped, pid 0) and Supervise (running again) ok"
}
stop_then_supervise busctl
stop_then_supervise gdbus

# --- IssueToken ---------------------------------------------------------------------------------
check_token() {  # check_token TOOL TTL EXPECTED_TTL
  local tool=$1 ttl=$2 want=$3 before after reply token expires
  before=$(now_ms)
  if [ "$tool" = busctl ]; then
    reply=$(bcall IssueToken u "$ttl")
    expect_eq "busctl IssueToken's reply type" st "$(jq -r .type <<<"$reply")"
    reply=$(jq -c .data <<<"$reply")
  else
    reply=$(gcall IssueToken "$ttl")
  fi
  after=$(now_ms)
  token=$(jq -r '.[0]' <<<"$reply")
  expires=$(jq -r '.[1]' <<<"$reply")
  expect_match "$tool IssueToken $ttl: token" "$uuid7_re" "$token"
  ((expires >= before + want * 1000 - 1000 && expires <= after + want * 1000 + 1000)) ||
    fail "$tool IssueToken $ttl: expires_unix_ms $expires, expected about now + $want s ($((before + want * 1000)))"
  expect_login_once "$(login_url "$token")" "$tool IssueToken $ttl"
}
check_token busctl 30 30
check_token gdbus 30 30
check_token busctl 0 60
check_token gdbus 600 600
expect_bus_error busctl org.hearth.Hearth1.Error.InvalidArgument IssueToken u 601
expect_bus_error gdbus org.hearth.Hearth1.Error.InvalidArgument IssueToken 601
expect_bus_error gdbus org.hearth.Hearth1.Error.InvalidArgument IssueToken 4294967295
echo "control_test: IssueToken ok (UUIDv7, expiry, single use; ttl 601 is InvalidArgument)"

# --- RevokeToken ----------------------------------------------------------------------------------
token=$(bcall IssueToken u 30 | jq -r '.data[0]')
expect_eq "busctl RevokeToken's reply (none)" '' "$(bcall RevokeToken s "$token")"
expect_login_refused "$(login_url "$token")" "a token revoked with busctl"
expect_bus_error busctl org.hearth.Hearth1.Error.NotFound RevokeToken s "$token"
token=$(gcall IssueToken 30 | jq -r '.[0]')
expect_eq "gdbus RevokeToken's reply" '[]' "$(gcall RevokeToken "$token")"
expect_login_refused "$(login_url "$token")" "a token revoked with gdbus"
expect_bus_error gdbus org.hearth.Hearth1.Error.NotFound RevokeToken "$token"
# A used token is gone too; an upper-case spelling is the same token.
token=$(bcall IssueToken u 30 | jq -r '.data[0]')
expect_eq "login with a token before revoking a used one" 303 "$(login_code "$(login_url "$token")")"
expect_bus_error busctl org.hearth.Hearth1.Error.NotFound RevokeToken s "$token"
token=$(gcall IssueToken 30 | jq -r '.[0]')
bcall RevokeToken s "${token^^}" >/dev/null || fail "RevokeToken of an upper-case spelling failed"
expect_login_refused "$(login_url "$token")" "a token revoked by its upper-case spelling"
# Well-formed but never issued: NotFound. Not a UUIDv7 at all: InvalidArgument.
never=01890000-0000-7000-8000-000000000000
expect_bus_error busctl org.hearth.Hearth1.Error.NotFound RevokeToken s "$never"
expect_bus_error gdbus org.hearth.Hearth1.Error.NotFound RevokeToken "$never"
for garbage in not-a-token '' 01890000-0000-4000-8000-000000000000 "$(printf 'x%.0s' {1..300})"; do
  expect_bus_error busctl org.hearth.Hearth1.Error.InvalidArgument RevokeToken s "$garbage"
  expect_bus_error gdbus org.hearth.Hearth1.Error.InvalidArgument RevokeToken "$garbage"
done
echo "control_test: RevokeToken ok (revoked tokens refused; unknown NotFound; garbage InvalidArgument)"

# --- RevokeAllSessions ------------------------------------------------------------------------------
sign_in() {  # sign_in JAR: a browser session in the cookie jar; its page answers 200
  local token
  token=$(bcall IssueToken u 30 | jq -r '.data[0]')
  expect_eq "sign-in with a fresh token" 303 "$(login_code "$(login_url "$token")" -c "$1")"
  expect_eq "the home page with the session cookie" 200 "$(login_code "$(app_url)" -b "$1")"
}
expect_signed_out() {  # expect_signed_out JAR WHAT
  local code
  code=$(login_code "$(app_url)" -b "$1")
  [ "$code" != 200 ] || fail "$2: the old session cookie still opens the home page (200)"
}
code=$(login_code "$(app_url)")
[ "$code" != 200 ] || fail "the home page answers 200 without a session cookie"
for tool in busctl gdbus; do
  sign_in "$work/jar.$tool.1"
  sign_in "$work/jar.$tool.2"
  if [ "$tool" = busctl ]; then
    reply=$(bcall RevokeAllSessions)
    expect_eq "busctl RevokeAllSessions' reply type" u "$(jq -r .type <<<"$reply")"
    count=$(jq -r '.data[0]' <<<"$reply")
  else
    count=$(gcall RevokeAllSessions | jq -r '.[0]')
  fi
  ((count >= 2)) || fail "$tool RevokeAllSessions answered $count, expected at least the 2 sessions just made"
  expect_signed_out "$work/jar.$tool.1" "after $tool RevokeAllSessions"
  expect_signed_out "$work/jar.$tool.2" "after $tool RevokeAllSessions"
done
count=$(bcall RevokeAllSessions | jq -r '.data[0]')
expect_eq "RevokeAllSessions with no session left" 0 "$count"
echo "control_test: RevokeAllSessions ok (cookies stop working)"

# --- LoginUrl ----------------------------------------------------------------------------------------
login_re="^http://h-[0-9a-f]{40}\.localhost:$port/login\?token=[0-9a-f-]{36}$"
url=$(bcall LoginUrl | jq -r '.data[0]')
expect_match "busctl LoginUrl" "$login_re" "$url"
expect_match "busctl LoginUrl's token" "$uuid7_re" "${url#*token=}"
expect_login_once "$url" "busctl LoginUrl"
url=$(gcall LoginUrl | jq -r '.[0]')
expect_match "gdbus LoginUrl" "$login_re" "$url"
expect_login_once "$url" "gdbus LoginUrl"
# LoginUrl starts a stopped backend; the link works without waiting (the port stays listening).
bcall Stop >/dev/null
expect_eq "State after Stop" stopped "$(prop State)"
url=$(gcall LoginUrl | jq -r '.[0]')
expect_match "LoginUrl while stopped" "$login_re" "$url"
expect_match "State right after LoginUrl while stopped" '^(starting|running)$' "$(prop State)"
expect_login_once "$url" "LoginUrl while stopped"
wait_running
echo "control_test: LoginUrl ok (single use; starts a stopped backend)"

# --- hearthctl ---------------------------------------------------------------------------------------
# ctl [ENV=VALUE...] -- ARGS...: runs hearthctl; stdout in $work/ctl.out, stderr in $work/ctl.err,
# exit status in $ctl_status.
ctl() {
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done
  shift
  ctl_status=0
  env "${envs[@]}" "$hearthctl" "$@" >"$work/ctl.out" 2>"$work/ctl.err" || ctl_status=$?
}
ctl_out() { cat "$work/ctl.out"; }
# expect_ctl STATUS ARGS...: hearthctl ARGS exits STATUS; on a failure stdout is empty and
# stderr says something.
expect_ctl() {
  local want=$1
  shift
  ctl -- "$@"
  expect_ctl_status "$want" "hearthctl $*"
}
expect_ctl_status() {  # expect_ctl_status STATUS WHAT
  [ "$ctl_status" = "$1" ] ||
    fail "$2: expected exit $1, got $ctl_status (stdout: $(ctl_out); stderr: $(cat "$work/ctl.err"))"
  if [ "$1" -ne 0 ] && [ "$1" -ne 4 ]; then
    [ ! -s "$work/ctl.out" ] || fail "$2: exit $1 but printed on stdout: $(ctl_out)"
    [ -s "$work/ctl.err" ] || fail "$2: exit $1 without a word on stderr"
  fi
}

expect_ctl 0 --help
grep -q 'status' "$work/ctl.out" && grep -q 'sign-out-all' "$work/ctl.out" ||
  fail "hearthctl --help does not list the commands: $(ctl_out)"
expect_ctl 0 --version
grep -qF "$version" "$work/ctl.out" || fail "hearthctl --version does not say $version: $(ctl_out)"

# status: human-readable, and JSON with Supervise's keys.
expect_ctl 0 status
grep -q running "$work/ctl.out" || fail "hearthctl status does not say running: $(ctl_out)"
grep -qF "$port" "$work/ctl.out" || fail "hearthctl status does not show the port $port: $(ctl_out)"
expect_ctl 0 status --json
jq -e . "$work/ctl.out" >/dev/null || fail "hearthctl status --json is not JSON: $(ctl_out)"
expect_eq "hearthctl status --json: keys" \
  "backend_pid database database_detail last_exit_reason last_probe_latency_us port restarts sandbox state supervisor_uptime_ms uptime_ms url version" \
  "$(jq -r 'keys_unsorted | sort | join(" ")' "$work/ctl.out")"
expect_eq "hearthctl status --json: value types" \
  "backend_pid=number database=string database_detail=string last_exit_reason=string last_probe_latency_us=number port=number restarts=number sandbox=string state=string supervisor_uptime_ms=number uptime_ms=number url=string version=string" \
  "$(jq -r 'to_entries | map("\(.key)=\(.value | type)") | sort | join(" ")' "$work/ctl.out")"
expect_eq "hearthctl status --json: state, pid, port, url, version" \
  "running $(prop BackendPid) $port $(app_url) $version" \
  "$(jq -r '"\(.state) \(.backend_pid) \(.port) \(.url) \(.version)"' "$work/ctl.out")"
echo "control_test: hearthctl --help, --version, status, status --json ok"

# restart: prints the new pid.
old_pid=$(prop BackendPid)
expect_ctl 0 restart
new_pid=$(ctl_out | grep -oE '[0-9]+' | tail -n 1)
expect_eq "hearthctl restart: the pid it printed is BackendPid" "$(prop BackendPid)" "$new_pid"
[ "$new_pid" != "$old_pid" ] || fail "hearthctl restart printed the old pid $old_pid"
expect_eq "/healthz after hearthctl restart" 200 "$(healthz)"

# stop; status then exits 4 (Supervise starts the backend, which is not running yet); start.
expect_ctl 0 stop
expect_eq "State after hearthctl stop" stopped "$(prop State)"
expect_eq "BackendPid after hearthctl stop" 0 "$(prop BackendPid)"
expect_ctl 4 status --json
state=$(jq -r .state "$work/ctl.out")
[ -n "$state" ] && [ "$state" != running ] ||
  fail "hearthctl status --json exited 4 but says state '$state'"
wait_running
expect_ctl 0 stop
expect_ctl 0 start
grep -qE 'starting|running' "$work/ctl.out" || fail "hearthctl start does not print the state: $(ctl_out)"
[ "$(prop BackendPid)" -gt 0 ] || fail "hearthctl start did not start a backend"
wait_running
echo "control_test: hearthctl restart, stop, status (exit 4 when not running), start ok"

# token, revoke.
expect_ctl 0 token
token=$(ctl_out)
expect_match "hearthctl token" "$uuid7_re" "$token"
expect_login_once "$(login_url "$token")" "hearthctl token"
before=$(now_ms)
expect_ctl 0 token --ttl 30 --json
after=$(now_ms)
token=$(jq -r .token "$work/ctl.out")
expires=$(jq -r .expires_unix_ms "$work/ctl.out")
expect_match "hearthctl token --json: token" "$uuid7_re" "$token"
((expires >= before + 29000 && expires <= after + 31000)) ||
  fail "hearthctl token --ttl 30 --json: expires_unix_ms $expires, expected about $((before + 30000))"
expect_ctl 0 revoke "$token"
expect_login_refused "$(login_url "$token")" "a token revoked with hearthctl revoke"
expect_ctl 1 revoke "$token"
grep -q 'org.hearth.Hearth1.Error.NotFound' "$work/ctl.err" ||
  fail "hearthctl revoke of a revoked token: stderr does not name Error.NotFound: $(cat "$work/ctl.err")"
expect_ctl 1 revoke not-a-token
grep -q 'org.hearth.Hearth1.Error.InvalidArgument' "$work/ctl.err" ||
  fail "hearthctl revoke not-a-token: stderr does not name Error.InvalidArgument: $(cat "$work/ctl.err")"
expect_ctl 1 token --ttl 601
grep -q 'org.hearth.Hearth1.Error.InvalidArgument' "$work/ctl.err" ||
  fail "hearthctl token --ttl 601: stderr does not name Error.InvalidArgument: $(cat "$work/ctl.err")"
echo "control_test: hearthctl token, token --json, revoke ok (errors exit 1 and name the D-Bus error)"

# sign-out-all, url, open.
sign_in "$work/jar.ctl.1"
sign_in "$work/jar.ctl.2"
expect_ctl 0 sign-out-all
count=$(ctl_out | grep -oE '[0-9]+' | head -n 1)
((${count:-0} >= 2)) || fail "hearthctl sign-out-all printed '$(ctl_out)', expected a count of at least 2"
expect_signed_out "$work/jar.ctl.1" "after hearthctl sign-out-all"
expect_signed_out "$work/jar.ctl.2" "after hearthctl sign-out-all"
expect_ctl 0 url
url=$(ctl_out)
expect_match "hearthctl url" "$login_re" "$url"
expect_login_once "$url" "hearthctl url"

mkdir -p "$work/bin-open" "$work/bin-noopen"
cat >"$work/bin-open/xdg-open" <<STUB
#!/bin/sh
echo "\$*" >>"$work/opened"
STUB
chmod +x "$work/bin-open/xdg-open"
ctl PATH="$work/bin-open:$PATH" DISPLAY=:99 -- open
expect_ctl_status 0 "hearthctl open (xdg-open available)"
opened() { [ -s "$work/opened" ]; }
wait_for 10 "a call of the stand-in xdg-open by hearthctl open" opened
url=$(head -n 1 "$work/opened")
expect_match "the URL hearthctl open gave xdg-open" "$login_re" "$url"
expect_login_once "$url" "hearthctl open"
# It cannot open the link (no display; no xdg-open): it prints it instead, and exits 0.
expect_printed_url() {  # expect_printed_url WHAT
  expect_ctl_status 0 "$1"
  url=$(grep -oE 'http://h-[0-9a-f]{40}\.localhost:[0-9]+/login\?token=[0-9a-f-]+' "$work/ctl.out" | head -n 1) ||
    fail "$1: no login URL on stdout (stdout: $(ctl_out); stderr: $(cat "$work/ctl.err"))"
  expect_login_once "$url" "$1"
}
rm "$work/opened"
ctl PATH="$work/bin-open:$PATH" -- open
expect_printed_url "hearthctl open without a display"
[ ! -e "$work/opened" ] || fail "hearthctl open ran xdg-open without a display: $(cat "$work/opened")"
ctl PATH="$work/bin-noopen" DISPLAY=:99 -- open
expect_printed_url "hearthctl open without xdg-open"
echo "control_test: hearthctl sign-out-all, url, open ok"

# Bad arguments: 2, nothing on stdout.
for args in "" "frobnicate" "status --bogus" "token --ttl" "token --ttl abc" "token --ttl -5" \
  "revoke" "revoke a b" "url extra" "--timeout abc status" "--timeout" "restart now"; do
  # shellcheck disable=SC2086  # the words are the arguments
  expect_ctl 2 $args
done
echo "control_test: hearthctl bad arguments exit 2"

# Unreachable: no bus; a daemon that does not answer in time; a bus that cannot start Hearth.
ctl DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent -- status
expect_ctl_status 3 "hearthctl status with DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent"
ctl DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent -- url
expect_ctl_status 3 "hearthctl url with no bus"
kill -STOP "$hearthd_pid"
started=$SECONDS
ctl -- --timeout 1 status
kill -CONT "$hearthd_pid"
expect_ctl_status 3 "hearthctl --timeout 1 status with hearthd stopped (SIGSTOP)"
((SECONDS - started <= 10)) || fail "hearthctl --timeout 1 took $((SECONDS - started)) s to give up"
expect_ctl 0 status

kill -TERM "$hearthd_pid"
wait_for 15 "exit of hearthd after SIGTERM" gone "$hearthd_pid"
hearthd_pid=''
rm "$work/services/org.hearth.Hearth1.service"
bus_call ReloadConfig >/dev/null
for args in "status" "status --json" "token" "url" "stop"; do
  # shellcheck disable=SC2086
  expect_ctl 3 $args
done
expect_eq "NameHasOwner with no service file" 'b false' "$(bus_call NameHasOwner s org.hearth.Hearth1)"
echo "control_test: hearthctl exits 3 without a bus, on a timeout, and without an activatable daemon"

# Regression: hearthd died with "Failed to process bus requests" when its session bus went away.
# It must carry on serving HTTP without the control plane, and still stop cleanly.
"$hearthd" 2>"$work/hearthd.err" &
hearthd_pid=$!
name_owned() { [ "$(bus_call NameHasOwner s org.hearth.Hearth1)" = 'b true' ]; }
wait_for 15 "org.hearth.Hearth1 owned by a hearthd started by hand" name_owned
port=$(cat "$XDG_RUNTIME_DIR/hearth/port")
healthy() { [ "$(healthz)" = 200 ]; }
wait_for 15 "/healthz 200 from the hearthd started by hand" healthy
session_bus_stop
lost_bus() { grep -q 'lost the session bus' "$work/hearthd.err"; }
wait_for 15 "'lost the session bus' in hearthd's log" lost_bus
kill -0 "$hearthd_pid" 2>/dev/null || fail "hearthd exited when the session bus went away: $(tail -n 3 "$work/hearthd.err")"
healthy || fail "hearthd stopped serving /healthz after the bus went away"
kill -TERM "$hearthd_pid"
status=0
wait "$hearthd_pid" || status=$?
hearthd_pid=''
expect_eq "hearthd's exit status on SIGTERM after losing the bus" 0 "$status"
[ ! -e "$XDG_RUNTIME_DIR/hearth/port" ] || fail "hearthd left its port file behind"
echo "control_test: hearthd outlives its session bus and still stops cleanly"
echo "control_test: PASS"
