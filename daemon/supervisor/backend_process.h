// SPDX-License-Identifier: Apache-2.0
// BackendProcess: one run of the backend, a child started with the listening socket on fd 3 (the
// way systemd passes it: LISTEN_FDS=1, LISTEN_PID) and the control channel on fd 4, watched
// through a pidfd.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/status.h"

namespace hearth::supervisor {

// Exit status 78 (EX_CONFIG): the backend cannot start on this data or configuration (a corrupt
// or locked database, say), and starting it again would fail the same way.
inline constexpr int kExitCannotStart = 78;

struct SpawnOptions {
  std::string executable;         // run with execve, unless executable_fd is set
  int executable_fd = -1;         // an open file (O_PATH will do) to run with fexecve
  std::vector<std::string> argv;  // argv[0] included
  int listen_fd = -1;             // becomes fd 3
  int inherit_fd = -1;            // kept open in the child under its own number (-1: none)
};

struct ExitInfo {
  int status = 0;  // the exit code, or minus the signal that killed it
  std::string description;
  bool clean() const { return status == 0; }
};

class BackendProcess {
 public:
  static Result<std::unique_ptr<BackendProcess>> Spawn(const SpawnOptions& options);
  ~BackendProcess();  // kills and reaps the child if it is still there

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  int control_fd() const { return control_.get(); }

  Status Signal(int sig);
  // Reaps the child once its pidfd is readable. Returns kBusy if it has not exited yet.
  Result<ExitInfo> Reap();
  bool reaped() const { return reaped_; }

 private:
  BackendProcess(pid_t pid, UniqueFd pidfd, UniqueFd control)
      : pid_(pid), pidfd_(std::move(pidfd)), control_(std::move(control)) {}

  pid_t pid_;
  UniqueFd pidfd_;
  UniqueFd control_;
  bool reaped_ = false;
};

// "exited with status 1", "killed by signal 9 (Killed)".
std::string DescribeExit(int status);

}  // namespace hearth::supervisor
