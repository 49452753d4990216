#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Agent benchmark: what Hearth adds between a model server streaming an answer and the page that
# shows it (latency per chunk, with 1 and with 16 answers at once), what an answer in progress
# costs in memory, and how fast Stop reaches the model server. hearth_agent_bench does the work
# (its own model server, a private hearthd, raw-socket clients); every figure sits beside a
# reference measured in the same run. Then, if it is built, the Markdown rendering benchmark.
# Not a test: it fails only when it cannot measure.
#
# Usage: bench/run_agent.sh BUILD_DIR [OUT_JSON]
#   BUILD_DIR  a build tree with hearthd, hearthd-backend and bench/hearth_agent_bench
#   OUT_JSON   where to write the results (default BUILD_DIR/bench/agent_bench.json)
# Environment:
#   AGENT_BENCH_ARGS  extra options for hearth_agent_bench, e.g. "--rounds 5 --interval-ms 10"
#                     (--chunks, --interval-ms, --streams, --rounds, --stops, --hold)
# Builds nothing: `cmake --build BUILD_DIR --target bench_agent` builds what it needs, then runs it.
# See bench/README.md for what the numbers mean.
set -euo pipefail
export LC_ALL=C

usage() {
  echo "Usage: $0 BUILD_DIR [OUT_JSON]" >&2
  exit 2
}
die() {
  echo "run_agent.sh: $*" >&2
  exit 1
}
[[ $# -ge 1 && $# -le 2 ]] || usage
BUILD_DIR=$(cd "$1" && pwd)
OUT_JSON=${2:-$BUILD_DIR/bench/agent_bench.json}
AGENT_BENCH=$BUILD_DIR/bench/hearth_agent_bench
MARKDOWN_BENCH=$BUILD_DIR/bench/hearth_markdown_bench
read -r -a extra <<<"${AGENT_BENCH_ARGS:-}"

for bin in "$BUILD_DIR/hearthd" "$BUILD_DIR/hearthd-backend" "$AGENT_BENCH"; do
  [[ -x $bin ]] || die "no $bin (cmake --build $BUILD_DIR --target bench_agent builds it)"
done

echo "run_agent.sh: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
# It starts hearthd itself (--no-bus, private XDG directories), stops it by PID and removes its
# temporary directory; it prints the table on stdout and its progress on stderr.
"$AGENT_BENCH" --json "$OUT_JSON" "${extra[@]}" "$BUILD_DIR/hearthd" ||
  die "hearth_agent_bench failed (exit $?)"

if [[ -x $MARKDOWN_BENCH ]]; then
  echo
  echo "Markdown rendering (hearth_markdown_bench; load average $(cut -d' ' -f1-3 /proc/loadavg)):"
  if "$MARKDOWN_BENCH" --benchmark_out="$BUILD_DIR/bench/markdown_bench.json" \
    --benchmark_out_format=json; then
    echo "JSON: $BUILD_DIR/bench/markdown_bench.json"
  else
    echo "run_agent.sh: warning: hearth_markdown_bench failed (exit $?); the agent results stand" >&2
  fi
else
  echo
  echo "run_agent.sh: $MARKDOWN_BENCH is not built; skipping the Markdown benchmark" >&2
fi
