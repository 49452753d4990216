// SPDX-License-Identifier: Apache-2.0
#include "agent/context_fit.h"

#include <algorithm>
#include <cmath>

#include "llm/wire.h"

namespace hearth::agent {
namespace {

// Chat templates wrap each message in a few tokens of markers (<|im_start|>role … <|im_end|>).
constexpr size_t kMessageOverheadBytes = 16;
constexpr std::string_view kLeftOutOutput =
    "(this output was left out to fit the model's context; call the tool again if it is needed)";

}  // namespace

size_t MessageBytes(const llm::ChatMessage& message) {
  size_t bytes = kMessageOverheadBytes + message.content.size() + message.name.size() +
                 message.tool_call_id.size();
  for (const llm::ToolCall& call : message.tool_calls) {
    bytes += kMessageOverheadBytes + call.id.size() + call.name.size() + call.arguments.size();
  }
  return bytes;
}

size_t RequestBytes(const std::vector<llm::ChatMessage>& messages,
                    const std::vector<llm::ToolSchema>& tools) {
  size_t bytes = 0;
  for (const llm::ChatMessage& message : messages) bytes += MessageBytes(message);
  for (const llm::ToolSchema& tool : tools) {
    std::string schema;
    llm::AppendJson(schema, tool.parameters);
    bytes += kMessageOverheadBytes + tool.name.size() + tool.description.size() + schema.size();
  }
  return bytes;
}

int64_t AnswerReserveTokens(int64_t context_tokens) {
  return std::min<int64_t>(context_tokens / 4, 4096);
}

double BytesPerToken(size_t request_bytes, int64_t prompt_tokens) {
  if (prompt_tokens <= 0 || request_bytes == 0) return kEstimatedBytesPerToken;
  double ratio = static_cast<double>(request_bytes) / static_cast<double>(prompt_tokens);
  // A server that caches the prompt may count only the new part; such a ratio says nothing.
  if (!std::isfinite(ratio) || ratio < 1.0 || ratio > 8.0) return kEstimatedBytesPerToken;
  return ratio;
}

FitReport FitToContext(std::vector<llm::ChatMessage>& messages, size_t tools_bytes,
                       int64_t context_tokens, double bytes_per_token) {
  FitReport report;
  if (context_tokens <= 0) return report;
  if (!(bytes_per_token >= 1.0)) bytes_per_token = kEstimatedBytesPerToken;
  const double budget_tokens =
      static_cast<double>(context_tokens - AnswerReserveTokens(context_tokens));
  size_t total = tools_bytes;
  for (const llm::ChatMessage& message : messages) total += MessageBytes(message);
  auto fits = [&] { return static_cast<double>(total) / bytes_per_token <= budget_tokens; };
  if (fits()) return report;

  const size_t first = !messages.empty() && messages.front().role == "system" ? 1 : 0;
  auto last_user = [&] {
    for (size_t i = messages.size(); i > first; --i) {
      if (messages[i - 1].role == "user") return i - 1;
    }
    return messages.size();
  };
  auto leave_out_output = [&](llm::ChatMessage& message) {
    if (message.role != "tool" || message.content == kLeftOutOutput) return;
    total -= message.content.size();
    message.content = kLeftOutOutput;
    total += message.content.size();
    ++report.outputs_left_out;
  };

  // 1. The oldest tool outputs, before the last turn.
  for (size_t i = first; i < last_user() && !fits(); ++i) leave_out_output(messages[i]);
  // 2. The oldest turns, whole, so that no tool result loses its call.
  while (!fits()) {
    size_t end = last_user();
    if (end <= first || end == messages.size()) break;
    size_t next = first + 1;
    while (next < end && messages[next].role != "user") ++next;
    for (size_t i = first; i < next; ++i) total -= MessageBytes(messages[i]);
    report.messages_left_out += next - first;
    messages.erase(messages.begin() + static_cast<std::ptrdiff_t>(first),
                   messages.begin() + static_cast<std::ptrdiff_t>(next));
  }
  // 3. The last turn's tool outputs, oldest first, but not the newest.
  size_t newest_tool = messages.size();
  for (size_t i = messages.size(); i > first; --i) {
    if (messages[i - 1].role == "tool") {
      newest_tool = i - 1;
      break;
    }
  }
  for (size_t i = first; i < newest_tool && !fits(); ++i) leave_out_output(messages[i]);
  report.fits = fits();
  return report;
}

std::string GroupThousands(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string LeftOutNote(int64_t context_tokens) {
  return "Earlier messages left out to fit the model's " + GroupThousands(context_tokens) +
         "-token context.";
}

}  // namespace hearth::agent
