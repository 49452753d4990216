// SPDX-License-Identifier: Apache-2.0
// Fuzz target: what an LLM server sends back. Both stream parsers read the input whole, split at
// a point the input chooses, and in small pieces; they must agree, end with exactly one kDone or
// kError, and hand out only valid UTF-8. The non-streamed parsers read it too.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/form.h"
#include "llm/stream_parser.h"
#include "llm/wire.h"

namespace {

using hearth::llm::ReplyBuilder;
using hearth::llm::StreamEvent;
using hearth::llm::Wire;

// Bytes >= 0x80 stand for fragments of real answers, so that mutations of short inputs reach the
// parsers' deeper paths; other bytes stand for themselves.
constexpr std::string_view kFragments[] = {
    "data: ",
    "data:",
    "\n",
    "\r\n",
    "\n\n",
    "\r",
    ": ping\n\n",
    "event: error\n",
    "error: ",
    "id: 7\n",
    "retry: 10\n",
    "[DONE]",
    "{\"choices\":[{\"index\":0,\"delta\":{",
    "\"content\":\"",
    "\"content\":null",
    "\"role\":\"assistant\"",
    "\"reasoning_content\":\"hm\"",
    "}}]}",
    "},\"finish_reason\":\"stop\"}]}",
    "\"tool_calls\":[{",
    "\"index\":",
    "0",
    "1",
    "-1",
    "200",
    "\"id\":\"call_1\",",
    "\"id\":\"\",",
    "\"function\":{\"name\":\"read_file\",\"arguments\":\"",
    "\"function\":{\"arguments\":{\"a\":[1,2.5]}}",
    "}]",
    "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}",
    "{\"choices\":[],",
    "{\"error\":{\"message\":\"boom\"}}",
    "{\"error\":\"lost\"}",
    "{\"message\":{\"role\":\"assistant\",\"content\":\"",
    "{\"model\":\"m\",\"message\":{\"content\":\"x\",\"tool_calls\":[{\"function\":{\"name\":\"f\","
    "\"arguments\":{\"k\":\"v\"}}}]},\"done\":false}\n",
    "\"done\":true",
    "\"done\":false",
    "\"done_reason\":\"stop\",",
    "\"eval_count\":5,\"prompt_eval_count\":7",
    "\"}",
    "\\u00e9",
    "\\ud800",
    "\\\"",
    "\xC3\xA9",
    "\xE2\x98",
    "\xFF",
    "\xEF\xBB\xBF",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
};

std::string Expand(std::string_view input) {
  std::string out;
  for (char c : input) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      out += c;
    } else {
      out += kFragments[b % std::size(kFragments)];
    }
  }
  return out;
}

constexpr std::string_view kTexts[] = {
    "Hello",          " **world**", "\\n", "caf\xC3\xA9", "\xE2\x98", "\x95", "\\u00e9",
    "\\ud83d\\ude00", "\\\"",       " ",   "\xFF",        "`x`",      ""};

// A stream shaped like a real one, whose every choice the input makes: which chunks, their
// pieces of text and tool calls, the line endings, and garbage here and there.
std::string Generate(Wire wire, std::string_view input) {
  std::string out;
  for (size_t i = 0; i < input.size(); ++i) {
    auto b = static_cast<unsigned char>(input[i]);
    auto next = static_cast<unsigned char>(i + 1 < input.size() ? input[i + 1] : 0);
    std::string text(kTexts[next % std::size(kTexts)]);
    std::string_view eol = (b & 0x80) ? "\r\n" : "\n";
    std::string call = "{";
    if (!(next & 0x40)) call += "\"index\":" + std::to_string(next % 3) + ",";
    if (next & 0x08) call += "\"id\":\"call_" + std::to_string(next % 5) + "\",";
    call += "\"function\":{";
    if (next & 0x10) call += "\"name\":\"tool" + std::to_string(next % 2) + "\",";
    call += "\"arguments\":\"" + text + "\"}}";
    std::string payload;
    if (wire == Wire::kOpenAi) {
      switch (b % 12) {
        case 0:
        case 1:
        case 2:
          payload = "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + text + "\"}}]}";
          break;
        case 3:
          payload =
              "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}]}";
          break;
        case 4:
        case 5:
          payload = "{\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[" + call + "]}}]}";
          break;
        case 6:
          payload = "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}";
          break;
        case 7:
          payload = "{\"choices\":[],\"usage\":{\"prompt_tokens\":" + std::to_string(next) +
                    ",\"completion_tokens\":2}}";
          break;
        case 8:
          out += ": ping";
          out += eol;
          break;
        case 9:
          payload = (next % 4 == 0) ? "[DONE]" : "{\"choices\":[{\"delta\":{\"content\":\"\"}}]}";
          break;
        case 10:
          payload = (next % 8 == 0) ? "{\"error\":{\"message\":\"" + text + "\"}}" : "";
          break;
        case 11:
          out += text;  // garbage, or a split line
          break;
      }
      if (!payload.empty()) {
        out += (next & 0x20) ? "data:" : "data: ";
        out += payload;
        out += eol;
        out += eol;
      }
    } else {
      switch (b % 8) {
        case 0:
        case 1:
        case 2:
          payload =
              "{\"message\":{\"role\":\"assistant\",\"content\":\"" + text + "\"},\"done\":false}";
          break;
        case 3:
          payload =
              "{\"message\":{\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"f\","
              "\"arguments\":{\"k\":\"" +
              text + "\"}}}]},\"done\":false}";
          break;
        case 4:
          payload = (next % 4 == 0)
                        ? "{\"message\":{\"content\":\"\"},\"done\":true,\"done_reason\":"
                          "\"stop\",\"eval_count\":3}"
                        : "";
          break;
        case 5:
          payload = (next % 8 == 0) ? "{\"error\":\"" + text + "\"}" : "";
          break;
        case 6:
          out += eol;
          break;
        case 7:
          out += text;
          break;
      }
      if (!payload.empty()) {
        out += payload;
        out += eol;
      }
    }
  }
  return out;
}

