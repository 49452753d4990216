// SPDX-License-Identifier: Apache-2.0
// llm: chat with local models over the OpenAI-compatible and Ollama wire formats.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <json/value.h>

namespace hearth::llm {

// The two wire formats Hearth speaks. kOpenAi covers llama.cpp's llama-server, vLLM, LM Studio,
// Ollama's /v1 and hosted APIs; kOllama is Ollama's native /api/chat (NDJSON) and /api/tags.
enum class Wire { kOpenAi, kOllama };

struct ToolCall {
  std::string id;  // may be empty when the server sends none; the agent then makes one up
  std::string name;
  std::string arguments;  // JSON text exactly as the model produced it (it may not parse)
  // Nonzero when the model's arguments were longer than kMaxToolArgumentBytes (llm/
  // stream_parser.h): how many bytes they were. They were not kept (`arguments` is empty), so
  // the call cannot run; the model is told why.
  size_t refused_argument_bytes = 0;
};

struct ChatMessage {
  std::string role;  // "system", "user", "assistant", "tool"
  std::string content;
  std::vector<ToolCall> tool_calls;  // assistant messages that call tools
  std::string tool_call_id;          // tool messages: the call they answer
  std::string name;                  // tool messages: the tool's name (Ollama wants it)
};

// A tool the model may call; `parameters` is a JSON Schema object.
struct ToolSchema {
  std::string name;
  std::string description;
  Json::Value parameters;
};

struct ChatRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  std::vector<ToolSchema> tools;
  bool stream = true;
  // A bound on the answer's length (OpenAI's max_tokens, Ollama's options.num_predict); 0 is
  // the server's default. For short probes, not for conversations.
  int max_tokens = 0;
};

// The server's own figures for one answer.
struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  // How long the server took to generate the completion tokens, when it says: llama-server's
  // timings.predicted_ms, Ollama's eval_duration. 0 when it does not.
  double completion_ms = 0;
};

// What a stream parser hands its consumer, in arrival order. A parser emits many kContent events
// (text deltas, never empty), kToolCallDelta events as a tool call's pieces arrive, and exactly
// one kDone at the end of a well-formed stream (with the finish reason and usage when sent).
// kError carries a message written for the user; no event follows it.
struct StreamEvent {
  enum class Kind { kContent, kToolCallDelta, kDone, kError };
  Kind kind = Kind::kContent;
  std::string text;  // kContent: the delta; kError: the message
  // kToolCallDelta: which call (0-based, as the server numbers them) and the new pieces.
  int tool_index = 0;
  std::string tool_id;
  std::string tool_name;
  std::string tool_arguments;
  // kDone
  std::string finish_reason;
  std::optional<Usage> usage;
};

// A whole answer, accumulated from a stream's events or parsed from a non-streamed response.
struct ChatReply {
  std::string content;
  std::vector<ToolCall> tool_calls;
  std::string finish_reason;
  std::optional<Usage> usage;
};

}  // namespace hearth::llm
