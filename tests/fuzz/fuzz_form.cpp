// SPDX-License-Identifier: Apache-2.0
// Fuzz target: everything a client controls that Hearth parses before any check has passed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "auth/app_host.h"
#include "auth/request_guard.h"
#include "base/uuid7.h"
#include "http/form.h"
#include "web/html.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto form = hearth::http::ParseForm(input);
  if (form.ok()) {
    for (const auto& [key, value] : *form) {
      // Whatever parsed must be valid UTF-8, and escaping it must leave no markup.
      if (!hearth::http::IsValidUtf8(key) || !hearth::http::IsValidUtf8(value)) __builtin_trap();
      std::string escaped = hearth::web::Escape(value);
      if (escaped.find_first_of("<>\"'") != std::string::npos) __builtin_trap();
    }
  }
  (void)hearth::http::CookieValue(input, "hearth_session");
  (void)hearth::http::CookieValues(input, "hearth_session");
  (void)hearth::auth::IsLoopbackHost(input, 41234);
  (void)hearth::auth::IsAppHost(input, "h-0123456789abcdef0123456789abcdef.localhost:41234");
  (void)hearth::auth::IsSameOrigin(input,
                                   "http://h-0123456789abcdef0123456789abcdef.localhost:41234");
  (void)hearth::auth::IsAppHostName(input);
  if (auto id = hearth::Uuid7::Parse(input)) {
    if (hearth::Uuid7::Parse(id->ToString())->bytes != id->bytes) __builtin_trap();
  }
  std::string highlighted = hearth::web::HighlightSnippet(input);
  (void)highlighted;
  return 0;
}
