// SPDX-License-Identifier: Apache-2.0
#include "llm/wire.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <exception>

#include "base/utf8.h"

namespace hearth::llm {
namespace {

bool ContainsIgnoringCase(std::string_view haystack, std::string_view needle) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  if (needle.size() > haystack.size()) return false;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    size_t k = 0;
    while (k < needle.size() && lower(haystack[i + k]) == lower(needle[k])) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

Status NotAnAnswer(Wire wire, std::string_view body, std::string_view what) {
  std::string message = "The model server's answer was not " + std::string(what);
  std::string excerpt = TextForUser(body, 80);
  if (!excerpt.empty()) message += " (it began \"" + excerpt + "\")";
  message += wire == Wire::kOpenAi
                 ? ". Check that the server address points at an OpenAI-compatible API (it "
                   "usually ends in /v1)."
                 : ". Check that the server address points at Ollama (usually "
                   "http://127.0.0.1:11434).";
  return Status::InvalidArgument(std::move(message));
}

void AppendToolCalls(const Json::Value* calls, Wire wire, std::vector<ToolCall>& out) {
  if (calls == nullptr || !calls->isArray()) return;
  for (const Json::Value& call : *calls) {
    if (!call.isObject()) continue;
    const Json::Value* function = JsonField(call, "function");
    if (function == nullptr || !function->isObject()) continue;
    ToolCall tool_call;
    tool_call.id = JsonString(JsonField(call, "id"));
    tool_call.name = JsonString(JsonField(*function, "name"));
    tool_call.arguments =
        ToolArgumentsText(JsonField(*function, "arguments"), wire == Wire::kOllama ? "{}" : "");
    out.push_back(std::move(tool_call));
  }
}

void AppendOpenAiMessage(const ChatMessage& message, std::string& out) {
  out += "{\"role\":";
  AppendJsonString(out, message.role);
  out += ",\"content\":";
  AppendJsonString(out, message.content);
  if (message.role == "assistant" && !message.tool_calls.empty()) {
    out += ",\"tool_calls\":[";
    for (size_t i = 0; i < message.tool_calls.size(); ++i) {
      const ToolCall& call = message.tool_calls[i];
      if (i > 0) out += ',';
      out += "{\"id\":";
      AppendJsonString(out, call.id);
      out += ",\"type\":\"function\",\"function\":{\"name\":";
      AppendJsonString(out, call.name);
      out += ",\"arguments\":";
      AppendJsonString(out, call.arguments.empty() ? std::string_view("{}") : call.arguments);
      out += "}}";
    }
    out += ']';
  }
  if (message.role == "tool") {
    out += ",\"tool_call_id\":";
    AppendJsonString(out, message.tool_call_id);
  }
  out += '}';
}

void AppendOllamaMessage(const ChatMessage& message, JsonReader& reader, std::string& out) {
  out += "{\"role\":";
  AppendJsonString(out, message.role);
  out += ",\"content\":";
  AppendJsonString(out, message.content);
  if (message.role == "assistant" && !message.tool_calls.empty()) {
    out += ",\"tool_calls\":[";
    Json::Value arguments;
    for (size_t i = 0; i < message.tool_calls.size(); ++i) {
      const ToolCall& call = message.tool_calls[i];
      if (i > 0) out += ',';
      out += '{';
      if (!call.id.empty()) {
        out += "\"id\":";
        AppendJsonString(out, call.id);
        out += ',';
      }
      out += "\"function\":{\"name\":";
      AppendJsonString(out, call.name);
      out += ",\"arguments\":";
      // Ollama wants an object; text the model garbled is sent as {} rather than failing the
      // whole conversation (the tool result already told the model what went wrong).
      if (reader.Parse(call.arguments, &arguments) && arguments.isObject()) {
        AppendJson(out, arguments);
      } else {
        out += "{}";
      }
      out += "}}";
    }
    out += ']';
  }
  if (message.role == "tool") {
    if (!message.name.empty()) {
      out += ",\"tool_name\":";
      AppendJsonString(out, message.name);
    }
    if (!message.tool_call_id.empty()) {
      out += ",\"tool_call_id\":";
      AppendJsonString(out, message.tool_call_id);
    }
  }
  out += '}';
}

}  // namespace

JsonReader::JsonReader() {
  // Built once: setting up a builder costs more than parsing a typical chunk. newCharReader()
  // only reads it, so sharing it between threads is safe.
  static const Json::CharReaderBuilder* const builder = [] {
    auto* b = new Json::CharReaderBuilder;
    Json::CharReaderBuilder::strictMode(&b->settings_);
    (*b)["stackLimit"] = kMaxJsonDepth;
    (*b)["rejectDupKeys"] = false;  // servers are sloppy; the last value wins
    return b;
  }();
  reader_.reset(builder->newCharReader());
}

bool JsonReader::Parse(std::string_view text, Json::Value* out) {
  try {
    return reader_->parse(text.data(), text.data() + text.size(), out, nullptr);
  } catch (const std::exception&) {  // jsoncpp throws when stackLimit is exceeded
    return false;
  }
}

const Json::Value* JsonField(const Json::Value& value, std::string_view key) {
  if (!value.isObject()) return nullptr;
  return value.find(key.data(), key.data() + key.size());
}

std::string JsonString(const Json::Value* value, std::string_view fallback) {
  std::string text =
      value != nullptr && value->isString() ? value->asString() : std::string(fallback);
  RepairUtf8(text);
  return text;
}

void RepairUtf8(std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) break;
    i += n;
  }
  if (i < text.size()) text = ToValidUtf8(text);
}

