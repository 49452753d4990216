// SPDX-License-Identifier: Apache-2.0
#include "llm/wire.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace hearth::llm {
namespace {

// A transcript's body without its directive lines (the non-streamed ones have no others).
std::string TranscriptBody(const std::string& name) {
  std::ifstream file(std::string(HEARTH_TRANSCRIPTS_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(file) << name;
  std::string body;
  std::string line;
  while (std::getline(file, line)) {
    if (!line.starts_with("#!")) body += line + "\n";
  }
  return body;
}

Json::Value ParseOrFail(std::string_view text) {
  JsonReader reader;
  Json::Value root;
  EXPECT_TRUE(reader.Parse(text, &root)) << text;
  return root;
}

ChatMessage Message(std::string role, std::string content) {
  ChatMessage message;
  message.role = std::move(role);
  message.content = std::move(content);
  return message;
}

ToolCall Call(std::string id, std::string name, std::string arguments) {
  ToolCall call;
  call.id = std::move(id);
  call.name = std::move(name);
  call.arguments = std::move(arguments);
  return call;
}

ToolSchema Tool(std::string name, std::string description) {
  ToolSchema tool;
  tool.name = std::move(name);
  tool.description = std::move(description);
  return tool;
}

ChatRequest ToolConversation(bool stream) {
  ChatRequest request;
  request.model = "qwen2.5:7b";
  request.stream = stream;
  request.messages.push_back(Message("system", "You are Hearth."));
  request.messages.push_back(Message("user", "What is on my list?"));
  ChatMessage call = Message("assistant", "");
  call.tool_calls.push_back(Call("call_1", "read_file", R"({"path": "todo.md"})"));
  call.tool_calls.push_back(Call("call_2", "list_dir", ""));
  call.tool_calls.push_back(Call("", "broken", R"({"path": )"));
  request.messages.push_back(call);
  ChatMessage result = Message("tool", "1. Water the plants");
  result.tool_call_id = "call_1";
  result.name = "read_file";
  request.messages.push_back(result);
  ToolSchema tool = Tool("read_file", "Reads a file.");
  tool.parameters["type"] = "object";
  tool.parameters["properties"]["path"]["type"] = "string";
  tool.parameters["required"].append("path");
  request.tools.push_back(tool);
  request.tools.push_back(Tool("list_dir", "Lists a folder."));
  return request;
}

TEST(EncodeChatRequest, OpenAiSendsToolCallsWithStringArgumentsAndAsksForUsage) {
  Json::Value body = ParseOrFail(EncodeChatRequest(Wire::kOpenAi, ToolConversation(true)));
  EXPECT_EQ(body["model"], "qwen2.5:7b");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  ASSERT_EQ(body["messages"].size(), 4u);
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_FALSE(body["messages"][0].isMember("tool_calls"));
  const Json::Value& calls = body["messages"][2]["tool_calls"];
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0]["id"], "call_1");
  EXPECT_EQ(calls[0]["type"], "function");
  EXPECT_EQ(calls[0]["function"]["name"], "read_file");
  EXPECT_EQ(calls[0]["function"]["arguments"], R"({"path": "todo.md"})");
  EXPECT_EQ(calls[1]["function"]["arguments"], "{}");
  EXPECT_EQ(calls[2]["function"]["arguments"], R"({"path": )");  // as the model wrote it
  EXPECT_EQ(body["messages"][3]["role"], "tool");
  EXPECT_EQ(body["messages"][3]["tool_call_id"], "call_1");
  EXPECT_EQ(body["messages"][3]["content"], "1. Water the plants");
  ASSERT_EQ(body["tools"].size(), 2u);
  EXPECT_EQ(body["tools"][0]["type"], "function");
  EXPECT_EQ(body["tools"][0]["function"]["name"], "read_file");
  EXPECT_EQ(body["tools"][0]["function"]["description"], "Reads a file.");
  EXPECT_EQ(body["tools"][0]["function"]["parameters"]["required"][0], "path");
  EXPECT_EQ(body["tools"][1]["function"]["parameters"]["type"], "object");
}

TEST(EncodeChatRequest, OpenAiUnstreamedLeavesOutStreamOptionsAndEmptyTools) {
  ChatRequest request;
  request.model = "m";
  request.stream = false;
  request.messages.push_back(Message("user", "hi"));
  EXPECT_EQ(EncodeChatRequest(Wire::kOpenAi, request),
            R"({"model":"m","messages":[{"role":"user","content":"hi"}],"stream":false})");
}

TEST(EncodeChatRequest, OllamaSendsArgumentsAsObjectsAndNamesToolResults) {
  Json::Value body = ParseOrFail(EncodeChatRequest(Wire::kOllama, ToolConversation(true)));
  EXPECT_EQ(body["stream"], true);
  EXPECT_FALSE(body.isMember("stream_options"));
  const Json::Value& calls = body["messages"][2]["tool_calls"];
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[0]["function"]["name"], "read_file");
  ASSERT_TRUE(calls[0]["function"]["arguments"].isObject());
  EXPECT_EQ(calls[0]["function"]["arguments"]["path"], "todo.md");
  EXPECT_EQ(calls[0]["id"], "call_1");
  EXPECT_EQ(calls[1]["function"]["arguments"], Json::Value(Json::objectValue));
  EXPECT_EQ(calls[2]["function"]["arguments"], Json::Value(Json::objectValue));  // did not parse
  EXPECT_FALSE(calls[2].isMember("id"));
  EXPECT_EQ(body["messages"][3]["tool_name"], "read_file");
  EXPECT_EQ(body["tools"][0]["function"]["parameters"]["properties"]["path"]["type"], "string");

