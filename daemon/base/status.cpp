// SPDX-License-Identifier: Apache-2.0
#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace hearth {
namespace {

const char* CodeName(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "ok";
    case Status::Code::kNotFound:
      return "not found";
    case Status::Code::kInvalidArgument:
      return "invalid argument";
    case Status::Code::kTooLarge:
      return "too large";
    case Status::Code::kPermissionDenied:
      return "permission denied";
    case Status::Code::kBusy:
      return "busy";
    case Status::Code::kCorrupt:
      return "corrupt";
    case Status::Code::kUnsupported:
      return "unsupported";
    case Status::Code::kIoError:
      return "I/O error";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kCancelled:
      return "cancelled";
    case Status::Code::kInternal:
      return "internal error";
  }
  return "unknown";
}

}  // namespace

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  return Status(code_, std::string(context) + ": " + message_);
}

Status PosixError(std::string_view context, int error_number) {
  if (error_number < 0) error_number = -error_number;
  std::string msg = std::string(context) + ": " + std::strerror(error_number);
  switch (error_number) {
    case ENOENT:
      return Status::NotFound(std::move(msg));
    case EACCES:
    case EPERM:
      return Status::PermissionDenied(std::move(msg));
    case EWOULDBLOCK:
      return Status::Busy(std::move(msg));
    case EINVAL:
      return Status::InvalidArgument(std::move(msg));
    case EFBIG:
    case E2BIG:
      return Status::TooLarge(std::move(msg));
    default:
      return Status::IoError(std::move(msg));
  }
}

}  // namespace hearth