int64_t JsonCount(const Json::Value* value) {
  if (value == nullptr) return 0;
  if (value->isInt64()) return std::max<int64_t>(value->asInt64(), 0);
  if (value->isUInt64()) return INT64_MAX;
  if (value->isDouble()) {
    double d = value->asDouble();
    if (std::isfinite(d) && d >= 0 && d < 9e18) return static_cast<int64_t>(d);
  }
  return 0;
}

namespace {

double JsonMilliseconds(const Json::Value* value) {
  if (value == nullptr || !value->isNumeric()) return 0;
  double ms = value->asDouble();
  return std::isfinite(ms) && ms > 0 && ms < 1e12 ? ms : 0;
}

}  // namespace

bool ReadOpenAiUsage(const Json::Value& object, Usage& usage) {
  bool found = false;
  if (const Json::Value* u = JsonField(object, "usage"); u && u->isObject()) {
    usage.prompt_tokens = JsonCount(JsonField(*u, "prompt_tokens"));
    usage.completion_tokens = JsonCount(JsonField(*u, "completion_tokens"));
    found = true;
  }
  if (const Json::Value* timings = JsonField(object, "timings"); timings && timings->isObject()) {
    usage.completion_ms = JsonMilliseconds(JsonField(*timings, "predicted_ms"));
    found = true;
  }
  return found;
}

bool ReadOllamaUsage(const Json::Value& object, Usage& usage) {
  const Json::Value* prompt = JsonField(object, "prompt_eval_count");
  const Json::Value* completion = JsonField(object, "eval_count");
  const Json::Value* duration = JsonField(object, "eval_duration");
  if (prompt == nullptr && completion == nullptr) return false;
  usage.prompt_tokens = JsonCount(prompt);
  usage.completion_tokens = JsonCount(completion);
  usage.completion_ms = JsonMilliseconds(duration) / 1e6;  // nanoseconds
  return true;
}

std::string ToolArgumentsText(const Json::Value* arguments, std::string_view if_missing) {
  if (arguments == nullptr || arguments->isNull()) return std::string(if_missing);
  if (arguments->isString()) return JsonString(arguments);
  std::string text;
  AppendJson(text, *arguments);
  return text;
}

void AppendJsonString(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  size_t run_start = 0;
  size_t i = 0;
  auto flush = [&] { out.append(text.data() + run_start, i - run_start); };
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x80) {
      size_t n = Utf8SequenceLength(text, i);
      if (n > 0) {
        i += n;
        continue;
      }
      flush();
      out += kReplacementCharacter;
      run_start = ++i;
      continue;
    }
    if (c >= 0x20 && c != '"' && c != '\\') {
      ++i;
      continue;
    }
    flush();
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
    }
    run_start = ++i;
  }
  flush();
  out += '"';
}

void AppendJson(std::string& out, const Json::Value& value) {
  switch (value.type()) {
    case Json::nullValue:
      out += "null";
      return;
    case Json::intValue:
      out += std::to_string(value.asInt64());
      return;
    case Json::uintValue:
      out += std::to_string(value.asUInt64());
      return;
    case Json::realValue: {
      double d = value.asDouble();
      if (!std::isfinite(d)) {
        out += "null";
        return;
      }
      char buffer[32];
      auto result = std::to_chars(buffer, buffer + sizeof buffer, d);
      out.append(buffer, result.ptr);
      return;
    }
    case Json::stringValue: {
      const char* begin = nullptr;
      const char* end = nullptr;
      value.getString(&begin, &end);
      AppendJsonString(out, std::string_view(begin, static_cast<size_t>(end - begin)));
      return;
    }
    case Json::booleanValue:
      out += value.asBool() ? "true" : "false";
      return;
    case Json::arrayValue: {
      out += '[';
      for (Json::ArrayIndex i = 0; i < value.size(); ++i) {
        if (i > 0) out += ',';
        AppendJson(out, value[i]);
      }
      out += ']';
      return;
    }
    case Json::objectValue: {
      out += '{';
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out += ',';
        first = false;
        const char* key_end = nullptr;
        const char* key = it.memberName(&key_end);
        AppendJsonString(out, std::string_view(key, static_cast<size_t>(key_end - key)));
        out += ':';
        AppendJson(out, *it);
      }
      out += '}';
      return;
    }
  }
}

