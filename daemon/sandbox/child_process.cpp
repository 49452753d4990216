// SPDX-License-Identifier: Apache-2.0
#include "sandbox/child_process.h"

#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <utility>

namespace hearth::sandbox {
namespace {

// What the child reports over the close-on-exec pipe when it cannot reach execve. Steps of
// ApplyInChild are reported as kStageApply + ApplyStep.
enum Stage : int32_t {
  kStageSetpgid = 1,
  kStageFds,
  kStageChdir,
  kStageCloseRange,
  kStageExec,
  kStageApply = 100
};

struct ChildFailure {
  int32_t stage = 0;
  int32_t error = 0;
};

// Everything the child needs, prepared by the parent: after fork the child only makes
// async-signal-safe system calls and never allocates.
struct ChildArgs {
  pid_t parent = 0;
  int parent_death_signal = 0;
  int stdin_fd = -1;
  int stdout_fd = -1;
  int stderr_fd = -1;
  int cwd_fd = -1;
  int report_fd = -1;
  const char* path = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const PreparedPolicy* policy = nullptr;
};

[[noreturn]] void ReportAndExit(int fd, int stage, int error) {
  ChildFailure failure{stage, error};
  ssize_t ignored = write(fd, &failure, sizeof failure);
  (void)ignored;
  _exit(127);
}

[[noreturn]] void RunChild(const ChildArgs& a) {
  if (a.parent_death_signal != 0) {
    prctl(PR_SET_PDEATHSIG, a.parent_death_signal);
    // The parent may have died between fork and prctl; then no signal would ever come.
    if (getppid() != a.parent) _exit(127);
  }
  if (setpgid(0, 0) != 0) ReportAndExit(a.report_fd, kStageSetpgid, errno);
  // The parent blocks signals for its signalfd and may ignore SIGPIPE; both would be inherited
  // across exec.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &default_action, nullptr);

  // Lift every fd we keep above 2 first, so that no dup2 below overwrites one of them.
  int report = fcntl(a.report_fd, F_DUPFD_CLOEXEC, 3);
  if (report < 0) _exit(127);
  int in = fcntl(a.stdin_fd, F_DUPFD_CLOEXEC, 3);
  int out = fcntl(a.stdout_fd, F_DUPFD_CLOEXEC, 3);
  int err = a.stderr_fd == a.stdout_fd ? out : fcntl(a.stderr_fd, F_DUPFD_CLOEXEC, 3);
  int cwd = fcntl(a.cwd_fd, F_DUPFD_CLOEXEC, 3);
  if (in < 0 || out < 0 || err < 0 || cwd < 0) ReportAndExit(report, kStageFds, errno);
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
    ReportAndExit(report, kStageFds, errno);
  }
  if (fchdir(cwd) != 0) ReportAndExit(report, kStageChdir, errno);
  // Whatever another thread opened without O_CLOEXEC stays out of the child too.
  if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    ReportAndExit(report, kStageCloseRange, errno);
  }
  int step = 0;
  int error = ApplyInChild(*a.policy, &step);
  if (error != 0) ReportAndExit(report, kStageApply + step, error);
  execve(a.path, a.argv, a.envp);
  ReportAndExit(report, kStageExec, errno);
}

Status DescribeFailure(const ChildFailure& failure, const std::string& path) {
  if (failure.stage >= kStageApply) {
    return Status::Unavailable(PosixError(std::string("the sandbox could not be applied: ") +
                                              ApplyStepName(failure.stage - kStageApply),
                                          failure.error)
                                   .message() +
                               "; the program was not run");
  }
  switch (failure.stage) {
    case kStageSetpgid:
      return PosixError("setpgid in the child", failure.error);
    case kStageFds:
      return PosixError("setting up the child's standard streams", failure.error);
    case kStageChdir:
      return PosixError("entering the working directory", failure.error);
    case kStageCloseRange:
      return PosixError("close_range in the child", failure.error);
    default:
      return PosixError("execve " + path, failure.error);
  }
}

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

