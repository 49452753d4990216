// SPDX-License-Identifier: Apache-2.0
#include "sandbox/protected_list.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "testing/temp_dir.h"

namespace hearth::sandbox {
namespace {

constexpr char kRoot[] = "/home/me/proj";

std::string In(const std::string& rest) { return std::string(kRoot) + "/" + rest; }

TEST(AProtectedList, ProtectsWhatRunsOutsideTheSandboxAtAnyDepth) {
  ProtectedList list;
  for (const char* rest :
       {".git", ".git/hooks/pre-commit", ".git/config", ".git/modules/lib/hooks/post-checkout",
        "vendor/lib/.git/config", "sub/.git", ".bashrc", ".profile", ".zshrc", ".config/fish/x",
        ".config/autostart/evil.desktop", ".config/systemd/user/x.service", ".local/bin/ls",
        ".vscode/tasks.json", "app/.vscode/settings.json", ".envrc", "web/.envrc",
        ".pre-commit-config.yaml", ".gitconfig"}) {
    EXPECT_TRUE(list.Protects(In(rest), kRoot)) << rest;
  }
}

TEST(AProtectedList, LeavesOrdinaryFilesAndLookAlikesWritable) {
  ProtectedList list;
  for (const char* rest :
       {"README.md", ".gitignore", ".github/workflows/ci.yml", ".gitattributes", "src/git/config",
        ".vscode/extensions.json", "bin/tool", "bashrc", ".config/app.conf", "notes/.envrc.md"}) {
    EXPECT_FALSE(list.Protects(In(rest), kRoot)) << rest;
  }
}

TEST(AProtectedList, IgnoresCaseAndSeesThroughDotDot) {
  ProtectedList list;
  // Case-folding file systems open ".GIT/HOOKS" as ".git/hooks".
  EXPECT_TRUE(list.Protects(In(".GIT/hooks/pre-commit"), kRoot));
  EXPECT_TRUE(list.Protects(In(".BashRC"), kRoot));
  EXPECT_TRUE(list.Protects(In("src/../.git/config"), kRoot));
  EXPECT_TRUE(list.Protects(In(".git/../.git/hooks/x"), kRoot));
}

TEST(AProtectedList, JudgesOnlyBeneathTheRoot) {
  ProtectedList list;
  // A workspace that lives inside a folder called .local/bin is not protected whole...
  EXPECT_FALSE(list.Protects("/home/me/.local/bin/proj/tool.sh", "/home/me/.local/bin/proj"));
  // ...but the root's own name counts, as with the deny-list.
  EXPECT_TRUE(list.Protects("/home/me/.local/bin", "/home/me/.local/bin"));
}

TEST(AnUnlockedPath, IsWritableWithEverythingBeneathItAndNothingElse) {
  ProtectedList list;
  ASSERT_TRUE(list.Unlock(In(".git/hooks/pre-commit")).ok());
  ASSERT_TRUE(list.Unlock(In(".vscode//./tasks.json")).ok());
  EXPECT_FALSE(list.Protects(In(".git/hooks/pre-commit"), kRoot));
  EXPECT_FALSE(list.Protects(In(".vscode/tasks.json"), kRoot));
  EXPECT_TRUE(list.Protects(In(".git/hooks/post-checkout"), kRoot));
  EXPECT_TRUE(list.Protects(In(".git/hooks/pre-commit.d"), kRoot)) << "a name, not a prefix";
  EXPECT_TRUE(list.Protects(In(".git/config"), kRoot));
  EXPECT_TRUE(list.Protects("/home/other/.git/hooks/pre-commit", "/home/other"));
  // ".." is resolved before the unlocks are consulted: it cannot borrow an unlock.
  EXPECT_TRUE(list.Protects(In(".git/hooks/pre-commit/../../config"), kRoot));
  EXPECT_EQ(list.unlocked(),
            (std::vector<std::string>{In(".git/hooks/pre-commit"), In(".vscode/tasks.json")}));

  ASSERT_TRUE(list.Unlock(In(".git")).ok());
  EXPECT_FALSE(list.Protects(In(".git/config"), kRoot));
}

TEST(AnUnlockedPath, MustBeAnAbsoluteProtectedPath) {
  ProtectedList list;
  for (const std::string& bad :
       {std::string(".git/hooks"), std::string(""), std::string("/home/me"),
        std::string("/home/me/proj/src"), In(".git/../src"), std::string("/a\0b", 4),
        "/" + std::string(5000, 'x') + "/.git"}) {
    Status status = list.Unlock(bad);
    EXPECT_EQ(status.code(), Status::Code::kInvalidArgument) << bad;
    EXPECT_FALSE(status.message().empty());
  }
  EXPECT_TRUE(list.unlocked().empty());
  // The message says what to do instead.
  EXPECT_NE(list.Unlock("/home/me").message().find("not write-protected"), std::string::npos);
}

TEST(AnUnlockedPath, CoversTheRealPathOfASymlinkedHome) {
  unit::TempDir tmp;
  ASSERT_EQ(mkdir(tmp.File("real").c_str(), 0700), 0);
  ASSERT_EQ(mkdir(tmp.File("real/.git").c_str(), 0700), 0);
  ASSERT_EQ(symlink(tmp.File("real").c_str(), tmp.File("link").c_str()), 0);
  ProtectedList list;
  ASSERT_TRUE(list.Unlock(tmp.File("link/.git")).ok());
  std::string real = tmp.File("real");
  EXPECT_FALSE(list.Protects(tmp.File("link/.git/config"), tmp.File("link")));
  EXPECT_FALSE(list.Protects(tmp.File("real/.git/config"), real));
}

}  // namespace
}  // namespace hearth::sandbox
