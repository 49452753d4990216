// SPDX-License-Identifier: Apache-2.0
#include "tools/run_command.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "testing/files.h"
#include "testing/temp_dir.h"

namespace hearth::tools {
namespace {

using unit::ReadFile;
using unit::WriteFile;

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr milliseconds kBound{5000};

// Distinct bytes in each secret, so that a leak of any of them shows in the output.
constexpr char kKey[] = "KEY-9f3a1c-PRIVATE";
constexpr char kEnv[] = "ENV-77b2e0-TOKEN";
constexpr char kPem[] = "PEM-c41d08-CERT";

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// Whether a process of group `pgid` is still alive after waiting (on pidfds) under kBound.
bool GroupAlive(pid_t pgid) {
  const Steady::time_point deadline = Steady::now() + kBound;
  for (;;) {
    pid_t member = 0;
    DIR* proc = opendir("/proc");
    while (proc != nullptr && member == 0) {
      dirent* entry = readdir(proc);
      if (entry == nullptr) break;
      std::ifstream stat_file("/proc/" + std::string(entry->d_name) + "/stat");
      std::string line;
      if (!std::getline(stat_file, line) || line.rfind(')') == std::string::npos) continue;
      std::istringstream rest(line.substr(line.rfind(')') + 1));
      char state = 0;
      long ppid = 0, group = 0;
      rest >> state >> ppid >> group;
      if (group == pgid && state != 'Z' && state != 'X') member = atoi(entry->d_name);
    }
    if (proc != nullptr) closedir(proc);
    if (member == 0) return false;
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Steady::now()).count();
    if (left <= 0) return true;
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, member, 0));
    if (pidfd < 0) continue;
    pollfd fd{pidfd, POLLIN, 0};
    poll(&fd, 1, static_cast<int>(left));
    close(pidfd);
  }
}

// A fake home with secrets and a project; the home is the workspace root and the default cwd:
//   <tmp>/home/{.ssh/id_rsa, .env, k.pem}
//   <tmp>/home/proj/{notes.txt, src/main.c}
//   <tmp>/outside/   (not granted)   <tmp>/scratch/   (TMPDIR)
class RunCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sandbox::LandlockAbi() == 0) {
      GTEST_SKIP() << "Landlock is not available: " << sandbox::LandlockSummary();
    }
    for (const char* dir :
         {"home", "home/.ssh", "home/proj", "home/proj/src", "outside", "scratch"}) {
      ASSERT_EQ(mkdir(tmp_.File(dir).c_str(), 0700), 0) << dir;
    }
    WriteFile(Home(".ssh/id_rsa"), std::string(kKey) + "\n");
    WriteFile(Home(".env"), std::string(kEnv) + "\n");
    WriteFile(Home("k.pem"), std::string(kPem) + "\n");
    WriteFile(Home("proj/notes.txt"), "project notes\n");
    WriteFile(Home("proj/src/main.c"), "int main() { return 0; }\n");
    options_.policy.workspace_roots = {tmp_.File("home")};
    options_.policy.scratch_dir = tmp_.File("scratch");
    options_.home = tmp_.File("home");
  }

  std::string Home(const std::string& rel) const { return tmp_.File("home/" + rel); }

  ToolResult Call(const std::string& command, const std::string& cwd = "") {
    Json::Value arguments(Json::objectValue);
    arguments["command"] = command;
    if (!cwd.empty()) arguments["cwd"] = cwd;
    return CallWith(arguments);
  }

  ToolResult CallWith(const Json::Value& arguments) {
    if (!tool_) tool_ = MakeRunCommandTool(options_);
    ToolContext context;
    context.cancel = &cancel_;
    context.on_denial = [this](const Denial& denial) { denials_.push_back(denial); };
    context.on_audit_note = [this](const AuditNote& note) { notes_.push_back(note); };
    return tool_->Call(arguments, context);
  }

  static void ExpectNoSecret(const ToolResult& result, const std::string& command) {
    for (const char* secret : {kKey, kEnv, kPem}) {
      EXPECT_EQ(result.text.find(secret), std::string::npos) << "leaked by: " << command << "\n"
                                                             << result.text;
    }
  }

  unit::TempDir tmp_;
  RunCommandOptions options_;
  std::unique_ptr<Tool> tool_;
  std::atomic<bool> cancel_{false};
  std::vector<Denial> denials_;
  std::vector<AuditNote> notes_;
};

