// SPDX-License-Identifier: Apache-2.0
#include "llm/stream_parser.h"

#include <algorithm>
#include <optional>
#include <string>

#include "llm/wire.h"

namespace hearth::llm {
namespace {

constexpr std::string_view kCutOff =
    "The model's answer was cut off: the connection to the model server closed before the "
    "answer was complete. Check that the server is still running (it may have crashed or run out "
    "of memory), then try again.";

constexpr std::string_view kLineTooLong =
    "The model server sent a line longer than 4 MiB, so Hearth stopped reading the answer. Check "
    "that the server address points at an LLM server, then try again.";

std::string_view TrimJsonSpace(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string Unreadable(Wire wire, std::string_view data) {
  std::string message = "The model server sent something Hearth could not read";
  std::string excerpt = TextForUser(data, 80);
  if (!excerpt.empty()) message += " (\"" + excerpt + "\")";
  message += wire == Wire::kOpenAi
                 ? ". Check that the server address points at an OpenAI-compatible API, then try "
                   "again."
                 : ". Check that the server address points at Ollama, then try again.";
  return message;
}

std::string ServerError(std::string_view server_message) {
  std::string text = TextForUser(server_message);
  if (text.empty()) {
    return "The model server stopped with an error and gave no details. Check the server's log, "
           "then try again.";
  }
  return "The model server stopped with an error: " + text + (text.ends_with('.') ? "" : ".") +
         " Check the server's log, then try again.";
}

std::string BadToolIndex(int64_t index) {
  if (index < 0) {
    return "The model server sent a malformed tool call (number " + std::to_string(index) +
           "), so Hearth stopped reading the answer. Try again.";
  }
  return "The model asked for more than " + std::to_string(kMaxToolCalls) +
         " tool calls in one answer, so Hearth stopped reading it. Try again, or ask for "
         "something smaller.";
}

// Splits the body into lines and hands them to the format; owns the terminal state (one kDone
// or one kError, then nothing).
class LineParser : public StreamParser {
 public:
  LineParser(Wire wire, bool cr_ends_line) : wire_(wire), cr_ends_line_(cr_ends_line) {}

  void Feed(std::string_view bytes, std::vector<StreamEvent>& out) final {
    if (stopped_ || finished_) return;
    const char* terminators = cr_ends_line_ ? "\r\n" : "\n";
    size_t start = 0;
    while (start < bytes.size()) {
      if (skip_lf_) {  // the \n of a \r\n split across two Feeds
        skip_lf_ = false;
        if (bytes[start] == '\n') {
          ++start;
          continue;
        }
      }
      size_t end = bytes.find_first_of(terminators, start);
      if (end == std::string_view::npos) {
        if (line_.size() + (bytes.size() - start) > kMaxStreamLineBytes) {
          return EmitError(std::string(kLineTooLong), out);
        }
        line_.append(bytes.substr(start));
        return;
      }
      // Complete lines are handled in place; only a line split across Feeds is copied.
      std::string_view line = bytes.substr(start, end - start);
      if (!line_.empty()) {
        if (line_.size() + line.size() > kMaxStreamLineBytes) {
          return EmitError(std::string(kLineTooLong), out);
        }
        line_.append(line);
        line = line_;
      } else if (line.size() > kMaxStreamLineBytes) {
        return EmitError(std::string(kLineTooLong), out);
      }
      skip_lf_ = bytes[end] == '\r';
      OnLine(line, out);
      line_.clear();
      if (stopped_) return;
      start = end + 1;
    }
  }

  void Finish(std::vector<StreamEvent>& out) final {
    if (finished_) return;
    finished_ = true;
    if (stopped_) return;
    at_end_ = true;
    if (!line_.empty()) {  // the last line may lack its terminator
      OnLine(line_, out);
      line_.clear();
      if (stopped_) return;
    }
    OnEnd(out);
  }

 protected:
  virtual void OnLine(std::string_view line, std::vector<StreamEvent>& out) = 0;
  // The body ended and every line was handed to OnLine: emit kDone or kError.
  virtual void OnEnd(std::vector<StreamEvent>& out) = 0;

  bool stopped() const { return stopped_; }
  // The body has ended: data that does not parse now was most likely cut short.
  bool at_end() const { return at_end_; }
  Wire wire() const { return wire_; }

  void EmitContent(const Json::Value& text, std::vector<StreamEvent>& out) {
    const char* begin = nullptr;
    const char* end = nullptr;
    if (!text.isString() || !text.getString(&begin, &end) || begin == end) return;
    StreamEvent& event = out.emplace_back();
    event.kind = StreamEvent::Kind::kContent;
    event.text.assign(begin, end);
    RepairUtf8(event.text);
  }

  void EmitToolCall(int index, std::string id, std::string name, std::string arguments,
                    std::vector<StreamEvent>& out) {
    if (id.empty() && name.empty() && arguments.empty()) return;
    StreamEvent& event = out.emplace_back();
    event.kind = StreamEvent::Kind::kToolCallDelta;
    event.tool_index = index;
    event.tool_id = std::move(id);
    event.tool_name = std::move(name);
    event.tool_arguments = std::move(arguments);
  }

  void EmitDone(std::string finish_reason, std::optional<Usage> usage,
                std::vector<StreamEvent>& out) {
    StreamEvent& event = out.emplace_back();
    event.kind = StreamEvent::Kind::kDone;
    event.finish_reason = std::move(finish_reason);
    event.usage = usage;
    stopped_ = true;
  }

  void EmitError(std::string message, std::vector<StreamEvent>& out) {
    StreamEvent& event = out.emplace_back();
    event.kind = StreamEvent::Kind::kError;
    event.text = std::move(message);
    stopped_ = true;
  }

  JsonReader json_;
  Json::Value root_;  // reused for every chunk

 private:
  Wire wire_;
  bool cr_ends_line_;
  bool skip_lf_ = false;
  bool stopped_ = false;   // a kDone or kError was emitted
  bool finished_ = false;  // Finish was called
  bool at_end_ = false;
  std::string line_;  // the start of a line whose end has not arrived
};

// OpenAI-compatible Server-Sent Events (https://html.spec.whatwg.org/#event-stream-interpretation).
class SseParser final : public LineParser {
 public:
  SseParser() : LineParser(Wire::kOpenAi, /*cr_ends_line=*/true) {}

 private:
  void OnLine(std::string_view line, std::vector<StreamEvent>& out) override {
    if (first_line_) {
      first_line_ = false;
      if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    }
    if (line.empty()) return Dispatch(out);
    if (line.front() == ':') return;  // a comment, e.g. ": ping" keep-alives
    size_t colon = line.find(':');
    std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    if (field == "data") {
      if (data_.size() + value.size() + 1 > kMaxStreamLineBytes) {
        return EmitError(std::string(kLineTooLong), out);
      }
      if (has_data_) data_ += '\n';
      data_.append(value);
      has_data_ = true;
    } else if (field == "event") {
      event_.assign(value);
    } else if (field == "error") {
      // llama-server reports errors during a stream as an "error: {json}" line (not a standard
      // SSE field), then sends [DONE].
      Json::Value root;
      std::string message = json_.Parse(value, &root) ? ServerErrorMessage(root) : "";
      return EmitError(ServerError(message.empty() ? value : message), out);
    }
    // "id", "retry" and unknown fields mean nothing for a chat answer.
  }

  void OnEnd(std::vector<StreamEvent>& out) override {
    Dispatch(out);  // a last event without its blank line still counts
    if (stopped()) return;
    if (saw_finish_) return EmitDone(std::move(finish_reason_), usage_, out);
    EmitError(std::string(kCutOff), out);
  }

  void Dispatch(std::vector<StreamEvent>& out) {
    if (has_data_) {
      HandleData(out);
      data_.clear();
      has_data_ = false;
    }
    event_.clear();
  }

  void HandleData(std::vector<StreamEvent>& out) {
    std::string_view data = TrimJsonSpace(data_);
    if (event_ == "error") {  // servers that report errors as a named event
      Json::Value root;
      std::string message = json_.Parse(data, &root) ? ServerErrorMessage(root) : "";
      return EmitError(ServerError(message.empty() ? data : message), out);
    }
    if (HandlePayload(data, out)) return;
    if (data.find('\n') == std::string_view::npos) return ReportUnreadable(data, true, out);
    // Some servers leave out the blank line between events, so several payloads arrive as the
    // lines of one event's data.
    size_t start = 0;
    while (start <= data.size() && !stopped()) {
      size_t end = std::min(data.find('\n', start), data.size());
      std::string_view line = TrimJsonSpace(data.substr(start, end - start));
      start = end + 1;
      if (!line.empty() && !HandlePayload(line, out)) {
        return ReportUnreadable(line, /*last=*/start > data.size(), out);
      }
    }
  }

  // Data that does not parse. The last of it when the body has ended was most likely cut short.
  void ReportUnreadable(std::string_view data, bool last, std::vector<StreamEvent>& out) {
    EmitError(at_end() && last ? std::string(kCutOff) : Unreadable(wire(), data), out);
  }

  // False when `payload` is neither [DONE] nor JSON.
  bool HandlePayload(std::string_view payload, std::vector<StreamEvent>& out) {
    if (payload.empty()) return true;
    if (payload == "[DONE]") {
      EmitDone(std::move(finish_reason_), usage_, out);
      return true;
    }
    if (!json_.Parse(payload, &root_)) return false;
    HandleChunk(root_, payload, out);
    return true;
  }

  void HandleChunk(const Json::Value& chunk, std::string_view payload,
                   std::vector<StreamEvent>& out) {
    if (!chunk.isObject()) return EmitError(Unreadable(wire(), payload), out);
    if (const Json::Value* error = JsonField(chunk, "error"); error && !error->isNull()) {
      return EmitError(ServerError(ServerErrorMessage(chunk)), out);
    }
    const Json::Value* choices = JsonField(chunk, "choices");
    if (choices != nullptr && choices->isArray() && !choices->empty()) {
      const Json::Value& choice = (*choices)[0];  // Hearth never asks for n > 1
      if (const Json::Value* delta = JsonField(choice, "delta")) {
        // "content" may be absent, null or "" (role-only and tool chunks): nothing to emit.
        // "reasoning_content" (thinking models) is not part of the answer.
        if (const Json::Value* content = JsonField(*delta, "content")) EmitContent(*content, out);
        const Json::Value* calls = JsonField(*delta, "tool_calls");
        if (calls != nullptr && calls->isArray()) {
          for (const Json::Value& call : *calls) {
            HandleToolCall(call, out);
            if (stopped()) return;
          }
        }
      }
      if (std::string finish = JsonString(JsonField(choice, "finish_reason")); !finish.empty()) {
        finish_reason_ = std::move(finish);
        saw_finish_ = true;
      }
    }
    // Sent in the last chunk, usually with empty "choices" (stream_options.include_usage).
    // llama-server adds its "timings" to the last chunks.
    if (Usage usage = usage_.value_or(Usage{}); ReadOpenAiUsage(chunk, usage)) usage_ = usage;
  }

  void HandleToolCall(const Json::Value& call, std::vector<StreamEvent>& out) {
    if (!call.isObject()) return;
    std::string id = JsonString(JsonField(call, "id"));
    int64_t index;
    const Json::Value* index_value = JsonField(call, "index");
    if (index_value != nullptr && index_value->isIntegral()) {
      index = index_value->isInt64() ? index_value->asInt64() : kMaxToolCalls;
    } else {
      // Servers that leave out "index" send the calls one after another: a piece with an id
      // not seen before starts the next call; any other piece continues the current one.
      auto known = id.empty() ? call_ids_.end() : std::find(call_ids_.begin(), call_ids_.end(), id);
      if (known != call_ids_.end()) {
        index = known - call_ids_.begin();
      } else if (!id.empty()) {
        index = static_cast<int64_t>(call_ids_.size());
      } else {
        index = std::max(current_call_, 0);
      }
    }
    if (index < 0 || index >= kMaxToolCalls) return EmitError(BadToolIndex(index), out);
    auto slot = static_cast<size_t>(index);
    if (call_ids_.size() <= slot) call_ids_.resize(slot + 1);
    if (call_ids_[slot].empty()) call_ids_[slot] = id;
    current_call_ = static_cast<int>(index);

    std::string name;
    std::string arguments;
    if (const Json::Value* function = JsonField(call, "function")) {
      name = JsonString(JsonField(*function, "name"));
      arguments = ToolArgumentsText(JsonField(*function, "arguments"), "");
    }
    EmitToolCall(current_call_, std::move(id), std::move(name), std::move(arguments), out);
  }

  bool first_line_ = true;
  std::string data_;  // the data lines of the event being read, joined by \n
  bool has_data_ = false;
  std::string event_;  // its "event:" type
  std::string finish_reason_;
  bool saw_finish_ = false;
  std::optional<Usage> usage_;
  std::vector<std::string> call_ids_;  // by tool index; "" until the server sends one
  int current_call_ = -1;
};

// Ollama's /api/chat: one JSON object per line.
class NdjsonParser final : public LineParser {
 public:
  NdjsonParser() : LineParser(Wire::kOllama, /*cr_ends_line=*/false) {}

 private:
  void OnLine(std::string_view line, std::vector<StreamEvent>& out) override {
    line = TrimJsonSpace(line);
    if (line.empty()) return;
    if (!json_.Parse(line, &root_)) {
      return EmitError(at_end() ? std::string(kCutOff) : Unreadable(wire(), line), out);
    }
    if (!root_.isObject()) return EmitError(Unreadable(wire(), line), out);
    if (const Json::Value* error = JsonField(root_, "error"); error && !error->isNull()) {
      return EmitError(ServerError(ServerErrorMessage(root_)), out);
    }
    if (const Json::Value* message = JsonField(root_, "message")) {
      if (const Json::Value* content = JsonField(*message, "content")) EmitContent(*content, out);
      const Json::Value* calls = JsonField(*message, "tool_calls");
      if (calls != nullptr && calls->isArray()) {
        // Ollama sends each call whole, with its arguments as an object and usually no id.
        // Its function.index, when present, is not reliably unique across lines, so calls are
        // numbered in arrival order.
        for (const Json::Value& call : *calls) {
          if (!call.isObject()) continue;
          if (next_call_ >= kMaxToolCalls) return EmitError(BadToolIndex(next_call_), out);
          const Json::Value* function = JsonField(call, "function");
          std::string name;
          std::string arguments = "{}";
          if (function != nullptr) {
            name = JsonString(JsonField(*function, "name"));
            arguments = ToolArgumentsText(JsonField(*function, "arguments"), "{}");
          }
          EmitToolCall(next_call_++, JsonString(JsonField(call, "id")), std::move(name),
                       std::move(arguments), out);
        }
      }
    }
    const Json::Value* done = JsonField(root_, "done");
    if (done != nullptr && done->isBool() && done->asBool()) {
      std::optional<Usage> usage;
      if (Usage figures; ReadOllamaUsage(root_, figures)) usage = figures;
      EmitDone(JsonString(JsonField(root_, "done_reason")), usage, out);
    }
  }

  void OnEnd(std::vector<StreamEvent>& out) override { EmitError(std::string(kCutOff), out); }

  int next_call_ = 0;
};

// A tool name as kept: at most kMaxToolNameBytes, cut at a character boundary and marked.
std::string CutName(std::string_view name) {
  if (name.size() <= kMaxToolNameBytes) return std::string(name);
  size_t cut = kMaxToolNameBytes - 3;
  while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) --cut;
  return std::string(name.substr(0, cut)) + "…";
}

}  // namespace

std::unique_ptr<StreamParser> MakeStreamParser(Wire wire) {
  if (wire == Wire::kOllama) return std::make_unique<NdjsonParser>();
  return std::make_unique<SseParser>();
}

void ReplyBuilder::Add(const StreamEvent& event) {
  switch (event.kind) {
    case StreamEvent::Kind::kContent:
      reply_.content += event.text;
      return;
    case StreamEvent::Kind::kToolCallDelta: {
      auto slot = std::find_if(slots_.begin(), slots_.end(),
                               [&](const auto& s) { return s.first == event.tool_index; });
      if (slot == slots_.end()) {
        slots_.emplace_back(event.tool_index, reply_.tool_calls.size());
        reply_.tool_calls.emplace_back();
        slot = slots_.end() - 1;
      }
      ToolCall& call = reply_.tool_calls[slot->second];
      if (call.id.empty() && event.tool_id.size() <= kMaxToolNameBytes) call.id = event.tool_id;
      if (call.name.empty()) call.name = CutName(event.tool_name);
      if (call.refused_argument_bytes > 0) {
        call.refused_argument_bytes += event.tool_arguments.size();
      } else if (call.arguments.size() + event.tool_arguments.size() > kMaxToolArgumentBytes) {
        call.refused_argument_bytes = call.arguments.size() + event.tool_arguments.size();
        std::string().swap(call.arguments);  // let the memory go, not only the text
      } else {
        call.arguments += event.tool_arguments;
      }
      return;
    }
    case StreamEvent::Kind::kDone:
      reply_.finish_reason = event.finish_reason;
      reply_.usage = event.usage;
      return;
    case StreamEvent::Kind::kError:
      return;
  }
}

}  // namespace hearth::llm
