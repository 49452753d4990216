#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs, builds and runs every test: unit, integration (the real hearthd with emulated socket
# activation and a private D-Bus), D-Bus, units, launcher (Xvfb), end-to-end (headless Chromium);
# then builds, lints, installs and tries the Debian package; then unit and integration again under
# AddressSanitizer and UndefinedBehaviorSanitizer. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/deps.sh --test

jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

# The Debian package: dpkg-buildpackage, lintian, then installed with apt and started through
# D-Bus activation (removed again afterwards).
tools/test-package.sh build-deb

# Sanitizers: the tests of our own code. Left out: the e2e suite (it exercises the same daemon
# code paths through a browser and adds minutes), the launcher's window test (LeakSanitizer would
# report WebKitGTK's and GLib's own leaks), the offline unit-file check, and the system-call trace
# (ASan's runtime makes system calls of its own).
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHEARTH_SANITIZE=ON -DHEARTH_BENCH=OFF
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs" \
  -E '^e2e\.|^launcher\.webkit$|^units\.(verify|syscalls)$'
