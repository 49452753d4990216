// SPDX-License-Identifier: Apache-2.0
#include "tools/change_preview.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "testing/files.h"
#include "testing/temp_dir.h"

namespace hearth::tools {
namespace {

using sandbox::DenyList;
using sandbox::Workspace;
using unit::WriteFile;

// A home that is the workspace root, with a secret the deny-list guards.
class ChangePreviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* dir : {"home", "home/.ssh"}) {
      ASSERT_EQ(mkdir(tmp_.File(dir).c_str(), 0700), 0) << dir;
    }
    WriteFile(tmp_.File("home/.ssh/id_rsa"), "PRIVATE KEY\n");
    WriteFile(tmp_.File("home/notes.md"), "# Notes\n\n- one\n- two\n");
    Result<Workspace> workspace = Workspace::Open({tmp_.File("home")}, DenyList());
    ASSERT_TRUE(workspace.ok()) << workspace.status().ToString();
    workspace_ = std::make_unique<Workspace>(std::move(workspace).value());
  }

  unit::TempDir tmp_;
  std::unique_ptr<Workspace> workspace_;
};

using PreviewWriteOf = ChangePreviewTest;
using PreviewEditOf = ChangePreviewTest;

TEST_F(PreviewWriteOf, AnExistingFileIsADiffAgainstIt) {
  std::optional<ChangePreview> preview =
      PreviewWrite(*workspace_, "notes.md", "# Notes\n\n- one\n- 2\n", {});
  ASSERT_TRUE(preview);
  EXPECT_EQ(preview->summary, "Changes to the existing notes.md: 1 line added, 1 line removed.");
  EXPECT_EQ(preview->diff, "@@ -1,4 +1,4 @@\n # Notes\n \n - one\n-- two\n+- 2\n");
}

TEST_F(PreviewWriteOf, ANewFileOrADeniedOneIsNothing) {
  EXPECT_FALSE(PreviewWrite(*workspace_, "new.md", "hello\n", {}));
  EXPECT_FALSE(PreviewWrite(*workspace_, ".ssh/id_rsa", "replaced\n", {}))
      << "the deny-list applies to the read";
}

TEST_F(PreviewWriteOf, ALargeOrBinaryFileSaysWhyThereIsNoDiff) {
  WriteFile(tmp_.File("home/big.txt"), std::string(2000, 'a'));
  std::optional<ChangePreview> big =
      PreviewWrite(*workspace_, "big.txt", "small\n", {.file_bytes = 1000});
  ASSERT_TRUE(big);
  EXPECT_EQ(big->diff, "");
  EXPECT_EQ(big->summary,
            "This replaces big.txt, which has no diff shown: it is 2000 bytes, more than the "
            "1000 bytes a diff is made of.");

  WriteFile(tmp_.File("home/blob.bin"), std::string("a\0b", 3));
  std::optional<ChangePreview> blob = PreviewWrite(*workspace_, "blob.bin", "text\n", {});
  ASSERT_TRUE(blob);
  EXPECT_EQ(blob->diff, "");
  EXPECT_NE(blob->summary.find("binary file"), std::string::npos) << blob->summary;
}

TEST_F(PreviewWriteOf, ALongDiffSaysItIsCut) {
  std::string many;
  for (int i = 0; i < 50; ++i) many += std::to_string(i) + "\n";
  std::optional<ChangePreview> preview =
      PreviewWrite(*workspace_, "notes.md", many, {.diff = {.max_output_lines = 10}});
  ASSERT_TRUE(preview);
  EXPECT_NE(preview->summary.find("the diff is cut short here"), std::string::npos)
      << preview->summary;
}

TEST_F(PreviewEditOf, AFoundTextIsADiffOfTheWholeFile) {
  ChangePreview preview = PreviewEdit(*workspace_, "notes.md", "- two\n", "- three\n", false, {});
  EXPECT_EQ(preview.summary, "Changes to notes.md: 1 line added, 1 line removed.");
  EXPECT_EQ(preview.diff, "@@ -1,4 +1,4 @@\n # Notes\n \n - one\n-- two\n+- three\n");
}

TEST_F(PreviewEditOf, TextTheCallCannotPlaceIsOldAgainstNewWithTheReason) {
  ChangePreview twice = PreviewEdit(*workspace_, "notes.md", "- ", "* ", false, {});
  EXPECT_TRUE(
      twice.summary.starts_with("old_text against new_text (old_text occurs 2 times in "
                                "notes.md, so the call will fail)"))
      << twice.summary;
  ChangePreview all = PreviewEdit(*workspace_, "notes.md", "- ", "* ", true, {});
  EXPECT_EQ(all.summary, "Changes to notes.md: 2 lines added, 2 lines removed.");

  ChangePreview secret = PreviewEdit(*workspace_, ".ssh/id_rsa", "PRIVATE", "x", false, {});
  EXPECT_EQ(secret.diff,
            "@@ -1 +1 @@\n-PRIVATE\n\\ No newline at end of file\n+x\n"
            "\\ No newline at end of file\n")
      << "only the call's own texts, nothing of the file";
  EXPECT_TRUE(
      secret.summary.starts_with("old_text against new_text (.ssh/id_rsa could not be "
                                 "read"))
      << secret.summary;
}

}  // namespace
}  // namespace hearth::tools