Result<std::string> ResolveProgram(const std::string& name, const std::string& cwd) {
  if (name.empty()) return Status::InvalidArgument("the program name is empty");
  if (name.find('/') != std::string::npos) {
    std::string path = name.front() == '/' ? name : cwd + "/" + name;
    if (!IsExecutableFile(path)) {
      return Status::NotFound(path + " is not an executable file");
    }
    return path;
  }
  std::string_view dirs = kChildPath;
  while (!dirs.empty()) {
    size_t colon = dirs.find(':');
    std::string candidate = std::string(dirs.substr(0, colon)) + "/" + name;
    if (IsExecutableFile(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return Status::NotFound("command not found: " + name + " (looked in " + kChildPath + ")");
}

Result<std::vector<std::string>> BuildEnvironment(const ChildOptions& options) {
  std::vector<std::string> env = {std::string("PATH=") + kChildPath, "LANG=C.UTF-8"};
  if (!options.home.empty()) env.push_back("HOME=" + options.home);
  for (const std::string& entry : options.extra_env) {
    size_t equals = entry.find('=');
    if (equals == 0 || equals == std::string::npos || entry.find('\0') != std::string::npos) {
      return Status::InvalidArgument("environment entry \"" + entry + "\" is not NAME=value");
    }
    std::string_view name(entry.data(), equals + 1);
    auto same = std::find_if(env.begin(), env.end(),
                             [name](const std::string& e) { return e.starts_with(name); });
    if (same != env.end()) {
      *same = entry;
    } else {
      env.push_back(entry);
    }
  }
  return env;
}

Status MakePipe(UniqueFd* read_end, UniqueFd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return PosixError("pipe2", errno);
  read_end->Reset(fds[0]);
  write_end->Reset(fds[1]);
  return Status::Ok();
}

Status SetNonBlocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) return PosixError("fcntl", errno);
  return Status::Ok();
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

std::string ExitStatus::Describe() const {
  if (signal == 0) return "exited with status " + std::to_string(code);
  const char* name = strsignal(signal);
  return "killed by signal " + std::to_string(signal) +
         (name != nullptr ? std::string(" (") + name + ")" : std::string());
}

Result<std::unique_ptr<ChildProcess>> ChildProcess::Spawn(const ChildOptions& options,
                                                          const PreparedPolicy& policy) {
  if (options.argv.empty()) return Status::InvalidArgument("no program to run (argv is empty)");
  if (!policy.valid()) return Status::InvalidArgument("the sandbox policy is not prepared");
  if (options.cwd.empty() || options.cwd.front() != '/') {
    return Status::InvalidArgument("the working directory \"" + options.cwd +
                                   "\" is not an absolute path");
  }
  UniqueFd cwd(open(options.cwd.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cwd.valid()) return PosixError("working directory " + options.cwd, errno);
  Result<std::string> path = ResolveProgram(options.argv[0], options.cwd);
  if (!path.ok()) return path.status();
  Result<std::vector<std::string>> env_strings = BuildEnvironment(options);
  if (!env_strings.ok()) return env_strings.status();
  std::vector<std::string> argv_strings = options.argv;
  for (const std::string& arg : argv_strings) {
    if (arg.find('\0') != std::string::npos) {
      return Status::InvalidArgument("an argument contains a NUL byte");
    }
  }
  std::vector<char*> argv = Pointers(argv_strings);
  std::vector<char*> envp = Pointers(*env_strings);

  UniqueFd stdin_ours, stdin_theirs, stdout_ours, stdout_theirs, stderr_ours, stderr_theirs;
  Status status;
  if (options.stdin_mode == ChildOptions::Stdin::kPipe) {
    status = MakePipe(&stdin_theirs, &stdin_ours);
  } else {
    stdin_theirs.Reset(open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!stdin_theirs.valid()) status = PosixError("open /dev/null", errno);
  }
  if (status.ok()) status = MakePipe(&stdout_ours, &stdout_theirs);
  if (status.ok() && options.stderr_mode == ChildOptions::Stderr::kPipe) {
    status = MakePipe(&stderr_ours, &stderr_theirs);
  } else if (status.ok() && options.stderr_mode == ChildOptions::Stderr::kNull) {
    stderr_theirs.Reset(open("/dev/null", O_WRONLY | O_CLOEXEC));
    if (!stderr_theirs.valid()) status = PosixError("open /dev/null", errno);
  }
  UniqueFd report_ours, report_theirs;
  if (status.ok()) status = MakePipe(&report_ours, &report_theirs);
  if (!status.ok()) return status;

  ChildArgs args;
  args.parent = getpid();
  args.parent_death_signal = options.parent_death_signal;
  args.stdin_fd = stdin_theirs.get();
  args.stdout_fd = stdout_theirs.get();
  args.stderr_fd = options.stderr_mode == ChildOptions::Stderr::kIntoStdout ? stdout_theirs.get()
                                                                            : stderr_theirs.get();
  args.cwd_fd = cwd.get();
  args.report_fd = report_theirs.get();
  args.path = path->c_str();
  args.argv = argv.data();
  args.envp = envp.data();
  args.policy = &policy;

  pid_t pid = fork();
  if (pid < 0) return PosixError("fork", errno);
  if (pid == 0) RunChild(args);

  stdin_theirs.Reset();
  stdout_theirs.Reset();
  stderr_theirs.Reset();
  report_theirs.Reset();
  // The child is ours until we reap it, so its pid cannot be reused before pidfd_open.
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) {
    int error = errno;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return PosixError("pidfd_open", error);
  }
  std::unique_ptr<ChildProcess> child(new ChildProcess(pid, std::move(pidfd)));

  // EOF means execve succeeded (the pipe is close-on-exec); a record means it never got there.
  ChildFailure failure;
  ssize_t n;
  do {
    n = read(report_ours.get(), &failure, sizeof failure);
  } while (n < 0 && errno == EINTR);
  if (n != 0) {
    Result<ExitStatus> reaped = child->Wait();
    (void)reaped;
    if (n != static_cast<ssize_t>(sizeof failure)) {
      return Status::Internal("the child died before execve without saying why");
    }
    return DescribeFailure(failure, *path);
  }

  for (UniqueFd* fd : {&stdin_ours, &stdout_ours, &stderr_ours}) {
    if (fd->valid()) {
      status = SetNonBlocking(fd->get());
      if (!status.ok()) return status;
    }
  }
  child->stdin_ = std::move(stdin_ours);
  child->stdout_ = std::move(stdout_ours);
  child->stderr_ = std::move(stderr_ours);
  return child;
}

ChildProcess::~ChildProcess() {
  if (reaped_) return;
  kill(-pid_, SIGKILL);
  Result<ExitStatus> reaped = Reap(0);
  (void)reaped;
}

Status ChildProcess::SignalGroup(int sig) {
  if (reaped_) return Status::NotFound("the child has already been reaped");
  if (kill(-pid_, sig) != 0) return PosixError("kill process group " + std::to_string(pid_), errno);
  return Status::Ok();
}

Result<ExitStatus> ChildProcess::TryReap() { return Reap(WNOHANG); }
Result<ExitStatus> ChildProcess::Wait() { return Reap(0); }

Result<ExitStatus> ChildProcess::Reap(int options) {
  if (reaped_) return Status::NotFound("the child has already been reaped");
  siginfo_t info{};
  int result;
  do {
    result = waitid(P_PIDFD, static_cast<id_t>(pidfd_.get()), &info, WEXITED | options);
  } while (result != 0 && errno == EINTR);
  if (result != 0) return PosixError("waitid", errno);
  if (info.si_pid == 0) return Status::Busy("the child is still running");
  reaped_ = true;
  ExitStatus exit;
  if (info.si_code == CLD_EXITED) {
    exit.code = info.si_status;
  } else {
    exit.signal = info.si_status;
  }
  return exit;
}

Result<RunOutput> RunToCompletion(ChildProcess& child, const RunLimits& limits) {
  using Clock = std::chrono::steady_clock;
  if (child.reaped()) return Status::InvalidArgument("the child has already been reaped");
  child.CloseStdin();
  RunOutput output;
  size_t kept = 0;
  char buffer[16384];
  // Reads what is there; true at end of file (or an error, which ends the stream as well).
  auto drain = [&](int fd, std::string& into) {
    for (;;) {
      ssize_t n = read(fd, buffer, sizeof buffer);
      if (n > 0) {
        size_t take = std::min(static_cast<size_t>(n), limits.output_cap - kept);
        into.append(buffer, take);
        kept += take;
        output.dropped += static_cast<size_t>(n) - take;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      return !(n < 0 && errno == EAGAIN);
    }
  };

  const Clock::time_point deadline = Clock::now() + limits.timeout;
  Clock::time_point kill_at = Clock::time_point::max();  // SIGKILL due (after SIGTERM)
  Clock::time_point drain_until;                         // output still awaited after the exit
  bool stopping = false;
  bool exited = false;
  for (;;) {
    bool out_open = child.stdout_fd() >= 0;
    bool err_open = child.stderr_fd() >= 0;
    Clock::time_point now = Clock::now();
    if (exited && ((!out_open && !err_open) || now >= drain_until)) break;
    if (!exited && !stopping) {
      bool cancel = limits.cancel != nullptr && limits.cancel->load();
      if (cancel || now >= deadline) {
        (cancel ? output.cancelled : output.timed_out) = true;
        (void)child.SignalGroup(SIGTERM);
        stopping = true;
        kill_at = now + limits.grace;
      }
    }
    if (stopping && !exited && now >= kill_at) {
      (void)child.SignalGroup(SIGKILL);
      kill_at = Clock::time_point::max();  // now only its exit is awaited
    }

    Clock::time_point wake = exited ? drain_until : stopping ? kill_at : deadline;
    if (!exited && !stopping && limits.cancel != nullptr) wake = std::min(wake, now + kCancelPoll);
    int timeout_ms = -1;
    if (wake != Clock::time_point::max()) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(wake - now).count();
      timeout_ms = static_cast<int>(std::clamp<int64_t>(left, 0, INT_MAX));
    }
    pollfd fds[3];
    nfds_t count = 0;
    int out_index = -1, err_index = -1, pid_index = -1;
    if (out_open) {
      out_index = static_cast<int>(count);
      fds[count++] = {child.stdout_fd(), POLLIN, 0};
    }
    if (err_open) {
      err_index = static_cast<int>(count);
      fds[count++] = {child.stderr_fd(), POLLIN, 0};
    }
    if (!exited) {
      pid_index = static_cast<int>(count);
      fds[count++] = {child.pidfd(), POLLIN, 0};
    }
    int ready = poll(fds, count, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return PosixError("poll", errno);
    }
    if (out_index >= 0 && fds[out_index].revents != 0 && drain(child.stdout_fd(), output.out)) {
      child.CloseStdout();
    }
    if (err_index >= 0 && fds[err_index].revents != 0 && drain(child.stderr_fd(), output.err)) {
      child.CloseStderr();
    }
    if (pid_index >= 0 && fds[pid_index].revents != 0) {
      exited = true;
      // What it left running in its group holds the pipes open and must not outlive it.
      (void)child.SignalGroup(SIGKILL);
      drain_until = Clock::now() + limits.grace;
    }
  }
  child.CloseStdout();
  child.CloseStderr();
  Result<ExitStatus> exit = child.Wait();
  if (!exit.ok()) return exit.status();
  output.exit = *exit;
  return output;
}

}  // namespace hearth::sandbox
