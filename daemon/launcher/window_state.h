// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::launcher {

// The window's size and whether it was maximized, remembered across runs in
// $XDG_CONFIG_HOME/hearth/window.ini:
//
//   [window]
//   width=1000
//   height=720
//   maximized=false
struct WindowState {
  static constexpr int kDefaultWidth = 1000;
  static constexpr int kDefaultHeight = 720;
  // The UI works from 360 px wide; nothing is larger than a 16K screen.
  static constexpr int kMinWidth = 360;
  static constexpr int kMinHeight = 300;
  static constexpr int kMaxSide = 16384;

  int width = kDefaultWidth;
  int height = kDefaultHeight;
  bool maximized = false;

  bool operator==(const WindowState&) const = default;
};

// Never fails: the file is the user's to edit or break, so every key that is missing or malformed
// keeps its default, sizes are brought into [kMin*, kMaxSide], and unknown keys and sections are
// ignored. FormatWindowState brings sizes into the same range.
WindowState ParseWindowState(std::string_view text);
std::string FormatWindowState(const WindowState& state);

// $XDG_CONFIG_HOME/hearth/window.ini (or ~/.config/hearth/window.ini).
Result<std::string> WindowStatePath();

// Defaults when the file is missing, unreadable or too large.
WindowState LoadWindowState();

// Creates the config directory (0700) if needed and replaces the file atomically (0600).
Status SaveWindowState(const WindowState& state);

}  // namespace hearth::launcher
