#include "supervisor/health_probe.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace hearth::supervisor {
namespace {

constexpr size_t kMaxResponse = 4096;

}  // namespace

Result<HealthProbe> HealthProbe::Start(uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return PosixError("socket", errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS) {
    return PosixError("connect to the backend", errno);
  }
  std::string host = "127.0.0.1:" + std::to_string(port);
  return HealthProbe(std::move(fd),
                     "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
}

uint32_t HealthProbe::wanted_events() const { return sent_ < out_.size() ? EPOLLOUT : EPOLLIN; }

Status HealthProbe::OnReady() {
  if (sent_ < out_.size()) {
    ssize_t n = send(fd_.get(), out_.data() + sent_, out_.size() - sent_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return Status::Busy("sending");
      return PosixError("sending the probe", errno);
    }
    sent_ += static_cast<size_t>(n);
    return Status::Busy("sending");
  }
  char buffer[1024];
  ssize_t n = recv(fd_.get(), buffer, sizeof buffer, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return Status::Busy("reading");
    return PosixError("reading the probe's answer", errno);
  }
  in_.append(buffer, static_cast<size_t>(n));
  // The status line is all we need; the answer must not grow without bound.
  size_t eol = in_.find("\r\n");
  if (eol == std::string::npos) {
    if (n == 0) return Status::IoError("the backend closed the probe's connection without answer");
    if (in_.size() > kMaxResponse) return Status::IoError("the backend answered garbage");
    return Status::Busy("reading");
  }
  std::string line = in_.substr(0, eol);
  if (line.starts_with("HTTP/1.1 200 ") || line.starts_with("HTTP/1.0 200 ")) return Status::Ok();
  return Status::IoError("/healthz answered \"" + line.substr(0, 80) + "\"");
}

}  // namespace hearth::supervisor
