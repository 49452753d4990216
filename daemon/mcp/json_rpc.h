// SPDX-License-Identifier: Apache-2.0
// JSON-RPC 2.0 as MCP's stdio transport frames it: one message per line, UTF-8 JSON without
// embedded newlines (https://modelcontextprotocol.io/specification/2025-06-18/basic/transports).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <json/value.h>

#include "base/status.h"

namespace hearth::mcp {

// The error codes JSON-RPC 2.0 defines.
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;

// What a server may send on one line; more than this and the server is treated as broken.
inline constexpr size_t kMaxLineBytes = 8 << 20;

// Cuts a byte stream into lines. A line ends at "\n"; a "\r" before it is dropped, and so are
// empty lines. Bytes that do not end a line yet are kept until more arrive, up to `max_line`:
// past it the splitter is broken for good (overflowed()) and ignores everything after, because
// a stream whose framing is lost cannot be resynchronised safely. Not thread-safe.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line = kMaxLineBytes) : max_line_(max_line) {}

  // Hands every line completed by `data` to `on_line`, in order. False once overflowed.
  bool Feed(std::string_view data, const std::function<void(std::string_view line)>& on_line);
  bool overflowed() const { return overflowed_; }
  size_t buffered() const { return buffer_.size(); }

 private:
  size_t max_line_;
  std::string buffer_;
  size_t scanned_ = 0;  // bytes of buffer_ known to hold no "\n"
  bool overflowed_ = false;
};

// One message, as classified by ParseLine.
struct Message {
  enum class Kind { kRequest, kNotification, kResponse, kInvalid };
  Kind kind = Kind::kInvalid;
  Json::Value id;      // kRequest, kResponse (and kInvalid, when it had a usable one)
  std::string method;  // kRequest, kNotification
  Json::Value params;  // kRequest, kNotification; null when absent
  // kResponse: either a result or an error.
  Json::Value result;
  bool is_error = false;
  int error_code = 0;
  std::string error_message;
  std::string why;  // kInvalid: what is wrong with it
};

// Parses one line: a message, or a batch (a JSON array, which servers speaking 2025-03-26 may
// send) of them. kInvalidArgument when the line is not JSON or is neither an object nor a
// non-empty array; malformed members of a batch, and objects that are not JSON-RPC 2.0
// messages, come back as Kind::kInvalid with `why` set. Nesting deeper than 128 levels is
// refused (the parser recurses). Never throws.
//
// Careful with what it returns: jsoncpp's Value::operator[] and as*() throw on a value of the
// wrong type (an array indexed by name, an object read as a string), so check types first.
Result<std::vector<Message>> ParseLine(std::string_view line);

// The encoders return one line, "\n" included. Ids Hearth sends are integers.
std::string EncodeRequest(int64_t id, std::string_view method, const Json::Value& params);
// `params` null: the member is left out.
std::string EncodeNotification(std::string_view method, const Json::Value& params);
std::string EncodeResult(const Json::Value& id, const Json::Value& result);
std::string EncodeError(const Json::Value& id, int code, std::string_view message);

// The id of a response as Hearth's integer id, if it is one (an integral number; "7" is not 7:
// JSON-RPC ids match by type and value).
std::optional<int64_t> IntegerId(const Json::Value& id);

// `value` as one line of compact JSON, without the newline.
std::string ToCompactJson(const Json::Value& value);

}  // namespace hearth::mcp
