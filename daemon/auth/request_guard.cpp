// SPDX-License-Identifier: Apache-2.0
#include "auth/request_guard.h"

#include <algorithm>
#include <cctype>

#include "base/random.h"

namespace hearth::auth {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool IsLoopbackAuthority(std::string_view authority, uint16_t port) {
  std::string suffix = ":" + std::to_string(port);
  if (authority.size() <= suffix.size() ||
      authority.substr(authority.size() - suffix.size()) != suffix) {
    return false;
  }
  std::string_view name = authority.substr(0, authority.size() - suffix.size());
  return name == "127.0.0.1" || EqualsIgnoreCase(name, "localhost") || name == "[::1]";
}

// The media type without parameters, lowercased.
std::string MediaType(std::string_view content_type) {
  std::string out(content_type.substr(0, content_type.find(';')));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

bool IsLoopbackHost(std::string_view host, uint16_t port) {
  return IsLoopbackAuthority(host, port);
}

bool IsAppHost(std::string_view host, std::string_view app_authority) {
  return !app_authority.empty() && EqualsIgnoreCase(host, app_authority);
}

bool IsSameOrigin(std::string_view origin, std::string_view app_origin) {
  // Browsers serialise an origin in lower case, so this need not ignore case.
  return !app_origin.empty() && origin == app_origin;
}

bool IsStateChanging(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

Status CheckStateChange(const http::Request& request, std::string_view app_origin,
                        std::string_view session_csrf, std::string_view form_csrf) {
  const auto& h = request.headers;
  if (!h.origin.empty()) {
    if (!IsSameOrigin(h.origin, app_origin)) {
      return Status::PermissionDenied("cross-origin request refused (Origin: " + h.origin + ")");
    }
  } else if (h.sec_fetch_site != "same-origin") {
    return Status::PermissionDenied(
        "request refused: it carries neither an Origin header nor Sec-Fetch-Site: same-origin");
  }
  bool csrf_ok = false;
  if (!session_csrf.empty()) {
    std::string expected(session_csrf);
    csrf_ok = (!h.csrf_token.empty() && ConstantTimeEquals(h.csrf_token, expected)) ||
              (!form_csrf.empty() && ConstantTimeEquals(std::string(form_csrf), expected));
  }
  if (!request.IsHtmx() && !csrf_ok) {
    return Status::PermissionDenied(
        "request refused: it was not sent by Hearth's page (no HX-Request header or CSRF token)");
  }
  if (!request.body.empty() || !h.content_type.empty()) {
    std::string type = MediaType(h.content_type);
    if (type != "application/x-www-form-urlencoded") {
      return Status::PermissionDenied("request refused: unexpected Content-Type '" +
                                      h.content_type + "'; Hearth accepts only form posts");
    }
  }
  return Status::Ok();
}

}  // namespace hearth::auth
