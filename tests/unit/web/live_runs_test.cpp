// SPDX-License-Identifier: Apache-2.0
#include "web/live_runs.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth::web {
namespace {

// Everything queued on a stream so far, and whether it has ended.
struct Drained {
  std::string text;
  bool ended = false;
};

Drained Drain(http::EventStream& stream) {
  Drained out;
  char buf[4096];
  for (;;) {
    long n = stream.Pull(buf, sizeof buf, [] {});
    if (n < 0) {
      out.ended = true;
      break;
    }
    if (n == 0) break;
    out.text.append(buf, static_cast<size_t>(n));
  }
  return out;
}

size_t Count(std::string_view haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string_view::npos;
       pos = haystack.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

class ALiveRun : public testing::Test {
 protected:
  void SetUp() override {
    auto views = Views::Load();
    ASSERT_TRUE(views.ok()) << views.status().ToString();
    views_ = std::move(*views);
    live_ = std::make_unique<LiveRuns>(*views_);
    live_->Prepare(kConversation, "run-5");
  }

  store::Message Answer(std::string text, store::MessageState state) {
    return store::Message{.id = 6,
                          .conversation_id = kConversation,
                          .role = "assistant",
                          .content = std::move(text),
                          .created_ms = 1,
                          .state = state,
                          .meta = ""};
  }

  static constexpr int64_t kConversation = 3;
  std::unique_ptr<Views> views_;
  std::unique_ptr<LiveRuns> live_;
};

TEST_F(ALiveRun, StartsEachStreamWithTheRunsMessagesSoFar) {
  live_->MessageChanged(Answer("Hello **there**", store::MessageState::kStreaming));
  auto stream = live_->Subscribe(kConversation);
  Drained first = Drain(*stream);
  EXPECT_NE(first.text.find("event: update"), std::string::npos);
  EXPECT_NE(first.text.find("hx-swap-oob=\"innerHTML:#run-5-list\""), std::string::npos);
  EXPECT_NE(first.text.find("<strong>there</strong>"), std::string::npos);
  EXPECT_FALSE(first.ended);
  // A second connection (a reconnect) gets the same snapshot: it replaces, it does not append.
  auto again = live_->Subscribe(kConversation);
  EXPECT_EQ(Drain(*again).text, first.text);
}

TEST_F(ALiveRun, SendsEachCompleteBlockOnceAndReRendersOnlyTheRest) {
  auto stream = live_->Subscribe(kConversation);
  Drain(*stream);
  std::string text;
  live_->MessageChanged(Answer(text, store::MessageState::kStreaming));
  const std::string paragraph = "A first paragraph with a marker zebra.\n\n";
  for (char c : paragraph) {
    text += c;
    live_->MessageChanged(Answer(text, store::MessageState::kStreaming));
  }
  Drain(*stream);  // up to here, the paragraph is re-rendered as it grows
  for (int i = 0; i < 50; ++i) {
    text += "more words ";
    live_->MessageChanged(Answer(text, store::MessageState::kStreaming));
  }
  Drained later = Drain(*stream);
  // The completed paragraph was appended once when it completed, and never sent again.
  EXPECT_EQ(Count(later.text, "zebra"), 0u);
  EXPECT_EQ(Count(later.text, "innerHTML:#msg-6-tail"), 50u);
}

TEST_F(ALiveRun, EscapesMarkupInAStreamingAnswer) {
  auto stream = live_->Subscribe(kConversation);
  live_->MessageChanged(Answer("<script>alert(1)</script> [x](javascript:alert(2))",
                               store::MessageState::kStreaming));
  std::string text = Drain(*stream).text;
  EXPECT_EQ(text.find("<script>"), std::string::npos);
  EXPECT_EQ(text.find("javascript:"), std::string::npos);
  EXPECT_NE(text.find("&lt;script&gt;"), std::string::npos);
}

TEST_F(ALiveRun, ReplacesAFinishedMessageAndEndsWithTheFinalRun) {
  auto stream = live_->Subscribe(kConversation);
  live_->MessageChanged(Answer("partial", store::MessageState::kStreaming));
  live_->MessageChanged(Answer("partial and whole", store::MessageState::kDone));
  live_->RunEnded(kConversation, 6);
  Drained out = Drain(*stream);
  // Replaced by the <li> itself: a wrapper would be inserted along with it (htmx swaps
  // outerHTML with the out-of-band element, not its children), nesting a list per change.
  EXPECT_NE(out.text.find("<li hx-swap-oob=\"true\" id=\"msg-6\""), std::string::npos);
  EXPECT_EQ(out.text.find("outerHTML:#msg-6"), std::string::npos);
  EXPECT_NE(out.text.find("event: end"), std::string::npos);
  EXPECT_NE(out.text.find("class=\"run done\" hx-swap-oob=\"outerHTML\""), std::string::npos);
  EXPECT_TRUE(out.ended);
  // A page that reconnects late gets the end at once, with the final messages.
  Drained late = Drain(*live_->Subscribe(kConversation));
  EXPECT_NE(late.text.find("event: end"), std::string::npos);
  EXPECT_NE(late.text.find("partial and whole"), std::string::npos);
  EXPECT_TRUE(late.ended);
  // And the page no longer shows a live container.
  EXPECT_TRUE(live_->Render(kConversation).container.html.empty());
}

TEST_F(ALiveRun, EndsAtOnceWhenNothingRuns) {
  Drained out = Drain(*live_->Subscribe(999));
  EXPECT_NE(out.text.find("event: end"), std::string::npos);
  EXPECT_TRUE(out.ended);
}

TEST_F(ALiveRun, BoundsItsStreamsByEndingTheOldest) {
  std::vector<std::shared_ptr<http::EventStream>> streams;
  for (size_t i = 0; i <= LiveRuns::kMaxStreamsPerRun; ++i) {
    streams.push_back(live_->Subscribe(kConversation));
  }
  EXPECT_TRUE(streams.front()->closed());
  EXPECT_FALSE(streams.back()->closed());
}

TEST_F(ALiveRun, ListsItsMessagesForAPageRenderedMidRun) {
  live_->MessageChanged(Answer("so far", store::MessageState::kStreaming));
  LiveRuns::Snapshot snapshot = live_->Render(kConversation);
  EXPECT_EQ(snapshot.message_ids, std::vector<int64_t>{6});
  EXPECT_NE(snapshot.container.html.find("sse-connect=\"/c/3/live\""), std::string::npos);
  EXPECT_NE(snapshot.container.html.find("so far"), std::string::npos);
}

TEST_F(ALiveRun, ThatWasAbandonedShowsNothing) {
  live_->Abandon(kConversation);
  EXPECT_TRUE(live_->Render(kConversation).container.html.empty());
}

}  // namespace
}  // namespace hearth::web
