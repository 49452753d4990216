// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a search query is user text and must never be able to make FTS5 fail or crash.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>

#include "http/form.h"
#include "store/store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static std::unique_ptr<hearth::store::Store> store = [] {
    auto s = hearth::store::Store::Open(":memory:");
    if (!s.ok()) __builtin_trap();
    auto c = (*s)->CreateConversation("fuzz", 1);
    (void)(*s)->AddMessage(c->id, "user", "the quick brown fox jumps over the lazy dog", 2);
    return std::move(*s);
  }();
  std::string_view query(reinterpret_cast<const char*>(data), size);
  if (!hearth::http::IsValidUtf8(query)) return 0;  // the HTTP layer refuses these earlier
  auto hits = store->Search(query, 20);
  if (!hits.ok() && hits.status().code() != hearth::Status::Code::kTooLarge &&
      hits.status().code() != hearth::Status::Code::kInvalidArgument) {
    std::fprintf(stderr, "query %.*s failed: %s\n", static_cast<int>(size),
                 reinterpret_cast<const char*>(data), hits.status().ToString().c_str());
    __builtin_trap();  // a query must never surface as an internal or SQL error
  }
  return 0;
}
