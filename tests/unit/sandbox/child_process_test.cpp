// SPDX-License-Identifier: Apache-2.0
#include "sandbox/child_process.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/temp_dir.h"

namespace hearth::sandbox {
namespace {

using Code = Status::Code;
using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

// Far enough that a child that is not stopped makes the test fail, not hang.
constexpr milliseconds kBound{5000};

// The processes in group `pgid` that have not exited (zombies have: only their reaping is left).
std::vector<pid_t> LiveMembers(pid_t pgid) {
  std::vector<pid_t> members;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return members;
  while (dirent* entry = readdir(proc)) {
    char* end = nullptr;
    long pid = strtol(entry->d_name, &end, 10);
    if (pid <= 0 || *end != '\0') continue;
    std::ifstream stat_file("/proc/" + std::string(entry->d_name) + "/stat");
    std::string line;
    if (!std::getline(stat_file, line)) continue;
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
    size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 1));
    char state = 0;
    long ppid = 0, group = 0;
    rest >> state >> ppid >> group;
    if (group == pgid && state != 'Z' && state != 'X') members.push_back(static_cast<pid_t>(pid));
  }
  closedir(proc);
  return members;
}

// Waits (on pidfds, under kBound) until no process of group `pgid` is alive; true if so.
bool GroupEnds(pid_t pgid) {
  const Steady::time_point deadline = Steady::now() + kBound;
  for (;;) {
    std::vector<pid_t> members = LiveMembers(pgid);
    if (members.empty()) return true;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Steady::now()).count();
    if (left <= 0) return false;
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, members[0], 0));
    if (pidfd < 0) continue;  // gone already
    pollfd fd{pidfd, POLLIN, 0};
    poll(&fd, 1, static_cast<int>(left));
    close(pidfd);
  }
}

class AChildProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    if (LandlockAbi() == 0) GTEST_SKIP() << "Landlock is not available: " << LandlockSummary();
    ASSERT_EQ(mkdir(tmp_.File("work").c_str(), 0700), 0);
    policy_.workspace_roots = {tmp_.File("work")};
    Result<PreparedPolicy> prepared = PreparedPolicy::Prepare(policy_);
    ASSERT_TRUE(prepared.ok()) << prepared.status().ToString();
    prepared_ = std::make_unique<PreparedPolicy>(std::move(prepared).value());
    options_.cwd = tmp_.File("work");
    options_.home = tmp_.File("work");
  }

  Result<std::unique_ptr<ChildProcess>> Spawn(std::vector<std::string> argv) {
    options_.argv = std::move(argv);
    return ChildProcess::Spawn(options_, *prepared_);
  }

  // Runs `script` with /bin/sh -c to completion under `limits`.
  RunOutput Run(const std::string& script, RunLimits limits = {}) {
    auto child = Spawn({"/bin/sh", "-c", script});
    EXPECT_TRUE(child.ok()) << child.status().ToString();
    if (!child.ok()) return {};
    last_pgid_ = (*child)->pgid();
    auto output = RunToCompletion(**child, limits);
    EXPECT_TRUE(output.ok()) << output.status().ToString();
    return output.ok() ? *output : RunOutput{};
  }

  unit::TempDir tmp_;
  SandboxPolicy policy_;
  std::unique_ptr<PreparedPolicy> prepared_;
  ChildOptions options_;
  pid_t last_pgid_ = 0;
};

TEST_F(AChildProcess, RunsAProgramFoundInPathAndCollectsItsOutput) {
  auto child = Spawn({"echo", "hello", "world"});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  auto output = RunToCompletion(**child, {});
  ASSERT_TRUE(output.ok());
  EXPECT_EQ(output->out, "hello world\n");
  EXPECT_TRUE(output->exit.success());
  EXPECT_EQ(output->exit.Describe(), "exited with status 0");
  EXPECT_TRUE((*child)->reaped());
}

TEST_F(AChildProcess, ReportsExitStatusAndSignal) {
  RunOutput three = Run("exit 3");
  EXPECT_EQ(three.exit.code, 3);
  EXPECT_EQ(three.exit.Describe(), "exited with status 3");
  RunOutput killed = Run("kill -9 $$");
  EXPECT_EQ(killed.exit.signal, SIGKILL);
  EXPECT_EQ(killed.exit.Describe().rfind("killed by signal 9", 0), 0u) << killed.exit.Describe();
}

TEST_F(AChildProcess, KeepsStderrApartOrMergesItAsAsked) {
  RunOutput apart = Run("echo out; echo err >&2");
  EXPECT_EQ(apart.out, "out\n");
  EXPECT_EQ(apart.err, "err\n");
  options_.stderr_mode = ChildOptions::Stderr::kIntoStdout;
  RunOutput merged = Run("echo out; echo err >&2");
  EXPECT_EQ(merged.out, "out\nerr\n");
  EXPECT_EQ(merged.err, "");
}