TEST_F(RunCommand, DescribesItselfAndNeedsApproval) {
  auto tool = MakeRunCommandTool(options_);
  EXPECT_EQ(tool->schema().name, "run_command");
  EXPECT_TRUE(tool->needs_approval());
  const Json::Value& parameters = tool->schema().parameters;
  EXPECT_EQ(parameters["required"][0].asString(), "command");
  EXPECT_EQ(parameters["properties"]["cwd"]["type"].asString(), "string");
  EXPECT_NE(tool->schema().description.find("30 s"), std::string::npos);
}

TEST_F(RunCommand, ReadsProjectFiles) {
  ToolResult result = Call("cat proj/notes.txt");
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text, "project notes\n[exited with status 0]\n");
}

TEST_F(RunCommand, NeverShowsASecretHoweverItIsReached) {
  const std::string home = tmp_.File("home");
  const std::vector<std::string> attacks = {
      "cat .ssh/id_rsa",
      "cat " + home + "/.ssh/id_rsa",
      "cat proj/../.ssh/id_rsa",
      "cat ~/.ssh/id_rsa",
      "cat .env k.pem",
      "ln -s " + home + "/.ssh/id_rsa proj/link; cat proj/link",
      "cp .ssh/id_rsa proj/copy; cat proj/copy",
      "ln .ssh/id_rsa proj/hard; cat proj/hard",
      "mv .ssh proj/ssh; cat proj/ssh/id_rsa",
      "find . -name id_rsa -exec cat {} \\;",
      "find . -type f -exec cat {} +",
      "cat /proc/self/root" + home + "/.ssh/id_rsa",
      "cd .ssh && cat id_rsa",
      "f=.ss; cat ${f}h/id_rsa",
      "tar cf - . 2>/dev/null | cat",
      "cat /proc/$PPID/environ /proc/$PPID/cwd/.ssh/id_rsa /proc/$PPID/root" + home +
          "/.ssh/id_rsa",
  };
  for (const std::string& command : attacks) {
    ToolResult result = Call(command);
    ExpectNoSecret(result, command);
  }
  EXPECT_FALSE(Exists(Home("proj/hard")));
  EXPECT_TRUE(Exists(Home(".ssh/id_rsa")));
  EXPECT_EQ(ReadFile(Home("proj/copy")).find(kKey), std::string::npos);
}

TEST_F(RunCommand, ReportsCommandLinesThatNameDeniedPaths) {
  ToolResult result = Call("cat proj/../.ssh/id_rsa ~/.env proj/notes.txt");
  ASSERT_EQ(denials_.size(), 2u);
  EXPECT_EQ(denials_[0].tool, "run_command");
  EXPECT_EQ(denials_[0].target, "proj/../.ssh/id_rsa");
  EXPECT_EQ(denials_[1].target, "~/.env");
  EXPECT_NE(result.text.find("project notes"), std::string::npos);
  EXPECT_NE(result.text.find("[note: proj/../.ssh/id_rsa is on Hearth's deny-list"),
            std::string::npos)
      << result.text;
  ExpectNoSecret(result, "cat proj/../.ssh/id_rsa ~/.env");

  denials_.clear();
  Call("ls -la proj && cat proj/src/main.c > /dev/null");
  EXPECT_TRUE(denials_.empty()) << denials_[0].target;
}

TEST_F(RunCommand, ReportsASymlinkThatLeadsToASecret) {
  ASSERT_EQ(symlink(Home(".ssh/id_rsa").c_str(), Home("proj/innocent").c_str()), 0);
  ToolResult result = Call("cat proj/innocent");
  ASSERT_EQ(denials_.size(), 1u);
  EXPECT_EQ(denials_[0].target, "proj/innocent");
  ExpectNoSecret(result, "cat proj/innocent");
  EXPECT_TRUE(result.is_error);
}

