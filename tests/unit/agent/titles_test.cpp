// SPDX-License-Identifier: Apache-2.0
#include "agent/titles.h"

#include <gtest/gtest.h>

namespace hearth::agent {
namespace {

TEST(CleanTitle, KeepsAPlainTitle) {
  EXPECT_EQ(CleanTitle("Packing for Lisbon"), "Packing for Lisbon");
}

TEST(CleanTitle, DropsReasoningMarkdownQuotesAndTheLabel) {
  EXPECT_EQ(CleanTitle("<think>\nThey ask about Lisbon.\n</think>\n\n**Title:** \"Packing for "
                       "Lisbon\"\n"),
            "Packing for Lisbon");
  EXPECT_EQ(CleanTitle("# “Rust lifetimes explained”."), "Rust lifetimes explained");
  EXPECT_EQ(CleanTitle("\n\n  `Fixing the build`\nBecause the user asked…"), "Fixing the build");
}

TEST(CleanTitle, LeavesNoMarkupOrHiddenCharacters) {
  EXPECT_EQ(CleanTitle("<img src=x onerror=alert(1)>Hello <b>world</b>"), "Hello world");
  // A right-to-left override would make the list read "exe.jpg" for "gpj.exe".
  EXPECT_EQ(CleanTitle("Open \xE2\x80\xAEgpj.exe\x01 now"), "Open gpj.exe now");
}

TEST(CleanTitle, IsEmptyWhenNothingIsUsable) {
  EXPECT_EQ(CleanTitle(""), "");
  EXPECT_EQ(CleanTitle("<think>still thinking, cut off"), "");
  EXPECT_EQ(CleanTitle("\"\"\n**\n"), "");
}

TEST(CleanTitle, IsAtMostEightyCharacters) {
  std::string words;
  for (int i = 0; i < 40; ++i) words += "mot\xC3\xA9 ";  // "moté ", non-ASCII on purpose
  std::string title = CleanTitle(words);
  size_t chars = 0;
  for (unsigned char c : title) chars += (c & 0xC0) != 0x80;
  EXPECT_LE(chars, kMaxMadeTitleChars);
  EXPECT_TRUE(title.ends_with("…")) << title;
  EXPECT_TRUE(title.starts_with("mot\xC3\xA9 mot\xC3\xA9")) << title;
}

TEST(FallbackTitle, IsTheMessagesFirstWords) {
  EXPECT_EQ(FallbackTitle("What should I pack\nfor a week in Lisbon in March?"),
            "What should I pack for a…");
  EXPECT_EQ(FallbackTitle("  hello  "), "hello");
  EXPECT_EQ(FallbackTitle(std::string(300, 'x')).size(), 79 + std::string("…").size());
}

TEST(TitleRequest, IsShortUnstreamedAndWithoutTools) {
  llm::ChatRequest request = TitleRequest("m", std::string(10000, 'q'), "answer");
  EXPECT_FALSE(request.stream);
  EXPECT_TRUE(request.tools.empty());
  ASSERT_EQ(request.messages.size(), 2u);
  EXPECT_EQ(request.messages[0].role, "system");
  EXPECT_EQ(request.messages[1].role, "user");
  EXPECT_LT(request.messages[1].content.size(), 4200u);
}

}  // namespace
}  // namespace hearth::agent
