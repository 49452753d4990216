// SPDX-License-Identifier: Apache-2.0
#include "base/paths.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(LexicallyNormal, ResolvesDotsAndRepeatedSlashesWithoutTheFileSystem) {
  EXPECT_EQ(LexicallyNormal("/a/./b/../c//d"), "/a/c/d");
  EXPECT_EQ(LexicallyNormal("/a/b/"), "/a/b");
  EXPECT_EQ(LexicallyNormal("/"), "/");
  EXPECT_EQ(LexicallyNormal("/.."), "/");
  EXPECT_EQ(LexicallyNormal("/../../etc/passwd"), "/etc/passwd");
  EXPECT_EQ(LexicallyNormal("/home/me/.git/../.git/hooks"), "/home/me/.git/hooks");
  EXPECT_EQ(LexicallyNormal("/x/..."), "/x/...");  // three dots are a name
}

TEST(IsWithin, TakesWholeComponentsOnly) {
  EXPECT_TRUE(IsWithin("/home/me/p", "/home/me"));
  EXPECT_TRUE(IsWithin("/home/me", "/home/me"));
  EXPECT_FALSE(IsWithin("/home/meow", "/home/me"));
}

}  // namespace
}  // namespace hearth
