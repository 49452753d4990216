// SPDX-License-Identifier: Apache-2.0
#include "base/uuid7.h"

#include <gtest/gtest.h>

#include <set>

namespace hearth {
namespace {

TEST(Uuid7, LaysOutTimestampVersionAndVariantPerRfc9562) {
  const int64_t ms = 0x0189ABCDEF12;
  Uuid7 id = Uuid7::Generate(ms);
  EXPECT_EQ(id.UnixMs(), ms);
  EXPECT_EQ(id.bytes[6] >> 4, 7);
  EXPECT_EQ(id.bytes[8] >> 6, 2);
  std::string text = id.ToString();
  ASSERT_EQ(text.size(), 36u);
  EXPECT_EQ(text.substr(0, 13), "0189abcd-ef12");
  EXPECT_EQ(text[14], '7');
  EXPECT_TRUE(text[19] == '8' || text[19] == '9' || text[19] == 'a' || text[19] == 'b');
}

TEST(Uuid7, RoundTripsThroughText) {
  Uuid7 id = Uuid7::Generate(1700000000000);
  auto parsed = Uuid7::Parse(id.ToString());
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->bytes, id.bytes);
}

TEST(Uuid7, RefusesOtherVersionsAndGarbage) {
  EXPECT_FALSE(Uuid7::Parse("6ba7b810-9dad-41d1-80b4-00c04fd430c8"));  // version 4
  EXPECT_FALSE(Uuid7::Parse("0189abcd-ef12-7abc-cdef-0123456789ab"));  // variant 0b11
  EXPECT_FALSE(Uuid7::Parse("not-a-uuid"));
  EXPECT_FALSE(Uuid7::Parse(""));
  EXPECT_FALSE(Uuid7::Parse("0189abcd-ef12-7abc-8def-0123456789ab0"));
  EXPECT_TRUE(Uuid7::Parse("0189ABCD-EF12-7ABC-8DEF-0123456789AB"));
}

TEST(Uuid7, DrawsFreshRandomBitsEachTime) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(Uuid7::Generate(42).ToString());
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace hearth
