// SPDX-License-Identifier: Apache-2.0
#include "tools/output_refusals.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth::tools {
namespace {

TEST(RefusalsInOutput, FindsThePathEachCommonProgramNames) {
  size_t more = 99;
  auto found = RefusalsInOutput(
      "cat: /home/u/.ssh/id_rsa: Permission denied\n"
      "ok line\n"
      "ls: cannot open directory '/root': Permission denied\n"
      "sh: 1: cannot create /etc/x: Permission denied\r\n"
      "PermissionError: [Errno 13] Permission denied: '/srv/data.txt'\n"
      "touch: cannot touch '/opt/y': Operation not permitted\n",
      8, &more);
  ASSERT_EQ(found.size(), 5u);
  EXPECT_EQ(found[0].target, "/home/u/.ssh/id_rsa");
  EXPECT_EQ(found[0].line, "cat: /home/u/.ssh/id_rsa: Permission denied");
  EXPECT_EQ(found[1].target, "/root");
  EXPECT_EQ(found[2].target, "/etc/x");
  EXPECT_EQ(found[2].line, "sh: 1: cannot create /etc/x: Permission denied");
  EXPECT_EQ(found[3].target, "/srv/data.txt");
  EXPECT_EQ(found[4].target, "/opt/y");
  EXPECT_EQ(more, 0u);
}

TEST(RefusalsInOutput, KeepsTheLineWhenItNamesNoPath) {
  auto found = RefusalsInOutput("socket: Permission denied at -e line 1.\n", 8, nullptr);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].target, "socket: Permission denied at -e line 1.");
}

TEST(RefusalsInOutput, ListsEachTargetOnceAndCountsWhatItLeavesOut) {
  std::string output;
  for (int i = 0; i < 5; ++i) output += "cat: /a: Permission denied\n";
  for (int i = 0; i < 5; ++i) output += "cat: /b" + std::to_string(i) + ": Permission denied\n";
  size_t more = 0;
  auto found = RefusalsInOutput(output, 3, &more);
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].target, "/a");
  EXPECT_EQ(found[1].target, "/b0");
  EXPECT_EQ(found[2].target, "/b1");
  EXPECT_EQ(more, 3u);
}

TEST(RefusalsInOutput, CutsLongLinesToValidUtf8AndIgnoresOtherOutput) {
  std::string line = "x: " + std::string(300, 'a') + "\xC3\xA9 Permission denied";
  auto found = RefusalsInOutput(line + "\nall good\n", 8, nullptr);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_LE(found[0].line.size(), 200u);
  EXPECT_TRUE(RefusalsInOutput("all good\nno refusal here\n", 8, nullptr).empty());
  EXPECT_TRUE(RefusalsInOutput("", 8, nullptr).empty());
}

}  // namespace
}  // namespace hearth::tools
