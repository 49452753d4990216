// SPDX-License-Identifier: Apache-2.0
#include "tools/diff.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace hearth::tools {
namespace {

// Lines with their '\n', so that a last line without one differs from the same line with one.
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    end = end == std::string_view::npos ? text.size() : end + 1;
    lines.push_back(text.substr(start, end - start));
    start = end;
  }
  return lines;
}

enum class Kind : char { kSame = ' ', kRemoved = '-', kAdded = '+' };

struct Op {
  Kind kind;
  size_t old_line;  // index in `before` of this line (kSame, kRemoved) or of the next one
  size_t new_line;  // index in `after` of this line (kSame, kAdded) or of the next one
};

// Myers' greedy O((N + M) * D) shortest edit script between a[0, n) and b[0, m), appended to
// `ops` with indexes offset by `a0` and `b0`. False, with nothing appended, when it needs more
// than `max_edits` insertions and deletions.
bool Myers(const std::vector<int>& a, size_t a0, size_t n, const std::vector<int>& b, size_t b0,
           size_t m, size_t max_edits, std::vector<Op>* ops) {
  using Index = std::ptrdiff_t;
  const Index N = static_cast<Index>(n);
  const Index M = static_cast<Index>(m);
  const Index max_d = static_cast<Index>(std::min(max_edits, n + m));
  // trace[d][k + d]: the furthest x reached on diagonal k (x - y) with d edits.
  std::vector<std::vector<Index>> trace;
  Index found = -1;
  for (Index d = 0; d <= max_d && found < 0; ++d) {
    std::vector<Index> v(static_cast<size_t>(2 * d + 1));
    const std::vector<Index>* prev = d > 0 ? &trace.back() : nullptr;
    auto at = [&](Index k) { return (*prev)[static_cast<size_t>(k + d - 1)]; };
    for (Index k = -d; k <= d; k += 2) {
      Index x = 0;
      if (d == 0) {
        x = 0;
      } else if (k == -d || (k != d && at(k - 1) < at(k + 1))) {
        x = at(k + 1);  // a line of b added
      } else {
        x = at(k - 1) + 1;  // a line of a removed
      }
      Index y = x - k;
      while (x < N && y < M && a[static_cast<size_t>(x) + a0] == b[static_cast<size_t>(y) + b0]) {
        ++x, ++y;
      }
      v[static_cast<size_t>(k + d)] = x;
      if (x >= N && y >= M) found = d;
    }
    trace.push_back(std::move(v));
  }
  if (found < 0) return false;

  std::vector<Op> reversed;
  Index x = N;
  Index y = M;
  auto same = [&](Index to_x, Index to_y) {
    while (x > to_x && y > to_y) {
      --x, --y;
      reversed.push_back({Kind::kSame, static_cast<size_t>(x) + a0, static_cast<size_t>(y) + b0});
    }
  };
  for (Index d = found; d > 0; --d) {
    const std::vector<Index>& prev = trace[static_cast<size_t>(d - 1)];
    auto at = [&](Index k) { return prev[static_cast<size_t>(k + d - 1)]; };
    Index k = x - y;
    bool added = k == -d || (k != d && at(k - 1) < at(k + 1));
    Index prev_k = added ? k + 1 : k - 1;
    Index prev_x = at(prev_k);
    Index prev_y = prev_x - prev_k;
    if (added) {
      same(prev_x, prev_y + 1);
      reversed.push_back(
          {Kind::kAdded, static_cast<size_t>(prev_x) + a0, static_cast<size_t>(prev_y) + b0});
    } else {
      same(prev_x + 1, prev_y);
      reversed.push_back(
          {Kind::kRemoved, static_cast<size_t>(prev_x) + a0, static_cast<size_t>(prev_y) + b0});
    }
    x = prev_x;
    y = prev_y;
  }
  same(0, 0);
  ops->insert(ops->end(), reversed.rbegin(), reversed.rend());
  return true;
}

// Appends `line` with its mark, and the "no newline" note after a last line that has none.
// False when the output bounds leave no room for it.
class Writer {
 public:
  Writer(const DiffLimits& limits, LineDiff* out) : limits_(limits), out_(out) {}

  bool Line(char mark, std::string_view line) {
    bool ends = !line.empty() && line.back() == '\n';
    if (ends) line.remove_suffix(1);
    std::string text;
    text.reserve(line.size() + 2);
    text += mark;
    text += line;
    text += '\n';
    if (!ends) text += "\\ No newline at end of file\n";
    return Append(text, ends ? 1 : 2);
  }

