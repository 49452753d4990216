// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hearth {

// A UUID version 7 (RFC 9562 section 5.7): 48-bit big-endian Unix milliseconds, version 0b0111,
// 12 random bits, variant 0b10, 62 random bits. libuuid 2.38 predates v7, so we lay it out here.
struct Uuid7 {
  std::array<uint8_t, 16> bytes{};

  static Uuid7 Generate(int64_t unix_ms);
  // Parses the canonical 8-4-4-4-12 lowercase or uppercase form; nullopt unless it is a valid v7.
  static std::optional<Uuid7> Parse(std::string_view text);

  int64_t UnixMs() const;
  std::string ToString() const;  // canonical lowercase 36-character form
};

}  // namespace hearth
