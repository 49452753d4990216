// SPDX-License-Identifier: Apache-2.0
// llm/wire: the request and response bodies of the two wire formats (no I/O).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <json/reader.h>
#include <json/value.h>

#include "base/status.h"
#include "llm/chat.h"

namespace hearth::llm {

// The JSON body of a chat request: POST {base}/chat/completions (kOpenAi) or POST /api/chat
// (kOllama). Empty `tools` are left out. kOpenAi sends tool-call arguments as the stored text (an
// empty one as "{}") and, when streaming, asks for usage in the last chunk; kOllama sends them as
// a JSON object ({} when the stored text is not one) and names the tool in tool results. Every
// string is sent as valid UTF-8 (invalid bytes become U+FFFD), because servers refuse the whole
// request otherwise.
std::string EncodeChatRequest(Wire wire, const ChatRequest& request);

// A non-streamed answer: OpenAI's {"choices":[{"message":…}]} or Ollama's single object.
// Fails with kInvalidArgument when the body is not such an answer, and kUnavailable when it is
// the server's error object; either message is written for the user.
Result<ChatReply> ParseChatResponse(Wire wire, std::string_view body);

// A message for the user about an HTTP error answer: the status, the server's own message when
// the body has one (OpenAI/vLLM/llama.cpp/Ollama error objects, or plain text, cleaned and cut to
// about 300 bytes), and what to try next.
std::string DescribeHttpError(long http_status, std::string_view body);

// True when the answer is llama.cpp's refusal to combine tools with streaming ("Cannot use tools
// with stream", any case): the caller then asks again without streaming.
bool IsToolsWithStreamRefusal(long http_status, std::string_view body);

// When the answer is a server's refusal of `tools` altogether: what the user can do to enable
// them, in a sentence. Recognised: llama-server without --jinja ("tools param requires --jinja
// flag"), an Ollama model without tool support ("… does not support tools"), vLLM without
// --enable-auto-tool-choice ("\"auto\" tool choice requires --enable-auto-tool-choice …").
// Empty for any other answer.
std::string ToolsRefusalAdvice(long http_status, std::string_view body);

// The model names in GET {base}/models ({"data":[{"id":…}]}) or GET /api/tags
// ({"models":[{"name":…}]}), in the server's order. Either shape is accepted for either wire,
// since llama-server answers with both. Fails with kInvalidArgument otherwise.
Result<std::vector<std::string>> ParseModelList(Wire wire, std::string_view body);

// --- Building blocks shared with the stream parsers. ---

// The deepest nesting accepted in JSON from a server; deeper input fails to parse.
inline constexpr int kMaxJsonDepth = 64;

// Parses one JSON document with an object or array at its root and nothing after it. Reusable;
// not thread-safe. Never throws.
class JsonReader {
 public:
  JsonReader();
  bool Parse(std::string_view text, Json::Value* out);

 private:
  std::unique_ptr<Json::CharReader> reader_;
};

// `value[key]` when `value` is an object that has the key, else nullptr (jsoncpp's operator[]
// throws on non-objects).
const Json::Value* JsonField(const Json::Value& value, std::string_view key);

// `value` when it is a string, else `fallback`.
std::string JsonString(const Json::Value* value, std::string_view fallback = {});

// A token count: `value` when it is a non-negative integer (or an integral double), else 0.
int64_t JsonCount(const Json::Value* value);

// The usage figures of an OpenAI-compatible object (a response or a stream chunk): "usage"
// (prompt_tokens, completion_tokens) and llama-server's "timings" (predicted_ms). Fields the
// object lacks keep their value in `usage`; returns whether it had either.
bool ReadOpenAiUsage(const Json::Value& object, Usage& usage);
// The same for Ollama's final object: prompt_eval_count, eval_count, eval_duration (ns).
bool ReadOllamaUsage(const Json::Value& object, Usage& usage);

// Tool-call arguments as text: a string as sent, an object (Ollama, a few OpenAI-compatible
// servers) as compact JSON, `if_missing` when absent or null.
std::string ToolArgumentsText(const Json::Value* arguments, std::string_view if_missing);

// Replaces each byte that is not part of well-formed UTF-8 with U+FFFD, in place. Text that is
// valid already is left alone without a copy. jsoncpp passes through whatever bytes (and lone
// surrogate escapes) a server sends; everything Hearth takes from a server goes through here.
void RepairUtf8(std::string& text);

// Appends `text` as a JSON string literal; invalid UTF-8 becomes U+FFFD.
void AppendJsonString(std::string& out, std::string_view text);

// Appends `value` as compact JSON (object members in jsoncpp's order, non-finite numbers as null).
void AppendJson(std::string& out, const Json::Value& value);

// The server's own words in an error object: {"error":{"message":…}}, {"error":"…"},
// {"message":…} (vLLM) or {"detail":…} (FastAPI); empty when there are none.
std::string ServerErrorMessage(const Json::Value& root);

// Text from a server made fit to show: valid UTF-8, control characters and runs of white space
// turned into one space, trimmed, and cut at a character boundary to at most `max_bytes` (plus
// "…").
std::string TextForUser(std::string_view text, size_t max_bytes = 300);

}  // namespace hearth::llm
