// SPDX-License-Identifier: Apache-2.0
// The workspace's write protection (ProtectedList): what the file tools may read but not write.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "sandbox/workspace.h"
#include "testing/files.h"
#include "testing/temp_dir.h"

namespace hearth::sandbox {
namespace {

using unit::ReadFile;
using unit::WriteFile;

using Code = Status::Code;

bool Exists(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0;
}

// A project with a git repository, an editor folder and a shell start-up file:
//   <tmp>/proj/{README.md, .bashrc, .vscode/tasks.json, .git/{config, HEAD, hooks/}}
//   <tmp>/proj/lib/  (a folder without a repository of its own)
class AProtectedWorkspace : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* dir : {"proj", "proj/.git", "proj/.git/hooks", "proj/.vscode", "proj/lib"}) {
      ASSERT_EQ(mkdir(tmp_.File(dir).c_str(), 0700), 0) << dir;
    }
    WriteFile(Proj("README.md"), "# Project\n");
    WriteFile(Proj(".bashrc"), "alias ll='ls -l'\n");
    WriteFile(Proj(".vscode/tasks.json"), "{}\n");
    WriteFile(Proj(".git/config"), "[core]\n");
    WriteFile(Proj(".git/HEAD"), "ref: refs/heads/main\n");
  }

  std::string Proj(const std::string& rest = "") const {
    return rest.empty() ? tmp_.File("proj") : tmp_.File("proj/" + rest);
  }
  Workspace Open(ProtectedList protect = ProtectedList()) {
    Result<Workspace> workspace = Workspace::Open({Proj()}, DenyList(), std::move(protect));
    EXPECT_TRUE(workspace.ok()) << workspace.status().ToString();
    return std::move(workspace).value();
  }
  // A write refused as write-protected, naming the path to unlock, with nothing left behind.
  static void ExpectProtected(const Status& status, const std::string& what) {
    EXPECT_EQ(status.code(), Code::kPermissionDenied) << what << ": " << status.ToString();
    EXPECT_NE(status.message().find("write-protected"), std::string::npos) << status.message();
    EXPECT_NE(status.message().find("Settings"), std::string::npos) << status.message();
  }

  unit::TempDir tmp_;
};

TEST_F(AProtectedWorkspace, RefusesToWriteAGitHookOrConfigHoweverThePathIsWritten) {
  Workspace workspace = Open();
  for (const std::string& path :
       {std::string(".git/hooks/pre-commit"), std::string(".git/config"),
        std::string("lib/../.git/config"), std::string(".//.git/hooks/./pre-commit"),
        std::string(".GIT/hooks/pre-commit"), Proj(".git/hooks/pre-commit"), std::string(".git"),
        std::string(".bashrc"), std::string(".vscode/tasks.json")}) {
    ExpectProtected(
        workspace.WriteFile(path, "#!/bin/sh\nevil\n", WriteMode::kCreateOrReplace).status(), path);
    ExpectProtected(workspace.OpenForWrite(path, true).status(), path);
    ExpectProtected(workspace.CheckWrite(path), path);
  }
  EXPECT_FALSE(Exists(Proj(".git/hooks/pre-commit")));
  EXPECT_FALSE(Exists(Proj(".GIT")));
  EXPECT_EQ(ReadFile(Proj(".git/config")), "[core]\n");
  EXPECT_EQ(ReadFile(Proj(".bashrc")), "alias ll='ls -l'\n");
  EXPECT_EQ(ReadFile(Proj(".vscode/tasks.json")), "{}\n");
  // The message names the absolute path the user would unlock.
  Status refused = workspace.CheckWrite(".git/hooks/pre-commit");
  EXPECT_NE(refused.message().find(Proj(".git/hooks/pre-commit")), std::string::npos)
      << refused.message();
}

TEST_F(AProtectedWorkspace, StillReadsWhatItProtects) {
  Workspace workspace = Open();
  EXPECT_TRUE(workspace.OpenForRead(".git/config").ok());
  EXPECT_TRUE(workspace.OpenForRead(".bashrc").ok());
  EXPECT_TRUE(workspace.OpenDirectory(".git/hooks").ok());
  EXPECT_TRUE(workspace.CheckWrite("README.md").ok());
  EXPECT_TRUE(workspace.WriteFile("README.md", "new\n", WriteMode::kReplace).ok());
}

