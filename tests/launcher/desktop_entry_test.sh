#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# launcher.desktop_entry: ui/desktop/org.hearth.Hearth.desktop is a valid desktop entry that
# matches the launcher: the file is named after the app id the window sets (Wayland app_id),
# StartupWMClass is its X11 WM_CLASS, and Icon names the icon CMake installs.
# Usage: desktop_entry_test.sh SOURCE_DIR   Needs: desktop-file-validate (desktop-file-utils).
set -euo pipefail

src=$(cd "${1:?usage: desktop_entry_test.sh SOURCE_DIR}" && pwd)
entry=$src/ui/desktop/org.hearth.Hearth.desktop
fail() {
  echo "desktop_entry_test: FAIL: $*" >&2
  exit 1
}

desktop-file-validate "$entry" || fail "desktop-file-validate rejects $entry"

app_id=$(sed -n 's/^inline constexpr const char\* kAppId = "\(.*\)";$/\1/p' \
  "$src/daemon/launcher/web_window.h")
[ -n "$app_id" ] || fail "no kAppId in daemon/launcher/web_window.h"
[ "$(basename "$entry" .desktop)" = "$app_id" ] || fail "$entry is not named $app_id.desktop"

key() { sed -n "/^\[Desktop Entry\]/,/^\[/ s/^$1=//p" "$entry"; }
[ "$(key StartupWMClass)" = "$app_id" ] || fail "StartupWMClass is '$(key StartupWMClass)'"
[ "$(key Icon)" = "$app_id" ] || fail "Icon is '$(key Icon)', not $app_id"
[ "$(key Exec)" = hearth ] || fail "Exec is '$(key Exec)', not hearth"
[ "$(key Terminal)" = false ] || fail "Terminal is not false"
install=$src/cmake/launcher_install.cmake
grep -q 'icons/hicolor/scalable/apps$' "$install" && grep -q "RENAME $app_id.svg)" "$install" ||
  fail "cmake/launcher_install.cmake does not install the icon as $app_id.svg"
head -c 200 "$src/ui/static/icon.svg" | grep -q '<svg' || fail "ui/static/icon.svg is not an SVG"
echo "desktop_entry_test: PASS"
