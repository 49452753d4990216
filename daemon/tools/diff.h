// SPDX-License-Identifier: Apache-2.0
// A line diff of two texts as unified-diff hunks, for the approval form of the tools that change
// files: what the user approves is shown as the change it makes. Bounded in work and in output,
// because both texts come from the model or from a file it chose.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hearth::tools {

struct DiffLimits {
  size_t context_lines = 3;  // unchanged lines shown around each change
  // Myers' D: how many lines may be added or removed between the common start and end before
  // the diff stops looking for lines in common and shows that whole region removed, then added.
  // Bounds the work to O((N + M) * max_edits) time and O(max_edits²) memory.
  size_t max_edits = 2000;
  size_t max_output_lines = 1000;
  size_t max_output_bytes = size_t{64} << 10;
};

struct LineDiff {
  // Hunks as `diff -u` writes them, without the ---/+++ file header: "@@ -a,b +c,d @@", then one
  // line per line of text starting with ' ' (unchanged), '-' (removed) or '+' (added), and
  // "\ No newline at end of file" after a last line that has none. Empty when the texts are equal.
  // The text is the input's bytes as they are: escape it before showing it.
  std::string text;
  size_t added = 0;    // lines added in the whole diff, shown or not
  size_t removed = 0;  // lines removed in the whole diff, shown or not
  bool cut = false;    // `text` stops before the end of the diff (max_output_lines or _bytes)
  bool rough = false;  // max_edits was reached: the changed region is not diffed line by line
};

// The change from `before` to `after`, line by line ('\n' ends a line). Never throws but
// std::bad_alloc; pure, thread-safe.
LineDiff DiffLines(std::string_view before, std::string_view after, const DiffLimits& limits = {});

}  // namespace hearth::tools
