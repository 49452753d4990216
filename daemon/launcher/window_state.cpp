// SPDX-License-Identifier: Apache-2.0
#include "launcher/window_state.h"

#include <algorithm>
#include <string>

#include "base/paths.h"
#include "base/strings.h"

namespace hearth::launcher {
namespace {

// A decimal brought into [lo, hi], or `fallback` when it is not a number of at most 6 digits.
int ParseSide(std::string_view value, int lo, int hi, int fallback) {
  if (value.empty() || value.size() > 6) return fallback;
  int n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return fallback;
    n = n * 10 + (c - '0');
  }
  return std::clamp(n, lo, hi);
}

}  // namespace

WindowState ParseWindowState(std::string_view text) {
  WindowState state;
  bool in_window_section = false;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = Trim(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      in_window_section = line == "[window]";
      continue;
    }
    if (!in_window_section) continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = Trim(line.substr(0, eq));
    std::string_view value = Trim(line.substr(eq + 1));
    if (key == "width") {
      state.width = ParseSide(value, WindowState::kMinWidth, WindowState::kMaxSide, state.width);
    } else if (key == "height") {
      state.height = ParseSide(value, WindowState::kMinHeight, WindowState::kMaxSide, state.height);
    } else if (key == "maximized") {
      if (value == "true") state.maximized = true;
      if (value == "false") state.maximized = false;
    }
  }
  return state;
}

std::string FormatWindowState(const WindowState& state) {
  int width = std::clamp(state.width, WindowState::kMinWidth, WindowState::kMaxSide);
  int height = std::clamp(state.height, WindowState::kMinHeight, WindowState::kMaxSide);
  return "# Written by hearth when its window changes size.\n[window]\nwidth=" +
         std::to_string(width) + "\nheight=" + std::to_string(height) +
         "\nmaximized=" + (state.maximized ? "true" : "false") + "\n";
}

Result<std::string> WindowStatePath() {
  auto dir = ConfigDir();
  if (!dir.ok()) return dir.status();
  return *dir + "/window.ini";
}

WindowState LoadWindowState() {
  auto path = WindowStatePath();
  if (!path.ok()) return WindowState();
  auto text = ReadSmallFile(*path);
  if (!text.ok()) return WindowState();
  return ParseWindowState(*text);
}

Status SaveWindowState(const WindowState& state) {
  auto dir = ConfigDir();
  if (!dir.ok()) return dir.status();
  if (Status s = EnsurePrivateDir(*dir); !s.ok()) return s;
  return WriteFileAtomic(*dir + "/window.ini", FormatWindowState(state));
}

}  // namespace hearth::launcher
