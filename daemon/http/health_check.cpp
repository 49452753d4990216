// SPDX-License-Identifier: Apache-2.0
#include "http/health_check.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace hearth::http {
namespace {

constexpr size_t kMaxResponse = 4096;

}  // namespace

Result<HealthCheck> HealthCheck::Start(Server& server, std::string_view host) {
  auto fd = server.ConnectPrivately();
  if (!fd.ok()) return fd.status();
  return HealthCheck(std::move(*fd), "GET /healthz HTTP/1.1\r\nHost: " + std::string(host) +
                                         "\r\nConnection: close\r\n\r\n");
}

Status HealthCheck::OnReady() {
  if (sent_ < out_.size()) {
    ssize_t n = send(fd_.get(), out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return Status::Busy("sending");
      return PosixError("sending the check", errno);
    }
    sent_ += static_cast<size_t>(n);
    return Status::Busy("sending");
  }
  char buffer[1024];
  ssize_t n = recv(fd_.get(), buffer, sizeof buffer, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return Status::Busy("reading");
    return PosixError("reading the check's answer", errno);
  }
  in_.append(buffer, static_cast<size_t>(n));
  // The status line is all we need; the answer must not grow without bound.
  size_t eol = in_.find("\r\n");
  if (eol == std::string::npos) {
    if (n == 0) return Status::IoError("the backend closed the check's connection without answer");
    if (in_.size() > kMaxResponse) return Status::IoError("the backend answered garbage");
    return Status::Busy("reading");
  }
  std::string line = in_.substr(0, eol);
  if (line.starts_with("HTTP/1.1 200 ") || line.starts_with("HTTP/1.0 200 ")) return Status::Ok();
  return Status::IoError("/healthz answered \"" + line.substr(0, 80) + "\"");
}

}  // namespace hearth::http
