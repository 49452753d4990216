// SPDX-License-Identifier: Apache-2.0
// The servers' usage figures and timings, streamed and whole, as each answer shows them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "llm/stream_parser.h"
#include "llm/wire.h"

namespace hearth::llm {
namespace {

std::optional<Usage> StreamedUsage(Wire wire, const std::string& body) {
  std::unique_ptr<StreamParser> parser = MakeStreamParser(wire);
  std::vector<StreamEvent> events;
  parser->Feed(body, events);
  parser->Finish(events);
  for (const StreamEvent& event : events) {
    if (event.kind == StreamEvent::Kind::kDone) return event.usage;
  }
  ADD_FAILURE() << "no kDone";
  return std::nullopt;
}

TEST(UsageFigures, ComeWithLlamaServersTimingsInTheLastChunk) {
  std::optional<Usage> usage = StreamedUsage(
      Wire::kOpenAi,
      "data: {\"choices\":[{\"finish_reason\":\"length\",\"index\":0,\"delta\":{}}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"completion_tokens\":64,\"prompt_tokens\":4032,"
      "\"total_tokens\":4096},\"timings\":{\"prompt_n\":4032,\"prompt_ms\":10241.31,"
      "\"predicted_n\":64,\"predicted_ms\":3500.0,\"predicted_per_second\":18.29}}\n\n"
      "data: [DONE]\n\n");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->prompt_tokens, 4032);
  EXPECT_EQ(usage->completion_tokens, 64);
  EXPECT_DOUBLE_EQ(usage->completion_ms, 3500.0);
}

TEST(UsageFigures, WithoutTimingsHaveNoDuration) {
  // vLLM: usage in the last chunk, no timings.
  std::optional<Usage> usage = StreamedUsage(
      Wire::kOpenAi,
      "data: "
      "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
      "\"usage\":null}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":1}}\n\n"
      "data: [DONE]\n\n");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->completion_tokens, 1);
  EXPECT_DOUBLE_EQ(usage->completion_ms, 0);
}

TEST(UsageFigures, ComeFromOllamasFinalObjectWithItsEvalDurationInNanoseconds) {
  std::optional<Usage> usage = StreamedUsage(
      Wire::kOllama,
      "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"x\"},\"done\":false}\n"
      "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":"
      "\"length\",\"done\":true,\"prompt_eval_count\":2016,\"eval_count\":32,"
      "\"eval_duration\":1600000000}\n");
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->prompt_tokens, 2016);
  EXPECT_EQ(usage->completion_tokens, 32);
  EXPECT_DOUBLE_EQ(usage->completion_ms, 1600.0);
}

TEST(UsageFigures, ComeWithAWholeAnswerToo) {
  Result<ChatReply> reply = ParseChatResponse(
      Wire::kOpenAi,
      R"({"choices":[{"finish_reason":"length","index":0,"message":{"role":"assistant","content":"cut"}}],"usage":{"completion_tokens":7,"prompt_tokens":3},"timings":{"predicted_ms":350.5}})");
  ASSERT_TRUE(reply.ok()) << reply.status().message();
  EXPECT_EQ(reply->finish_reason, "length");
  ASSERT_TRUE(reply->usage);
  EXPECT_DOUBLE_EQ(reply->usage->completion_ms, 350.5);
}

}  // namespace
}  // namespace hearth::llm
