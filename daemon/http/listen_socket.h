// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>

#include "base/fd.h"
#include "base/status.h"

namespace hearth::http {

// The socket Hearth serves on: either passed by systemd (socket activation, LISTEN_FDS) or bound
// here to 127.0.0.1 with a port the kernel picks.
struct ListenSocket {
  UniqueFd fd;
  uint16_t port = 0;
  bool from_systemd = false;
};

// Takes the single socket systemd passed, after checking it is a listening TCP socket; with none
// passed, binds 127.0.0.1:0. Fails with a clear message when systemd passed something else.
Result<ListenSocket> AcquireListenSocket();

// Binds and listens on 127.0.0.1:0 (used directly by tests and benchmarks).
Result<ListenSocket> BindLoopback();

}  // namespace hearth::http
