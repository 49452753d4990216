// SPDX-License-Identifier: Apache-2.0
// The servers' refusals of tools, as each real server words them, and what the user is told.
#include <gtest/gtest.h>

#include "llm/wire.h"

namespace hearth::llm {
namespace {

TEST(ToolsRefusalAdvice, TellsLlamaServerUsersToStartItWithJinja) {
  std::string advice = ToolsRefusalAdvice(
      500,
      R"({"error":{"code":500,"message":"tools param requires --jinja flag","type":"server_error"}})");
  EXPECT_NE(advice.find("--jinja"), std::string::npos) << advice;
}

TEST(ToolsRefusalAdvice, TellsOllamaUsersToChooseAModelWithTools) {
  // Ollama's native API, its OpenAI-compatible one, and the newer quoted wording.
  for (
      const char* body :
      {R"({"error":"registry.ollama.ai/library/gemma:latest does not support tools"})",
       R"({"error":{"message":"registry.ollama.ai/library/gemma:latest does not support tools","type":"api_error","param":null,"code":null}})",
       R"({"error":"\"gemma3:1b\" does not support tools"})"}) {
    EXPECT_NE(ToolsRefusalAdvice(400, body).find("Choose a model that supports tools"),
              std::string::npos)
        << body;
  }
}

TEST(ToolsRefusalAdvice, TellsVllmUsersWhichFlagsToSet) {
  std::string advice = ToolsRefusalAdvice(
      400,
      R"({"object":"error","message":"\"auto\" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set","type":"BadRequestError","param":null,"code":400})");
  EXPECT_NE(advice.find("--enable-auto-tool-choice"), std::string::npos) << advice;
  EXPECT_NE(advice.find("--tool-call-parser"), std::string::npos) << advice;
}

TEST(ToolsRefusalAdvice, IsEmptyForOtherErrorsAndForSuccessfulAnswers) {
  EXPECT_EQ(
      ToolsRefusalAdvice(500, R"({"error":{"code":500,"message":"Cannot use tools with stream"}})"),
      "");
  EXPECT_EQ(ToolsRefusalAdvice(500, R"({"error":{"message":"out of memory"}})"), "");
  // A model that writes the words in an answer is not a refusal.
  EXPECT_EQ(ToolsRefusalAdvice(200, "this model does not support tools"), "");
}

TEST(EncodeChatRequest, BoundsTheAnswerWhenAskedInEachWireFormat) {
  ChatRequest request;
  request.model = "m";
  request.max_tokens = 1;
  EXPECT_NE(EncodeChatRequest(Wire::kOpenAi, request).find(R"("max_tokens":1)"), std::string::npos);
  EXPECT_NE(EncodeChatRequest(Wire::kOllama, request).find(R"("options":{"num_predict":1})"),
            std::string::npos);
  request.max_tokens = 0;
  EXPECT_EQ(EncodeChatRequest(Wire::kOpenAi, request).find("max_tokens"), std::string::npos);
}

}  // namespace
}  // namespace hearth::llm