TEST_F(AChildProcess, GetsAMinimalEnvironmentAndNothingFromHearths) {
  ASSERT_EQ(setenv("HEARTH_TEST_MARKER", "leaked-marker-value", 1), 0);
  options_.extra_env = {"EXTRA=1", "LANG=en_GB.UTF-8"};
  RunOutput output = Run("env");
  unsetenv("HEARTH_TEST_MARKER");
  EXPECT_EQ(output.out.find("leaked-marker-value"), std::string::npos) << output.out;
  EXPECT_EQ(output.out.find("HEARTH_"), std::string::npos) << output.out;
  EXPECT_NE(output.out.find("PATH=/usr/local/bin:/usr/bin:/bin\n"), std::string::npos);
  EXPECT_NE(output.out.find("HOME=" + tmp_.File("work") + "\n"), std::string::npos);
  EXPECT_NE(output.out.find("LANG=en_GB.UTF-8\n"), std::string::npos) << output.out;
  EXPECT_EQ(output.out.find("LANG=C.UTF-8"), std::string::npos);
  EXPECT_NE(output.out.find("EXTRA=1\n"), std::string::npos);
}

TEST_F(AChildProcess, RefusesAMalformedEnvironmentEntry) {
  options_.extra_env = {"NO_EQUALS_SIGN"};
  EXPECT_EQ(Spawn({"true"}).status().code(), Code::kInvalidArgument);
}

TEST_F(AChildProcess, InheritsNoFdsButItsStandardStreams) {
  int leaky = open("/dev/null", O_RDONLY);  // deliberately without O_CLOEXEC
  ASSERT_GE(leaky, 0);
  RunOutput output = Run("ls /proc/self/fd");
  close(leaky);
  // ls itself holds the directory it lists as fd 3.
  EXPECT_EQ(output.out, "0\n1\n2\n3\n");
}

TEST_F(AChildProcess, RunsInTheGivenDirectoryInItsOwnProcessGroup) {
  RunOutput output = Run("pwd; ps -o pgid= -p $$ 2>/dev/null || cut -d' ' -f5 /proc/$$/stat");
  std::istringstream lines(output.out);
  std::string pwd, pgid;
  std::getline(lines, pwd);
  std::getline(lines, pgid);
  EXPECT_EQ(pwd, tmp_.File("work"));
  EXPECT_EQ(std::stol(pgid), last_pgid_);
}

TEST_F(AChildProcess, FailsCleanlyForAMissingProgramOrDirectory) {
  EXPECT_EQ(Spawn({"no-such-program-hearth"}).status().code(), Code::kNotFound);
  EXPECT_EQ(Spawn({"/no/such/program"}).status().code(), Code::kNotFound);
  EXPECT_EQ(Spawn({}).status().code(), Code::kInvalidArgument);
  options_.cwd = tmp_.File("missing");
  EXPECT_EQ(Spawn({"true"}).status().code(), Code::kNotFound);
  options_.cwd = "relative";
  EXPECT_EQ(Spawn({"true"}).status().code(), Code::kInvalidArgument);
}

TEST_F(AChildProcess, IsRefusedAProgramOutsideWhatThePolicyAllows) {
  // A copy of `true` in a folder the policy does not grant: exec is checked by Landlock.
  ASSERT_EQ(mkdir(tmp_.File("bin").c_str(), 0700), 0);
  {
    std::ifstream in("/bin/true", std::ios::binary);
    std::ofstream out(tmp_.File("bin/mytrue"), std::ios::binary);
    out << in.rdbuf();
  }
  ASSERT_EQ(chmod(tmp_.File("bin/mytrue").c_str(), 0700), 0);
  EXPECT_EQ(Spawn({tmp_.File("bin/mytrue")}).status().code(), Code::kPermissionDenied);
}

TEST_F(AChildProcess, IsKilledWithEverythingItStartedOnTimeout) {
  RunLimits limits;
  limits.timeout = milliseconds(300);
  limits.grace = milliseconds(200);
  Steady::time_point start = Steady::now();
  RunOutput output = Run("sleep 100 & sleep 100", limits);
  EXPECT_LT(Steady::now() - start, kBound);
  EXPECT_TRUE(output.timed_out);
  EXPECT_FALSE(output.cancelled);
  EXPECT_EQ(output.exit.signal, SIGTERM);
  EXPECT_TRUE(GroupEnds(last_pgid_))
      << "left in group " << last_pgid_ << ": " << LiveMembers(last_pgid_).size();
}

