// SPDX-License-Identifier: Apache-2.0
// http: the front door. Accepts connections on the listening socket, holds each until its
// request head is complete (peeking, so nothing is consumed), checks the head, and hands good
// connections to the server; bad ones get an answer of Hearth's own. Connections that never
// complete a head are closed at a deadline, and at most `max_pending` wait at once, so idle or
// slow clients cost a file descriptor each and never a server slot.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "http/request_head.h"

namespace hearth::http {

class FrontDoor {
 public:
  struct Options {
    int listen_fd = -1;  // borrowed: never closed here
    HeadLimits head_limits;
    std::chrono::milliseconds head_deadline{10000};  // from accept to a complete head
    size_t max_pending = 1024;
    // Headers added to the answers the front door writes itself.
    std::vector<std::pair<std::string, std::string>> common_headers;
    // Takes ownership of `fd`, a connection whose head is complete and checked. Called on the
    // front door's thread.
    std::function<void(int fd, const sockaddr* addr, socklen_t addrlen)> hand_over;
    std::function<void(const std::string&)> log;  // may be empty
  };

  // Starts the front door's thread.
  static Result<std::unique_ptr<FrontDoor>> Start(Options options);
  ~FrontDoor();  // Stop()
  FrontDoor(const FrontDoor&) = delete;
  FrontDoor& operator=(const FrontDoor&) = delete;

  // Stops accepting and closes every connection still waiting for its head. Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit FrontDoor(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The whole answer the front door writes for a refused head: status line, Content-Type,
// Content-Length, Connection: close, `common_headers`, then `reason` as the body.
std::string RefusalResponse(int status, const std::string& reason,
                            const std::vector<std::pair<std::string, std::string>>& common_headers);

}  // namespace hearth::http
