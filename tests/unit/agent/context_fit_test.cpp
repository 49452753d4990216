// SPDX-License-Identifier: Apache-2.0
#include "agent/context_fit.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hearth::agent {
namespace {

using llm::ChatMessage;

ChatMessage User(char c, size_t n) { return {.role = "user", .content = std::string(n, c)}; }
ChatMessage Answer(const std::string& text) { return {.role = "assistant", .content = text}; }
ChatMessage Calls(const std::string& id) {
  ChatMessage m{.role = "assistant"};
  m.tool_calls.push_back({.id = id, .name = "read_file", .arguments = R"({"path":"a"})"});
  return m;
}
ChatMessage Result(const std::string& id, size_t n) {
  return {.role = "tool", .content = std::string(n, 'r'), .tool_call_id = id, .name = "read_file"};
}

std::vector<std::string> Roles(const std::vector<ChatMessage>& messages) {
  std::vector<std::string> roles;
  for (const ChatMessage& m : messages) roles.push_back(m.role);
  return roles;
}

TEST(FittingAConversation, LeavesEverythingInWhenTheContextIsUnknownOrLargeEnough) {
  std::vector<ChatMessage> messages = {User('a', 40000), Answer("ok"), User('b', 10)};
  FitReport unknown = FitToContext(messages, 0, 0, 4.0);
  EXPECT_FALSE(unknown.left_out());
  FitReport large = FitToContext(messages, 0, 32768, 4.0);
  EXPECT_FALSE(large.left_out());
  EXPECT_EQ(messages.size(), 3u);
}

TEST(FittingAConversation, LeavesOutOldToolOutputsBeforeAnyTurn) {
  // 4,096 tokens less 1,024 for the answer: 12,288 bytes at 4 a token.
  std::vector<ChatMessage> messages = {{.role = "system", .content = "Be brief."},
                                       User('a', 100),
                                       Calls("c1"),
                                       Result("c1", 6000),
                                       Answer("read it"),
                                       User('b', 100),
                                       Calls("c2"),
                                       Result("c2", 6000),
                                       Answer("read it too"),
                                       User('c', 100)};
  FitReport report = FitToContext(messages, 0, 4096, 4.0);
  EXPECT_TRUE(report.fits);
  EXPECT_EQ(report.outputs_left_out, 1u);
  EXPECT_EQ(report.messages_left_out, 0u);
  EXPECT_NE(messages[3].content.find("left out to fit the model's context"), std::string::npos);
  EXPECT_EQ(messages[7].content, std::string(6000, 'r'));  // the newer output stays
  EXPECT_EQ(messages[3].tool_call_id, "c1");               // each call keeps its result
}

TEST(FittingAConversation, ThenLeavesOutTheOldestTurnsWholeKeepingTheSystemPromptAndLastMessage) {
  std::vector<ChatMessage> messages = {{.role = "system", .content = "Be brief."},
                                       User('a', 5000),
                                       Answer("A"),
                                       User('b', 5000),
                                       Calls("c2"),
                                       Result("c2", 10),
                                       Answer("B"),
                                       User('c', 5000)};
  FitReport report = FitToContext(messages, 0, 4096, 4.0);
  EXPECT_TRUE(report.fits);
  EXPECT_EQ(report.messages_left_out, 2u);
  EXPECT_EQ(Roles(messages),
            (std::vector<std::string>{"system", "user", "assistant", "tool", "assistant", "user"}));
  EXPECT_EQ(messages[1].content[0], 'b');
  EXPECT_EQ(messages.back().content[0], 'c');
}

TEST(FittingAConversation, ShortensTheLastTurnsOlderOutputsButNeverItsNewest) {
  std::vector<ChatMessage> messages = {User('a', 100), Calls("c1"), Result("c1", 9000), Calls("c2"),
                                       Result("c2", 9000)};
  FitReport report = FitToContext(messages, 0, 4096, 4.0);
  EXPECT_EQ(report.outputs_left_out, 1u);
  EXPECT_TRUE(report.fits);
  EXPECT_NE(messages[2].content.find("left out"), std::string::npos);
  EXPECT_EQ(messages[4].content.size(), 9000u);
}

TEST(FittingAConversation, SaysWhenEvenTheLastMessageDoesNotFit) {
  std::vector<ChatMessage> messages = {User('a', 100), Answer("A"), User('b', 50000)};
  FitReport report = FitToContext(messages, 0, 4096, 4.0);
  EXPECT_FALSE(report.fits);
  EXPECT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].content[0], 'b');
}

TEST(FittingAConversation, CountsTheToolSchemasAndTheServersOwnRatio) {
  std::vector<ChatMessage> messages = {User('a', 5000), Answer("A"), User('b', 5000)};
  // 10 KB fits 3,072 tokens at 4 bytes a token, but not beside 4 KB of tool schemas...
  std::vector<ChatMessage> with_tools = messages;
  EXPECT_FALSE(FitToContext(messages, 0, 4096, 4.0).left_out());
  EXPECT_TRUE(FitToContext(with_tools, 4000, 4096, 4.0).left_out());
  // ...nor when the server counted 2 bytes a token (a dense script, say).
  std::vector<ChatMessage> dense = {User('a', 5000), Answer("A"), User('b', 5000)};
  EXPECT_TRUE(FitToContext(dense, 0, 4096, BytesPerToken(10000, 5000)).left_out());
}

TEST(BytesPerTokenFromTheServer, IgnoresFiguresThatSayNothing) {
  EXPECT_DOUBLE_EQ(BytesPerToken(10000, 2500), 4.0);
  EXPECT_DOUBLE_EQ(BytesPerToken(9000, 3000), 3.0);
  EXPECT_DOUBLE_EQ(BytesPerToken(10000, 0), kEstimatedBytesPerToken);
  EXPECT_DOUBLE_EQ(BytesPerToken(10000, 10), kEstimatedBytesPerToken);  // a cached prompt
}

TEST(TheLeftOutNote, NamesTheContextSizeAsPeopleWriteIt) {
  EXPECT_EQ(LeftOutNote(4096), "Earlier messages left out to fit the model's 4,096-token context.");
  EXPECT_EQ(GroupThousands(131072), "131,072");
  EXPECT_EQ(GroupThousands(512), "512");
  EXPECT_EQ(GroupThousands(1000000), "1,000,000");
}

}  // namespace
}  // namespace hearth::agent
