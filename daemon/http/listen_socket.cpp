// SPDX-License-Identifier: Apache-2.0
#include "http/listen_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <string>

namespace hearth::http {
namespace {

Result<uint16_t> LocalPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return PosixError("getsockname on the listening socket", errno);
  }
  // Hearth's UI must never be reachable from another machine: refuse anything but loopback.
  if (addr.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    if ((ntohl(in->sin_addr.s_addr) >> 24) != 127) {
      return Status::PermissionDenied(
          "the listening socket is not bound to a loopback address; set "
          "ListenStream=127.0.0.1:PORT in hearth.socket");
    }
    return ntohs(in->sin_port);
  }
  if (addr.ss_family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (!IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr)) {
      return Status::PermissionDenied(
          "the listening socket is not bound to a loopback address; set "
          "ListenStream=[::1]:PORT in hearth.socket");
    }
    return ntohs(in6->sin6_port);
  }
  return Status::InvalidArgument("the listening socket is not an IP socket");
}

}  // namespace

Result<ListenSocket> BindLoopback() {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return PosixError("create a TCP socket", errno);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return PosixError("bind 127.0.0.1:0", errno);
  }
  if (listen(fd.get(), SOMAXCONN) != 0) return PosixError("listen on 127.0.0.1", errno);
  auto port = LocalPort(fd.get());
  if (!port.ok()) return port.status();
  ListenSocket s;
  s.fd = std::move(fd);
  s.port = *port;
  return s;
}

Result<ListenSocket> AcquireListenSocket() {
  int n = sd_listen_fds(/*unset_environment=*/1);
  if (n < 0) return PosixError("read the sockets passed by systemd (LISTEN_FDS)", n);
  if (n == 0) return BindLoopback();
  if (n > 1) {
    return Status::InvalidArgument("systemd passed " + std::to_string(n) +
                                   " sockets; hearth.socket must define exactly one");
  }
  int fd = SD_LISTEN_FDS_START;
  if (sd_is_socket_inet(fd, 0, SOCK_STREAM, /*listening=*/1, 0) <= 0) {
    return Status::InvalidArgument(
        "the socket passed by systemd is not a listening TCP socket; check hearth.socket");
  }
  // Inherited fds do not carry O_CLOEXEC; set it so no child ever inherits the listener, and make
  // it non-blocking for the epoll server.
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0) return PosixError("set FD_CLOEXEC on fd 3", errno);
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    return PosixError("make the listening socket non-blocking", errno);
  }
  auto port = LocalPort(fd);
  if (!port.ok()) return port.status();
  ListenSocket s;
  s.fd = UniqueFd(fd);
  s.port = *port;
  s.from_systemd = true;
  return s;
}

}  // namespace hearth::http
