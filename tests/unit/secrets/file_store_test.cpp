// SPDX-License-Identifier: Apache-2.0
// The fallback secret store: a 0600 JSON file, written atomically, refused when unsafe.
#include "secrets/file_store.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <string>

#include "testing/files.h"
#include "testing/temp_dir.h"

namespace hearth::secrets {
namespace {

class FileSecretStoreTest : public ::testing::Test {
 protected:
  std::string dir() const { return tmp_.path() + "/config/hearth"; }
  std::string file() const { return dir() + "/secrets.json"; }
  FileSecretStore Make() const { return FileSecretStore(dir(), "~/.config/hearth"); }
  static mode_t Mode(const std::string& path) {
    struct stat st;
    EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
    return st.st_mode & 07777;
  }
  // Files in dir() besides secrets.json (a temporary file left behind would show here).
  std::vector<std::string> Others() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir())) {
      if (entry.path().filename() != "secrets.json") names.push_back(entry.path().filename());
    }
    return names;
  }

  unit::TempDir tmp_;
};

TEST_F(FileSecretStoreTest, ReadsNothingAndCreatesNothingUntilAValueIsSaved) {
  FileSecretStore store = Make();
  EXPECT_TRUE(store.Check().ok());
  auto value = store.Get("provider/x/api_key");
  ASSERT_TRUE(value.ok()) << value.status().message();
  EXPECT_FALSE(value->has_value());
  EXPECT_FALSE(std::filesystem::exists(dir()));
}

TEST_F(FileSecretStoreTest, KeepsValuesInA0600FileInA0700DirectoryThatAnotherStoreReads) {
  {
    FileSecretStore store = Make();
    ASSERT_TRUE(store.Put("provider/hosted/api_key", "sk-test-123").ok());
    ASSERT_TRUE(store.Put("mcp/gh/env/TOKEN", "ghp_456").ok());
  }
  EXPECT_EQ(Mode(file()), 0600u);
  EXPECT_EQ(Mode(dir()), 0700u);
  EXPECT_TRUE(Others().empty());
  FileSecretStore again = Make();
  auto value = again.Get("provider/hosted/api_key");
  ASSERT_TRUE(value.ok()) << value.status().message();
  EXPECT_EQ(value->value_or(""), "sk-test-123");
  EXPECT_EQ(again.Get("mcp/gh/env/TOKEN")->value_or(""), "ghp_456");
  EXPECT_EQ(again.Where(), "file ~/.config/hearth/secrets.json, 0600");
}

TEST_F(FileSecretStoreTest, RemoveForgetsTheValueInTheFile) {
  FileSecretStore store = Make();
  ASSERT_TRUE(store.Put("a", "first-secret").ok());
  ASSERT_TRUE(store.Put("b", "second-secret").ok());
  ASSERT_TRUE(store.Remove("a").ok());
  ASSERT_TRUE(store.Remove("never-saved").ok());
  std::string text = unit::ReadFile(file());
  EXPECT_EQ(text.find("first-secret"), std::string::npos);
  EXPECT_NE(text.find("second-secret"), std::string::npos);
  EXPECT_FALSE(Make().Get("a")->has_value());
}

TEST_F(FileSecretStoreTest, ReplacesTheFileByRenameSoAReaderNeverSeesHalfOfIt) {
  FileSecretStore store = Make();
  ASSERT_TRUE(store.Put("a", "one").ok());
  struct stat before;
  ASSERT_EQ(stat(file().c_str(), &before), 0);
  ASSERT_TRUE(store.Put("a", "two").ok());
  struct stat after;
  ASSERT_EQ(stat(file().c_str(), &after), 0);
  // A new inode: the old file was never opened for writing, only replaced whole.
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_TRUE(Others().empty());
}

TEST_F(FileSecretStoreTest, AFailedWriteKeepsTheOldFileAndTheOldValue) {
  FileSecretStore store = Make();
  ASSERT_TRUE(store.Put("a", "old").ok());
  std::string before = unit::ReadFile(file());
  // A full disk, as far as this process can tell: writes past 64 bytes fail with EFBIG.
  rlimit saved;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  sighandler_t previous = signal(SIGXFSZ, SIG_IGN);
  rlimit small = saved;
  small.rlim_cur = 64;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  Status failed = store.Put("a", std::string(200, 'n'));
  setrlimit(RLIMIT_FSIZE, &saved);
  signal(SIGXFSZ, previous);
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(store.Get("a")->value_or(""), "old");
  EXPECT_EQ(unit::ReadFile(file()), before);
  EXPECT_EQ(Make().Get("a")->value_or(""), "old");
  EXPECT_TRUE(Others().empty());  // the temporary file is gone
}

TEST_F(FileSecretStoreTest, RefusesAFileOthersCanReadAndSaysHowToFixIt) {
  FileSecretStore first = Make();
  ASSERT_TRUE(first.Put("a", "secret").ok());
  ASSERT_EQ(chmod(file().c_str(), 0644), 0);
  FileSecretStore store = Make();
  auto value = store.Get("a");
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.status().message().find("mode 0644"), std::string::npos);
  EXPECT_NE(value.status().message().find("chmod 600"), std::string::npos);
  EXPECT_FALSE(store.Put("b", "x").ok());
  EXPECT_FALSE(store.Check().ok());
  EXPECT_EQ(Mode(file()), 0644u);  // left as it was
}

TEST_F(FileSecretStoreTest, RefusesASymlinkAndNeverWritesThroughIt) {
  unit::WriteFile(tmp_.File("elsewhere.json"), R"({"version": 1, "secrets": {"a": "x"}})");
  std::filesystem::create_directories(dir());
  ASSERT_EQ(chmod(tmp_.File("elsewhere.json").c_str(), 0600), 0);
  std::filesystem::create_symlink(tmp_.File("elsewhere.json"), file());
  FileSecretStore store = Make();
  auto value = store.Get("a");
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.status().message().find("symbolic link"), std::string::npos);
  EXPECT_FALSE(store.Put("a", "replaced").ok());
  EXPECT_TRUE(std::filesystem::is_symlink(file()));
  EXPECT_EQ(unit::ReadFile(tmp_.File("elsewhere.json")),
            R"({"version": 1, "secrets": {"a": "x"}})");
}

TEST_F(FileSecretStoreTest, RefusesAFileItCannotParseAndLeavesItUntouched) {
  for (const char* bad :
       {"not json", "[]", R"({"version": 1})", R"({"version": 1, "secrets": {"a": 5}})"}) {
    SCOPED_TRACE(bad);
    unit::WriteFile(file(), bad);
    ASSERT_EQ(chmod(file().c_str(), 0600), 0);
    FileSecretStore store = Make();
    auto value = store.Get("a");
    ASSERT_FALSE(value.ok());
    EXPECT_NE(value.status().message().find("not a secrets file Hearth wrote"), std::string::npos);
    EXPECT_FALSE(store.Put("a", "new").ok());
    EXPECT_EQ(unit::ReadFile(file()), bad);
  }
}

TEST_F(FileSecretStoreTest, RefusesAFileFromANewerFormat) {
  unit::WriteFile(file(), R"({"version": 2, "secrets": {}})");
  ASSERT_EQ(chmod(file().c_str(), 0600), 0);
  auto value = Make().Get("a");
  ASSERT_FALSE(value.ok());
  EXPECT_NE(value.status().message().find("newer Hearth"), std::string::npos);
}

}  // namespace
}  // namespace hearth::secrets
