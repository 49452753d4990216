// HealthProbe: one non-blocking GET /healthz to the backend through the shared listening socket,
// driven by the supervisor's event loop.
#pragma once

#include <cstdint>
#include <string>

#include "base/fd.h"
#include "base/status.h"

namespace hearth::supervisor {

class HealthProbe {
 public:
  // Starts connecting to 127.0.0.1:port.
  static Result<HealthProbe> Start(uint16_t port);

  int fd() const { return fd_.get(); }
  uint32_t wanted_events() const;  // EPOLLOUT while sending, EPOLLIN while reading

  // Makes progress after the fd is ready. kOk: the backend answered 200; kBusy: not finished;
  // anything else: the probe failed, and the message says how.
  Status OnReady();

 private:
  HealthProbe(UniqueFd fd, std::string request) : fd_(std::move(fd)), out_(std::move(request)) {}

  UniqueFd fd_;
  std::string out_;
  size_t sent_ = 0;
  std::string in_;
};

}  // namespace hearth::supervisor
