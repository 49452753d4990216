// SPDX-License-Identifier: Apache-2.0
#include "sandbox/landlock.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "testing/files.h"
#include "testing/temp_dir.h"

namespace hearth::sandbox {
namespace {

using unit::ReadFile;
using unit::WriteFile;

using Code = Status::Code;

// Runs `body` in a forked process confined by `policy`; returns its exit code, 200 when
// ApplyInChild failed, -1 when the process died otherwise. `body` returns 0 for success or a
// small number saying which expectation failed.
int RunConfined(const PreparedPolicy& policy, const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int step = 0;
    if (ApplyInChild(policy, &step) != 0) _exit(200);
    _exit(body());
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

// errno of opening `path` for reading (0 when it opens).
int OpenError(const std::string& path, int flags = O_RDONLY) {
  int fd = open(path.c_str(), flags | O_CLOEXEC, 0600);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

// A fake home with secrets in the usual places and a project:
//   <tmp>/home/{.ssh/id_rsa, .env, k.pem, notes.txt}
//   <tmp>/home/proj/{README.md, src/main.c, deep/a/b/c/d/file.txt}
//   <tmp>/outside/plain.txt
class ALandlockPolicy : public ::testing::Test {
 protected:
  void SetUp() override {
    if (LandlockAbi() == 0) GTEST_SKIP() << "Landlock is not available: " << LandlockSummary();
    for (const char* dir :
         {"home", "home/.ssh", "home/proj", "home/proj/src", "home/proj/deep", "home/proj/deep/a",
          "home/proj/deep/a/b", "home/proj/deep/a/b/c", "home/proj/deep/a/b/c/d", "outside"}) {
      ASSERT_EQ(mkdir(tmp_.File(dir).c_str(), 0700), 0) << dir;
    }
    WriteFile(Home(".ssh/id_rsa"), "SECRET-KEY\n");
    WriteFile(Home(".env"), "TOKEN=SECRET\n");
    WriteFile(Home("k.pem"), "SECRET-PEM\n");
    WriteFile(Home("notes.txt"), "notes\n");
    WriteFile(Home("proj/README.md"), "# Project\n");
    WriteFile(Home("proj/src/main.c"), "int main() {}\n");
    WriteFile(Home("proj/deep/a/b/c/d/file.txt"), "deep\n");
    WriteFile(tmp_.File("outside/plain.txt"), "outside\n");
    policy_.workspace_roots = {tmp_.File("home")};
  }

  std::string Home(const std::string& rel) const { return tmp_.File("home/" + rel); }

  PreparedPolicy Prepare() {
    Result<PreparedPolicy> prepared = PreparedPolicy::Prepare(policy_);
    EXPECT_TRUE(prepared.ok()) << prepared.status().ToString();
    return std::move(prepared).value();
  }

  unit::TempDir tmp_;
  SandboxPolicy policy_;
};

TEST(LandlockAbi, IsAvailableOnThisKernelAndSaysSo) {
  int abi = LandlockAbi();
  if (abi == 0) GTEST_SKIP() << LandlockSummary();
  EXPECT_GE(abi, 1);
  EXPECT_EQ(LandlockSummary(), "Landlock ABI " + std::to_string(abi) + ": enforced");
}

TEST_F(ALandlockPolicy, ReportsTheDeniedEntriesItLeftOut) {
  PreparedPolicy prepared = Prepare();
  const PolicyReport& report = prepared.report();
  EXPECT_EQ(report.abi, LandlockAbi());
  EXPECT_EQ(report.denied_count, 3u);
  std::vector<std::string> denied = report.denied;
  std::sort(denied.begin(), denied.end());
  ASSERT_EQ(denied.size(), 3u);
  EXPECT_TRUE(denied[0].ends_with("/home/.env")) << denied[0];
  EXPECT_TRUE(denied[1].ends_with("/home/.ssh")) << denied[1];
  EXPECT_TRUE(denied[2].ends_with("/home/k.pem")) << denied[2];
  EXPECT_EQ(report.unexamined_count, 0u);
  EXPECT_GT(report.rules, 0u);
}

TEST_F(ALandlockPolicy, LetsAConfinedProcessReadTheWorkspaceButNotItsSecrets) {
  PreparedPolicy prepared = Prepare();
  EXPECT_EQ(RunConfined(prepared,
                        [&] {
                          if (OpenError(Home("proj/README.md")) != 0) return 1;
                          if (OpenError(Home("proj/src/main.c")) != 0) return 2;
                          if (OpenError(Home("notes.txt")) != 0) return 3;
                          if (OpenError(Home(".ssh/id_rsa")) != EACCES) return 4;
                          if (OpenError(Home(".env")) != EACCES) return 5;
                          if (OpenError(Home("k.pem")) != EACCES) return 6;
                          if (OpenError(Home("proj/../.ssh/id_rsa")) != EACCES) return 7;
                          if (OpenError("/proc/self/root" + Home(".ssh/id_rsa")) != EACCES) {
                            return 8;
                          }
                          if (OpenError(tmp_.File("outside/plain.txt")) != EACCES) return 9;
                          if (OpenError("/etc/passwd") != 0) return 10;
                          if (OpenError("/dev/null", O_WRONLY) != 0) return 11;
                          return 0;
                        }),
            0);
}

TEST_F(ALandlockPolicy, LetsAConfinedProcessWriteInCleanFoldersOnly) {
  PreparedPolicy prepared = Prepare();
  EXPECT_EQ(
      RunConfined(prepared,
                  [&] {
                    if (OpenError(Home("proj/new.txt"), O_WRONLY | O_CREAT) != 0) return 1;
                    if (mkdir(Home("proj/newdir").c_str(), 0700) != 0) return 2;
                    if (unlink(Home("proj/src/main.c").c_str()) != 0) return 3;
                    // The home holds secrets: it can be listed but not changed.
                    DIR* dir = opendir(Home("").c_str());
                    if (dir == nullptr) return 4;
                    closedir(dir);
                    if (OpenError(Home("new.txt"), O_WRONLY | O_CREAT) != EACCES) return 5;
                    if (unlink(Home(".env").c_str()) == 0 || errno != EACCES) return 6;
                    if (rename(Home(".ssh").c_str(), Home("proj/ssh").c_str()) == 0) return 7;
                    if (OpenError(Home(".ssh/authorized_keys"), O_WRONLY | O_CREAT) != EACCES) {
                      return 8;
                    }
                    if (OpenError(tmp_.File("outside/new.txt"), O_WRONLY | O_CREAT) != EACCES) {
                      return 9;
                    }
                    return 0;
                  }),
      0);
  struct stat st {};
  EXPECT_EQ(stat(Home("proj/new.txt").c_str(), &st), 0);
  EXPECT_NE(stat(tmp_.File("outside/new.txt").c_str(), &st), 0);
  EXPECT_NE(stat(Home(".ssh/authorized_keys").c_str(), &st), 0);
}

TEST_F(ALandlockPolicy, RefusesToLinkOrMoveASecretIntoTheWorkspace) {
  PreparedPolicy prepared = Prepare();
  EXPECT_EQ(
      RunConfined(prepared,
                  [&] {
                    if (link(Home(".ssh/id_rsa").c_str(), Home("proj/hard").c_str()) == 0) {
                      return 1;
                    }
                    if (rename(Home("k.pem").c_str(), Home("proj/k.txt").c_str()) == 0) {
                      return 2;
                    }
                    if (symlink(Home(".ssh/id_rsa").c_str(), Home("proj/soft").c_str()) != 0) {
                      return 3;
                    }
                    if (OpenError(Home("proj/soft")) != EACCES) return 4;
                    return 0;
                  }),
      0);
}

// A repository in the project: .git is read-only to the confined process, whatever it tries.
TEST_F(ALandlockPolicy, LetsAConfinedProcessReadButNeverChangeWriteProtectedEntries) {
  for (const char* dir : {"home/proj/.git", "home/proj/.git/hooks", "home/proj/.git/objects",
                          "home/proj/lib", "home/proj/.vscode"}) {
    ASSERT_EQ(mkdir(tmp_.File(dir).c_str(), 0700), 0) << dir;
  }
  WriteFile(Home("proj/.git/config"), "[core]\n");
  WriteFile(Home("proj/.git/hooks/pre-push"), "#!/bin/sh\n");
  WriteFile(Home("proj/.vscode/tasks.json"), "{}\n");
  WriteFile(Home("proj/.vscode/extensions.json"), "{}\n");
  PreparedPolicy prepared = Prepare();
  // One rule each, read and execute only: .git whole, and the one protected file in .vscode.
  std::vector<std::string> read_only = prepared.report().read_only;
  std::sort(read_only.begin(), read_only.end());
  ASSERT_EQ(read_only.size(), 2u);
  EXPECT_TRUE(read_only[0].ends_with("/proj/.git")) << read_only[0];
  EXPECT_TRUE(read_only[1].ends_with("/proj/.vscode/tasks.json")) << read_only[1];
  EXPECT_EQ(RunConfined(
                prepared,
                [&] {
                  if (OpenError(Home("proj/.git/config")) != 0) return 1;
                  if (OpenError(Home("proj/.git/hooks/pre-push")) != 0) return 2;
                  if (OpenError(Home("proj/.git/config"), O_WRONLY | O_APPEND) != EACCES) return 3;
                  if (OpenError(Home("proj/.git/hooks/pre-commit"), O_WRONLY | O_CREAT) != EACCES) {
                    return 4;
                  }
                  if (OpenError(Home("proj/.git/hooks/pre-push"), O_WRONLY | O_TRUNC) != EACCES)
                    return 5;
                  if (unlink(Home("proj/.git/config").c_str()) == 0) return 6;
                  // Neither renamed away (to put another .git in its place) nor replaced by a
                  // folder made elsewhere.
                  if (rename(Home("proj/.git").c_str(), Home("proj/lib/old").c_str()) == 0)
                    return 7;
                  if (mkdir(Home("proj/lib/x").c_str(), 0700) != 0) return 8;
                  if (OpenError(Home("proj/lib/x/config"), O_WRONLY | O_CREAT) != 0) return 9;
                  if (rename(Home("proj/lib/x").c_str(), Home("proj/.git").c_str()) == 0) return 10;
                  if (rename(Home("proj/lib/x").c_str(), Home("proj/.git/modules").c_str()) == 0) {
                    return 11;
                  }
                  if (mkdir(Home("proj/.git/hooks2").c_str(), 0700) == 0) return 12;
                  if (OpenError(Home("proj/.vscode/tasks.json"), O_WRONLY) != EACCES) return 13;
                  // Beside them, the rest stays writable.
                  if (OpenError(Home("proj/.vscode/extensions.json"), O_WRONLY) != 0) return 14;
                  if (OpenError(Home("proj/lib/new.txt"), O_WRONLY | O_CREAT) != 0) return 15;
                  if (OpenError(Home("proj/src/main.c"), O_WRONLY | O_APPEND) != 0) return 16;
                  return 0;
                }),
            0);
  EXPECT_EQ(ReadFile(Home("proj/.git/config")), "[core]\n");
  struct stat st {};
  EXPECT_NE(stat(Home("proj/.git/hooks/pre-commit").c_str(), &st), 0);
}

TEST_F(ALandlockPolicy, LetsAConfinedProcessChangeAnUnlockedPath) {
  for (const char* dir : {"home/proj/.git", "home/proj/.git/hooks"}) {
    ASSERT_EQ(mkdir(tmp_.File(dir).c_str(), 0700), 0) << dir;
  }
  WriteFile(Home("proj/.git/config"), "[core]\n");
  WriteFile(Home("proj/.git/hooks/pre-commit"), "#!/bin/sh\n");
  ASSERT_TRUE(policy_.protected_list.Unlock(Home("proj/.git/hooks/pre-commit")).ok());
  PreparedPolicy prepared = Prepare();
  EXPECT_EQ(
      RunConfined(prepared,
                  [&] {
                    if (OpenError(Home("proj/.git/hooks/pre-commit"), O_WRONLY | O_TRUNC) != 0) {
                      return 1;
                    }
                    if (OpenError(Home("proj/.git/config"), O_WRONLY) != EACCES) return 2;
                    return 0;
                  }),
      0);
}

TEST_F(ALandlockPolicy, WorksWithEveryAbiUpToTheKernels) {
  for (int abi = 1; abi <= LandlockAbi(); ++abi) {
    Result<PreparedPolicy> prepared = PreparedPolicy::PrepareForAbi(policy_, abi);
    ASSERT_TRUE(prepared.ok()) << "ABI " << abi << ": " << prepared.status().ToString();
    EXPECT_EQ(prepared->report().tcp_restricted, abi >= 4);
    EXPECT_EQ(prepared->report().scoped, abi >= 6);
    EXPECT_EQ(RunConfined(*prepared,
                          [&] {
                            if (OpenError(Home("proj/README.md")) != 0) return 1;
                            if (OpenError(Home(".ssh/id_rsa")) != EACCES) return 2;
                            if (OpenError(Home("proj/x"), O_WRONLY | O_CREAT | O_TRUNC) != 0) {
                              return 3;
                            }
                            return 0;
                          }),
              0)
        << "ABI " << abi;
  }
  EXPECT_EQ(PreparedPolicy::PrepareForAbi(policy_, LandlockAbi() + 1).status().code(),
            Code::kInvalidArgument);
}

TEST_F(ALandlockPolicy, FailsClosedWhenTheWalkIsTooDeep) {
  policy_.walk_max_depth = 4;  // home/proj/deep/a is depth 3; its child b is not listed
  PreparedPolicy prepared = Prepare();
  EXPECT_EQ(prepared.report().unexamined_count, 1u);
  ASSERT_EQ(prepared.report().unexamined.size(), 1u);
  EXPECT_TRUE(prepared.report().unexamined[0].ends_with("/proj/deep/a/b"));
  EXPECT_EQ(RunConfined(prepared,
                        [&] {
                          if (OpenError(Home("proj/README.md")) != 0) return 1;
                          if (OpenError(Home("proj/deep/a/b/c/d/file.txt")) != EACCES) return 2;
                          if (OpenError(Home(".ssh/id_rsa")) != EACCES) return 3;
                          return 0;
                        }),
            0);
}

TEST_F(ALandlockPolicy, FailsClosedWhenTheEntryBudgetIsSpent) {
  policy_.walk_max_entries = 6;
  PreparedPolicy prepared = Prepare();
  EXPECT_GT(prepared.report().unexamined_count, 0u);
  EXPECT_LE(prepared.report().entries_walked, 6u);
  EXPECT_EQ(RunConfined(prepared,
                        [&] {
                          if (OpenError(Home("notes.txt")) != 0) return 1;
                          if (OpenError(Home("proj/deep/a/b/c/d/file.txt")) != EACCES) return 2;
                          if (OpenError(Home(".ssh/id_rsa")) != EACCES) return 3;
                          return 0;
                        }),
            0);
}

TEST_F(ALandlockPolicy, DeniesAbsoluteEntriesOfTheDenyList) {
  ASSERT_TRUE(policy_.deny_list.Add(Home("proj/src")).ok());
  PreparedPolicy prepared = Prepare();
  EXPECT_EQ(RunConfined(prepared,
                        [&] {
                          if (OpenError(Home("proj/README.md")) != 0) return 1;
                          if (OpenError(Home("proj/src/main.c")) != EACCES) return 2;
                          return 0;
                        }),
            0);
}

TEST_F(ALandlockPolicy, GrantsNothingForARootTheDenyListCovers) {
  policy_.workspace_roots = {Home(".ssh")};
  PreparedPolicy prepared = Prepare();
  EXPECT_EQ(prepared.report().denied_count, 1u);
  EXPECT_EQ(RunConfined(prepared, [&] { return OpenError(Home(".ssh/id_rsa")) == EACCES ? 0 : 1; }),
            0);
}

TEST_F(ALandlockPolicy, RefusesARootWithSecretsInsideAReadOnlyPath) {
  policy_.read_only_paths.push_back(tmp_.path());
  EXPECT_EQ(PreparedPolicy::Prepare(policy_).status().code(), Code::kInvalidArgument);
  // A root with nothing denied beneath it is fine there.
  policy_.workspace_roots = {Home("proj")};
  EXPECT_TRUE(PreparedPolicy::Prepare(policy_).ok());
}

TEST_F(ALandlockPolicy, RefusesADenyListEntryInsideAReadOnlyPath) {
  policy_.read_only_paths.push_back(tmp_.File("outside"));
  ASSERT_TRUE(policy_.deny_list.Add(tmp_.File("outside/plain.txt")).ok());
  EXPECT_EQ(PreparedPolicy::Prepare(policy_).status().code(), Code::kInvalidArgument);
}

TEST_F(ALandlockPolicy, RefusesRelativeAndMissingRoots) {
  policy_.workspace_roots = {"relative/dir"};
  EXPECT_EQ(PreparedPolicy::Prepare(policy_).status().code(), Code::kInvalidArgument);
  policy_.workspace_roots = {tmp_.File("missing")};
  EXPECT_EQ(PreparedPolicy::Prepare(policy_).status().code(), Code::kNotFound);
}

TEST_F(ALandlockPolicy, SetsNoNewPrivs) {
  PreparedPolicy prepared = Prepare();
  EXPECT_EQ(
      RunConfined(prepared, [] { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1; }), 0);
}

TEST_F(ALandlockPolicy, RefusesSocketsThatCouldReachOtherProgramsWithoutNetwork) {
  PreparedPolicy prepared = Prepare();
  EXPECT_EQ(RunConfined(prepared,
                        [] {
                          if (socket(AF_INET, SOCK_STREAM, 0) >= 0 || errno != EACCES) return 1;
                          if (socket(AF_INET6, SOCK_DGRAM, 0) >= 0 || errno != EACCES) return 2;
                          if (socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0) >= 0) return 3;
                          if (socket(AF_NETLINK, SOCK_RAW, 0) >= 0) return 4;
                          int pair[2];
                          if (socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) == 0) return 5;
                          if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
                            return 6;
                          }
                          if (syscall(SYS_io_uring_setup, 1, nullptr) >= 0 || errno != ENOSYS) {
                            return 7;
                          }
                          return 0;
                        }),
            0);
}

TEST_F(ALandlockPolicy, KeepsTheProcessInItsGroup) {
  PreparedPolicy prepared = Prepare();
  EXPECT_EQ(RunConfined(prepared,
                        [] {
                          if (setsid() >= 0 || errno != EPERM) return 1;
                          if (setpgid(0, 0) == 0 || errno != EPERM) return 2;
                          return 0;
                        }),
            0);
}

// A TCP listener on 127.0.0.1 in the test process.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), size), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &size), 0);
    address_ = addr;
  }
  ~Listener() { close(fd_); }
  const sockaddr_in& address() const { return address_; }

 private:
  int fd_ = -1;
  sockaddr_in address_{};
};

