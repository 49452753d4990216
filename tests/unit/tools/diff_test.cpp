// SPDX-License-Identifier: Apache-2.0
#include "tools/diff.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth::tools {
namespace {

std::string Numbered(int from, int to) {
  std::string text;
  for (int i = from; i <= to; ++i) text += "line " + std::to_string(i) + "\n";
  return text;
}

TEST(DiffLines, EqualTextsHaveNoDiff) {
  LineDiff diff = DiffLines("a\nb\n", "a\nb\n");
  EXPECT_EQ(diff.text, "");
  EXPECT_EQ(diff.added, 0u);
  EXPECT_EQ(diff.removed, 0u);
  EXPECT_FALSE(diff.cut);
}

TEST(DiffLines, OneChangedLineIsShownWithItsContextAsDiffUWritesIt) {
  std::string before = Numbered(1, 10);
  std::string after = before;
  after.replace(after.find("line 5\n"), 7, "line five\n");
  LineDiff diff = DiffLines(before, after);
  EXPECT_EQ(diff.text,
            "@@ -2,7 +2,7 @@\n"
            " line 2\n line 3\n line 4\n"
            "-line 5\n"
            "+line five\n"
            " line 6\n line 7\n line 8\n");
  EXPECT_EQ(diff.added, 1u);
  EXPECT_EQ(diff.removed, 1u);
  EXPECT_FALSE(diff.rough);
}

TEST(DiffLines, DistantChangesMakeTwoHunksAndCloseOnesOne) {
  std::string before = Numbered(1, 20);
  std::string after = before;
  after.erase(after.find("line 2\n"), 7);
  after.insert(after.find("line 19\n"), "new\n");
  LineDiff diff = DiffLines(before, after);
  EXPECT_EQ(diff.text,
            "@@ -1,5 +1,4 @@\n line 1\n-line 2\n line 3\n line 4\n line 5\n"
            "@@ -16,5 +15,6 @@\n line 16\n line 17\n line 18\n+new\n line 19\n line 20\n");

  std::string close = Numbered(1, 10);
  close.erase(close.find("line 3\n"), 7);
  close.erase(close.find("line 8\n"), 7);
  EXPECT_EQ(DiffLines(Numbered(1, 10), close).text,
            "@@ -1,10 +1,8 @@\n line 1\n line 2\n-line 3\n line 4\n line 5\n line 6\n"
            " line 7\n-line 8\n line 9\n line 10\n");
}

TEST(DiffLines, FindsTheLinesInCommonInsideAChangedRegion) {
  LineDiff diff = DiffLines("a\nb\nc\nd\ne\n", "a\nx\nc\ny\ne\n", {.context_lines = 0});
  EXPECT_EQ(diff.text, "@@ -2 +2 @@\n-b\n+x\n@@ -4 +4 @@\n-d\n+y\n");
}

TEST(DiffLines, ANewFileAndAnEmptiedFileUseEmptyRanges) {
  EXPECT_EQ(DiffLines("", "one\ntwo\n").text, "@@ -0,0 +1,2 @@\n+one\n+two\n");
  EXPECT_EQ(DiffLines("one\n", "").text, "@@ -1 +0,0 @@\n-one\n");
}

TEST(DiffLines, ALastLineWithoutNewlineIsSaidSo) {
  LineDiff diff = DiffLines("a\nb\n", "a\nb");
  EXPECT_EQ(diff.text, "@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n");
}

TEST(DiffLines, OutputIsCutAtItsBoundsAndSaysSo) {
  LineDiff diff = DiffLines("", Numbered(1, 100), {.max_output_lines = 11});
  EXPECT_TRUE(diff.cut);
  EXPECT_EQ(
      diff.text, "@@ -0,0 +1,100 @@\n" + [] {
        std::string added;
        for (int i = 1; i <= 10; ++i) added += "+line " + std::to_string(i) + "\n";
        return added;
      }());
  EXPECT_EQ(diff.added, 100u) << "the counts are of the whole diff";

  LineDiff bytes = DiffLines("", std::string(1000, 'x') + "\n", {.max_output_bytes = 100});
  EXPECT_TRUE(bytes.cut);
  EXPECT_LE(bytes.text.size(), 100u);
}

TEST(DiffLines, TooManyEditsShowTheChangedRegionWholeInsteadOfSearchingOn) {
  // Every line differs: D = 20 > max_edits; the common first and last lines still frame it.
  std::string before = "same\n" + Numbered(1, 10) + "end\n";
  std::string after = "same\n" + Numbered(11, 20) + "end\n";
  LineDiff diff = DiffLines(before, after, {.context_lines = 1, .max_edits = 5});
  EXPECT_TRUE(diff.rough);
  EXPECT_EQ(diff.removed, 10u);
  EXPECT_EQ(diff.added, 10u);
  EXPECT_TRUE(diff.text.starts_with("@@ -1,12 +1,12 @@\n same\n-line 1\n")) << diff.text;
  EXPECT_TRUE(diff.text.ends_with("+line 20\n end\n")) << diff.text;

  LineDiff searched = DiffLines(before, after, {.context_lines = 1});
  EXPECT_FALSE(searched.rough);
  EXPECT_EQ(searched.removed, 10u);
  EXPECT_EQ(searched.added, 10u);
}

TEST(DiffLines, LargeInputsWithFewChangesStayExact) {
  std::string before = Numbered(1, 50000);
  std::string after = before;
  after.replace(after.find("line 25000\n"), 11, "changed\n");
  LineDiff diff = DiffLines(before, after, {.context_lines = 0});
  EXPECT_EQ(diff.text, "@@ -25000 +25000 @@\n-line 25000\n+changed\n");
}

}  // namespace
}  // namespace hearth::tools