TEST_F(AProtectedWorkspace, MakesNoFolderOnTheWayToAProtectedPath) {
  Workspace workspace = Open();
  // A nested repository that does not exist yet, and a hooks folder git has not made.
  for (const std::string& path :
       {std::string("lib/.git/hooks/pre-commit"), std::string("lib/.git/config"),
        std::string(".git/new/hook"), std::string("lib/.config/autostart/x.desktop")}) {
    ExpectProtected(workspace.MakeParents(path), path);
  }
  EXPECT_FALSE(Exists(Proj("lib/.git")));
  EXPECT_FALSE(Exists(Proj(".git/new")));
  EXPECT_FALSE(Exists(Proj("lib/.config")));
  EXPECT_TRUE(workspace.MakeParents("lib/a/b/file.txt").ok());
  EXPECT_TRUE(Exists(Proj("lib/a/b")));
}

TEST_F(AProtectedWorkspace, RefusesAWriteThroughASymlinkToAProtectedFolder) {
  ASSERT_EQ(symlink(".git", Proj("notes").c_str()), 0);
  ASSERT_EQ(symlink("../.git/hooks", Proj("lib/hooks").c_str()), 0);
  Workspace workspace = Open();
  for (const std::string& path :
       {std::string("notes/hooks/pre-commit"), std::string("notes/config"),
        std::string("lib/hooks/post-checkout"), Proj("notes/config")}) {
    ExpectProtected(workspace.WriteFile(path, "x", WriteMode::kCreateOrReplace).status(), path);
    ExpectProtected(workspace.CheckWrite(path), path);
  }
  EXPECT_FALSE(Exists(Proj(".git/hooks/pre-commit")));
  EXPECT_FALSE(Exists(Proj(".git/hooks/post-checkout")));
  EXPECT_EQ(ReadFile(Proj(".git/config")), "[core]\n");
}

// A hard link to .git/config elsewhere in the workspace is replaced by a write (the new content
// gets a new inode), so the config itself never changes.
TEST_F(AProtectedWorkspace, WritingAHardLinkToAProtectedFileLeavesTheFileAlone) {
  ASSERT_EQ(link(Proj(".git/config").c_str(), Proj("lib/config").c_str()), 0);
  Workspace workspace = Open();
  EXPECT_EQ(workspace.OpenForWrite("lib/config", false).status().code(), Code::kInvalidArgument);
  EXPECT_TRUE(
      workspace.WriteFile("lib/config", "[core]\nfsmonitor = evil\n", WriteMode::kReplace).ok());
  EXPECT_EQ(ReadFile(Proj(".git/config")), "[core]\n");
}

TEST_F(AProtectedWorkspace, WritesAPathTheUserUnlockedAndNothingBesideIt) {
  ProtectedList protect;
  ASSERT_TRUE(protect.Unlock(Proj(".git/hooks/pre-commit")).ok());
  Workspace workspace = Open(std::move(protect));
  EXPECT_TRUE(workspace.CheckWrite(".git/hooks/pre-commit").ok());
  Result<WriteOutcome> written = workspace.WriteFile(
      ".git/hooks/pre-commit", "#!/bin/sh\nmake test\n", WriteMode::kCreateOrReplace);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(ReadFile(Proj(".git/hooks/pre-commit")), "#!/bin/sh\nmake test\n");
  ExpectProtected(
      workspace.WriteFile(".git/hooks/post-checkout", "x", WriteMode::kCreateOrReplace).status(),
      "post-checkout");
  ExpectProtected(workspace.WriteFile(".git/config", "x", WriteMode::kReplace).status(), "config");
  // ".." cannot borrow the unlock: this is .git/config.
  ExpectProtected(workspace.CheckWrite(".git/hooks/pre-commit/../../config"), "..");
}

}  // namespace
}  // namespace hearth::sandbox