  bool Append(std::string_view text, size_t lines) {
    if (out_->cut) return false;
    if (lines_ + lines > limits_.max_output_lines ||
        out_->text.size() + text.size() > limits_.max_output_bytes) {
      out_->cut = true;
      return false;
    }
    lines_ += lines;
    out_->text += text;
    return true;
  }

 private:
  const DiffLimits& limits_;
  LineDiff* out_;
  size_t lines_ = 0;
};

// "a,b" of a hunk header; diff -u writes the line before an empty range, and omits ",1".
std::string Range(size_t first, size_t count) {
  size_t start = count == 0 ? first : first + 1;
  if (count == 1) return std::to_string(start);
  return std::to_string(start) + "," + std::to_string(count);
}

}  // namespace

LineDiff DiffLines(std::string_view before, std::string_view after, const DiffLimits& limits) {
  LineDiff out;
  if (before == after) return out;
  std::vector<std::string_view> a = SplitLines(before);
  std::vector<std::string_view> b = SplitLines(after);

  // Lines as numbers, so that the search compares integers.
  std::unordered_map<std::string_view, int> ids;
  auto number = [&](const std::vector<std::string_view>& lines) {
    std::vector<int> numbered;
    numbered.reserve(lines.size());
    for (std::string_view line : lines) {
      numbered.push_back(ids.emplace(line, static_cast<int>(ids.size())).first->second);
    }
    return numbered;
  };
  std::vector<int> an = number(a);
  std::vector<int> bn = number(b);

  size_t prefix = 0;
  while (prefix < a.size() && prefix < b.size() && an[prefix] == bn[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < a.size() - prefix && suffix < b.size() - prefix &&
         an[a.size() - 1 - suffix] == bn[b.size() - 1 - suffix]) {
    ++suffix;
  }

  std::vector<Op> ops;
  ops.reserve(a.size() + b.size());
  for (size_t i = 0; i < prefix; ++i) ops.push_back({Kind::kSame, i, i});
  size_t n = a.size() - prefix - suffix;
  size_t m = b.size() - prefix - suffix;
  if (!Myers(an, prefix, n, bn, prefix, m, limits.max_edits, &ops)) {
    out.rough = true;
    for (size_t i = 0; i < n; ++i) ops.push_back({Kind::kRemoved, prefix + i, prefix});
    for (size_t j = 0; j < m; ++j) ops.push_back({Kind::kAdded, prefix + n, prefix + j});
  }
  for (size_t i = 0; i < suffix; ++i) {
    ops.push_back({Kind::kSame, prefix + n + i, prefix + m + i});
  }

  for (const Op& op : ops) {
    if (op.kind == Kind::kAdded) ++out.added;
    if (op.kind == Kind::kRemoved) ++out.removed;
  }

  // Hunks: each change with its context, merged where the contexts touch.
  Writer writer(limits, &out);
  const size_t context = limits.context_lines;
  size_t i = 0;
  while (i < ops.size()) {
    while (i < ops.size() && ops[i].kind == Kind::kSame) ++i;
    if (i == ops.size()) break;
    size_t begin = i >= context ? i - context : 0;
    size_t end = i;  // one past the last change of the hunk
    for (size_t j = i; j < ops.size(); ++j) {
      if (ops[j].kind != Kind::kSame) {
        end = j + 1;
      } else if (j - end + 1 > 2 * context) {
        break;
      }
    }
    size_t stop = std::min(ops.size(), end + context);
    size_t old_count = 0;
    size_t new_count = 0;
    for (size_t j = begin; j < stop; ++j) {
      if (ops[j].kind != Kind::kAdded) ++old_count;
      if (ops[j].kind != Kind::kRemoved) ++new_count;
    }
    std::string header = "@@ -" + Range(ops[begin].old_line, old_count) + " +" +
                         Range(ops[begin].new_line, new_count) + " @@\n";
    if (!writer.Append(header, 1)) break;
    bool written = true;
    for (size_t j = begin; j < stop && written; ++j) {
      const Op& op = ops[j];
      std::string_view line = op.kind == Kind::kAdded ? b[op.new_line] : a[op.old_line];
      written = writer.Line(static_cast<char>(op.kind), line);
    }
    if (!written) break;
    i = stop;
  }
  return out;
}

}  // namespace hearth::tools