TEST_F(RunCommand, RecordsEveryRunWithHowItWasConfinedAndHowItEnded) {
  ToolResult result = Call("echo hi; exit 3");
  EXPECT_TRUE(result.is_error);
  ASSERT_EQ(notes_.size(), 1u);
  EXPECT_EQ(notes_[0].tool, "run_command");
  EXPECT_EQ(notes_[0].target, "echo hi; exit 3");
  const std::string& text = notes_[0].text;
  EXPECT_NE(text.find("ran confined by Landlock ABI " + std::to_string(sandbox::LandlockAbi())),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("workspace " + tmp_.File("home") + " read-write"), std::string::npos) << text;
  EXPECT_NE(text.find("entries on the deny-list kept closed"), std::string::npos) << text;
  EXPECT_NE(text.find("no network, no Unix sockets"), std::string::npos) << text;
  EXPECT_NE(text.find("exited with status 3; no refusal in its output"), std::string::npos) << text;
  EXPECT_TRUE(denials_.empty()) << "a run is not a refusal of the call";
}

TEST_F(RunCommand, RecordsTheRefusalsACommandMetOutsideTheWorkspaceAndAtASocket) {
  WriteFile(tmp_.File("outside/data.txt"), "outside\n");
  ToolResult result = Call("cat " + tmp_.File("outside/data.txt") +
                           "; perl -e 'socket(my $s, 2, 1, 0) or die \"socket: $!\\n\"'");
  EXPECT_EQ(result.text.find("outside\n"), std::string::npos) << result.text;
  ASSERT_EQ(notes_.size(), 3u) << result.text;
  EXPECT_EQ(notes_[0].target, tmp_.File("outside/data.txt"));
  EXPECT_NE(notes_[0].text.find("Permission denied"), std::string::npos) << notes_[0].text;
  EXPECT_EQ(notes_[1].target, "socket: Permission denied");
  EXPECT_NE(notes_[2].text.find("ran confined by"), std::string::npos);
  EXPECT_NE(notes_[2].text.find("2 refusal(s) in its output"), std::string::npos) << notes_[2].text;
}

TEST_F(RunCommand, WritesInsideTheProjectButNowhereElse) {
  ToolResult inside = Call("echo made > proj/out.txt && mkdir proj/d && echo ok");
  EXPECT_FALSE(inside.is_error) << inside.text;
  EXPECT_EQ(ReadFile(Home("proj/out.txt")), "made\n");

  const std::string outside = tmp_.File("outside/out.txt");
  ToolResult result = Call("echo x > " + outside);
  EXPECT_TRUE(result.is_error);
  EXPECT_FALSE(Exists(outside));
  // The home holds protected files: its existing clean files can be used, but nothing can be
  // created or removed beside the secrets.
  Call("echo x > new.txt; rm -f .env; echo y > .ssh/authorized_keys");
  EXPECT_FALSE(Exists(Home("new.txt")));
  EXPECT_TRUE(Exists(Home(".env")));
  EXPECT_FALSE(Exists(Home(".ssh/authorized_keys")));
}

TEST_F(RunCommand, UsesTheScratchDirectoryAsTmpdir) {
  ToolResult result = Call("echo scratch > \"$TMPDIR/f\" && cat \"$TMPDIR/f\"");
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(ReadFile(tmp_.File("scratch/f")), "scratch\n");
}

TEST_F(RunCommand, RunsInTheGivenFolder) {
  ToolResult relative = Call("pwd", "proj/src");
  EXPECT_EQ(relative.text, Home("proj/src") + "\n[exited with status 0]\n");
  ToolResult absolute = Call("pwd", Home("proj"));
  EXPECT_EQ(absolute.text, Home("proj") + "\n[exited with status 0]\n");
  EXPECT_TRUE(denials_.empty());
}

