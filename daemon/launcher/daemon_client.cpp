#include "launcher/daemon_client.h"

#include <sdbus-c++/sdbus-c++.h>

#include <memory>

#include "hearth1_proxy.h"

namespace hearth::launcher {
namespace {

constexpr const char* kBusName = "org.hearth.Hearth1";
constexpr const char* kObjectPath = "/org/hearth/Hearth1";

// Errors the bus itself raises when the daemon cannot be reached, as opposed to errors the daemon
// returns.
Status Unreachable(const sdbus::Error& e) {
  const std::string& name = e.getName();
  std::string detail = name + ": " + e.getMessage();
  if (name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
      name == "org.freedesktop.DBus.Error.NameHasNoOwner") {
    return Status::NotFound(
        "Hearth's daemon is not running and the session bus does not know how to start it (" +
        detail +
        "). Is Hearth installed? Start it with `systemctl --user start hearth` or run `hearthd`.");
  }
  if (name.starts_with("org.freedesktop.DBus.Error.Spawn.")) {
    return Status::NotFound("the session bus could not start Hearth's daemon (" + detail +
                            "). See `journalctl --user -u hearth` for why.");
  }
  if (name == "org.freedesktop.DBus.Error.NoReply" ||
      name == "org.freedesktop.DBus.Error.Timeout" ||
      name == "org.freedesktop.DBus.Error.TimedOut") {
    return Status::NotFound("Hearth's daemon did not answer in time (" + detail +
                            "). See `journalctl --user -u hearth`, then try again.");
  }
  if (name == "org.freedesktop.DBus.Error.Disconnected" ||
      name == "org.freedesktop.DBus.Error.NoServer" ||
      name == "org.freedesktop.DBus.Error.NoNetwork") {
    return Status::NotFound("lost the session bus (" + detail + ")");
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> FetchLoginUrl(std::chrono::milliseconds timeout) {
  std::unique_ptr<sdbus::IConnection> connection;
  try {
    connection = sdbus::createSessionBusConnection();
  } catch (const sdbus::Error& e) {
    return Status::NotFound("cannot reach the session bus: " + e.getMessage() +
                            ". Is a desktop session running? (DBUS_SESSION_BUS_ADDRESS or "
                            "$XDG_RUNTIME_DIR/bus must lead to it.)");
  }
  try {
    // A proxy on a connection we own runs no event loop thread: the call below is synchronous.
    auto proxy = sdbus::createProxy(*connection, kBusName, kObjectPath);
    std::string url;
    proxy->callMethod("LoginUrl")
        .onInterface(org::hearth::Hearth1_proxy::INTERFACE_NAME)
        .withTimeout(timeout)
        .storeResultsTo(url);
    return url;
  } catch (const sdbus::Error& e) {
    if (Status s = Unreachable(e); !s.ok()) return s;
    return Status::Internal("Hearth's daemon refused to give a login link: " + e.getName() + ": " +
                            e.getMessage());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("unexpected answer from Hearth's daemon: ") + e.what());
  }
}

}  // namespace hearth::launcher
