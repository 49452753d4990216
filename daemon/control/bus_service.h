// SPDX-License-Identifier: Apache-2.0
// BusService: org.hearth.Hearth1 at /org/hearth/Hearth1 on the session bus, the control plane
// over the Supervisor (see dbus/org.hearth.Hearth1.xml for the contract).
//
// sdbus-c++ 1.2 passes any exception other than sdbus::Error from a handler into C code, so every
// handler here catches everything and answers a named org.hearth.Hearth1.Error.* instead. No
// method takes a path or a command. Runs on the supervisor's event loop thread.
#pragma once

#include <sdbus-c++/sdbus-c++.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "auth/token_drop.h"
#include "base/clock.h"
#include "hearth1_adaptor.h"
#include "supervisor/supervisor.h"

namespace hearth::control {

inline constexpr const char* kBusName = "org.hearth.Hearth1";
inline constexpr const char* kObjectPath = "/org/hearth/Hearth1";

class BusService final
    : public sdbus::AdaptorInterfaces<org::hearth::Hearth1_adaptor, sdbus::Properties_adaptor> {
 public:
  BusService(sdbus::IConnection& connection, supervisor::Supervisor& supervisor,
             auth::TokenDrop& tokens, const Clock& clock, std::string app_host);
  ~BusService();

  // Called by the supervisor's observer: signals and PropertiesChanged.
  void StateChanged(supervisor::State state, const std::string& reason);
  void BackendExited(pid_t pid, int status, const std::string& reason);

 private:
  std::map<std::string, sdbus::Variant> Supervise() override;
  void Restart(sdbus::Result<uint32_t>&& result) override;
  void Stop(sdbus::Result<>&& result) override;
  std::tuple<std::string, uint64_t> IssueToken(const uint32_t& ttl_seconds) override;
  void RevokeToken(const std::string& token) override;
  void RevokeAllSessions(sdbus::Result<uint32_t>&& result) override;
  std::string LoginUrl() override;

  std::string State() override;
  uint16_t Port() override;
  uint32_t BackendPid() override;
  uint32_t Restarts() override;
  std::string Version() override;

  supervisor::Supervisor& supervisor_;
  auth::TokenDrop& tokens_;
  const Clock& clock_;
  std::string app_host_;  // the URLs handed out name it (auth/app_host.h)
};

// The D-Bus error for a failed Status: org.hearth.Hearth1.Error.{InvalidArgument, NotFound,
// Busy, Failed}, with the status's message.
sdbus::Error ToBusError(const Status& status);

}  // namespace hearth::control