  ChatRequest plain;
  plain.model = "llama3.2";
  plain.stream = false;
  EXPECT_EQ(EncodeChatRequest(Wire::kOllama, plain),
            R"({"model":"llama3.2","messages":[],"stream":false})");
}

TEST(EncodeChatRequest, EscapesControlCharactersAndRepairsInvalidUtf8) {
  ChatRequest request;
  request.model = "m";
  request.messages.push_back(
      Message("tool", std::string("a\"b\\c\n\t\x01\x7f caf\xC3\xA9 \xFF\xC3(", 20)));
  std::string text = EncodeChatRequest(Wire::kOpenAi, request);
  EXPECT_NE(text.find(R"("a\"b\\c\n\t\u0001)"), std::string::npos) << text;
  EXPECT_NE(text.find("caf\xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD("), std::string::npos) << text;
  Json::Value body = ParseOrFail(text);
  EXPECT_EQ(body["messages"][0]["tool_call_id"], "");
}

TEST(ParseChatResponse, ReadsLlamaServersAnswerAndUsage) {
  auto reply = ParseChatResponse(Wire::kOpenAi, TranscriptBody("hello.0.json"));
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_TRUE(reply->content.starts_with("Hello! Here is a **short** list:"));
  EXPECT_EQ(reply->finish_reason, "stop");
  EXPECT_EQ(reply->usage->prompt_tokens, 14);
  EXPECT_EQ(reply->usage->completion_tokens, 31);
}

TEST(ParseChatResponse, ReadsAToolCallWithNullContent) {
  auto reply = ParseChatResponse(Wire::kOpenAi, TranscriptBody("llamacpp-tools.0.json"));
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->content, "");
  ASSERT_EQ(reply->tool_calls.size(), 1u);
  EXPECT_EQ(reply->tool_calls[0].id, "call_q7Zk2mNc");
  EXPECT_EQ(reply->tool_calls[0].name, "read_file");
  EXPECT_EQ(reply->tool_calls[0].arguments, R"({"path":"notes/todo.md"})");
  EXPECT_EQ(reply->finish_reason, "tool_calls");
}

