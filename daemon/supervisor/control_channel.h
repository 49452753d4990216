// SPDX-License-Identifier: Apache-2.0
// The channel between hearthd (the supervisor) and its backend: a SOCK_SEQPACKET socket pair,
// fd 4 in the backend. Each datagram is one message, "NAME" or "NAME=VALUE", text only.
//
// Backend to supervisor:  READY  STATUS=<why it is about to fail>  REVOKED=<count>  ERROR=<text>
//                         PONG=<n> (healthy)  UNHEALTHY=<n>:<why>
//                         DATABASE=<ok|unchecked|damaged>[: <what to do>]  (before READY)
// Supervisor to backend:  REVOKE_ALL_SESSIONS  PING=<n> (the health check: the backend answers
//                         after a GET /healthz to its own server over a private connection, so
//                         the check never waits in the public socket's queue)
// The backend shuts down when the supervisor's end closes.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::supervisor {

inline constexpr int kBackendControlFd = 4;
inline constexpr size_t kMaxControlMessage = 4096;

inline constexpr std::string_view kReady = "READY";
inline constexpr std::string_view kStatus = "STATUS";
inline constexpr std::string_view kRevokeAllSessions = "REVOKE_ALL_SESSIONS";
inline constexpr std::string_view kRevoked = "REVOKED";
inline constexpr std::string_view kError = "ERROR";
inline constexpr std::string_view kPing = "PING";
inline constexpr std::string_view kPong = "PONG";
inline constexpr std::string_view kUnhealthy = "UNHEALTHY";
inline constexpr std::string_view kDatabase = "DATABASE";

struct ControlMessage {
  std::string name;
  std::string value;
};

// Sends one message without blocking; longer values are cut to fit kMaxControlMessage.
Status SendControl(int fd, std::string_view name, std::string_view value = {});

// Reads one message. kBusy: nothing waiting; kNotFound: the other end closed.
Result<ControlMessage> ReadControl(int fd);

}  // namespace hearth::supervisor