TEST_F(RunCommand, RefusesAFolderOutsideTheWorkspaceOrOnTheDenyList) {
  WriteFile(tmp_.File("outside/ran"), "");
  ASSERT_EQ(unlink(tmp_.File("outside/ran").c_str()), 0);
  ToolResult outside = Call("touch ran", tmp_.File("outside"));
  EXPECT_TRUE(outside.is_error);
  EXPECT_NE(outside.text.find("denied"), std::string::npos) << outside.text;
  EXPECT_FALSE(Exists(tmp_.File("outside/ran")));
  ToolResult escape = Call("touch ran", "proj/../../outside");
  EXPECT_TRUE(escape.is_error);
  ToolResult secret = Call("cat id_rsa", ".ssh");
  EXPECT_TRUE(secret.is_error);
  ExpectNoSecret(secret, "cat id_rsa in .ssh");
  ASSERT_EQ(denials_.size(), 3u);
  EXPECT_EQ(denials_[2].target, ".ssh");
}

TEST_F(RunCommand, RefusesToRunWithoutLandlock) {
  options_.landlock_abi = [] { return 0; };
  ToolResult result = Call("touch proj/ran");
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("Landlock"), std::string::npos) << result.text;
  EXPECT_FALSE(Exists(Home("proj/ran")));
}

TEST_F(RunCommand, GivesTheCommandAMinimalEnvironment) {
  ASSERT_EQ(setenv("HEARTH_RUN_COMMAND_MARKER", "marker-5e1f", 1), 0);
  // Hearth's own environment is out of reach through /proc as well (Landlock's ptrace scoping).
  ToolResult result = Call("env; cat /proc/$PPID/environ");
  unsetenv("HEARTH_RUN_COMMAND_MARKER");
  EXPECT_EQ(result.text.find("marker-5e1f"), std::string::npos) << result.text;
  EXPECT_NE(result.text.find("PATH=/usr/local/bin:/usr/bin:/bin\n"), std::string::npos);
  EXPECT_NE(result.text.find("HOME=" + tmp_.File("home") + "\n"), std::string::npos);
  EXPECT_NE(result.text.find("TMPDIR=" + tmp_.File("scratch") + "\n"), std::string::npos);
}

TEST_F(RunCommand, SaysHowTheCommandEnded) {
  ToolResult failed = Call("echo oops >&2; exit 3");
  EXPECT_TRUE(failed.is_error);
  EXPECT_EQ(failed.text, "oops\n[exited with status 3]\n");
  ToolResult killed = Call("kill -9 $$");
  EXPECT_TRUE(killed.is_error);
  EXPECT_EQ(killed.text.rfind("(no output)\n[killed by signal 9", 0), 0u) << killed.text;
}

TEST_F(RunCommand, KillsACommandThatOutlivesTheTimeoutWithItsChildren) {
  options_.timeout = milliseconds(300);
  Steady::time_point start = Steady::now();
  ToolResult result = Call("echo $$; sleep 100 & sleep 100");
  EXPECT_LT(Steady::now() - start, kBound);
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("[timed out after 0.3 s"), std::string::npos) << result.text;
  pid_t pgid = static_cast<pid_t>(std::stol(result.text));
  EXPECT_FALSE(GroupAlive(pgid));
}

TEST_F(RunCommand, CapsTheOutputAndSaysSo) {
  options_.output_cap = 1000;
  ToolResult result = Call("head -c 5000 /dev/zero | tr '\\0' a");
  EXPECT_EQ(result.text.rfind(std::string(1000, 'a') + "\n[output truncated", 0), 0u)
      << result.text.substr(0, 2000);
  EXPECT_NE(result.text.find("4000 more were dropped"), std::string::npos);
}

TEST_F(RunCommand, DoesNotCutACharacterInTwoAtTheCap) {
  options_.output_cap = 2;
  ToolResult result = Call("printf 'a\\303\\251b'");
  EXPECT_EQ(result.text.rfind("a\n[output truncated", 0), 0u) << result.text;
}

TEST_F(RunCommand, RunsNothingWhenCancelledBeforeItStarts) {
  cancel_ = true;
  ToolResult result = Call("touch proj/ran");
  EXPECT_TRUE(result.is_error);
  EXPECT_FALSE(Exists(Home("proj/ran")));
}

