// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the front door's check of a request head, which sees every byte a local process
// sends before anything else does.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/request_head.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  hearth::http::HeadLimits limits{.max_request_line = 64, .max_head = 256};
  auto verdict = hearth::http::CheckRequestHead(input, limits);
  using Kind = hearth::http::HeadVerdict::Kind;
  // Rejections name a 4xx status; nothing past the limits is ever accepted or left waiting.
  if (verdict.kind == Kind::kRejected && (verdict.status < 400 || verdict.status > 499)) {
    __builtin_trap();
  }
  if (verdict.kind != Kind::kRejected && input.size() > 4 + limits.max_head + 8 &&
      input.substr(0, limits.max_head + 8).find("\n\n") == std::string_view::npos &&
      input.substr(0, limits.max_head + 8).find("\n\r\n") == std::string_view::npos) {
    __builtin_trap();
  }
  return 0;
}
