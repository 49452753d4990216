// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth {

// SHA-256 (FIPS 180-4). Used to store secrets (session ids, login tokens) as digests, so a copy
// of the database does not hand out live credentials.
std::array<uint8_t, 32> Sha256(std::string_view data);

// Lowercase hex of Sha256(data).
std::string Sha256Hex(std::string_view data);

// Standard base64 (with padding) of Sha256(data), as a Content-Security-Policy hash source wants.
std::string Sha256Base64(std::string_view data);

}  // namespace hearth
