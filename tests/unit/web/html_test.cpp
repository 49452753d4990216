// SPDX-License-Identifier: Apache-2.0
#include "web/html.h"

#include <gtest/gtest.h>

#include "store/store.h"

namespace hearth::web {
namespace {

TEST(Escape, NeutralisesEveryCharacterThatCanOpenMarkupOrAnAttribute) {
  EXPECT_EQ(Escape("<img src=x onerror=\"a\" alt='b'>&"),
            "&lt;img src=x onerror=&quot;a&quot; alt=&#39;b&#39;&gt;&amp;");
  EXPECT_EQ(Escape("plain"), "plain");
}

TEST(HighlightSnippet, EscapesTextAndMarksOnlyTheMatches) {
  std::string snippet =
      std::string("a <b>") + store::kMatchBegin + "fox" + store::kMatchEnd + "</b>";
  EXPECT_EQ(HighlightSnippet(snippet), "a &lt;b&gt;<mark>fox</mark>&lt;/b&gt;");
}

TEST(HighlightSnippet, ClosesAnUnterminatedMarkAndIgnoresStrayEnds) {
  std::string snippet = std::string(1, store::kMatchEnd) + "x" + store::kMatchBegin + "y";
  EXPECT_EQ(HighlightSnippet(snippet), "x<mark>y</mark>");
}

TEST(Template, EscapesTextSlotsAndInsertsHtmlSlots) {
  auto t = Template::Parse("t", "<p title=\"{{title}}\">{{{body}}}</p>{{missing}}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Render({{"title", "\"><script>"}, {"body", Html{"<b>ok</b>"}}}),
            "<p title=\"&quot;&gt;&lt;script&gt;\"><b>ok</b></p>");
}

TEST(Template, NeverTrustsPlainTextInARawSlot) {
  auto t = Template::Parse("t", "{{{body}}}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Render({{"body", "<script>"}}), "&lt;script&gt;");
}

TEST(Template, EscapesHtmlValuesPutInATextSlot) {
  auto t = Template::Parse("t", "{{body}}");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Render({{"body", Html{"<i>"}}}), "&lt;i&gt;");
}

TEST(Template, RejectsMalformedSlots) {
  EXPECT_FALSE(Template::Parse("t", "a {{open").ok());
  EXPECT_FALSE(Template::Parse("t", "a {{two words}}").ok());
  EXPECT_FALSE(Template::Parse("t", "a {{}}").ok());
  EXPECT_TRUE(Template::Parse("t", "no slots { at } all").ok());
}

}  // namespace
}  // namespace hearth::web
