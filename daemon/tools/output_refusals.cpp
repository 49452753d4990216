// SPDX-License-Identifier: Apache-2.0
#include "tools/output_refusals.h"

#include <algorithm>
#include <array>

#include "base/utf8.h"

namespace hearth::tools {
namespace {

constexpr size_t kMaxLineBytes = 200;
constexpr std::array<std::string_view, 2> kMarkers = {"Permission denied",
                                                      "Operation not permitted"};

std::string Cut(std::string_view text) {
  std::string cut(text.substr(0, kMaxLineBytes));
  DropIncompleteUtf8Tail(cut);
  return ToValidUtf8(cut);
}

// The first word of `line` that is an absolute path, without the quotes and punctuation that
// programs put around it: cat's "/x: ...", ls's "'/x'", Python's "'/x'", sh's "/x: ...".
std::string_view PathIn(std::string_view line) {
  size_t pos = 0;
  while (pos < line.size()) {
    size_t start = line.find_first_not_of(" \t", pos);
    if (start == std::string_view::npos) break;
    size_t end = line.find_first_of(" \t", start);
    if (end == std::string_view::npos) end = line.size();
    std::string_view word = line.substr(start, end - start);
    while (!word.empty() && (word.front() == '\'' || word.front() == '"' || word.front() == '`' ||
                             word.front() == '(' || word.front() == '[')) {
      word.remove_prefix(1);
    }
    while (!word.empty() &&
           (word.back() == ':' || word.back() == '\'' || word.back() == '"' || word.back() == ',' ||
            word.back() == ')' || word.back() == ']' || word.back() == '.')) {
      word.remove_suffix(1);
    }
    if (word.size() > 1 && word.front() == '/') return word;
    pos = end;
  }
  return {};
}

}  // namespace

std::vector<OutputRefusal> RefusalsInOutput(std::string_view output, size_t max, size_t* more) {
  std::vector<OutputRefusal> found;
  size_t extra = 0;
  while (!output.empty()) {
    size_t newline = output.find('\n');
    std::string_view line = output.substr(0, newline);
    output.remove_prefix(newline == std::string_view::npos ? output.size() : newline + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool refusal = std::any_of(kMarkers.begin(), kMarkers.end(), [&](std::string_view marker) {
      return line.find(marker) != std::string_view::npos;
    });
    if (!refusal) continue;
    std::string_view path = PathIn(line);
    std::string target = Cut(path.empty() ? line : path);
    if (std::any_of(found.begin(), found.end(),
                    [&](const OutputRefusal& r) { return r.target == target; })) {
      continue;
    }
    if (found.size() >= max) {
      ++extra;
      continue;
    }
    found.push_back({std::move(target), Cut(line)});
  }
  if (more != nullptr) *more = extra;
  return found;
}

}  // namespace hearth::tools