std::string ServerErrorMessage(const Json::Value& root) {
  if (const Json::Value* error = JsonField(root, "error")) {
    if (error->isString()) return error->asString();
    if (const Json::Value* message = JsonField(*error, "message"); message && message->isString()) {
      return message->asString();
    }
  }
  if (const Json::Value* message = JsonField(root, "message"); message && message->isString()) {
    return message->asString();
  }
  if (const Json::Value* detail = JsonField(root, "detail")) {
    if (detail->isString()) return detail->asString();
    // FastAPI validation errors: [{"loc":[…],"msg":"…","type":"…"}]
    if (detail->isArray() && !detail->empty()) {
      return JsonString(JsonField((*detail)[0], "msg"));
    }
  }
  return {};
}

std::string TextForUser(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 4);
  bool pending_space = false;
  bool truncated = false;
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::string_view piece;
    if (c < 0x20 || c == 0x7F || c == ' ') {
      pending_space = !out.empty();
      ++i;
      continue;
    }
    if (c < 0x80) {
      piece = text.substr(i, 1);
      i += 1;
    } else if (size_t n = Utf8SequenceLength(text, i); n > 0) {
      piece = text.substr(i, n);
      i += n;
    } else {
      piece = kReplacementCharacter;
      i += 1;
    }
    if (out.size() + (pending_space ? 1 : 0) + piece.size() > max_bytes) {
      truncated = true;
      break;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += piece;
  }
  if (truncated) out += "\xE2\x80\xA6";  // …
  return out;
}

std::string EncodeChatRequest(Wire wire, const ChatRequest& request) {
  size_t estimate = 256 + request.model.size();
  for (const ChatMessage& message : request.messages) {
    estimate += 64 + message.content.size() + message.tool_call_id.size() + message.name.size();
    for (const ToolCall& call : message.tool_calls) {
      estimate += 96 + call.id.size() + call.name.size() + call.arguments.size() * 2;
    }
  }
  for (const ToolSchema& tool : request.tools) {
    estimate += 512 + tool.name.size() + tool.description.size();
  }
  std::string out;
  out.reserve(estimate);

  out += "{\"model\":";
  AppendJsonString(out, request.model);
  out += ",\"messages\":[";
  JsonReader reader;
  for (size_t i = 0; i < request.messages.size(); ++i) {
    if (i > 0) out += ',';
    if (wire == Wire::kOpenAi) {
      AppendOpenAiMessage(request.messages[i], out);
    } else {
      AppendOllamaMessage(request.messages[i], reader, out);
    }
  }
  out += ']';
  if (!request.tools.empty()) {
    out += ",\"tools\":[";
    for (size_t i = 0; i < request.tools.size(); ++i) {
      const ToolSchema& tool = request.tools[i];
      if (i > 0) out += ',';
      out += "{\"type\":\"function\",\"function\":{\"name\":";
      AppendJsonString(out, tool.name);
      out += ",\"description\":";
      AppendJsonString(out, tool.description);
      out += ",\"parameters\":";
      if (tool.parameters.isObject()) {
        AppendJson(out, tool.parameters);
      } else {
        out += "{\"type\":\"object\",\"properties\":{}}";
      }
      out += "}}";
    }
    out += ']';
  }
  out += request.stream ? ",\"stream\":true" : ",\"stream\":false";
  if (wire == Wire::kOpenAi && request.stream) {
    out += ",\"stream_options\":{\"include_usage\":true}";
  }
  if (request.max_tokens > 0) {
    out += wire == Wire::kOpenAi ? ",\"max_tokens\":" : ",\"options\":{\"num_predict\":";
    out += std::to_string(request.max_tokens);
    if (wire == Wire::kOllama) out += '}';
  }
  out += '}';
  return out;
}

