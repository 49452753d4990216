// SPDX-License-Identifier: Apache-2.0
// ChildProcess: a program started inside the sandbox (PreparedPolicy), in its own process group,
// with a minimal environment, pipes for its standard streams and a pidfd. Serves both one-shot
// commands (RunToCompletion) and long-lived servers that talk over stdin/stdout (MCP).
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/status.h"
#include "sandbox/landlock.h"

namespace hearth::sandbox {

// PATH inside the sandbox; also where Spawn looks up a program named without a slash.
inline constexpr char kChildPath[] = "/usr/local/bin:/usr/bin:/bin";

struct ChildOptions {
  // argv[0] is the program: a path (relative ones start at `cwd`) or a name looked up in
  // kChildPath by the parent, before fork. The child runs it with execve.
  std::vector<std::string> argv;
  // Absolute; a workspace root or beneath it (the caller checks). Opened by the parent.
  std::string cwd;
  // The environment is PATH=kChildPath, LANG=C.UTF-8, HOME=`home` (left out when empty), then
  // `extra_env` ("NAME=value"; a name given again replaces the earlier value). Nothing is
  // inherited from Hearth's own environment.
  std::string home;
  std::vector<std::string> extra_env;
  enum class Stdin { kNull, kPipe };
  Stdin stdin_mode = Stdin::kNull;
  enum class Stderr { kPipe, kIntoStdout, kNull };
  Stderr stderr_mode = Stderr::kPipe;
  // Sent to the child when the *thread* that spawned it exits (PR_SET_PDEATHSIG follows the
  // thread, not the process): spawn long-lived children from a long-lived thread. 0 for none.
  int parent_death_signal = SIGKILL;
};

// How a child ended.
struct ExitStatus {
  int code = 0;    // the exit status, when signal == 0
  int signal = 0;  // the signal that killed it, or 0
  bool success() const { return signal == 0 && code == 0; }
  // "exited with status 1", "killed by signal 9 (Killed)".
  std::string Describe() const;
};

// One sandboxed child. The child leads its own process group (pgid == pid) and cannot leave it
// (setsid and setpgid are refused inside the sandbox), so signalling the group reaches everything
// it started. All of the parent's fds are close-on-exec in the child except its stdin, stdout and
// stderr. Not thread-safe: one owner drives it.
class ChildProcess {
 public:
  // Starts argv under `policy` and returns once the child has reached execve. Errors: kNotFound
  // when the program or the working directory is not there, kInvalidArgument for an empty argv,
  // a relative cwd or a malformed environment entry, kUnavailable when the sandbox could not be
  // applied in the child (the program is then never run), kPermissionDenied when the sandbox
  // refuses to execute the program, kIoError for fork, pipe and other exec failures.
  static Result<std::unique_ptr<ChildProcess>> Spawn(const ChildOptions& options,
                                                     const PreparedPolicy& policy);

  // Kills the whole group (SIGKILL) if the child has not been reaped, then reaps it.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  pid_t pgid() const { return pid_; }
  // Readable once the child has exited (poll it; then TryReap).
  int pidfd() const { return pidfd_.get(); }
  // Parent ends of the pipes, non-blocking and close-on-exec; -1 when that stream is not a pipe
  // or was closed. Writing to stdin after the child died raises SIGPIPE unless it is ignored.
  int stdin_fd() const { return stdin_.get(); }
  int stdout_fd() const { return stdout_.get(); }
  int stderr_fd() const { return stderr_.get(); }
  void CloseStdin() { stdin_.Reset(); }
  void CloseStdout() { stdout_.Reset(); }
  void CloseStderr() { stderr_.Reset(); }

  // Sends `sig` to the whole process group. Only before reaping: the unreaped child keeps the
  // group's number from being reused.
  Status SignalGroup(int sig);
  // Reaps the child if it has exited; kBusy while it runs.
  Result<ExitStatus> TryReap();
  // Waits for the child to exit and reaps it.
  Result<ExitStatus> Wait();
  bool reaped() const { return reaped_; }

 private:
  ChildProcess(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
  Result<ExitStatus> Reap(int options);

  pid_t pid_;
  UniqueFd pidfd_;
  UniqueFd stdin_, stdout_, stderr_;
  bool reaped_ = false;
};

struct RunLimits {
  std::chrono::milliseconds timeout{30000};
  // Bytes of stdout and stderr kept, together; the rest is read and dropped (the head is kept).
  size_t output_cap = 64 * 1024;
  // Set by another thread to stop the run; checked every kCancelPoll.
  const std::atomic<bool>* cancel = nullptr;
  // Between SIGTERM and SIGKILL on timeout or cancel, and the most RunToCompletion waits for
  // output after the child exits.
  std::chrono::milliseconds grace{1000};
};

// How often RunToCompletion looks at RunLimits::cancel: an atomic flag cannot be polled.
inline constexpr std::chrono::milliseconds kCancelPoll{50};

struct RunOutput {
  std::string out;  // stdout (with stderr, for Stderr::kIntoStdout)
  std::string err;
  size_t dropped = 0;  // bytes read beyond the cap and thrown away
  bool timed_out = false;
  bool cancelled = false;
  ExitStatus exit;
  bool truncated() const { return dropped > 0; }
};

// Runs `child` to its end: closes its stdin, collects stdout and stderr up to the cap, and waits
// for it under the deadline. On timeout or cancel it sends SIGTERM to the group, then SIGKILL
// after the grace. When the child itself exits, whatever it left running in its group is killed
// (SIGKILL): a command's background jobs do not outlive it. Always reaps the child, so the
// ChildProcess is finished afterwards. Errors are the system's (poll, waitid): kIoError.
Result<RunOutput> RunToCompletion(ChildProcess& child, const RunLimits& limits);

}  // namespace hearth::sandbox
