// SPDX-License-Identifier: Apache-2.0
#include "control/client.h"

#include <sdbus-c++/sdbus-c++.h>

#include <exception>
#include <utility>

#include "control/bus_service.h"
#include "hearth1_proxy.h"

namespace hearth::control {
namespace {

constexpr const char* kInterface = org::hearth::Hearth1_proxy::INTERFACE_NAME;
constexpr std::string_view kOurErrors = "org.hearth.Hearth1.Error.";

// Errors the bus raises when the daemon cannot be reached, as opposed to errors the daemon
// returns. An unknown error is the daemon's.
Status FromBusError(const char* method, const sdbus::Error& e) {
  const std::string& name = e.getName();
  const std::string detail = name + ": " + e.getMessage();
  if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
      name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
    return Status::Unavailable(
        "Hearth's daemon is not running and the session bus does not know how to start it (" +
        detail +
        "). Is Hearth installed? Start it with `systemctl --user start hearth` or run `hearthd`.");
  }
  if (name.starts_with("org.freedesktop.DBus.Error.Spawn.")) {
    return Status::Unavailable("the session bus could not start Hearth's daemon (" + detail +
                               "). See `journalctl --user -u hearth` for why.");
  }
  if (name == "org.freedesktop.DBus.Error.NoReply" ||
      name == "org.freedesktop.DBus.Error.Timeout" ||
      name == "org.freedesktop.DBus.Error.TimedOut") {
    return Status::Unavailable("Hearth's daemon did not answer " + std::string(method) +
                               " in time (" + detail +
                               "). See `journalctl --user -u hearth`, then try again.");
  }
  if (name == "org.freedesktop.DBus.Error.Disconnected" ||
      name == "org.freedesktop.DBus.Error.NoServer" ||
      name == "org.freedesktop.DBus.Error.NoNetwork") {
    return Status::Unavailable("lost the session bus (" + detail + ")");
  }
  if (name.starts_with(kOurErrors)) {
    std::string_view kind = std::string_view(name).substr(kOurErrors.size());
    if (kind == "InvalidArgument") return Status::InvalidArgument(detail);
    if (kind == "NotFound") return Status::NotFound(detail);
    if (kind == "Busy") return Status::Busy(detail);
  }
  return Status::Internal(std::string(method) + " failed: " + detail);
}

}  // namespace

Result<std::unique_ptr<Client>> Client::Connect(std::chrono::milliseconds timeout) {
  std::unique_ptr<sdbus::IConnection> connection;
  try {
    connection = sdbus::createSessionBusConnection();
  } catch (const sdbus::Error& e) {
    return Status::Unavailable("cannot reach the session bus: " + e.getMessage() +
                               ". Is a desktop session running? (DBUS_SESSION_BUS_ADDRESS or "
                               "$XDG_RUNTIME_DIR/bus must lead to it.)");
  }
  return std::unique_ptr<Client>(new Client(std::move(connection), timeout));
}

Client::Client(std::unique_ptr<sdbus::IConnection> connection, std::chrono::milliseconds timeout)
    : connection_(std::move(connection)),
      // A proxy on a connection we own runs no event loop thread: calls are synchronous.
      proxy_(sdbus::createProxy(*connection_, kBusName, kObjectPath)),
      timeout_(timeout) {}

Client::~Client() = default;

template <typename F>
Status Client::Call(const char* method, F&& call) {
  try {
    call(proxy_->callMethod(method).onInterface(kInterface).withTimeout(timeout_));
    return Status::Ok();
  } catch (const sdbus::Error& e) {
    return FromBusError(method, e);
  } catch (const std::exception& e) {
    return Status::Internal(std::string("unexpected answer to ") + method +
                            " from Hearth's daemon: " + e.what());
  }
}

Result<std::map<std::string, sdbus::Variant>> Client::Supervise() {
  std::map<std::string, sdbus::Variant> status;
  Status s = Call("Supervise", [&](auto&& call) { call.storeResultsTo(status); });
  if (!s.ok()) return s;
  return status;
}

Result<uint32_t> Client::Restart() {
  uint32_t pid = 0;
  Status s = Call("Restart", [&](auto&& call) { call.storeResultsTo(pid); });
  if (!s.ok()) return s;
  return pid;
}

Status Client::Stop() {
  return Call("Stop", [](auto&& call) { call.storeResultsTo(); });
}

Result<IssuedToken> Client::IssueToken(uint32_t ttl_seconds) {
  IssuedToken issued;
  Status s = Call("IssueToken", [&](auto&& call) {
    call.withArguments(ttl_seconds).storeResultsTo(issued.token, issued.expires_unix_ms);
  });
  if (!s.ok()) return s;
  return issued;
}

Status Client::RevokeToken(const std::string& token) {
  return Call("RevokeToken", [&](auto&& call) { call.withArguments(token).storeResultsTo(); });
}

Result<uint32_t> Client::RevokeAllSessions() {
  uint32_t revoked = 0;
  Status s = Call("RevokeAllSessions", [&](auto&& call) { call.storeResultsTo(revoked); });
  if (!s.ok()) return s;
  return revoked;
}

Result<std::string> Client::LoginUrl() {
  std::string url;
  Status s = Call("LoginUrl", [&](auto&& call) { call.storeResultsTo(url); });
  if (!s.ok()) return s;
  return url;
}

}  // namespace hearth::control
