// SPDX-License-Identifier: Apache-2.0
#include "tools/file_tools.h"

#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdint>
#include <limits>
#include <optional>
#include <queue>
#include <utility>

#include "base/utf8.h"
#include "sandbox/deny_list.h"
#include "tools/file_tool.h"

namespace hearth::tools {
namespace {

using sandbox::Directory;
using sandbox::DirEntry;
using sandbox::EntryType;
using sandbox::Workspace;

constexpr size_t kChunk = size_t{64} << 10;
constexpr int64_t kSearchDefaultResults = 50;
constexpr size_t kMaxQueryLength = 256;
constexpr size_t kSnippetLength = 200;

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

std::string Join(const std::string& dir, std::string_view name) {
  if (dir == ".") return std::string(name);
  return dir.ends_with('/') ? dir + std::string(name) : dir + "/" + std::string(name);
}

// --- list_dir -----------------------------------------------------------------------------------

llm::ToolSchema ListDirSchema(const Workspace& workspace, const FileToolLimits& limits) {
  llm::ToolSchema schema;
  schema.name = "list_dir";
  schema.description =
      "List a directory in the user's workspace: each entry's name, type (file, dir, link) and "
      "size in bytes, sorted by name, at most " +
      std::to_string(limits.list_entries) +
      " entries. Use it to find your way before reading files." + PathHelp(workspace);
  schema.parameters["type"] = "object";
  schema.parameters["properties"]["path"] =
      Property("string", "The directory to list. Default \".\", the workspace folder.");
  schema.parameters["additionalProperties"] = false;
  return schema;
}

class ListDirTool : public FileTool {
 public:
  ListDirTool(std::shared_ptr<const Workspace> workspace, const FileToolLimits& limits)
      : FileTool(workspace, limits, ListDirSchema(*workspace, limits),
                 "{\"path\": string (optional)}") {}

 private:
  ToolResult Run(const Json::Value& args, const ToolContext& context) const override {
    std::optional<std::string> path;
    std::string problem;
    if (!ReadString(args, "path", &path, &problem)) return BadArguments(problem);
    std::string target = path.value_or(".");

    Result<Directory> dir = workspace().OpenDirectory(target);
    if (!dir.ok()) return Refused(dir.status(), target, context);

    // Keeps the limits().list_entries first names (a max-heap on name) however large the directory
    // is.
    auto later = [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; };
    std::priority_queue<DirEntry, std::vector<DirEntry>, decltype(later)> first(later);
    size_t total = 0;
    bool cancelled = false;
    Status listed = workspace().ForEachEntry(*dir, [&](const DirEntry& entry) {
      if (Cancelled(context)) {
        cancelled = true;
        return false;
      }
      ++total;
      if (first.size() < limits().list_entries) {
        first.push(entry);
      } else if (entry.name < first.top().name) {
        first.pop();
        first.push(entry);
      }
      return true;
    });
    if (!listed.ok()) return Refused(listed, target, context);
    if (cancelled) return Failure("list_dir was cancelled");

    std::vector<DirEntry> entries;
    while (!first.empty()) {
      entries.push_back(first.top());
      first.pop();
    }
    std::reverse(entries.begin(), entries.end());

    std::string shown = ShownName(dir->path());
    if (total == 0) return ToolResult{false, shown + " is empty.\n"};
    std::string text =
        shown + ": " + std::to_string(total) + (total == 1 ? " entry" : " entries") + "\n";
    for (const DirEntry& entry : entries) {
      switch (entry.type) {
        case EntryType::kFile:
          text += "file  " + ShownName(entry.name) + "  " + std::to_string(entry.size) + " bytes\n";
          break;
        case EntryType::kDirectory:
          text += "dir   " + ShownName(entry.name) + "/\n";
          break;
        case EntryType::kSymlink:
          text += "link  " + ShownName(entry.name) + "\n";
          break;
        case EntryType::kOther:
          text += "other " + ShownName(entry.name) + "\n";
          break;
      }
    }
    if (total > entries.size()) {
      text += "… " + std::to_string(total - entries.size()) +
              " more entries not shown (only the first " + std::to_string(limits().list_entries) +
              " by name are listed; use search_files to find a name)\n";
    }
    return ToolResult{false, std::move(text)};
  }
};

// --- read_file ----------------------------------------------------------------------------------

llm::ToolSchema ReadFileSchema(const Workspace& workspace, const FileToolLimits& limits) {
  llm::ToolSchema schema;
  schema.name = "read_file";
  schema.description =
      "Read a text file in the user's workspace. Returns at most " +
      Size(limits.read_output_bytes) +
      " of text per call; for a longer file, read it in parts with start_line and end_line "
      "(1-based, inclusive). Binary files are refused; bytes that are not UTF-8 show as U+FFFD." +
      PathHelp(workspace);
  schema.parameters["type"] = "object";
  schema.parameters["properties"]["path"] = Property("string", "The file to read.");
  Json::Value start = Property("integer", "First line to return (1-based). Default 1.");
  start["minimum"] = 1;
  schema.parameters["properties"]["start_line"] = start;
  Json::Value end = Property("integer", "Last line to return (inclusive). Default: as far as " +
                                            Size(limits.read_output_bytes) + " allows.");
  end["minimum"] = 1;
  schema.parameters["properties"]["end_line"] = end;
  schema.parameters["required"].append("path");
  schema.parameters["additionalProperties"] = false;
  return schema;
}

class ReadFileTool : public FileTool {
 public:
  ReadFileTool(std::shared_ptr<const Workspace> workspace, const FileToolLimits& limits)
      : FileTool(workspace, limits, ReadFileSchema(*workspace, limits),
                 "{\"path\": string, \"start_line\": integer >= 1 (optional), \"end_line\": "
                 "integer >= start_line (optional)}") {}

