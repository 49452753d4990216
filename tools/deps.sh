#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what Hearth needs on Debian bookworm: build dependencies, and with --test what the
# tests and benchmarks use too (Chromium, wrk, nginx). Uses sudo when not run as root.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

packages=(build-essential cmake ninja-build pkg-config
          libsystemd-dev libmicrohttpd-dev libsqlite3-dev libjsoncpp-dev uuid-dev libcurl4-openssl-dev libmd4c-dev
          libsdbus-c++-dev libsdbus-c++-bin libwebkit2gtk-4.1-dev libsecret-1-dev dbus xdg-utils)
if [ "${1:-}" = "--test" ]; then
  packages+=(libgtest-dev libgmock-dev libbenchmark-dev chromium wrk nginx-light sqlite3 curl jq iproute2
             libglib2.0-bin xvfb xauth x11-utils xdotool imagemagick strace debhelper dpkg-dev fakeroot
             lintian desktop-file-utils gnome-keyring libsecret-tools)
fi
# npm fetches htmx at build time. Some machines carry a Node.js from elsewhere that bundles npm
# and conflicts with Debian's npm package: only install Node.js when it is missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
