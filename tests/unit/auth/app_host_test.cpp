// SPDX-License-Identifier: Apache-2.0
#include "auth/app_host.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "base/paths.h"

namespace hearth::auth {
namespace {

class AppHostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hearth-host-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    path_ = root_ + "/host";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
  std::string path_;
};

using TheAppHost = AppHostTest;

TEST_F(TheAppHost, IsMadeOnceAndKeptInAPrivateFile) {
  auto first = LoadOrCreateAppHost(path_);
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_TRUE(IsAppHostName(*first)) << *first;
  // 160 bits in hex, within one DNS label.
  EXPECT_EQ(first->size(), std::string("h-.localhost").size() + 40);
  struct stat st;
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = LoadOrCreateAppHost(path_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  // No temporary file is left behind.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(root_), {}), 1);
}

TEST_F(TheAppHost, DiffersBetweenUsers) {
  auto a = LoadOrCreateAppHost(path_);
  auto b = LoadOrCreateAppHost(root_ + "/other");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
}

TEST_F(TheAppHost, InAFileWithSomethingElseIsRefusedAndTheFileKept) {
  ASSERT_TRUE(WriteFileAtomic(path_, "evil.example\n").ok());
  auto loaded = LoadOrCreateAppHost(path_);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(loaded.status().message().find("delete the file"), std::string::npos);
  auto text = ReadSmallFile(path_);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "evil.example\n");
}

TEST_F(TheAppHost, InAMissingDirectoryIsAnError) {
  auto loaded = LoadOrCreateAppHost(root_ + "/missing/host");
  EXPECT_FALSE(loaded.ok());
}

TEST(IsAppHostName, AcceptsOnlyTheShapeHearthMakes) {
  EXPECT_TRUE(IsAppHostName("h-0123456789abcdef0123456789abcdef01234567.localhost"));
  EXPECT_TRUE(IsAppHostName("h-0123456789abcdef0123456789abcdef.localhost"));
  EXPECT_FALSE(IsAppHostName("h-0123456789abcdef.localhost"));  // too little entropy
  EXPECT_FALSE(IsAppHostName("h-0123456789ABCDEF0123456789abcdef01234567.localhost"));
  EXPECT_FALSE(IsAppHostName("h-0123456789abcdef0123456789abcdef01234567.localhost.evil"));
  EXPECT_FALSE(IsAppHostName("h-0123456789abcdef0123456789abcdef01234567.example"));
  EXPECT_FALSE(IsAppHostName(std::string("h-") + std::string(62, 'a') + ".localhost"));
  EXPECT_FALSE(IsAppHostName("127.0.0.1"));
  EXPECT_FALSE(IsAppHostName(""));
}

TEST(AppOrigin, NamesTheHostAndPort) {
  EXPECT_EQ(AppAuthority("h-00.localhost", 8080), "h-00.localhost:8080");
  EXPECT_EQ(AppOrigin("h-00.localhost", 8080), "http://h-00.localhost:8080");
}

}  // namespace
}  // namespace hearth::auth
