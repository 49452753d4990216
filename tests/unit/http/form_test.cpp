// SPDX-License-Identifier: Apache-2.0
#include "http/form.h"

#include <gtest/gtest.h>

namespace hearth::http {
namespace {

TEST(ParseForm, DecodesPlusAndPercentEscapes) {
  auto form = ParseForm("title=Trip+plans%21&content=a%26b%3Dc&empty=&flag");
  ASSERT_TRUE(form.ok()) << form.status().ToString();
  EXPECT_EQ(FormValue(*form, "title"), "Trip plans!");
  EXPECT_EQ(FormValue(*form, "content"), "a&b=c");
  EXPECT_EQ(FormValue(*form, "empty"), "");
  EXPECT_EQ(FormValue(*form, "flag"), "");
  EXPECT_FALSE(FormValue(*form, "missing").has_value());
}

TEST(ParseForm, RefusesMalformedEscapes) {
  for (const char* body : {"a=%", "a=%4", "a=%zz", "a=%4g", "%=1"}) {
    auto form = ParseForm(body);
    EXPECT_FALSE(form.ok()) << body;
    EXPECT_EQ(form.status().code(), Status::Code::kInvalidArgument) << body;
  }
}

TEST(ParseForm, RefusesInvalidUtf8AfterDecoding) {
  EXPECT_FALSE(ParseForm("a=%ff").ok());
  EXPECT_FALSE(ParseForm("a=%C0%AF").ok());        // overlong
  EXPECT_FALSE(ParseForm("a=%ED%A0%80").ok());     // surrogate
  EXPECT_FALSE(ParseForm("a=%F4%90%80%80").ok());  // past U+10FFFF
  EXPECT_TRUE(ParseForm("a=%E2%9C%93").ok());      // ✓
}

TEST(ParseForm, BoundsTheNumberOfFields) {
  std::string body;
  for (int i = 0; i < 40; ++i) body += "f" + std::to_string(i) + "=x&";
  auto form = ParseForm(body, 32);
  EXPECT_EQ(form.status().code(), Status::Code::kTooLarge);
}

TEST(CookieValue, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(CookieValue("a=1; hearth_session=abc; b=2", "hearth_session"), "abc");
  EXPECT_EQ(CookieValue("hearth_session=xyz", "hearth_session"), "xyz");
  EXPECT_FALSE(CookieValue("xhearth_session=1; other=2", "hearth_session").has_value());
  EXPECT_FALSE(CookieValue("", "hearth_session").has_value());
}

TEST(CookieValues, ListsEveryCookieOfTheNameInOrder) {
  using V = std::vector<std::string>;
  EXPECT_EQ(CookieValues("hearth_session=a; x=1; hearth_session=b", "hearth_session"),
            V({"a", "b"}));
  EXPECT_EQ(CookieValues("hearth_session=; hearth_session=b", "hearth_session"), V({"", "b"}));
  EXPECT_EQ(CookieValues("x=1", "hearth_session"), V{});
  EXPECT_EQ(
      CookieValues("hearth_session=a; hearth_session=b; hearth_session=c", "hearth_session", 2),
      V({"a", "b"}));
}

TEST(IsValidUtf8, AcceptsAllPlanesAndRejectsTruncation) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x94\xA5"));
  EXPECT_FALSE(IsValidUtf8("\xE2\x82"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
}

}  // namespace
}  // namespace hearth::http
