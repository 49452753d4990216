#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# HTTP benchmark: hearthd against nginx serving the same bytes, both on loopback, both with two
# workers. Not a test: it measures and reports, and fails only when it cannot measure.
#
# Usage: bench/run_http.sh BUILD_DIR [OUT_JSON]
#   BUILD_DIR  a build tree with hearthd (and, optionally, bench/hearth_store_bench)
#   OUT_JSON   where to write the results (default BUILD_DIR/bench/http_bench.json)
# Environment:
#   BENCH_SECONDS  duration of each wrk run (default 5)
#   BENCH_ASSET    the embedded static asset to load, as served under /assets/ (default app.css)
#   NGINX, WRK     the binaries to use (default: from PATH)
# See bench/README.md for what the numbers mean.
set -euo pipefail

usage() {
  echo "Usage: $0 BUILD_DIR [OUT_JSON]" >&2
  exit 2
}
[[ $# -ge 1 && $# -le 2 ]] || usage
BUILD_DIR=$(cd "$1" && pwd)
OUT_JSON=${2:-$BUILD_DIR/bench/http_bench.json}
SECONDS_PER_RUN=${BENCH_SECONDS:-5}
ASSET=${BENCH_ASSET:-app.css}
NGINX=${NGINX:-nginx}
WRK=${WRK:-wrk}
HEARTHD=$BUILD_DIR/hearthd
STORE_BENCH=$BUILD_DIR/bench/hearth_store_bench
CONVERSATIONS=100
STARTUP_DEADLINE_S=10

# shellcheck source-path=SCRIPTDIR source=nginx.sh
. "$(dirname "$0")/nginx.sh"

die() {
  echo "run_http.sh: $*" >&2
  exit 1
}
[[ $SECONDS_PER_RUN =~ ^[1-9][0-9]*$ ]] || die "BENCH_SECONDS must be a positive integer"
[[ $ASSET =~ ^[A-Za-z0-9._-]+$ ]] || die "BENCH_ASSET must be a file name such as app.css"
[[ -x $HEARTHD ]] || die "no hearthd in $BUILD_DIR (build it: cmake --build $BUILD_DIR --target hearthd)"
for tool in "$NGINX" "$WRK" curl jq ss; do
  command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install nginx-light wrk curl jq iproute2)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hearth-http-bench.XXXXXX")
HEARTHD_PID=
NGINX_PID=
cleanup() {
  # Only our own children, by PID.
  if [[ -n $NGINX_PID ]]; then kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
  if [[ -n $HEARTHD_PID ]]; then kill "$HEARTHD_PID" 2>/dev/null || true; wait "$HEARTHD_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- hearthd, in a private data and runtime directory ---------------------------------------
export XDG_DATA_HOME=$TMP/data XDG_RUNTIME_DIR=$TMP/runtime XDG_CONFIG_HOME=$TMP/config
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME"
chmod 700 "$XDG_RUNTIME_DIR"
unset LISTEN_FDS LISTEN_PID LISTEN_FDNAMES NOTIFY_SOCKET
"$HEARTHD" 2>"$TMP/hearthd.log" &
HEARTHD_PID=$!

HEARTH_PORT=
deadline=$((SECONDS + STARTUP_DEADLINE_S))
while ((SECONDS < deadline)); do
  if line=$(grep -m1 -o 'listening on http://127\.0\.0\.1:[0-9]*/' "$TMP/hearthd.log"); then
    HEARTH_PORT=${line##*:}
    HEARTH_PORT=${HEARTH_PORT%/}
    break
  fi
  kill -0 "$HEARTHD_PID" 2>/dev/null || { cat "$TMP/hearthd.log" >&2; die "hearthd exited during start-up"; }
  sleep 0.05
done
[[ -n $HEARTH_PORT ]] || { cat "$TMP/hearthd.log" >&2; die "hearthd did not report listening within ${STARTUP_DEADLINE_S}s"; }
[[ $(tr -d '\n' <"$XDG_RUNTIME_DIR/hearth/port") == "$HEARTH_PORT" ]] ||
  die "the port file disagrees with hearthd's log"
HEARTH=http://127.0.0.1:$HEARTH_PORT

login_url=$("$HEARTHD" --login-url)
# Pages answer only under Hearth's own host name; curl resolves .localhost itself, wrk does not
# (glibc), so wrk connects to $HEARTH and names the host in a header.
[[ $login_url =~ ^(http://(h-[0-9a-f]{40}\.localhost:$HEARTH_PORT))/login\?token= ]] ||
  die "unexpected login URL: $login_url"
APP=${BASH_REMATCH[1]}
APP_HOST="Host: ${BASH_REMATCH[2]}"
session=$(curl -sS --max-time 5 -o /dev/null -D - "$login_url" |
  tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: hearth_session=\([0-9a-f]*\);.*/\1/p')
[[ -n $session ]] || die "the login URL did not set a hearth_session cookie"
COOKIE="Cookie: hearth_session=$session"

# --- seed: 100 conversations with one message each ----------------------------------------
# Two curl processes with keep-alive, each reading one transfer per `next` from a config file.
curl_config_entry() {  # URL [DATA]
  printf 'url = "%s"\nrequest = "POST"\noutput = "/dev/null"\nheader = "HX-Request: true"\n' "$1"
  printf 'header = "Origin: %s"\nheader = "%s"\n' "$APP" "$COOKIE"
  if [[ $# -ge 2 ]]; then
    printf 'header = "Content-Type: application/x-www-form-urlencoded"\ndata = "%s"\n' "$2"
  fi
}
for ((i = 1; i <= CONVERSATIONS; i++)); do
  ((i > 1)) && echo next
  curl_config_entry "$APP/conversations"
  echo 'write-out = "%{http_code} %header{hx-push-url}\n"'
done >"$TMP/create.curl"
curl -sS --max-time 60 -K "$TMP/create.curl" >"$TMP/created" || die "seeding conversations failed"
mapfile -t ids < <(sed -n 's|^200 /c/\([0-9][0-9]*\)$|\1|p' "$TMP/created")
((${#ids[@]} == CONVERSATIONS)) ||
  die "created ${#ids[@]} of $CONVERSATIONS conversations: $(grep -v '^200 /c/' "$TMP/created" | head -3)"
for ((i = 0; i < CONVERSATIONS; i++)); do
  ((i > 0)) && echo next
  curl_config_entry "$APP/c/${ids[i]}/messages" \
    "content=Benchmark+message+$((i + 1))%3A+what+should+I+cook+tonight%3F"
  echo 'write-out = "%{http_code}\n"'
done >"$TMP/messages.curl"
curl -sS --max-time 60 -K "$TMP/messages.curl" >"$TMP/messages" || die "seeding messages failed"
(($(grep -c '^200$' "$TMP/messages") == CONVERSATIONS)) ||
  die "adding messages failed: $(grep -v '^200$' "$TMP/messages" | sort | uniq -c | head -3)"

# --- the three cases: fetch each body once from hearthd, to serve the same bytes from nginx --
WWW=$TMP/nginx/www
mkdir -p "$WWW/assets"
# fetch PATH FILE [curl args...]: the body into FILE, prints the Content-Type; fails unless 200.
fetch() {
  local path=$1 file=$2
  shift 2
  local out
  out=$(curl -sS --max-time 5 -o "$file" -w '%{http_code} %{content_type}' "$@" "$HEARTH$path")
  [[ ${out%% *} == 200 ]] || die "GET $path answered ${out%% *}"
  echo "${out#* }"
}
healthz_type=$(fetch /healthz "$WWW/healthz")
asset_type=$(fetch "/assets/$ASSET" "$WWW/assets/$ASSET" -H "$APP_HOST" -H "$COOKIE")
fragment_type=$(fetch /conversations "$WWW/conversations" -H "$APP_HOST" -H "HX-Request: true" -H "$COOKIE")
ASSET_BYTES=$(stat -c %s "$WWW/assets/$ASSET")
FRAGMENT_BYTES=$(stat -c %s "$WWW/conversations")
FRAGMENT_ITEMS=$(grep -o 'class="conversation-item"' "$WWW/conversations" | wc -l || true)

# --- nginx, private config, same bodies, same types, same security headers ------------------
NONCE=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$NONCE" >"$WWW/bench-nonce"
# The same headers hearthd adds to every response, so both send about the same bytes.
security_headers=$(curl -sS --max-time 5 -o /dev/null -D - "$HEARTH/healthz" | tr -d '\r' |
  grep -iE '^(Content-Security-Policy|X-Content-Type-Options|Referrer-Policy|X-Frame-Options|Cross-Origin-Opener-Policy|Cross-Origin-Resource-Policy):' |
  sed -E 's/^([^:]*): (.*)$/    add_header \1 "\2" always;/')

write_nginx_conf() {
  local port=$1
  {
    nginx_conf_prologue "$TMP/nginx"
    cat <<EOF
  sendfile on;
  tcp_nopush on;
  open_file_cache max=64 inactive=300s;
  open_file_cache_valid 300s;
  keepalive_timeout 65s;
  keepalive_requests 10000000;
  server_tokens off;
  types { }
  server {
    listen 127.0.0.1:$port;
    root $WWW;
$security_headers
    location = /healthz { default_type "$healthz_type"; add_header Cache-Control no-store;
$security_headers
    }
    location = /assets/$ASSET { default_type "$asset_type";
      add_header Cache-Control "private, max-age=31536000, immutable";
$security_headers
    }
    location = /conversations { default_type "$fragment_type"; add_header Cache-Control no-store;
$security_headers
    }
    location = /bench-nonce { default_type text/plain; }
  }
}
EOF
  } >"$TMP/nginx/nginx.conf"
}

NGINX_PORT=
for _ in 1 2 3 4 5 6 7 8 9 10; do
  port=$((20000 + RANDOM % 40000))
  ss -ltnH "sport = :$port" | grep -q . && continue
  write_nginx_conf "$port"
  "$NGINX" -q -t -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" >"$TMP/nginx/test.log" 2>&1 ||
    { cat "$TMP/nginx/test.log" >&2; die "nginx rejects the generated configuration"; }
  "$NGINX" -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -g 'daemon off;' &
  NGINX_PID=$!
  deadline=$((SECONDS + STARTUP_DEADLINE_S))
  while ((SECONDS < deadline)) && kill -0 "$NGINX_PID" 2>/dev/null; do
    # The nonce proves it is our nginx that answers, not something else on that port.
    if [[ $(curl -s --max-time 1 "http://127.0.0.1:$port/bench-nonce" || true) == "$NONCE" ]]; then
      NGINX_PORT=$port
      break
    fi
    sleep 0.05
  done
  [[ -n $NGINX_PORT ]] && break
  kill "$NGINX_PID" 2>/dev/null || true
  wait "$NGINX_PID" 2>/dev/null || true
  NGINX_PID=
done
[[ -n $NGINX_PORT ]] || { cat "$TMP/nginx/error.log" >&2 || true; die "could not start nginx on a free loopback port"; }
NGINX_URL=http://127.0.0.1:$NGINX_PORT

# The bodies must match byte for byte, or the comparison means nothing.
for path in /healthz "/assets/$ASSET" /conversations; do
  curl -sS --max-time 5 -o "$TMP/check" "$NGINX_URL$path"
  cmp -s "$TMP/check" "$WWW$path" || die "nginx serves different bytes at $path"
done

# --- load ---------------------------------------------------------------------------------
# wrk_run URL THREADS CONNS OUT [headers...]: one wrk run, raw output saved in OUT.
wrk_run() {
  local url=$1 threads=$2 conns=$3 out=$4
  shift 4
  local args=()
  for h in "$@"; do args+=(-H "$h"); done
  timeout $((SECONDS_PER_RUN + 30)) "$WRK" --latency -t"$threads" -c"$conns" -d"${SECONDS_PER_RUN}s" \
    "${args[@]}" "$url" >"$out" 2>&1 || die "wrk failed: $(cat "$out")"
}
# wrk_field OUT rps|p50|p99|non2xx|errors
wrk_field() {
  awk -v want="$2" '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /m$/) return substr(v, 1, length(v) - 1) * 60000
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return "null"
    }
    /Latency Distribution/ { dist = 1; next }
    dist && $1 == "50%" { p50 = ms($2) }
    dist && $1 == "99%" { p99 = ms($2) }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { non2xx = $NF }
    /Socket errors:/ { gsub(",", ""); errors = $4 + $6 + $8 + $10 }
    END {
      if (want == "rps") print (rps == "" ? "null" : rps)
      else if (want == "p50") print (p50 == "" ? "null" : sprintf("%.3f", p50))
      else if (want == "p99") print (p99 == "" ? "null" : sprintf("%.3f", p99))
      else if (want == "non2xx") print non2xx + 0
      else print errors + 0
    }' "$1"
}

CASES=(healthz fresh asset fragment)
declare -A CASE_PATH=([healthz]=/healthz [fresh]=/healthz [asset]="/assets/$ASSET" [fragment]=/conversations)
declare -A CASE_LABEL=(
  [healthz]="healthz ($(stat -c %s "$WWW/healthz") B)"
  [fresh]="healthz, a new connection each (front door)"
  [asset]="asset $ASSET ($ASSET_BYTES B)"
  [fragment]="fragment ($FRAGMENT_ITEMS of $CONVERSATIONS, $FRAGMENT_BYTES B)"
)
LOADS=("1 1" "2 64")  # threads conns
DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
NPROC=$(nproc)
RESULTS=$TMP/results.jsonl
: >"$RESULTS"

echo "hearthd $HEARTH (pid $HEARTHD_PID) vs nginx $NGINX_URL (pid $NGINX_PID): $NPROC CPUs," \
  "${SECONDS_PER_RUN}s per run, wrk on the same machine" >&2
for c in "${CASES[@]}"; do
  headers=()
  case $c in
    fresh) headers=("$APP_HOST" "Connection: close") ;;
    asset) headers=("$APP_HOST" "$COOKIE") ;;
    fragment) headers=("$APP_HOST" "$COOKIE" "HX-Request: true") ;;
  esac
  for load in "${LOADS[@]}"; do
    read -r threads conns <<<"$load"
    echo "  $c, $conns connection(s) ..." >&2
    # Each server gets the very same request bytes (nginx ignores the extra headers).
    wrk_run "$HEARTH${CASE_PATH[$c]}" "$threads" "$conns" "$TMP/wrk-hearth-$c-$conns" ${headers[@]+"${headers[@]}"}
    wrk_run "$NGINX_URL${CASE_PATH[$c]}" "$threads" "$conns" "$TMP/wrk-nginx-$c-$conns" ${headers[@]+"${headers[@]}"}
    for s in hearth nginx; do
      f=$TMP/wrk-$s-$c-$conns
      bad=$(($(wrk_field "$f" non2xx) + $(wrk_field "$f" errors)))
      if ((bad > 0)); then
        echo "run_http.sh: warning: $s $c at $conns connections: $bad non-2xx responses or socket errors" >&2
        sed 's/^/    /' "$f" >&2
      fi
    done
    jq -nc \
      --arg kase "$c" --arg lbl "${CASE_LABEL[$c]}" --arg path "${CASE_PATH[$c]}" \
      --argjson conns "$conns" --argjson threads "$threads" \
      --argjson hr "$(wrk_field "$TMP/wrk-hearth-$c-$conns" rps)" \
      --argjson nr "$(wrk_field "$TMP/wrk-nginx-$c-$conns" rps)" \
      --argjson h50 "$(wrk_field "$TMP/wrk-hearth-$c-$conns" p50)" \
      --argjson h99 "$(wrk_field "$TMP/wrk-hearth-$c-$conns" p99)" \
      --argjson n50 "$(wrk_field "$TMP/wrk-nginx-$c-$conns" p50)" \
      --argjson n99 "$(wrk_field "$TMP/wrk-nginx-$c-$conns" p99)" \
      --argjson hbad "$(($(wrk_field "$TMP/wrk-hearth-$c-$conns" non2xx) + $(wrk_field "$TMP/wrk-hearth-$c-$conns" errors)))" \
      --argjson nbad "$(($(wrk_field "$TMP/wrk-nginx-$c-$conns" non2xx) + $(wrk_field "$TMP/wrk-nginx-$c-$conns" errors)))" \
      --argjson body "$(stat -c %s "$WWW${CASE_PATH[$c]}")" \
      --argjson nproc "$NPROC" --arg date "$DATE" --argjson asset_size "$ASSET_BYTES" \
      --arg asset "$ASSET" --argjson seconds "$SECONDS_PER_RUN" \
      '{case: $kase, label: $lbl, path: $path, conns: $conns, wrk_threads: $threads,
        hearth_rps: $hr, nginx_rps: $nr,
        ratio: (if $hr != null and $nr != null and $nr > 0 then (($hr / $nr) * 1000 | round) / 1000 else null end),
        hearth_p50_ms: $h50, hearth_p99_ms: $h99, nginx_p50_ms: $n50, nginx_p99_ms: $n99,
        hearth_errors: $hbad, nginx_errors: $nbad, body_bytes: $body,
        asset: $asset, asset_size: $asset_size, nproc: $nproc, date: $date, seconds: $seconds}' \
      >>"$RESULTS"
  done
done

# --- stop both servers, checking that hearthd shuts down cleanly ----------------------------
kill "$NGINX_PID"
wait "$NGINX_PID" || true  # nginx exits 0 on SIGTERM; its status is not what we measure
NGINX_PID=
stop_start_ns=$(date +%s%N)
kill -TERM "$HEARTHD_PID"
hearthd_status=0
wait "$HEARTHD_PID" || hearthd_status=$?
STOP_MS=$((($(date +%s%N) - stop_start_ns) / 1000000))
HEARTHD_PID=
((hearthd_status == 0)) || { cat "$TMP/hearthd.log" >&2; die "hearthd exited with status $hearthd_status on SIGTERM"; }

# --- report -------------------------------------------------------------------------------
mkdir -p "$(dirname "$OUT_JSON")"
jq -s . "$RESULTS" >"$OUT_JSON"

echo
echo "Hearth HTTP benchmark, $DATE, nproc=$NPROC, ${SECONDS_PER_RUN}s per run (wrk shares the CPUs)"
echo "fragment = conversation-list fragment, first page of $FRAGMENT_ITEMS out of $CONVERSATIONS conversations"
jq -r '
  def f(d): if . == null then "n/a" else (. * pow(10; d) | round / pow(10; d) | tostring) end;
  (["case", "conns", "hearth req/s", "nginx req/s", "ratio", "hearth p50 ms", "hearth p99 ms",
    "nginx p50", "nginx p99"] | join("\t")),
  (.[] | [.label, (.conns | tostring), (.hearth_rps | f(0)), (.nginx_rps | f(0)),
          (.ratio | f(2)), (.hearth_p50_ms | f(3)), (.hearth_p99_ms | f(3)),
          (.nginx_p50_ms | f(3)), (.nginx_p99_ms | f(3))] | join("\t"))' "$OUT_JSON" |
  column -t -s $'\t' -o ' | '
echo "JSON: $OUT_JSON"
echo "hearthd exited 0 on SIGTERM after ${STOP_MS} ms"

echo
if [[ -x $STORE_BENCH ]]; then
  store_json=$BUILD_DIR/bench/store_bench.json
  echo "Store benchmark ($STORE_BENCH --json $store_json):"
  if ! timeout 90 "$STORE_BENCH" --json "$store_json"; then
    echo "run_http.sh: hearth_store_bench failed or timed out; the HTTP results above stand" >&2
  fi
else
  echo "Store benchmark: $STORE_BENCH is not built (cmake --build $BUILD_DIR --target hearth_store_bench); skipped"
fi
