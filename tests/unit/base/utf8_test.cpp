// SPDX-License-Identifier: Apache-2.0
#include "base/utf8.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(Utf8Test, SequenceLengthAcceptsOnlyWellFormedSequences) {
  EXPECT_EQ(Utf8SequenceLength("a", 0), 1u);
  EXPECT_EQ(Utf8SequenceLength("\xC3\xA9", 0), 2u);          // é
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82\xAC", 0), 3u);      // €
  EXPECT_EQ(Utf8SequenceLength("\xF0\x9F\x98\x80", 0), 4u);  // 😀
  EXPECT_EQ(Utf8SequenceLength("\x80", 0), 0u);              // stray continuation
  EXPECT_EQ(Utf8SequenceLength("\xC0\xAF", 0), 0u);          // overlong '/'
  EXPECT_EQ(Utf8SequenceLength("\xE0\x80\xAF", 0), 0u);      // overlong '/'
  EXPECT_EQ(Utf8SequenceLength("\xED\xA0\x80", 0), 0u);      // surrogate D800
  EXPECT_EQ(Utf8SequenceLength("\xF4\x90\x80\x80", 0), 0u);  // past U+10FFFF
  EXPECT_EQ(Utf8SequenceLength("\xE2\x82", 0), 0u);          // cut short
  EXPECT_EQ(Utf8SequenceLength("x\xE2\x82\xAC", 1), 3u);
}

TEST(Utf8Test, ToValidUtf8ReplacesEachBadByte) {
  EXPECT_EQ(ToValidUtf8("plain ascii text, long enough for the fast path"),
            "plain ascii text, long enough for the fast path");
  EXPECT_EQ(ToValidUtf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(ToValidUtf8("a\xFF"
                        "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(ToValidUtf8("\xE2\x82"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(ToValidUtf8(std::string_view("a\0b", 3)), std::string("a\0b", 3));
  std::string out = "kept ";
  AppendValidUtf8(out, "01234567\x80");
  EXPECT_EQ(out, "kept 01234567\xEF\xBF\xBD");
}

TEST(Utf8Test, PrefixNeverEndsInsideACharacter) {
  std::string_view text =
      "a\xE2\x82\xAC"
      "b";  // a€b
  EXPECT_EQ(Utf8Prefix(text, 10), 5u);
  EXPECT_EQ(Utf8Prefix(text, 5), 5u);
  EXPECT_EQ(Utf8Prefix(text, 4), 4u);
  EXPECT_EQ(Utf8Prefix(text, 3), 1u);
  EXPECT_EQ(Utf8Prefix(text, 2), 1u);
  EXPECT_EQ(Utf8Prefix(text, 0), 0u);
}

TEST(Utf8Test, DropIncompleteTailKeepsWholeCharacters) {
  std::string cut = "a\xE2\x82";
  DropIncompleteUtf8Tail(cut);
  EXPECT_EQ(cut, "a");
  std::string whole = "a\xE2\x82\xAC";
  DropIncompleteUtf8Tail(whole);
  EXPECT_EQ(whole, "a\xE2\x82\xAC");
  std::string emoji = "\xF0\x9F\x98";
  DropIncompleteUtf8Tail(emoji);
  EXPECT_EQ(emoji, "");
  std::string ascii = "abc";
  DropIncompleteUtf8Tail(ascii);
  EXPECT_EQ(ascii, "abc");
}

}  // namespace
}  // namespace hearth
