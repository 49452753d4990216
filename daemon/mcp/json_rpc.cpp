// SPDX-License-Identifier: Apache-2.0
#include "mcp/json_rpc.h"

#include <json/json.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>

namespace hearth::mcp {
namespace {

Message Classify(const Json::Value& value) {
  Message message;
  if (!value.isObject()) {
    message.why = "a message must be a JSON object";
    return message;
  }
  const Json::Value& id = value["id"];
  if (id.isString() || id.isNumeric()) message.id = id;
  if (!value["jsonrpc"].isString() || value["jsonrpc"].asString() != "2.0") {
    message.why = "\"jsonrpc\" is not \"2.0\"";
    return message;
  }
  if (value.isMember("method")) {
    if (!value["method"].isString()) {
      message.why = "\"method\" is not a string";
      return message;
    }
    const Json::Value& params = value["params"];
    if (!params.isNull() && !params.isObject() && !params.isArray()) {
      message.why = "\"params\" is neither an object nor an array";
      return message;
    }
    message.method = value["method"].asString();
    message.params = params;
    if (!value.isMember("id")) {
      message.kind = Message::Kind::kNotification;
    } else if (message.id.isNull()) {
      message.why = "the request's \"id\" is neither a string nor a number";
    } else {
      message.kind = Message::Kind::kRequest;
    }
    return message;
  }
  if (!value.isMember("id")) {
    message.why = "neither \"method\" nor \"id\"";
    return message;
  }
  const bool has_result = value.isMember("result");
  const bool has_error = value.isMember("error");
  if (has_result == has_error) {
    message.why = "a response needs exactly one of \"result\" and \"error\"";
    return message;
  }
  if (has_error) {
    const Json::Value& error = value["error"];
    if (!error.isObject() || !error["code"].isInt() || !error["message"].isString()) {
      message.why = "\"error\" needs an integer \"code\" and a string \"message\"";
      return message;
    }
    message.is_error = true;
    message.error_code = error["code"].asInt();
    message.error_message = error["message"].asString();
  } else {
    message.result = value["result"];
  }
  message.kind = Message::Kind::kResponse;
  return message;
}

std::string Line(const Json::Value& message) { return ToCompactJson(message) + "\n"; }

Json::Value Envelope() {
  Json::Value message(Json::objectValue);
  message["jsonrpc"] = "2.0";
  return message;
}

}  // namespace

bool LineSplitter::Feed(std::string_view data,
                        const std::function<void(std::string_view line)>& on_line) {
  if (overflowed_) return false;
  buffer_.append(data);
  size_t start = 0;
  for (;;) {
    size_t newline = buffer_.find('\n', std::max(start, scanned_));
    if (newline == std::string::npos) break;
    std::string_view line(buffer_.data() + start, newline - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > max_line_) {
      overflowed_ = true;
      buffer_.clear();
      return false;
    }
    if (!line.empty()) on_line(line);
    start = newline + 1;
  }
  buffer_.erase(0, start);
  scanned_ = buffer_.size();
  if (buffer_.size() > max_line_) {
    overflowed_ = true;
    buffer_.clear();
    buffer_.shrink_to_fit();
    return false;
  }
  return true;
}

Result<std::vector<Message>> ParseLine(std::string_view line) {
  Json::CharReaderBuilder builder;
  builder["collectComments"] = false;
  builder["allowComments"] = false;
  builder["strictRoot"] = true;
  builder["allowSingleQuotes"] = false;
  builder["allowSpecialFloats"] = false;
  builder["failIfExtra"] = true;
  builder["stackLimit"] = 128;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  Json::Value value;
  std::string errors;
  bool parsed;
  try {
    parsed = reader->parse(line.data(), line.data() + line.size(), &value, &errors);
  } catch (const std::exception& error) {
    // jsoncpp throws rather than fails when the nesting passes stackLimit.
    parsed = false;
    errors = error.what();
  }
  if (!parsed) {
    while (!errors.empty() && (errors.back() == '\n' || errors.back() == ' ')) errors.pop_back();
    return Status::InvalidArgument("not JSON: " + errors);
  }
  std::vector<Message> messages;
  if (value.isArray()) {
    if (value.empty()) return Status::InvalidArgument("an empty batch");
    for (const Json::Value& item : value) messages.push_back(Classify(item));
  } else if (value.isObject()) {
    messages.push_back(Classify(value));
  } else {
    return Status::InvalidArgument("neither a JSON object nor a batch");
  }
  return messages;
}

std::string EncodeRequest(int64_t id, std::string_view method, const Json::Value& params) {
  Json::Value message = Envelope();
  message["id"] = Json::Int64(id);
  message["method"] = std::string(method);
  if (!params.isNull()) message["params"] = params;
  return Line(message);
}

std::string EncodeNotification(std::string_view method, const Json::Value& params) {
  Json::Value message = Envelope();
  message["method"] = std::string(method);
  if (!params.isNull()) message["params"] = params;
  return Line(message);
}

std::string EncodeResult(const Json::Value& id, const Json::Value& result) {
  Json::Value message = Envelope();
  message["id"] = id;
  message["result"] = result;
  return Line(message);
}

std::string EncodeError(const Json::Value& id, int code, std::string_view message_text) {
  Json::Value message = Envelope();
  message["id"] = id;
  message["error"]["code"] = code;
  message["error"]["message"] = std::string(message_text);
  return Line(message);
}

std::optional<int64_t> IntegerId(const Json::Value& id) {
  if (id.isInt64()) return id.asInt64();
  if (id.isDouble()) {
    // 7.0 is the integer 7 in JSON; jsoncpp keeps it a double.
    double value = id.asDouble();
    if (std::trunc(value) == value && std::fabs(value) < 9.007199254740992e15) {
      return static_cast<int64_t>(value);
    }
  }
  return std::nullopt;
}

std::string ToCompactJson(const Json::Value& value) {
  Json::StreamWriterBuilder writer;
  writer["indentation"] = "";
  writer["commentStyle"] = "None";
  return Json::writeString(writer, value);
}

}  // namespace hearth::mcp
