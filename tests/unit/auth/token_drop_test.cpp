// SPDX-License-Identifier: Apache-2.0
#include "auth/token_drop.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>

#include "base/sha256.h"

namespace hearth::auth {
namespace {

class TokenDropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/hearth-drop-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

using ADroppedToken = TokenDropTest;

TEST_F(ADroppedToken, IsTakenExactlyOnce) {
  TokenDrop drop(root_ + "/tokens");
  std::string digest = Sha256Hex("token");
  ASSERT_TRUE(drop.Put(digest, 2000).ok());
  EXPECT_TRUE(*drop.Take(digest, 1000));
  EXPECT_FALSE(*drop.Take(digest, 1000));
}

TEST_F(ADroppedToken, IsRefusedOnceExpiredAndStillRemoved) {
  TokenDrop drop(root_ + "/tokens");
  std::string digest = Sha256Hex("token");
  ASSERT_TRUE(drop.Put(digest, 2000).ok());
  EXPECT_FALSE(*drop.Take(digest, 2000));
  EXPECT_FALSE(std::filesystem::exists(root_ + "/tokens/" + digest));
}

TEST_F(ADroppedToken, LivesInAPrivateDirectoryUnderItsDigestOnly) {
  TokenDrop drop(root_ + "/tokens");
  ASSERT_TRUE(drop.Put(Sha256Hex("secret-token"), 2000).ok());
  struct stat st;
  ASSERT_EQ(stat((root_ + "/tokens").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  for (const auto& entry : std::filesystem::directory_iterator(root_ + "/tokens")) {
    EXPECT_EQ(entry.path().filename(), Sha256Hex("secret-token"));
  }
}

TEST_F(ADroppedToken, RefusesNamesThatAreNotDigests) {
  TokenDrop drop(root_ + "/tokens");
  EXPECT_FALSE(drop.Put("../escape", 2000).ok());
  EXPECT_FALSE(*drop.Take("../../etc/passwd", 1));
}

TEST_F(ADroppedToken, IsSweptWhenExpired) {
  TokenDrop drop(root_ + "/tokens");
  ASSERT_TRUE(drop.Put(Sha256Hex("old"), 1000).ok());
  ASSERT_TRUE(drop.Put(Sha256Hex("new"), 5000).ok());
  EXPECT_EQ(*drop.SweepExpired(2000), 1);
  EXPECT_TRUE(*drop.Take(Sha256Hex("new"), 2000));
}

}  // namespace
}  // namespace hearth::auth
