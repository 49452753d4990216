// SPDX-License-Identifier: Apache-2.0
#include "supervisor/backend_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "supervisor/control_channel.h"

extern char** environ;

namespace hearth::supervisor {
namespace {

constexpr int kListenFd = 3;

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

int PidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

// Writes `value` in decimal at `out` (async-signal-safe; for use between fork and exec).
void FormatPid(char* out, size_t size, pid_t value) {
  char digits[16];
  size_t n = 0;
  auto v = static_cast<unsigned long>(value);
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < sizeof digits);
  size_t i = 0;
  while (n > 0 && i + 1 < size) out[i++] = digits[--n];
  out[i] = '\0';
}

bool InheritedByBackend(std::string_view entry) {
  for (std::string_view name : {"LISTEN_FDS=", "LISTEN_PID=", "LISTEN_FDNAMES=", "NOTIFY_SOCKET=",
                                "WATCHDOG_USEC=", "WATCHDOG_PID="}) {
    if (entry.starts_with(name)) return false;
  }
  return true;
}

// Runs in the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void ExecBackend(pid_t parent, const SpawnOptions& options, int control,
                              char* const* argv, char* const* envp, char* listen_pid) {
  // Die with the supervisor, even if it is killed; and do not take the terminal's Ctrl-C.
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) _exit(127);
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  signal(SIGPIPE, SIG_DFL);

  // Move the fds above 4 first, so that no dup2 below overwrites another.
  int listen = fcntl(options.listen_fd, F_DUPFD, 10);
  int ctl = fcntl(control, F_DUPFD, 10);
  int executable =
      options.executable_fd < 0 ? -1 : fcntl(options.executable_fd, F_DUPFD_CLOEXEC, 10);
  if (listen < 0 || ctl < 0 || (options.executable_fd >= 0 && executable < 0)) _exit(127);
  if (dup2(listen, kListenFd) < 0 || dup2(ctl, kBackendControlFd) < 0) _exit(127);
  if (options.inherit_fd >= 0) {
    int flags = fcntl(options.inherit_fd, F_GETFD);
    if (flags >= 0) fcntl(options.inherit_fd, F_SETFD, flags & ~FD_CLOEXEC);
  }
  FormatPid(listen_pid, 16, getpid());
  if (executable >= 0) {
    fexecve(executable, argv, envp);
  } else {
    execve(options.executable.c_str(), argv, envp);
  }
  _exit(127);
}

}  // namespace

std::string DescribeExit(int status) {
  if (status >= 0) return "exited with status " + std::to_string(status);
  const char* name = strsignal(-status);
  return "killed by signal " + std::to_string(-status) +
         (name ? std::string(" (") + name + ")" : "");
}

Result<std::unique_ptr<BackendProcess>> BackendProcess::Spawn(const SpawnOptions& options) {
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return PosixError("socketpair", errno);
  }
  UniqueFd ours(pair[0]), theirs(pair[1]);

  // Everything the child needs is built before fork: it may only make async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (InheritedByBackend(*e)) env_strings.emplace_back(*e);
  }
  env_strings.emplace_back("LISTEN_FDS=1");
  env_strings.emplace_back("LISTEN_PID=" + std::string(16, '\0'));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  char* listen_pid = env_strings.back().data() + std::strlen("LISTEN_PID=");
  std::vector<std::string> argv_strings = options.argv;
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return PosixError("fork", errno);
  if (pid == 0) ExecBackend(parent, options, theirs.get(), argv.data(), envp.data(), listen_pid);

  // The child is ours until we reap it, so its pid cannot be reused before pidfd_open.
  UniqueFd pidfd(PidfdOpen(pid));
  if (!pidfd.valid()) {
    int err = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return PosixError("pidfd_open", err);
  }
  return std::unique_ptr<BackendProcess>(
      new BackendProcess(pid, std::move(pidfd), std::move(ours)));
}

BackendProcess::~BackendProcess() {
  if (reaped_) return;
  PidfdSendSignal(pidfd_.get(), SIGKILL);
  siginfo_t info{};
  waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED);
}

Status BackendProcess::Signal(int sig) {
  if (reaped_) return Status::NotFound("the backend has exited");
  if (PidfdSendSignal(pidfd_.get(), sig) != 0) return PosixError("pidfd_send_signal", errno);
  return Status::Ok();
}

Result<ExitInfo> BackendProcess::Reap() {
  siginfo_t info{};
  if (waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | WNOHANG) != 0) {
    if (errno != ECHILD) return PosixError("waitid", errno);
    // Someone else reaped it: it has exited, how is lost.
    reaped_ = true;
    return ExitInfo{-SIGKILL, "exited (its status was collected elsewhere)"};
  }
  if (info.si_pid == 0) return Status::Busy("the backend is still running");
  reaped_ = true;
  ExitInfo exit;
  exit.status = info.si_code == CLD_EXITED ? info.si_status : -info.si_status;
  exit.description = DescribeExit(exit.status);
  return exit;
}

}  // namespace hearth::supervisor
