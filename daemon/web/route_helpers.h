// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the web application's route files.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::web {

// `text` without leading and trailing ASCII white space.
inline std::string Trimmed(std::string_view text) {
  size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(b, e - b + 1));
}

// The lines of a textarea, trimmed, empty ones left out.
inline std::vector<std::string> NonEmptyLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = std::min(text.find('\n', pos), text.size());
    std::string line = Trimmed(text.substr(pos, end - pos));
    if (!line.empty()) lines.push_back(std::move(line));
    pos = end + 1;
  }
  return lines;
}

// A name for a model server or an MCP server: what conversations and tool names refer to it by.
inline bool IsPlainName(std::string_view name) {
  return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

}  // namespace hearth::web
