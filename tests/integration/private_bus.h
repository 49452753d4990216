// SPDX-License-Identifier: Apache-2.0
// PrivateBus: a dbus-daemon of the test's own, so tests never touch the user's session bus and
// can activate services from a directory they control.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "base/fd.h"

namespace hearth::testing {

// One `dbus-daemon --session`-like bus with its own configuration in a temporary directory: it
// listens on a unix socket there and activates the services described in service_dir().
//
// The constructor throws std::runtime_error when dbus-daemon cannot be started or does not print
// its address within the harness deadline. The destructor stops the daemon by its pid and kills
// its process group (dbus-daemon leads a group of its own), so whatever it activated dies with
// it; it never throws. Not thread-safe; not copyable.
class PrivateBus {
 public:
  // `env` is added to the test's environment (without any DBUS_* variable) for dbus-daemon and
  // for every service it activates.
  explicit PrivateBus(std::vector<std::string> env = {});
  ~PrivateBus();
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;

  // "unix:path=...,guid=...", for DBUS_SESSION_BUS_ADDRESS or sdbus-c++'s
  // createSessionBusConnectionWithAddress.
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }
  // Files named <bus name>.service here make <bus name> activatable (read at start, and again
  // on ReloadConfig).
  std::string service_dir() const { return dir_ + "/services"; }
  // Writes an activation file for `name` that runs `exec` (a command line).
  void AddService(const std::string& name, const std::string& exec) const;
  std::string Log() const;  // what dbus-daemon wrote on stderr

 private:
  void Stop();  // kills the group, reaps the daemon and removes the directory; idempotent

  std::string dir_;
  std::string address_;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
};

}  // namespace hearth::testing