TEST_F(AChildProcess, IsKilledAfterTheGraceWhenItIgnoresSigterm) {
  RunLimits limits;
  limits.timeout = milliseconds(200);
  limits.grace = milliseconds(200);
  RunOutput output = Run("trap '' TERM; sleep 100", limits);
  EXPECT_TRUE(output.timed_out);
  EXPECT_EQ(output.exit.signal, SIGKILL);
  EXPECT_TRUE(GroupEnds(last_pgid_));
}

TEST_F(AChildProcess, DoesNotLeaveBackgroundJobsRunningAfterItExits) {
  Steady::time_point start = Steady::now();
  RunOutput output = Run("sleep 100 & echo started");
  EXPECT_LT(Steady::now() - start, kBound);
  EXPECT_EQ(output.out, "started\n");
  EXPECT_FALSE(output.timed_out);
  EXPECT_TRUE(output.exit.success());
  EXPECT_TRUE(GroupEnds(last_pgid_));
}

TEST_F(AChildProcess, KeepsTheHeadOfItsOutputUpToTheCap) {
  RunLimits limits;
  limits.output_cap = 1000;
  RunOutput output = Run("head -c 200000 /dev/zero | tr '\\0' a; echo tail >&2", limits);
  EXPECT_EQ(output.out, std::string(1000, 'a'));
  EXPECT_EQ(output.err, "");
  EXPECT_EQ(output.dropped, 200000u - 1000u + 5u);
  EXPECT_TRUE(output.truncated());
  EXPECT_TRUE(output.exit.success());
}

TEST_F(AChildProcess, StopsPromptlyWhenCancelled) {
  std::atomic<bool> cancel{false};
  RunLimits limits;
  limits.cancel = &cancel;
  limits.grace = milliseconds(200);
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(100));  // stands in for the user pressing Stop
    cancel = true;
  });
  Steady::time_point start = Steady::now();
  RunOutput output = Run("sleep 100 & sleep 100", limits);
  stopper.join();
  EXPECT_LT(Steady::now() - start, milliseconds(2000));
  EXPECT_TRUE(output.cancelled);
  EXPECT_FALSE(output.timed_out);
  EXPECT_TRUE(GroupEnds(last_pgid_));
}

TEST_F(AChildProcess, TalksOverStdinAndStdoutPipes) {
  options_.stdin_mode = ChildOptions::Stdin::kPipe;
  auto child = Spawn({"cat"});
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  ASSERT_GE((*child)->stdin_fd(), 0);
  ASSERT_EQ(write((*child)->stdin_fd(), "ping\n", 5), 5);
  // Read the echo back before closing stdin, the way a long-lived server is used.
  pollfd fd{(*child)->stdout_fd(), POLLIN, 0};
  ASSERT_EQ(poll(&fd, 1, static_cast<int>(kBound.count())), 1);
  char buffer[16];
  ASSERT_EQ(read((*child)->stdout_fd(), buffer, sizeof buffer), 5);
  EXPECT_EQ(std::string(buffer, 5), "ping\n");
  EXPECT_EQ((*child)->TryReap().status().code(), Code::kBusy);
  auto output = RunToCompletion(**child, {});  // closes stdin: cat ends
  ASSERT_TRUE(output.ok());
  EXPECT_TRUE(output->exit.success());
}

TEST_F(AChildProcess, KillsItsGroupWhenDestroyed) {
  pid_t pgid = 0;
  {
    auto child = Spawn({"/bin/sh", "-c", "sleep 100 & sleep 100"});
    ASSERT_TRUE(child.ok());
    pgid = (*child)->pgid();
  }
  EXPECT_TRUE(GroupEnds(pgid));
}

TEST_F(AChildProcess, DiesWithTheThreadThatStartedIt) {
  // A go-between process spawns the child and exits; PR_SET_PDEATHSIG must then kill the child.
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  pid_t between = fork();
  ASSERT_GE(between, 0);
  if (between == 0) {
    auto child = Spawn({"sleep", "100"});
    pid_t pid = child.ok() ? (*child)->pid() : -1;
    ssize_t written = write(pipe_fds[1], &pid, sizeof pid);
    (void)written;
    _exit(0);  // no destructors: the child must die of the parent's death alone
  }
  close(pipe_fds[1]);
  pid_t pid = -1;
  ASSERT_EQ(read(pipe_fds[0], &pid, sizeof pid), static_cast<ssize_t>(sizeof pid));
  close(pipe_fds[0]);
  ASSERT_GT(pid, 0);
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  waitpid(between, nullptr, 0);
  if (pidfd >= 0) {  // else it is gone already
    pollfd fd{pidfd, POLLIN, 0};
    EXPECT_EQ(poll(&fd, 1, static_cast<int>(kBound.count())), 1) << "the child outlived its parent";
    close(pidfd);
  }
}

}  // namespace
}  // namespace hearth::sandbox