TEST_F(ALandlockPolicy, RefusesTcpConnectEvenOnASocketMadeBeforehand) {
  if (LandlockAbi() < 4) GTEST_SKIP() << "TCP rules need Landlock ABI 4";
  Listener listener;
  PreparedPolicy prepared = Prepare();
  int early = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(early, 0);
  EXPECT_EQ(RunConfined(prepared,
                        [&] {
                          const sockaddr_in& addr = listener.address();
                          int result =
                              connect(early, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
                          return result != 0 && errno == EACCES ? 0 : 1;
                        }),
            0);
  close(early);
}

TEST_F(ALandlockPolicy, AllowsTcpWhenTheNetworkIsAllowed) {
  Listener listener;
  policy_.allow_network = true;
  PreparedPolicy prepared = Prepare();
  EXPECT_FALSE(prepared.report().tcp_restricted);
  EXPECT_EQ(
      RunConfined(prepared,
                  [&] {
                    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
                    if (fd < 0) return 1;
                    const sockaddr_in& addr = listener.address();
                    if (connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
                      return 2;
                    }
                    if (socket(AF_UNIX, SOCK_STREAM, 0) >= 0) return 3;
                    return 0;
                  }),
      0);
}

TEST_F(ALandlockPolicy, KeepsSignalsInsideTheSandbox) {
  if (LandlockAbi() < 6) GTEST_SKIP() << "signal scoping needs Landlock ABI 6";
  PreparedPolicy prepared = Prepare();
  EXPECT_EQ(RunConfined(prepared,
                        [] {
                          if (kill(getppid(), 0) == 0 || errno != EPERM) return 1;
                          if (kill(getpid(), 0) != 0) return 2;
                          return 0;
                        }),
            0);
}

TEST_F(ALandlockPolicy, FailsClosedWhenAppliedAfterBeingMovedFrom) {
  PreparedPolicy prepared = Prepare();
  PreparedPolicy taken = std::move(prepared);
  EXPECT_FALSE(prepared.valid());  // NOLINT(bugprone-use-after-move): what is tested
  EXPECT_EQ(RunConfined(prepared, [] { return 0; }), 200);
  EXPECT_EQ(RunConfined(taken, [] { return 0; }), 0);
}

}  // namespace
}  // namespace hearth::sandbox
