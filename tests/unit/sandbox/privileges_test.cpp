// SPDX-License-Identifier: Apache-2.0
// What a confined command keeps of its parent's privileges: nothing, whether hearthd runs as root
// or as an ordinary user. Each scenario runs in a forked process (which may first become `nobody`
// and make itself non-dumpable, as the backend does) and reports by its exit code.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>

#include "sandbox/child_process.h"
#include "testing/temp_dir.h"

namespace hearth::sandbox {
namespace {

constexpr uid_t kNobody = 65534;
constexpr std::string_view kSecret = "HEARTH_TEST_API_KEY=sk-privileges-test";

// Exit codes of a scenario, so a failure says which check failed.
enum Outcome : int {
  kPassed = 0,
  kCannotDrop = 10,
  kCannotPrepare,
  kCannotRun,
  kHasCapabilities,
  kReadShadow,
  kReadParentEnviron,
};

// Runs `script` under /bin/sh -c in the sandbox with `work` as its workspace.
Result<RunOutput> RunConfined(const std::string& work, const std::string& script) {
  SandboxPolicy policy;
  policy.workspace_roots = {work};
  auto prepared = PreparedPolicy::Prepare(policy);
  if (!prepared.ok()) return prepared.status();
  ChildOptions options;
  options.cwd = work;
  options.home = work;
  options.argv = {"/bin/sh", "-c", script};
  auto child = ChildProcess::Spawn(options, *prepared);
  if (!child.ok()) return child.status();
  return RunToCompletion(**child, {});
}

// The Cap* lines of the confined process's own /proc/self/status must all be zero; the bounding
// set too when the parent could empty it (it had CAP_SETPCAP, as root has).
int CheckCapabilities(const std::string& work, bool expect_empty_bounding_set) {
  auto out = RunConfined(work, "grep '^Cap' /proc/self/status");
  if (!out.ok() || !out->exit.success()) return kCannotRun;
  std::istringstream lines(out->out);
  std::string name, value;
  int seen = 0;
  while (lines >> name >> value) {
    ++seen;
    if (name == "CapBnd:" && !expect_empty_bounding_set) continue;
    if (value.find_first_not_of('0') != std::string::npos) return kHasCapabilities;
  }
  return seen >= 5 ? kPassed : kCannotRun;
}

int CheckShadow(const std::string& work) {
  auto out = RunConfined(work, "cat /etc/shadow");
  if (!out.ok()) return kCannotRun;
  return out->exit.success() || out->out.find(':') != std::string::npos ? kReadShadow : kPassed;
}

// The backend holds keys in its environment and makes itself non-dumpable; its children must not
// read its /proc files.
int CheckParentEnviron(const std::string& work) {
  std::string pid = std::to_string(getpid());
  auto out = RunConfined(work, "cat /proc/" + pid + "/environ; cat /proc/$PPID/environ");
  if (!out.ok()) return kCannotRun;
  return out->out.find("sk-privileges-test") != std::string::npos ? kReadParentEnviron : kPassed;
}

// Forks; the child optionally becomes `nobody`, puts the secret in its environment, makes itself
// non-dumpable, and runs `check`. Returns the child's exit code.
int InChild(bool as_nobody, const std::string& work, const std::function<int()>& check) {
  pid_t pid = fork();
  if (pid == 0) {
    if (as_nobody && (setgroups(0, nullptr) != 0 || setresgid(kNobody, kNobody, kNobody) != 0 ||
                      setresuid(kNobody, kNobody, kNobody) != 0)) {
      _exit(kCannotDrop);
    }
    putenv(const_cast<char*>(kSecret.data()));
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    (void)work;
    _exit(check());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class AConfinedCommand : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    if (LandlockAbi() == 0) GTEST_SKIP() << "Landlock is not available: " << LandlockSummary();
    as_nobody_ = GetParam();
    if (as_nobody_ && geteuid() != 0) GTEST_SKIP() << "becoming nobody needs root";
    work_ = tmp_.File("work");
    ASSERT_EQ(mkdir(work_.c_str(), 0700), 0);
    if (as_nobody_) {
      ASSERT_EQ(chown(tmp_.path().c_str(), kNobody, kNobody), 0);
      ASSERT_EQ(chown(work_.c_str(), kNobody, kNobody), 0);
    }
  }

  bool root() const { return !as_nobody_ && geteuid() == 0; }

  unit::TempDir tmp_;
  std::string work_;
  bool as_nobody_ = false;
};

TEST_P(AConfinedCommand, KeepsNoCapability) {
  bool root = this->root();
  std::string work = work_;
  EXPECT_EQ(InChild(as_nobody_, work_, [&] { return CheckCapabilities(work, root); }), kPassed);
}

TEST_P(AConfinedCommand, CannotReadTheShadowFileEvenWhenHearthRunsAsRoot) {
  std::string work = work_;
  EXPECT_EQ(InChild(as_nobody_, work_, [&] { return CheckShadow(work); }), kPassed);
}

TEST_P(AConfinedCommand, CannotReadTheEnvironmentOfTheNonDumpableProcessThatStartedIt) {
  std::string work = work_;
  EXPECT_EQ(InChild(as_nobody_, work_, [&] { return CheckParentEnviron(work); }), kPassed);
}

INSTANTIATE_TEST_SUITE_P(WhenHearthRuns, AConfinedCommand, ::testing::Values(false, true),
                         [](const auto& info) {
                           return info.param ? std::string("AsAnOrdinaryUser")
                                             : std::string("AsItself");
                         });

}  // namespace
}  // namespace hearth::sandbox
