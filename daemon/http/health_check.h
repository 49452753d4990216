// SPDX-License-Identifier: Apache-2.0
// http: the backend's health check. One GET /healthz to its own server over a private connection
// (Server::ConnectPrivately), so it answers whatever the public clients do with their slots, and
// it exercises what a client needs: a server thread free to read, route and answer.
#pragma once

#include <cstdint>
#include <string>

#include "base/fd.h"
#include "base/status.h"
#include "http/server.h"

namespace hearth::http {

class HealthCheck {
 public:
  // Connects privately to `server` and starts sending the request.
  static Result<HealthCheck> Start(Server& server, std::string_view host);

  int fd() const { return fd_.get(); }
  bool sending() const { return sent_ < out_.size(); }  // wants POLLOUT, else POLLIN

  // Makes progress after the fd is ready. kOk: the server answered 200; kBusy: not finished;
  // anything else: the check failed, and the message says how.
  Status OnReady();

 private:
  HealthCheck(UniqueFd fd, std::string request) : fd_(std::move(fd)), out_(std::move(request)) {}

  UniqueFd fd_;
  std::string out_;
  size_t sent_ = 0;
  std::string in_;
};

}  // namespace hearth::http
