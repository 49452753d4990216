// SPDX-License-Identifier: Apache-2.0
// What the two programs share: hearthd, the supervisor (main.cpp), and hearthd-backend, the
// backend it runs (backend.cpp). common.cpp has the definitions.
#pragma once

#include <cstdint>
#include <string>

#include "base/fd.h"
#include "base/status.h"

namespace hearth {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitNotRunning = 3;

struct Paths {
  std::string data_dir, runtime_dir, db, port_file, lock_file, token_dir;
  std::string host_file;  // Hearth's own host name (auth/app_host.h)
};

Result<Paths> ResolvePaths();

// The instance lock: held by the running daemon (and its backend) for their whole life.
Result<UniqueFd> TryLock(const std::string& path);

// Blocks SIGTERM, SIGINT and SIGHUP (before any thread starts, so every thread inherits the
// mask), ignores SIGPIPE, and returns a signalfd that reads the blocked ones.
Result<UniqueFd> TerminationSignals();

// http://APP_HOST:PORT/ and its login link: where the browser flow lives (auth/app_host.h).
std::string AppUrl(const std::string& app_host, uint16_t port);
std::string LoginUrl(const std::string& app_host, uint16_t port, const std::string& token);

}  // namespace hearth