 private:
  ToolResult Run(const Json::Value& args, const ToolContext& context) const override {
    std::optional<std::string> path;
    std::optional<int64_t> start_arg;
    std::optional<int64_t> end_arg;
    std::string problem;
    if (!ReadString(args, "path", &path, &problem) ||
        !ReadInteger(args, "start_line", &start_arg, &problem) ||
        !ReadInteger(args, "end_line", &end_arg, &problem)) {
      return BadArguments(problem);
    }
    if (!path) return BadArguments("\"path\" is missing");
    int64_t start = start_arg.value_or(1);
    int64_t end = end_arg.value_or(std::numeric_limits<int64_t>::max());
    if (start < 1) return BadArguments("\"start_line\" must be 1 or more");
    if (end < start) return BadArguments("\"end_line\" must not be less than \"start_line\"");

    Result<UniqueFd> fd = workspace().OpenForRead(*path);
    if (!fd.ok()) return Refused(fd.status(), *path, context);

    std::string shown = ShownName(*path);
    std::string raw;            // the bytes of the lines asked for, up to the output limit
    size_t complete_bytes = 0;  // raw's length up to the end of its last complete line
    int64_t line = 1;           // the line the next byte belongs to
    int64_t last_complete = start - 1;
    int64_t scanned = 0;
    bool cut = false;
    bool eof = false;
    bool reached_end = false;
    bool ends_with_newline = false;
    const int64_t scan_limit = limits().read_scan_bytes;
    const size_t output_limit = limits().read_output_bytes;
    std::string buffer(kChunk, '\0');
    while (!cut && !reached_end) {
      if (Cancelled(context)) return Failure("read_file was cancelled");
      if (scanned >= scan_limit) break;
      size_t want = static_cast<size_t>(
          std::min<int64_t>(static_cast<int64_t>(buffer.size()), scan_limit - scanned));
      ssize_t n = read(fd->get(), buffer.data(), want);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Failure(PosixError("read " + shown, errno).message());
      if (n == 0) {
        eof = true;
        break;
      }
      scanned += n;
      for (ssize_t i = 0; i < n; ++i) {
        char c = buffer[static_cast<size_t>(i)];
        if (c == '\0') {
          return Failure(shown +
                         " looks like a binary file (it contains NUL bytes); read_file only "
                         "shows text");
        }
        if (line >= start) {
          if (raw.size() >= output_limit) {
            cut = true;
            break;
          }
          raw += c;
        }
        ends_with_newline = c == '\n';
        if (c == '\n') {
          if (line >= start) {
            last_complete = line;
            complete_bytes = raw.size();
          }
          if (++line > end) {
            reached_end = true;
            break;
          }
        }
      }
    }

    if (scanned == 0) return ToolResult{false, shown + " is empty.\n"};
    int64_t total_lines = ends_with_newline ? line - 1 : line;
    if (eof && start > total_lines) {
      return Failure(shown + " has " + std::to_string(total_lines) + " lines; start_line " +
                     std::to_string(start) + " is past the end");
    }

    std::string note;
    int64_t shown_end = 0;
    if (cut && last_complete >= start) {
      raw.resize(complete_bytes);
      shown_end = last_complete;
      note = "[output cut at " + Size(output_limit) + " after line " + std::to_string(shown_end) +
             "; call read_file with start_line=" + std::to_string(shown_end + 1) + " to read on]\n";
    } else if (cut) {
      DropIncompleteUtf8Tail(raw);
      shown_end = start;
      note = "[line " + std::to_string(start) + " is longer than " + Size(output_limit) +
             " and was cut; continue with start_line=" + std::to_string(start + 1) + "]\n";
    } else if (eof || reached_end) {
      shown_end = reached_end ? end : total_lines;
    } else if (line <= start && raw.empty()) {  // the scan limit, before the first line asked for
      return Failure("line " + std::to_string(start) + " of " + shown + " lies beyond its first " +
                     Size(static_cast<uint64_t>(scan_limit)) +
                     ", which is as far as read_file reads");
    } else {  // the scan limit
      shown_end = std::max(start, line - 1);
      if (last_complete >= start) {
        raw.resize(complete_bytes);
        shown_end = last_complete;
      }
      note = "[stopped after scanning the first " + Size(static_cast<uint64_t>(scan_limit)) +
             " of " + shown + "; lines past " + std::to_string(shown_end) +
             " cannot be read with read_file]\n";
    }
    std::string text =
        shown + ", lines " + std::to_string(start) + "-" + std::to_string(shown_end) +
        (eof ? " of " + std::to_string(total_lines) : std::string()) + ":\n" + ToValidUtf8(raw);
    if (!text.ends_with('\n')) text += '\n';
    return ToolResult{false, text + note};
  }
};

// --- search_files -------------------------------------------------------------------------------

llm::ToolSchema SearchFilesSchema(const Workspace& workspace, const FileToolLimits& limits) {
  llm::ToolSchema schema;
  schema.name = "search_files";
  schema.description =
      "Search the user's workspace beneath a directory, up to " +
      std::to_string(limits.search_depth) +
      " levels deep. By default finds "
      "files and directories whose name contains the query (case-insensitive); * and ? in the "
      "query make it a wildcard pattern for the whole name, e.g. \"*.md\". With content=true, "
      "finds lines in text files that contain the query (plain text, case-insensitive) and "
      "returns them as path:line: text. Symbolic links are not followed." +
      PathHelp(workspace);
  schema.parameters["type"] = "object";
  schema.parameters["properties"]["query"] =
      Property("string", "What to look for: part of a name, a wildcard pattern, or text.");
  schema.parameters["properties"]["path"] =
      Property("string", "The directory to search beneath. Default \".\", the workspace folder.");
  schema.parameters["properties"]["content"] =
      Property("boolean", "true to search inside files instead of names. Default false.");
  int64_t most = limits.search_results;
  Json::Value max =
      Property("integer", "Most results to return, 1 to " + std::to_string(most) + ". Default " +
                              std::to_string(std::min(kSearchDefaultResults, most)) + ".");
  max["minimum"] = 1;
  max["maximum"] = Json::Int64{most};
  schema.parameters["properties"]["max_results"] = max;
  schema.parameters["required"].append("query");
  schema.parameters["additionalProperties"] = false;
  return schema;
}

class SearchFilesTool : public FileTool {
 public:
  SearchFilesTool(std::shared_ptr<const Workspace> workspace, const FileToolLimits& limits)
      : FileTool(workspace, limits, SearchFilesSchema(*workspace, limits),
                 "{\"query\": string, \"path\": string (optional), \"content\": boolean "
                 "(optional), \"max_results\": integer 1-" +
                     std::to_string(limits.search_results) + " (optional)}") {}