bool ValidEvent(const StreamEvent& e) {
  using hearth::http::IsValidUtf8;
  if (e.kind == StreamEvent::Kind::kContent && e.text.empty()) return false;
  return IsValidUtf8(e.text) && IsValidUtf8(e.tool_id) && IsValidUtf8(e.tool_name) &&
         IsValidUtf8(e.tool_arguments) && IsValidUtf8(e.finish_reason);
}

std::string Flatten(const std::vector<StreamEvent>& events) {
  std::string out;
  for (const auto& e : events) {
    out += std::to_string(static_cast<int>(e.kind)) + "|" + e.text + "|" +
           std::to_string(e.tool_index) + "|" + e.tool_id + "|" + e.tool_name + "|" +
           e.tool_arguments + "|" + e.finish_reason + "|" +
           (e.usage ? std::to_string(e.usage->prompt_tokens) + "/" +
                          std::to_string(e.usage->completion_tokens)
                    : "-") +
           "\n";
  }
  return out;
}

std::vector<StreamEvent> Feed(Wire wire, std::string_view body, const std::vector<size_t>& cuts) {
  auto parser = hearth::llm::MakeStreamParser(wire);
  std::vector<StreamEvent> events;
  size_t at = 0;
  for (size_t cut : cuts) {
    parser->Feed(body.substr(at, cut - at), events);
    at = cut;
  }
  parser->Feed(body.substr(at), events);
  parser->Finish(events);
  // Finish and Feed after the end add nothing.
  size_t count = events.size();
  parser->Feed("data: [DONE]\n\n{\"done\":true}\n", events);
  parser->Finish(events);
  if (events.size() != count) __builtin_trap();

  // Exactly one terminal event, last; every string valid UTF-8.
  if (events.empty()) __builtin_trap();
  for (size_t i = 0; i < events.size(); ++i) {
    bool terminal =
        events[i].kind == StreamEvent::Kind::kDone || events[i].kind == StreamEvent::Kind::kError;
    if (terminal != (i + 1 == events.size())) __builtin_trap();
    if (!ValidEvent(events[i])) __builtin_trap();
  }
  return events;
}

std::string Content(const std::vector<StreamEvent>& events) {
  ReplyBuilder builder;
  for (const auto& e : events) builder.Add(e);
  return builder.reply().content;
}

void Check(Wire wire, std::string_view body, uint8_t control) {
  std::vector<StreamEvent> whole = Feed(wire, body, {});
  std::vector<size_t> one_split = {body.size() * control / 255};
  std::vector<size_t> pieces;
  for (size_t at = 1 + control % 7; at < body.size(); at += 1 + control % 7) pieces.push_back(at);
  std::string expected_events = Flatten(whole);
  std::string expected_content = Content(whole);
  for (const auto* cuts : {&one_split, &pieces}) {
    std::vector<StreamEvent> split = Feed(wire, body, *cuts);
    if (Content(split) != expected_content) __builtin_trap();
    if (Flatten(split) != expected_events) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  uint8_t control = data[0];
  std::string_view raw(reinterpret_cast<const char*>(data) + 1, size - 1);
  // Expanded inputs grow fast; their first bytes are enough to reach every path.
  std::string_view head = raw.substr(0, 48);
  // One wire and one reading of the input per run, chosen by a hash of all of it, so that every
  // mutation may change the choice and a run stays cheap.
  uint32_t hash = 2166136261u;
  for (size_t i = 0; i < size; ++i) hash = (hash ^ data[i]) * 16777619u;
  Wire wire = (hash & 1) ? Wire::kOllama : Wire::kOpenAi;
  std::string expanded = Expand(head);
  switch ((hash >> 1) % 3) {
    case 0:
      Check(wire, raw, control);
      break;
    case 1:
      Check(wire, expanded, control);
      break;
    case 2:
      Check(wire, Generate(wire, head), control);
      break;
  }
  auto reply = hearth::llm::ParseChatResponse(wire, expanded);
  if (reply.ok() && !hearth::http::IsValidUtf8(reply->content)) __builtin_trap();
  if (!reply.ok() && !hearth::http::IsValidUtf8(reply.status().message())) __builtin_trap();
  (void)hearth::llm::ParseModelList(wire, expanded);
  std::string message = hearth::llm::DescribeHttpError(500, expanded);
  if (!hearth::http::IsValidUtf8(message)) __builtin_trap();
  (void)hearth::llm::IsToolsWithStreamRefusal(500, raw);
  return 0;
}
