// SPDX-License-Identifier: Apache-2.0
// Client: a caller's side of org.hearth.Hearth1, for hearthctl and the launcher.
//
// Each call is synchronous on a bus connection the Client owns (no event loop thread) and waits
// at most `timeout`; the first call may D-Bus-activate hearthd, which answers once its backend
// is ready. Not thread-safe: one Client per thread.
//
// Errors:
//   Unavailable:      the session bus or the daemon cannot be reached (no bus, the daemon is not
//                     installed for activation, it failed to start, or it did not answer in
//                     time); the message says what to check.
//   InvalidArgument, NotFound, Busy, Internal: the daemon answered with
//                     org.hearth.Hearth1.Error.{InvalidArgument, NotFound, Busy, other}; the
//                     message starts with the error's name.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "base/status.h"

namespace sdbus {
class IConnection;
class IProxy;
class Variant;
}  // namespace sdbus

namespace hearth::control {

// sd-bus's own default, and long enough for an activation that starts the backend.
inline constexpr std::chrono::seconds kDefaultCallTimeout{25};

struct IssuedToken {
  std::string token;
  uint64_t expires_unix_ms = 0;
};

class Client {
 public:
  // Connects to the session bus (DBUS_SESSION_BUS_ADDRESS, or $XDG_RUNTIME_DIR/bus).
  static Result<std::unique_ptr<Client>> Connect(
      std::chrono::milliseconds timeout = kDefaultCallTimeout);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Result<std::map<std::string, sdbus::Variant>> Supervise();
  Result<uint32_t> Restart();
  Status Stop();
  Result<IssuedToken> IssueToken(uint32_t ttl_seconds);
  Status RevokeToken(const std::string& token);
  Result<uint32_t> RevokeAllSessions();
  Result<std::string> LoginUrl();

 private:
  Client(std::unique_ptr<sdbus::IConnection> connection, std::chrono::milliseconds timeout);

  // Runs `call` (which makes one method call on proxy_), turning exceptions into a Status.
  template <typename F>
  Status Call(const char* method, F&& call);

  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<sdbus::IProxy> proxy_;
  std::chrono::milliseconds timeout_;
};

}  // namespace hearth::control
