// SPDX-License-Identifier: Apache-2.0
#include "launcher/navigation.h"

#include "launcher/login_url.h"

namespace hearth::launcher {
namespace {

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

Navigation DecideNavigation(std::string_view uri, std::string_view origin, bool user_gesture) {
  if (IsSameOrigin(uri, origin)) return Navigation::kLoad;
  if (!user_gesture) return Navigation::kRefuse;
  if (StartsWithNoCase(uri, "https://") || StartsWithNoCase(uri, "http://") ||
      StartsWithNoCase(uri, "mailto:")) {
    return Navigation::kOpenInBrowser;
  }
  return Navigation::kRefuse;
}

}  // namespace hearth::launcher