TEST_F(RunCommand, StopsPromptlyWhenCancelled) {
  std::thread stopper([this] {
    std::this_thread::sleep_for(milliseconds(150));  // stands in for the user pressing Stop
    cancel_ = true;
  });
  Steady::time_point start = Steady::now();
  ToolResult result = Call("sleep 100");
  stopper.join();
  EXPECT_LT(Steady::now() - start, milliseconds(2500));
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("[cancelled"), std::string::npos) << result.text;
}

TEST_F(RunCommand, MakesOutputValidUtf8) {
  ToolResult result = Call("printf 'ok \\377\\303 \\303\\251\\n'");
  EXPECT_EQ(result.text, "ok \xEF\xBF\xBD\xEF\xBF\xBD \xC3\xA9\n[exited with status 0]\n");
}

TEST_F(RunCommand, RefusesMalformedArguments) {
  EXPECT_TRUE(CallWith(Json::Value(Json::objectValue)).is_error);
  Json::Value not_string(Json::objectValue);
  not_string["command"] = 5;
  EXPECT_TRUE(CallWith(not_string).is_error);
  EXPECT_TRUE(Call("   ").is_error);
  Json::Value bad_cwd(Json::objectValue);
  bad_cwd["command"] = "true";
  bad_cwd["cwd"] = 7;
  EXPECT_TRUE(CallWith(bad_cwd).is_error);
}

// An approved command cannot plant a git hook: Landlock keeps .git read-only, and the call is
// reported (the audit log) and explained (the model, and the approval form beforehand).
TEST_F(RunCommand, CannotWriteAGitHookAndSaysSoBeforeAndAfter) {
  for (const char* dir : {"home/proj/.git", "home/proj/.git/hooks"}) {
    ASSERT_EQ(mkdir(tmp_.File(dir).c_str(), 0700), 0) << dir;
  }
  WriteFile(Home("proj/.git/config"), "[core]\n");
  const std::string command =
      "cat .git/config; printf '#!/bin/sh\\nevil\\n' > .git/hooks/pre-commit; "
      "printf '[core]\\nfsmonitor = evil\\n' >> .git/config; mv .git old-git; echo done";
  Json::Value arguments(Json::objectValue);
  arguments["command"] = command;
  arguments["cwd"] = "proj";
  auto tool = MakeRunCommandTool(options_);
  std::vector<std::string> notes = tool->ApprovalNotes(arguments);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find(".git/hooks/pre-commit"), std::string::npos) << notes[0];
  EXPECT_NE(notes[0].find("Write-protected paths"), std::string::npos) << notes[0];

  ToolResult result = CallWith(arguments);
  EXPECT_NE(result.text.find("[core]\n"), std::string::npos) << result.text;  // read: fine
  EXPECT_NE(result.text.find("Permission denied"), std::string::npos) << result.text;
  EXPECT_NE(result.text.find("[note: .git/hooks/pre-commit is write-protected"), std::string::npos)
      << result.text;
  EXPECT_FALSE(Exists(Home("proj/.git/hooks/pre-commit")));
  EXPECT_FALSE(Exists(Home("proj/old-git")));
  EXPECT_EQ(ReadFile(Home("proj/.git/config")), "[core]\n");
  std::vector<std::string> targets;
  for (const Denial& denial : denials_) targets.push_back(denial.target);
  EXPECT_NE(std::find(targets.begin(), targets.end(), ".git/hooks/pre-commit"), targets.end());
  EXPECT_NE(std::find(targets.begin(), targets.end(), ".git/config"), targets.end());
}

TEST_F(RunCommand, AsksNothingSpecialOfAnOrdinaryCommand) {
  Json::Value arguments(Json::objectValue);
  arguments["command"] = "make test > build.log";
  EXPECT_TRUE(MakeRunCommandTool(options_)->ApprovalNotes(arguments).empty());
}

}  // namespace
}  // namespace hearth::tools
