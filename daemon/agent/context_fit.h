// SPDX-License-Identifier: Apache-2.0
// agent/context_fit: counting what a request will use of a model's context, and leaving out the
// oldest parts of a conversation that would not fit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "llm/chat.h"

namespace hearth::agent {

// Before a server has said how many tokens a request took, a token is taken for this many bytes
// (English prose and code run at 3.5 to 4.5 with the usual tokenizers).
inline constexpr double kEstimatedBytesPerToken = 4.0;

// Smaller contexts than this are not met in practice (Ollama's old default): a request estimated
// to fit in it, with room for the answer, needs no look-up of the real size.
inline constexpr int64_t kSmallestContextTokens = 2048;

// What a message costs of the context, in bytes of text: its content, its calls' names and
// arguments, and a little for the chat template's markers around it.
size_t MessageBytes(const llm::ChatMessage& message);
size_t RequestBytes(const std::vector<llm::ChatMessage>& messages,
                    const std::vector<llm::ToolSchema>& tools);

// The tokens kept free for the answer: a quarter of the context, at most 4,096.
int64_t AnswerReserveTokens(int64_t context_tokens);

// How many bytes make a token for this server, from a request's size in bytes and the prompt
// tokens the server counted for it; kEstimatedBytesPerToken when that says nothing sensible.
double BytesPerToken(size_t request_bytes, int64_t prompt_tokens);

struct FitReport {
  size_t outputs_left_out = 0;   // tool results whose text was replaced by a note
  size_t messages_left_out = 0;  // messages removed
  bool fits = true;              // false: even what is left is over the budget
  bool left_out() const { return outputs_left_out + messages_left_out > 0; }
};

// Makes `messages` (a system prompt first if any, oldest to newest) fit `context_tokens` less
// the answer's reserve, with `tools_bytes` of tool schemas sent beside them, counting
// `bytes_per_token`. Leaves out, in this order, until it fits: the text of the oldest tool
// results before the last turn (each call keeps a result, which says it was left out); the
// oldest turns (a user message with everything up to the next one); the text of the last turn's
// tool results, oldest first, but never its newest. The system prompt and the last user message
// always stay. `context_tokens` <= 0 (unknown) leaves everything in.
FitReport FitToContext(std::vector<llm::ChatMessage>& messages, size_t tools_bytes,
                       int64_t context_tokens, double bytes_per_token);

// What the conversation shows where something was left out: "Earlier messages left out to fit
// the model's 4,096-token context."
std::string LeftOutNote(int64_t context_tokens);

// 4096 → "4,096".
std::string GroupThousands(int64_t n);

}  // namespace hearth::agent