TEST(ParseChatResponse, ReadsOllamasSingleObject) {
  auto hello = ParseChatResponse(Wire::kOllama, TranscriptBody("hello.0.ollama.json"));
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
  EXPECT_TRUE(hello->content.ends_with("is open."));
  EXPECT_EQ(hello->usage->prompt_tokens, 26);
  auto tools = ParseChatResponse(Wire::kOllama, TranscriptBody("toolcall.0.ollama.json"));
  ASSERT_TRUE(tools.ok()) << tools.status().ToString();
  ASSERT_EQ(tools->tool_calls.size(), 1u);
  EXPECT_EQ(tools->tool_calls[0].id, "");
  EXPECT_EQ(tools->tool_calls[0].arguments, R"({"path":"notes/todo.md"})");
}

TEST(ParseChatResponse, RefusesBodiesThatAreNotAnswers) {
  auto html = ParseChatResponse(Wire::kOpenAi, "<html><body>It works!</body></html>");
  EXPECT_EQ(html.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(html.status().message().find("It works!"), std::string::npos);
  EXPECT_NE(html.status().message().find("/v1"), std::string::npos);
  EXPECT_EQ(ParseChatResponse(Wire::kOpenAi, R"({"choices":[]})").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(ParseChatResponse(Wire::kOllama, R"({"done":true})").status().code(),
            Status::Code::kInvalidArgument);
  auto error = ParseChatResponse(Wire::kOllama, R"({"error":"model is loading"})");
  EXPECT_EQ(error.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(error.status().message().find("model is loading"), std::string::npos);
}

TEST(DescribeHttpError, QuotesTheServersMessageInEveryShape) {
  EXPECT_EQ(DescribeHttpError(500, TranscriptBody("error500-json.0.json")),
            "The model server answered with HTTP status 500: failed to allocate compute buffers: "
            "out of memory. Check the server's log, then try again.");
  EXPECT_EQ(
      DescribeHttpError(
          401,
          R"({"error":{"message":"Incorrect API key provided.","type":"invalid_request_error"}})"),
      "The model server answered with HTTP status 401: Incorrect API key provided. Check the "
      "API key in Hearth's settings.");
  EXPECT_EQ(
      DescribeHttpError(404, R"({"error":"model \"llama9\" not found, try pulling it first"})"),
      "The model server answered with HTTP status 404: model \"llama9\" not found, try "
      "pulling it first. Check the server address and the model name; the model may not be "
      "installed.");
  EXPECT_NE(
      DescribeHttpError(400, R"({"object":"error","message":"max_tokens is too large","code":400})")
          .find(": max_tokens is too large."),
      std::string::npos);
  EXPECT_NE(DescribeHttpError(422, R"({"detail":[{"loc":["body"],"msg":"field required"}]})")
                .find(": field required."),
            std::string::npos);
}

TEST(DescribeHttpError, CleansAndTruncatesPlainText) {
  EXPECT_EQ(DescribeHttpError(500, TranscriptBody("error500-text.0.sse")),
            "The model server answered with HTTP status 500: Internal Server Error upstream model "
            "process exited (signal 9). Check the server's log, then try again.");
  EXPECT_EQ(DescribeHttpError(502, ""),
            "The model server answered with HTTP status 502 and no explanation. Check the server's "
            "log, then try again.");
  std::string long_text = "\x1b[31m" + std::string(400, 'x') + "\xC3\xA9";
  std::string message = DescribeHttpError(503, long_text);
  EXPECT_EQ(message.find('\x1b'), std::string::npos);
  EXPECT_NE(message.find(std::string(290, 'x') + "\xE2\x80\xA6"), std::string::npos) << message;
  EXPECT_LT(message.size(), 450u);
  EXPECT_TRUE(message.ends_with("wait a moment, then try again."));
}

TEST(IsToolsWithStreamRefusal, MatchesLlamaCppsRefusalInAnyCase) {
  EXPECT_TRUE(IsToolsWithStreamRefusal(500, TranscriptBody("llamacpp-tools.0.sse")));
  EXPECT_TRUE(IsToolsWithStreamRefusal(500, "cannot use TOOLS with stream"));
  EXPECT_FALSE(IsToolsWithStreamRefusal(500, TranscriptBody("error500-json.0.sse")));
  EXPECT_FALSE(IsToolsWithStreamRefusal(200, "Cannot use tools with stream"));
  EXPECT_FALSE(IsToolsWithStreamRefusal(500, ""));
}

TEST(ParseModelList, ReadsOpenAiOllamaAndLlamaServersBothShapes) {
  auto openai =
      ParseModelList(Wire::kOpenAi, R"({"object":"list","data":[{"id":"a"},{"id":"b"},{"x":1}]})");
  ASSERT_TRUE(openai.ok());
  EXPECT_EQ(*openai, (std::vector<std::string>{"a", "b"}));
  auto ollama = ParseModelList(
      Wire::kOllama,
      R"({"models":[{"name":"llama3.2:latest","model":"llama3.2:latest"},{"model":"qwen3:8b"}]})");
  ASSERT_TRUE(ollama.ok());
  EXPECT_EQ(*ollama, (std::vector<std::string>{"llama3.2:latest", "qwen3:8b"}));
  std::string both =
      R"({"models":[{"name":"m.gguf","model":"m.gguf"}],"object":"list","data":[{"id":"m-id"}]})";
  EXPECT_EQ(*ParseModelList(Wire::kOpenAi, both), (std::vector<std::string>{"m-id"}));
  EXPECT_EQ(*ParseModelList(Wire::kOllama, both), (std::vector<std::string>{"m.gguf"}));
  EXPECT_EQ(ParseModelList(Wire::kOpenAi, R"({"data":{}})").status().code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(ParseModelList(Wire::kOllama, "Ollama is running").status().code(),
            Status::Code::kInvalidArgument);
}

TEST(JsonHelpers, WriteCompactJsonThatReadsBackTheSame) {
  Json::Value value = ParseOrFail(
      R"({"s":"\u00e9\n\"","n":-3,"u":18446744073709551615,"d":0.1,"big":1e300,"t":true,"z":null,"a":[[],{}]})");
  std::string text;
  AppendJson(text, value);
  EXPECT_EQ(
      text,
      R"({"a":[[],{}],"big":1e+300,"d":0.1,"n":-3,"s":"é\n\"","t":true,"u":18446744073709551615,"z":null})");
  EXPECT_EQ(ParseOrFail(text), value);
}

TEST(JsonHelpers, ReaderRefusesTrailingGarbageAndDeepNesting) {
  JsonReader reader;
  Json::Value root;
  EXPECT_FALSE(reader.Parse(R"({"a":1} x)", &root));
  EXPECT_FALSE(reader.Parse("\"just a string\"", &root));
  EXPECT_FALSE(reader.Parse(
      std::string(kMaxJsonDepth + 1, '[') + std::string(kMaxJsonDepth + 1, ']'), &root));
  EXPECT_TRUE(reader.Parse(
      std::string(kMaxJsonDepth - 1, '[') + std::string(kMaxJsonDepth - 1, ']'), &root));
}

TEST(TextForUser, CutsAtACharacterBoundaryAndKeepsValidUtf8) {
  EXPECT_EQ(TextForUser("  a\r\n\tb  "), "a b");
  EXPECT_EQ(TextForUser("\xE2\x98\x95\xE2\x98\x95", 4), "\xE2\x98\x95\xE2\x80\xA6");
  EXPECT_EQ(TextForUser("ok\xFF"), "ok\xEF\xBF\xBD");
  // A surrogate and an overlong form: every byte of them is replaced.
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(TextForUser("\xED\xA0\x80 \xC0\xAF"), r + r + r + " " + r + r);
}

}  // namespace
}  // namespace hearth::llm
