// SPDX-License-Identifier: Apache-2.0
// Small string helpers shared by the programs.
#pragma once

#include <string_view>

namespace hearth {

// `s` without leading and trailing spaces, tabs and carriage returns.
inline std::string_view Trim(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace hearth