 private:
  // One search's state; the walk is bounded by every field's limit.
  struct Search {
    std::string query;  // lower-cased for content and substring matching
    bool glob = false;
    bool content = false;
    size_t max_results = 0;
    std::vector<std::string> results;
    int visited = 0;
    int too_deep = 0;
    int partly_read = 0;
    bool visit_limit = false;
    bool cancelled = false;
    bool full() const { return results.size() >= max_results; }
    bool stopped() const { return full() || visit_limit || cancelled; }
  };

  struct Pending {
    std::shared_ptr<const Directory> parent;
    std::string name;
    int depth = 0;
  };

  ToolResult Run(const Json::Value& args, const ToolContext& context) const override {
    std::optional<std::string> query;
    std::optional<std::string> path;
    std::optional<bool> content;
    std::optional<int64_t> max_results;
    std::string problem;
    if (!ReadString(args, "query", &query, &problem) ||
        !ReadString(args, "path", &path, &problem) ||
        !ReadBool(args, "content", &content, &problem) ||
        !ReadInteger(args, "max_results", &max_results, &problem)) {
      return BadArguments(problem);
    }
    if (!query || query->empty()) return BadArguments("\"query\" is missing or empty");
    if (query->size() > kMaxQueryLength) return BadArguments("\"query\" is longer than 256 bytes");
    if (query->find('\0') != std::string::npos) {
      return BadArguments("\"query\" contains a NUL byte");
    }
    std::string target = path.value_or(".");

    Search search;
    search.content = content.value_or(false);
    search.glob = !search.content && query->find_first_of("*?") != std::string::npos;
    search.query = search.glob ? *query : LowerAscii(*query);
    int64_t most = std::max(1, limits().search_results);
    search.max_results = static_cast<size_t>(
        std::clamp<int64_t>(max_results.value_or(std::min(kSearchDefaultResults, most)), 1, most));

    Result<Directory> top = workspace().OpenDirectory(target);
    if (!top.ok()) return Refused(top.status(), target, context);
    std::string top_shown = ShownName(top->path());

    std::vector<Pending> stack;
    Walk(std::make_shared<const Directory>(std::move(*top)), 0, &search, &stack, context);
    while (!stack.empty() && !search.stopped()) {
      Pending next = std::move(stack.back());
      stack.pop_back();
      // Denied, vanished or replaced by a symlink since it was listed: skipped without a word.
      Result<Directory> dir = workspace().OpenSubdirectory(*next.parent, next.name);
      if (!dir.ok()) continue;
      Walk(std::make_shared<const Directory>(std::move(*dir)), next.depth, &search, &stack,
           context);
    }
    if (search.cancelled) return Failure("search_files was cancelled");

    std::string quoted = "\"" + ToValidUtf8(*query) + "\"";
    std::string text;
    if (search.results.empty()) {
      text = search.content ? "No line in the files under " + top_shown + " contains " + quoted
                            : "No name under " + top_shown + " matches " + quoted;
      text += ".\n";
    } else {
      text = std::to_string(search.results.size()) +
             (search.content ? " lines containing " : " names matching ") + quoted + " under " +
             top_shown + ":\n";
      for (const std::string& result : search.results) text += result + "\n";
    }
    if (search.full()) {
      text += "[stopped at " + std::to_string(search.max_results) +
              " results; there may be more: narrow the query or the path]\n";
    }
    if (search.visit_limit) {
      text += "[stopped after looking at " + std::to_string(limits().search_entries) +
              " entries; search a smaller directory]\n";
    }
    if (search.too_deep > 0) {
      text += "[" + std::to_string(search.too_deep) + " directories deeper than " +
              std::to_string(limits().search_depth) +
              " levels were not searched; search beneath them]\n";
    }
    if (search.partly_read > 0) {
      text += "[" + std::to_string(search.partly_read) + " files are larger than " +
              Size(limits().search_file_bytes) + "; only their beginning was searched]\n";
    }
    return ToolResult{false, std::move(text)};
  }