Result<ChatReply> ParseChatResponse(Wire wire, std::string_view body) {
  JsonReader reader;
  Json::Value root;
  if (!reader.Parse(body, &root) || !root.isObject()) {
    return NotAnAnswer(wire, body, "the JSON Hearth expected");
  }
  if (const Json::Value* error = JsonField(root, "error"); error && !error->isNull()) {
    std::string message = TextForUser(ServerErrorMessage(root));
    if (message.empty()) message = "no details given";
    return Status::Unavailable("The model server reported an error: " + message +
                               ". Check the server's log, then try again.");
  }
  ChatReply reply;
  const Json::Value* message = nullptr;
  if (wire == Wire::kOpenAi) {
    const Json::Value* choices = JsonField(root, "choices");
    if (choices == nullptr || !choices->isArray() || choices->empty()) {
      return NotAnAnswer(wire, body, "a chat completion (it had no choices)");
    }
    const Json::Value& choice = (*choices)[0];
    message = JsonField(choice, "message");
    reply.finish_reason = JsonString(JsonField(choice, "finish_reason"));
    if (Usage usage; ReadOpenAiUsage(root, usage)) reply.usage = usage;
  } else {
    message = JsonField(root, "message");
    reply.finish_reason = JsonString(JsonField(root, "done_reason"));
    if (Usage usage; ReadOllamaUsage(root, usage)) reply.usage = usage;
  }
  if (message == nullptr || !message->isObject()) {
    return NotAnAnswer(wire, body, "a chat answer (it had no message)");
  }
  reply.content = JsonString(JsonField(*message, "content"));  // null when only tools are called
  AppendToolCalls(JsonField(*message, "tool_calls"), wire, reply.tool_calls);
  return reply;
}

std::string DescribeHttpError(long http_status, std::string_view body) {
  std::string detail;
  JsonReader reader;
  Json::Value root;
  if (reader.Parse(body, &root)) {
    detail = TextForUser(ServerErrorMessage(root));
  }
  if (detail.empty()) detail = TextForUser(body);

  std::string message = "The model server answered with HTTP status " + std::to_string(http_status);
  message += detail.empty() ? " and no explanation" : ": " + detail;
  if (!message.ends_with('.') && !message.ends_with('!') && !message.ends_with('?')) {
    message += '.';
  }
  message += ' ';
  switch (http_status) {
    case 400:
    case 422:
      message +=
          "Check the model name and the server's settings; if the conversation is long, "
          "start a new one.";
      break;
    case 401:
    case 403:
      message += "Check the API key in Hearth's settings.";
      break;
    case 404:
      message += "Check the server address and the model name; the model may not be installed.";
      break;
    case 408:
    case 504:
      message += "The server took too long; try again.";
      break;
    case 413:
      message += "The conversation is too long for this server; start a new conversation.";
      break;
    case 429:
      message += "The server is busy; wait a moment, then try again.";
      break;
    case 503:
      message +=
          "The server is not ready (it may still be loading the model); wait a moment, "
          "then try again.";
      break;
    default:
      message += http_status >= 500 ? "Check the server's log, then try again."
                                    : "Check the server address and settings.";
  }
  return message;
}

bool IsToolsWithStreamRefusal(long http_status, std::string_view body) {
  return http_status >= 400 && ContainsIgnoringCase(body, "cannot use tools with stream");
}

std::string ToolsRefusalAdvice(long http_status, std::string_view body) {
  if (http_status < 400) return {};
  if (ContainsIgnoringCase(body, "tools param requires --jinja")) {
    return "Start llama-server with --jinja to let the model use tools.";
  }
  if (ContainsIgnoringCase(body, "does not support tools")) {
    return "Choose a model that supports tools in Settings (Ollama's library marks them "
           "\"tools\").";
  }
  if (ContainsIgnoringCase(body, "tool choice requires --enable-auto-tool-choice")) {
    return "Start vLLM with --enable-auto-tool-choice and the --tool-call-parser of the model "
           "to let it use tools.";
  }
  return {};
}

Result<std::vector<std::string>> ParseModelList(Wire wire, std::string_view body) {
  JsonReader reader;
  Json::Value root;
  if (!reader.Parse(body, &root) || !root.isObject()) {
    return NotAnAnswer(wire, body, "a list of models");
  }
  const Json::Value* data = JsonField(root, "data");
  const Json::Value* models = JsonField(root, "models");
  bool data_ok = data != nullptr && data->isArray();
  bool models_ok = models != nullptr && models->isArray();
  if (!data_ok && !models_ok) return NotAnAnswer(wire, body, "a list of models");

  std::vector<std::string> names;
  // OpenAI's "data" lists ids; Ollama's "models" lists names (and "model", the same).
  bool use_data = data_ok && (wire == Wire::kOpenAi || !models_ok);
  const Json::Value& list = use_data ? *data : *models;
  for (const Json::Value& entry : list) {
    std::string name =
        use_data ? JsonString(JsonField(entry, "id"))
                 : JsonString(JsonField(entry, "name"), JsonString(JsonField(entry, "model")));
    if (!name.empty()) names.push_back(std::move(name));
  }
  return names;
}

}  // namespace hearth::llm
