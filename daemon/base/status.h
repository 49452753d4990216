// SPDX-License-Identifier: Apache-2.0
// base: small vocabulary types shared by every module (Status, Result, fds, clocks, ids).
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace hearth {

// The outcome of an operation that can fail in an expected way. A failed Status carries a code
// that callers branch on and a message written for the person who will read the log or the page:
// it says what happened and, where it can, what to do next.
//
// Cheap to copy when ok. Not thread-safe beyond the usual value semantics.
class Status {
 public:
  enum class Code {
    kOk,
    kNotFound,          // the thing asked for does not exist
    kInvalidArgument,   // the caller sent something malformed or out of bounds
    kTooLarge,          // a size limit was exceeded
    kPermissionDenied,  // an auth or policy check refused the operation
    kBusy,              // a resource is locked by someone else (SQLITE_BUSY, flock)
    kCorrupt,           // stored data is damaged
    kUnsupported,       // e.g. a schema newer than this binary
    kIoError,           // the OS or a library failed
    kUnavailable,       // the other side (a daemon, a bus) cannot be reached
    kCancelled,         // the user stopped it
    kInternal,          // a bug
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status TooLarge(std::string msg) { return Status(Code::kTooLarge, std::move(msg)); }
  static Status PermissionDenied(std::string msg) {
    return Status(Code::kPermissionDenied, std::move(msg));
  }
  static Status Busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }
  static Status Corrupt(std::string msg) { return Status(Code::kCorrupt, std::move(msg)); }
  static Status Unsupported(std::string msg) { return Status(Code::kUnsupported, std::move(msg)); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status Cancelled(std::string msg) { return Status(Code::kCancelled, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "not found: conversation 12 does not exist" style text for logs.
  std::string ToString() const;

  // Returns a copy whose message is "context: message".
  Status WithContext(std::string_view context) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// errno (or a negative errno returned by a systemd API) to Status; the only place that does it.
// `context` says what was being attempted, e.g. "open /run/user/1000/hearth/port".
Status PosixError(std::string_view context, int error_number);

// Either a value or a failed Status. A tiny stand-in for std::expected (C++23).
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit on purpose, like expected.
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "a Result needs a value or a failed Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace hearth