  // Matches the entries of `dir` (at `depth` below the search's top) and queues its
  // subdirectories, nearest name first.
  void Walk(const std::shared_ptr<const Directory>& dir, int depth, Search* search,
            std::vector<Pending>* stack, const ToolContext& context) const {
    std::vector<DirEntry> entries;
    Status listed = workspace().ForEachEntry(*dir, [&](const DirEntry& entry) {
      if (Cancelled(context)) {
        search->cancelled = true;
        return false;
      }
      if (++search->visited > limits().search_entries) {
        search->visit_limit = true;
        return false;
      }
      entries.push_back(entry);
      return true;
    });
    if (!listed.ok()) return;  // unreadable directories are skipped
    std::sort(entries.begin(), entries.end(),
              [](const DirEntry& a, const DirEntry& b) { return a.name < b.name; });
    std::vector<Pending> subdirectories;
    for (const DirEntry& entry : entries) {
      if (Cancelled(context)) search->cancelled = true;
      if (search->full() || search->cancelled) return;
      std::string shown = ShownName(Join(dir->path(), entry.name));
      if (search->content) {
        if (entry.type == EntryType::kFile) SearchContent(*dir, entry.name, shown, search);
      } else if (NameMatches(*search, entry.name)) {
        if (entry.type == EntryType::kDirectory) shown += "/";
        if (entry.type == EntryType::kSymlink) shown += " (symlink)";
        search->results.push_back(std::move(shown));
      }
      if (entry.type == EntryType::kDirectory) {
        if (depth + 1 > limits().search_depth) {
          ++search->too_deep;
        } else {
          subdirectories.push_back(Pending{dir, entry.name, depth + 1});
        }
      }
    }
    for (auto it = subdirectories.rbegin(); it != subdirectories.rend(); ++it) {
      stack->push_back(std::move(*it));
    }
  }

