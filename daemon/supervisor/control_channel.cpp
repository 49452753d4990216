// SPDX-License-Identifier: Apache-2.0
#include "supervisor/control_channel.h"

#include <sys/socket.h>

#include <cerrno>

namespace hearth::supervisor {

Status SendControl(int fd, std::string_view name, std::string_view value) {
  std::string message(name);
  if (!value.empty()) {
    message += '=';
    message += value.substr(0, kMaxControlMessage - message.size());
  }
  ssize_t n = send(fd, message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n < 0) return PosixError("control channel", errno);
  return Status::Ok();
}

Result<ControlMessage> ReadControl(int fd) {
  char buffer[kMaxControlMessage];
  ssize_t n;
  do {
    n = recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Status::Busy("no control message");
    if (errno == ECONNRESET) return Status::NotFound("control channel closed");
    return PosixError("control channel", errno);
  }
  if (n == 0) return Status::NotFound("control channel closed");
  std::string_view text(buffer, static_cast<size_t>(n));
  ControlMessage message;
  size_t eq = text.find('=');
  message.name = std::string(text.substr(0, eq));
  if (eq != std::string_view::npos) message.value = std::string(text.substr(eq + 1));
  return message;
}

}  // namespace hearth::supervisor
