// SPDX-License-Identifier: Apache-2.0
#include "launcher/login_url.h"

#include <string>

#include "auth/app_host.h"

namespace hearth::launcher {
namespace {

constexpr std::string_view kScheme = "http://";
constexpr std::string_view kLoginPath = "/login?token=";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Letters, digits and the few punctuation marks a UUID or a base64url token uses.
bool IsTokenChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

}  // namespace

Result<LoginUrl> ParseLoginUrl(std::string_view url) {
  auto invalid = [&] {
    return Status::InvalidArgument(
        "the daemon answered with a login link Hearth does not recognise (" +
        std::string(url.substr(0, 200)) + "); is hearthd the same version as hearth?");
  };
  if (!url.starts_with(kScheme)) return invalid();
  size_t colon = url.find(':', kScheme.size());
  if (colon == std::string_view::npos) return invalid();
  // Only the name the daemon serves its pages under: the window's cookie jar is in memory, but a
  // link to 127.0.0.1 would be answered with a redirect anyway (see web/app.h).
  if (!auth::IsAppHostName(url.substr(kScheme.size(), colon - kScheme.size()))) return invalid();
  size_t pos = colon + 1;
  size_t port_start = pos;
  uint32_t port = 0;
  size_t digits = 0;
  while (pos < url.size() && IsDigit(url[pos]) && digits < 6) {
    port = port * 10 + static_cast<uint32_t>(url[pos] - '0');
    ++pos;
    ++digits;
  }
  if (digits == 0 || digits > 5 || port == 0 || port > 65535 || url[port_start] == '0') {
    return invalid();
  }
  LoginUrl out;
  out.origin = std::string(url.substr(0, pos));
  out.port = static_cast<uint16_t>(port);
  std::string_view rest = url.substr(pos);
  if (!rest.starts_with(kLoginPath)) return invalid();
  std::string_view token = rest.substr(kLoginPath.size());
  if (token.empty() || token.size() > 128) return invalid();
  for (char c : token) {
    if (!IsTokenChar(c)) return invalid();
  }
  out.url = std::string(url);
  return out;
}

bool IsSameOrigin(std::string_view uri, std::string_view origin) {
  if (origin.empty() || !uri.starts_with(origin)) return false;
  if (uri.size() == origin.size()) return true;
  char next = uri[origin.size()];
  return next == '/' || next == '?' || next == '#';
}

}  // namespace hearth::launcher