  static bool NameMatches(const Search& search, std::string_view name) {
    if (search.glob) return sandbox::GlobMatch(search.query, name);
    return LowerAscii(name).find(search.query) != std::string::npos;
  }

  // Adds "path:line: text" for each line of the file that contains the query.
  void SearchContent(const Directory& dir, const std::string& name, const std::string& shown,
                     Search* search) const {
    Result<UniqueFd> fd = workspace().OpenFileForRead(dir, name);
    if (!fd.ok()) return;
    const size_t cap = limits().search_file_bytes;
    std::string data(cap + 1, '\0');
    size_t have = 0;
    while (have < data.size()) {
      ssize_t n = read(fd->get(), data.data() + have, data.size() - have);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      have += static_cast<size_t>(n);
    }
    if (have > cap) {
      ++search->partly_read;
      have = cap;
    }
    data.resize(have);
    if (data.find('\0') != std::string::npos) return;  // binary
    std::string lowered = LowerAscii(data);
    size_t line_start = 0;
    int64_t line_number = 1;
    size_t counted_to = 0;  // newlines before this offset are counted in line_number
    size_t hit = lowered.find(search->query);
    while (hit != std::string::npos && !search->full()) {
      line_number += std::count(lowered.begin() + static_cast<std::ptrdiff_t>(counted_to),
                                lowered.begin() + static_cast<std::ptrdiff_t>(hit), '\n');
      counted_to = hit;
      size_t newline_before = data.rfind('\n', hit);
      line_start = newline_before == std::string::npos ? 0 : newline_before + 1;
      size_t line_end = data.find('\n', hit);
      if (line_end == std::string::npos) line_end = data.size();
      std::string_view line(data.data() + line_start, line_end - line_start);
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      std::string snippet = ShownName(line.substr(0, Utf8Prefix(line, kSnippetLength)));
      if (line.size() > kSnippetLength) snippet += "…";
      search->results.push_back(shown + ":" + std::to_string(line_number) + ": " + snippet);
      if (line_end >= lowered.size()) break;
      hit = lowered.find(search->query, line_end + 1);
    }
  }
};

}  // namespace

std::vector<std::unique_ptr<Tool>> MakeFileTools(
    std::shared_ptr<const sandbox::Workspace> workspace, const FileToolLimits& limits) {
  assert(workspace != nullptr);
  std::vector<std::unique_ptr<Tool>> tools;
  tools.push_back(std::make_unique<ListDirTool>(workspace, limits));
  tools.push_back(std::make_unique<ReadFileTool>(workspace, limits));
  tools.push_back(std::make_unique<SearchFilesTool>(workspace, limits));
  return tools;
}

}  // namespace hearth::tools
