// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the web application's route files.
#pragma once

#include <string>
#include <string_view>

namespace hearth::web {

// `text` without leading and trailing ASCII white space.
inline std::string Trimmed(std::string_view text) {
  size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(b, e - b + 1));
}

}  // namespace hearth::web
