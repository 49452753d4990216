// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace hearth {

// Fills `out` with `size` bytes from the kernel CSPRNG (getrandom). Aborts if the kernel cannot
// supply randomness: no secret is ever minted from a weaker source.
void FillRandom(void* out, size_t size);

// Lowercase hex of `size` bytes.
std::string HexEncode(const void* data, size_t size);

// Constant-time equality of two equally long byte strings; false if lengths differ.
bool ConstantTimeEquals(const std::string& a, const std::string& b);

}  // namespace hearth
