// SPDX-License-Identifier: Apache-2.0
#include "web/message_actions.h"

#include <gtest/gtest.h>

#include <string>

#include "markdown/markdown.h"

namespace hearth::web {
namespace {

constexpr auto npos = std::string::npos;

size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

store::Message Answer(std::string content) {
  return store::Message{
      .id = 7, .conversation_id = 3, .role = "assistant", .content = std::move(content)};
}

TEST(CodeCopyButtons, ComeBeforeEachCodeBlockAndNowhereElse) {
  std::string html = WithCodeCopyButtons(markdown::RenderMarkdown(
      "```sh\necho 1\n```\n\ntext <pre><code> in words\n\n    indented\n\n```\ntwo\n```\n"));
  EXPECT_EQ(Count(html, "data-copy=\"\""), 3u) << html;
  EXPECT_NE(html.find("Copy code</button><pre><code class=\"language-sh\">"), npos) << html;
}

TEST(MessageActionsOfAnAnswer, CopyItsMarkdownEscaped) {
  std::string html = MessageActions(Answer("**bold** \"quoted\" <b>")).html;
  EXPECT_NE(html.find("data-copy=\"**bold** &quot;quoted&quot; &lt;b&gt;\""), npos) << html;
  EXPECT_EQ(html.find("Edit"), npos);
  EXPECT_EQ(html.find("versions"), npos) << "one version: no pager";
}

TEST(MessageActionsOfAnAnswer, OfferNoCopyWhileItStreams) {
  store::Message m = Answer("so far");
  m.state = store::MessageState::kStreaming;
  EXPECT_EQ(MessageActions(m).html.find("data-copy"), npos);
}

TEST(MessageActionsOfAnAnswer, StepToTheNeighbouringVersionsOnly) {
  store::Message m = Answer("second");
  m.version = 2;
  m.version_count = 3;
  m.previous_version_id = 5;
  m.next_version_id = 9;
  std::string html = MessageActions(m).html;
  EXPECT_NE(html.find(">2/3<"), npos) << html;
  EXPECT_NE(html.find("hx-post=\"/c/3/messages/5/show\""), npos) << html;
  EXPECT_NE(html.find("hx-post=\"/c/3/messages/9/show\""), npos) << html;
  m.next_version_id = 0;
  m.version = 3;
  html = MessageActions(m).html;
  EXPECT_NE(html.find("aria-label=\"Next version\" disabled>"), npos) << html;
}

TEST(MessageActionsOfOtherMessages, EditTheUsersAndLeaveToolsAndNoticesAlone) {
  store::Message mine{.id = 4, .conversation_id = 3, .role = "user", .content = "hi"};
  EXPECT_NE(MessageActions(mine).html.find("hx-get=\"/c/3/messages/4/edit\""), npos);
  store::Message tool{.id = 5, .conversation_id = 3, .role = "tool", .content = "out"};
  EXPECT_EQ(MessageActions(tool).html, "");
  store::Message notice{.id = 6, .conversation_id = 3, .role = "system", .content = "note"};
  EXPECT_EQ(MessageActions(notice).html, "");
  notice.version_count = 2;
  notice.next_version_id = 8;
  std::string html = MessageActions(notice).html;
  EXPECT_NE(html.find("/messages/8/show"), npos) << html;
  EXPECT_EQ(html.find("data-copy"), npos) << html;
}

}  // namespace
}  // namespace hearth::web
