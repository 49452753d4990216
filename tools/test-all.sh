#!/usr/bin/env bash
# Installs, builds and runs every test: unit, integration (the real hearthd with emulated socket
# activation), end-to-end (headless Chromium), then unit and integration again under
# AddressSanitizer and UndefinedBehaviorSanitizer. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh --test

jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

# Sanitizers: unit and integration tests (the e2e suite exercises the same daemon code paths
# through a browser and adds minutes, so it runs once above).
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHEARTH_SANITIZE=ON -DHEARTH_BENCH=OFF
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" -E '^e2e\.'
