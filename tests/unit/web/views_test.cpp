// SPDX-License-Identifier: Apache-2.0
#include "web/views.h"

#include <gtest/gtest.h>
#include <json/json.h>

namespace hearth::web {
namespace {

class ViewsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto v = Views::Load();
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    views_ = std::move(*v);
  }
  store::Conversation Hostile() {
    store::Conversation c;
    c.id = 7;
    c.title = "<script>x</script>";
    c.message_count = 2;
    return c;
  }
  std::unique_ptr<Views> views_;
};

using EveryView = ViewsTest;

// Renders every view once: a template missing from the binary or from the name table aborts.
TEST_F(EveryView, RendersAndEscapesWhatUsersTyped) {
  store::Conversation c = Hostile();
  store::Message m{1, 7, "user", "<b>hi</b>", 0};
  store::SearchHit hit{7, c.title, 1, "a <i>b</i>"};
  std::vector<std::string> out = {
      views_->Page(c.title, "dark", views_->ConversationItems({c}, 7, 50), views_->Empty(), true),
      views_->NoticePage("<h>", "<t>", Html{}),
      views_->RenameForm(c).html,
      views_->DeleteConfirm(c).html,
      views_->Conversation(c, {m}, 100).html,
      views_->NoticeMessage("<n>").html,
      views_->SearchResults("<q>", {hit}).html,
      views_->Settings(StatusInfo{}, "light", "<s>").html,
      views_->Error("<e>", "<e>").html,
      views_->NavigationUpdate(c.title, Html{}).html,
      views_->TitleUpdate(c.title).html,
  };
  for (const auto& html : out) {
    EXPECT_FALSE(html.empty());
    EXPECT_EQ(html.find("<script>x"), std::string::npos) << html;
    EXPECT_EQ(html.find("<b>hi"), std::string::npos) << html;
    EXPECT_EQ(html.find("<i>b"), std::string::npos) << html;
  }
}

TEST_F(EveryView, OffersOlderConversationsOnlyWhenThePageIsFull) {
  store::Conversation c = Hostile();
  c.updated_ms = 1234;
  EXPECT_EQ(views_->ConversationItems({c}, 0, 2).html.find("after="), std::string::npos);
  EXPECT_NE(views_->ConversationItems({c, c}, 0, 2).html.find("after=1234.7"), std::string::npos);
}

TEST_F(EveryView, AllowsTheNoticeStyleByItsExactHash) {
  EXPECT_TRUE(views_->notice_style_source().starts_with("'sha256-"));
  EXPECT_EQ(views_->notice_style_source().size(), std::string("'sha256-'").size() + 44);
}

// Before approving, the user reads each argument in a box of its own: text the model wrote
// cannot close the box, add markup or pass for another argument.
TEST_F(EveryView, ShowsEachArgumentOfACallAwaitingApprovalInItsOwnBox) {
  Json::Value arguments;
  arguments["path"] = "notes.md";
  arguments["content"] = "line one\n</pre></dd><dt>path</dt><dd><pre>safe.txt\n<script>x</script>";
  Json::Value meta;
  meta["name"] = "write_file";
  meta["arguments"] = Json::writeString(Json::StreamWriterBuilder(), arguments);
  meta["awaiting_approval"] = true;
  store::Message m{5,
                   7,
                   "tool",
                   "",
                   0,
                   store::MessageState::kStreaming,
                   Json::writeString(Json::StreamWriterBuilder(), meta)};
  std::string html = views_->Message(m).html;
  size_t form = html.find("<form class=\"approval\"");
  ASSERT_NE(form, std::string::npos) << html;
  std::string approval = html.substr(form);
  EXPECT_NE(
      approval.find(
          "<dt>content</dt><dd><pre tabindex=\"0\">line one\n&lt;/pre&gt;&lt;/dd&gt;&lt;dt&gt;"),
      std::string::npos)
      << approval;
  EXPECT_NE(approval.find("<dt>path</dt><dd><pre tabindex=\"0\">notes.md</pre></dd>"),
            std::string::npos)
      << approval;
  size_t boxes = 0;
  for (size_t at = approval.find("<dt>"); at != std::string::npos;
       at = approval.find("<dt>", at + 1))
    ++boxes;
  EXPECT_EQ(boxes, 2u);
  EXPECT_EQ(html.find("<script>x"), std::string::npos);

  // A name that only looks like another, and text that reads backwards, are shown for what they
  // are.
  Json::Value spoof;
  spoof[" path"] = "notes.md";
  spoof["path"] =
      "hook\xE2\x80\xAE"
      "dm.txt";  // U+202E RIGHT-TO-LEFT OVERRIDE
  meta["arguments"] = Json::writeString(Json::StreamWriterBuilder(), spoof);
  m.meta = Json::writeString(Json::StreamWriterBuilder(), meta);
  html = views_->Message(m).html;
  EXPECT_NE(html.find("<dt class=\"odd-key\">&quot; path&quot;</dt>"), std::string::npos) << html;
  EXPECT_NE(html.find("<dt>path</dt><dd><pre tabindex=\"0\">hook\\u{202E}dm.txt</pre>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("\xE2\x80\xAE"), std::string::npos) << html;

  // Arguments that are not an object are shown as they came, escaped.
  meta["arguments"] = "<not json>";
  m.meta = Json::writeString(Json::StreamWriterBuilder(), meta);
  html = views_->Message(m).html;
  EXPECT_NE(html.find("<pre class=\"approval-args\" tabindex=\"0\">&lt;not json&gt;</pre>"),
            std::string::npos)
      << html;
}

}  // namespace
}  // namespace hearth::web

namespace hearth::web {
namespace {

TEST(IsoTime, FormatsUtcForDatetimeAttributes) {
  EXPECT_EQ(IsoTime(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(IsoTime(1'800'000'000'123), "2027-01-15T08:00:00Z");
}

// The diff of a write, as the agent stored it beside the form: each line in its own marked span,
// escaped; a carriage return inside a line is written out, so it cannot start a line that looks
// added or removed.
TEST_F(EveryView, ShowsTheDiffOfAWriteLineByLine) {
  Json::Value meta;
  meta["name"] = "write_file";
  meta["arguments"] = "{\"path\": \"a.txt\", \"content\": \"x\"}";
  meta["awaiting_approval"] = true;
  meta["approval_diff_summary"] = "Changes to the existing a.txt: 1 line added, 1 line removed.";
  meta["approval_diff"] = "@@ -1 +1 @@\n-<b>old\r+forged\n+new\n";
  store::Message m{5,
                   7,
                   "tool",
                   "",
                   0,
                   store::MessageState::kStreaming,
                   Json::writeString(Json::StreamWriterBuilder(), meta)};
  std::string html = views_->Message(m).html;
  EXPECT_NE(html.find("<p>Changes to the existing a.txt: 1 line added, 1 line removed.</p>"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<span class=\"diff-hunk\">@@ -1 +1 @@</span>\n"
                      "<span class=\"diff-del\">-&lt;b&gt;old\\r+forged</span>\n"
                      "<span class=\"diff-add\">+new</span>\n"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find('\r'), std::string::npos) << html;
}

}  // namespace
}  // namespace hearth::web
