// SPDX-License-Identifier: Apache-2.0
// Fuzz target: web pages reduced to text by fetch_url (tools::HtmlToText), the input any web
// server controls. The text must be valid UTF-8 without NUL, and no longer than a bounded
// multiple of the page (entities expand, but never without limit).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/form.h"
#include "tools/fetch_url.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view page(reinterpret_cast<const char*>(data), size);
  std::string text = hearth::tools::HtmlToText(page);
  if (!hearth::http::IsValidUtf8(text)) __builtin_trap();
  if (text.find('\0') != std::string::npos) __builtin_trap();
  // The longest expansion: one byte that is not UTF-8 becomes U+FFFD (3 bytes).
  if (text.size() > 3 * size + 16) __builtin_trap();
  return 0;
}
