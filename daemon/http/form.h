// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace hearth::http {

using FormFields = std::vector<std::pair<std::string, std::string>>;

// Decodes an application/x-www-form-urlencoded body ('+' is a space, %XX a byte). Fails on a
// malformed escape, on more than `max_fields` fields, or on bytes that are not valid UTF-8 after
// decoding, so handlers only ever see well-formed text.
Result<FormFields> ParseForm(std::string_view body, size_t max_fields = 32);

// The first value named `name`, if any.
std::optional<std::string_view> FormValue(const FormFields& fields, std::string_view name);

// The value of cookie `name` in a Cookie header, if present.
std::optional<std::string> CookieValue(std::string_view cookie_header, std::string_view name);

// Every value of cookie `name`, in header order, at most `max_values`. A browser sends several
// cookies of one name when they differ in path or domain (the most specific path first), and a
// page elsewhere may have set one of them: callers try each rather than trust the first.
std::vector<std::string> CookieValues(std::string_view cookie_header, std::string_view name,
                                      size_t max_values = 16);

// True if `text` is valid UTF-8 (no overlong forms, surrogates or code points past U+10FFFF).
bool IsValidUtf8(std::string_view text);

}  // namespace hearth::http
