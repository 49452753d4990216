// SPDX-License-Identifier: Apache-2.0
#include "base/uuid7.h"

#include <uuid/uuid.h>

#include "base/random.h"

namespace hearth {

Uuid7 Uuid7::Generate(int64_t unix_ms) {
  Uuid7 id;
  FillRandom(id.bytes.data(), id.bytes.size());
  auto ms = static_cast<uint64_t>(unix_ms) & 0xFFFFFFFFFFFFull;
  for (int i = 0; i < 6; ++i) id.bytes[i] = static_cast<uint8_t>(ms >> (40 - 8 * i));
  id.bytes[6] = static_cast<uint8_t>(0x70 | (id.bytes[6] & 0x0F));  // version 7
  id.bytes[8] = static_cast<uint8_t>(0x80 | (id.bytes[8] & 0x3F));  // variant 0b10
  return id;
}

std::optional<Uuid7> Uuid7::Parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  char buf[37];
  text.copy(buf, 36);
  buf[36] = '\0';
  Uuid7 id;
  if (uuid_parse(buf, id.bytes.data()) != 0) return std::nullopt;
  if ((id.bytes[6] >> 4) != 7 || (id.bytes[8] >> 6) != 2) return std::nullopt;
  return id;
}

int64_t Uuid7::UnixMs() const {
  uint64_t ms = 0;
  for (int i = 0; i < 6; ++i) ms = (ms << 8) | bytes[i];
  return static_cast<int64_t>(ms);
}

std::string Uuid7::ToString() const {
  char buf[37];
  uuid_unparse_lower(bytes.data(), buf);
  return buf;
}

}  // namespace hearth
