// SPDX-License-Identifier: Apache-2.0
// write_file and edit_file: the file tools that change files. Both need the user's approval.
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>

#include "tools/change_preview.h"
#include "tools/file_tool.h"
#include "tools/file_tools.h"

namespace hearth::tools {
namespace {

using sandbox::FileVersion;
using sandbox::Workspace;
using sandbox::WriteMode;
using sandbox::WriteOutcome;

constexpr size_t kMaxListedLines = 10;

// 1-based line numbers of the bytes at `offsets` (ascending) in `text`.
std::vector<size_t> LinesOf(std::string_view text, const std::vector<size_t>& offsets) {
  std::vector<size_t> lines;
  size_t line = 1;
  size_t counted_to = 0;
  for (size_t offset : offsets) {
    line +=
        static_cast<size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(counted_to),
                                       text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
    counted_to = offset;
    lines.push_back(line);
  }
  return lines;
}

// "line 4", "lines 4, 10 and 22", "lines 4, 10, … (12 in all)".
std::string DescribeLines(const std::vector<size_t>& lines) {
  if (lines.size() == 1) return "line " + std::to_string(lines.front());
  std::string text = "lines ";
  size_t shown = std::min(lines.size(), kMaxListedLines);
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) text += (i + 1 == lines.size()) ? " and " : ", ";
    text += std::to_string(lines[i]);
  }
  if (shown < lines.size()) text += ", … (" + std::to_string(lines.size()) + " in all)";
  return text;
}

size_t CountLines(std::string_view text) {
  if (text.empty()) return 0;
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) +
         (text.back() == '\n' ? 0 : 1);
}

// A tool that changes files: the user approves each call.
class ChangingFileTool : public FileTool {
 public:
  using FileTool::FileTool;
  bool needs_approval() const override { return true; }
  // A write the sandbox will refuse is said to be so in the form, so that the user does not
  // approve it believing it will happen, and learns where to unlock a protected path.
  std::vector<std::string> ApprovalNotes(const Json::Value& arguments) const override {
    try {
      if (!arguments.isObject() || !arguments["path"].isString()) return {};
      Status check = workspace().CheckWrite(arguments["path"].asString());
      if (check.ok()) return {};
      std::string why = check.message();
      if (why.starts_with("denied: ")) why.erase(0, 8);
      return {"Hearth will refuse this whatever you answer: " + why};
    } catch (...) {
      return {};  // the call itself will say what is wrong
    }
  }

 protected:
  // Whether the form may show a preview: a write the sandbox will refuse has none (its note
  // says so), and neither has a path that is not a string.
  bool Previewable(const Json::Value& arguments) const {
    return arguments.isObject() && arguments["path"].isString() &&
           workspace().CheckWrite(arguments["path"].asString()).ok();
  }
  PreviewLimits preview_limits() const { return PreviewLimits{.file_bytes = limits().write_bytes}; }

  ToolResult TooLarge(std::string_view path, size_t size) const {
    return Failure("refused: " + ShownName(path) + " would be " + std::to_string(size) +
                   " bytes; " + schema().name + " writes files of at most " +
                   Size(limits().write_bytes));
  }
};

// --- write_file ---------------------------------------------------------------------------------

llm::ToolSchema WriteFileSchema(const Workspace& workspace, const FileToolLimits& limits) {
  llm::ToolSchema schema;
  schema.name = "write_file";
  schema.description =
      "Create a file in the user's workspace, or replace a file's whole content. Missing parent "
      "folders are created. The user sees the call and approves it first. Prefer edit_file to "
      "change part of an existing file. At most " +
      Size(limits.write_bytes) + "." + PathHelp(workspace);
  schema.parameters["type"] = "object";
  schema.parameters["properties"]["path"] = Property("string", "The file to write.");
  schema.parameters["properties"]["content"] =
      Property("string", "The file's complete new content.");
  schema.parameters["required"].append("path");
  schema.parameters["required"].append("content");
  schema.parameters["additionalProperties"] = false;
  return schema;
}

class WriteFileTool : public ChangingFileTool {
 public:
  WriteFileTool(std::shared_ptr<const Workspace> workspace, const FileToolLimits& limits)
      : ChangingFileTool(workspace, limits, WriteFileSchema(*workspace, limits),
                         "{\"path\": string, \"content\": string}") {}

  std::optional<ChangePreview> ApprovalPreview(const Json::Value& arguments) const override {
    try {
      if (!Previewable(arguments) || !arguments["content"].isString()) return std::nullopt;
      std::string content = arguments["content"].asString();
      if (content.size() > limits().write_bytes) return std::nullopt;  // the call will refuse
      return PreviewWrite(workspace(), arguments["path"].asString(), content, preview_limits());
    } catch (...) {
      return std::nullopt;  // the form shows the arguments still
    }
  }

 private:
  ToolResult Run(const Json::Value& args, const ToolContext& context) const override {
    std::optional<std::string> path;
    std::optional<std::string> content;
    std::string problem;
    if (!ReadString(args, "path", &path, &problem) ||
        !ReadString(args, "content", &content, &problem)) {
      return BadArguments(problem);
    }
    if (!path) return BadArguments("\"path\" is missing");
    if (!content) return BadArguments("\"content\" is missing");
    if (content->size() > limits().write_bytes) return TooLarge(*path, content->size());
    if (Cancelled(context)) return Failure("write_file was cancelled");

    if (Status made = workspace().MakeParents(*path); !made.ok()) {
      return Refused(made, *path, context);
    }
    Result<WriteOutcome> written =
        workspace().WriteFile(*path, *content, WriteMode::kCreateOrReplace);
    if (!written.ok()) return Refused(written.status(), *path, context);

    std::string shown = ShownName(*path);
    std::string size = std::to_string(content->size()) + " bytes, " +
                       std::to_string(CountLines(*content)) + " lines";
    if (written->created) return ToolResult{false, "Created " + shown + " (" + size + ").\n"};
    return ToolResult{false, "Replaced " + shown + " (" + size + "; it was " +
                                 std::to_string(written->previous_size) + " bytes).\n"};
  }
};

// --- edit_file ----------------------------------------------------------------------------------

llm::ToolSchema EditFileSchema(const Workspace& workspace, const FileToolLimits& limits) {
  llm::ToolSchema schema;
  schema.name = "edit_file";
  schema.description =
      "Change part of a text file in the user's workspace: replace old_text, copied exactly from "
      "the file (spaces and line breaks included), with new_text. old_text must occur exactly "
      "once, unless replace_all is true; include a few surrounding lines to make it unique. Read "
      "the file first. The user sees the call and approves it first. Files of at most " +
      Size(limits.write_bytes) + "." + PathHelp(workspace);
  schema.parameters["type"] = "object";
  schema.parameters["properties"]["path"] = Property("string", "The file to change.");
  schema.parameters["properties"]["old_text"] =
      Property("string", "The exact text to replace, as it is in the file.");
  schema.parameters["properties"]["new_text"] =
      Property("string", "What replaces it (may be empty, to delete old_text).");
  schema.parameters["properties"]["replace_all"] = Property(
      "boolean", "Replace every occurrence instead of requiring exactly one. Default false.");
  schema.parameters["required"].append("path");
  schema.parameters["required"].append("old_text");
  schema.parameters["required"].append("new_text");
  schema.parameters["additionalProperties"] = false;
  return schema;
}

class EditFileTool : public ChangingFileTool {
 public:
  EditFileTool(std::shared_ptr<const Workspace> workspace, const FileToolLimits& limits)
      : ChangingFileTool(workspace, limits, EditFileSchema(*workspace, limits),
                         "{\"path\": string, \"old_text\": string, \"new_text\": string, "
                         "\"replace_all\": boolean (optional)}") {}

  std::optional<ChangePreview> ApprovalPreview(const Json::Value& arguments) const override {
    try {
      if (!Previewable(arguments) || !arguments["old_text"].isString() ||
          !arguments["new_text"].isString()) {
        return std::nullopt;
      }
      bool replace_all = arguments["replace_all"].isBool() && arguments["replace_all"].asBool();
      return PreviewEdit(workspace(), arguments["path"].asString(),
                         arguments["old_text"].asString(), arguments["new_text"].asString(),
                         replace_all, preview_limits());
    } catch (...) {
      return std::nullopt;
    }
  }

 private:
  ToolResult Run(const Json::Value& args, const ToolContext& context) const override {
    std::optional<std::string> path;
    std::optional<std::string> old_text;
    std::optional<std::string> new_text;
    std::optional<bool> replace_all;
    std::string problem;
    if (!ReadString(args, "path", &path, &problem) ||
        !ReadString(args, "old_text", &old_text, &problem) ||
        !ReadString(args, "new_text", &new_text, &problem) ||
        !ReadBool(args, "replace_all", &replace_all, &problem)) {
      return BadArguments(problem);
    }
    if (!path) return BadArguments("\"path\" is missing");
    if (!old_text) return BadArguments("\"old_text\" is missing");
    if (!new_text) return BadArguments("\"new_text\" is missing");
    if (old_text->empty()) {
      return BadArguments("\"old_text\" is empty; use write_file to create or replace a file");
    }
    if (*old_text == *new_text) return BadArguments("\"old_text\" and \"new_text\" are the same");

    std::string shown = ShownName(*path);
    Result<UniqueFd> fd = workspace().OpenForRead(*path);
    if (!fd.ok()) return Refused(fd.status(), *path, context);
    Result<FileVersion> version = sandbox::VersionOf(fd->get());
    if (!version.ok()) return Failure(version.status().message());
    if (static_cast<uint64_t>(version->size) > limits().write_bytes) {
      return Failure("refused: " + shown + " is " + std::to_string(version->size) +
                     " bytes; edit_file changes files of at most " + Size(limits().write_bytes));
    }
    std::string text;
    text.resize(static_cast<size_t>(version->size) + 1);
    size_t length = 0;
    // Read one byte past the size seen, to notice a file that grew meanwhile.
    while (length < text.size()) {
      ssize_t n = read(fd->get(), text.data() + length, text.size() - length);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Failure(PosixError("read " + shown, errno).message());
      if (n == 0) break;
      length += static_cast<size_t>(n);
    }
    if (length != static_cast<size_t>(version->size)) {
      return Failure(shown + " changed while it was read; try again");
    }
    text.resize(length);
    if (text.find('\0') != std::string::npos) {
      return Failure(shown +
                     " looks like a binary file (it contains NUL bytes); edit_file only "
                     "changes text");
    }

    std::vector<size_t> found;
    for (size_t at = text.find(*old_text); at != std::string::npos;
         at = text.find(*old_text, at + old_text->size())) {
      found.push_back(at);
    }
    if (found.empty()) {
      return Failure("old_text was not found in " + shown +
                     "; read the file again and copy the text exactly, spaces and line breaks "
                     "included. Nothing was changed.");
    }
    std::vector<size_t> lines = LinesOf(text, found);
    if (found.size() > 1 && !replace_all.value_or(false)) {
      return Failure("old_text occurs " + std::to_string(found.size()) + " times in " + shown +
                     " (" + DescribeLines(lines) +
                     "); include more of the surrounding text so that it occurs once, or set "
                     "replace_all. Nothing was changed.");
    }

    std::string edited;
    size_t new_size =
        text.size() + found.size() * new_text->size() - found.size() * old_text->size();
    if (new_size > limits().write_bytes) return TooLarge(*path, new_size);
    edited.reserve(new_size);
    size_t copied = 0;
    for (size_t at : found) {
      edited.append(text, copied, at - copied);
      edited += *new_text;
      copied = at + old_text->size();
    }
    edited.append(text, copied, std::string::npos);

    if (Cancelled(context)) return Failure("edit_file was cancelled");
    Result<WriteOutcome> written =
        workspace().WriteFile(*path, edited, WriteMode::kReplace, &*version);
    if (!written.ok()) return Refused(written.status(), *path, context);
    std::string count =
        found.size() == 1 ? "1 occurrence" : std::to_string(found.size()) + " occurrences";
    return ToolResult{false, "Edited " + shown + ": replaced " + count + " at " +
                                 DescribeLines(lines) + ". The file now has " +
                                 std::to_string(CountLines(edited)) + " lines (" +
                                 std::to_string(edited.size()) + " bytes).\n"};
  }
};

}  // namespace

std::vector<std::unique_ptr<Tool>> MakeWriteTools(
    std::shared_ptr<const sandbox::Workspace> workspace, const FileToolLimits& limits) {
  assert(workspace != nullptr);
  std::vector<std::unique_ptr<Tool>> tools;
  tools.push_back(std::make_unique<WriteFileTool>(workspace, limits));
  tools.push_back(std::make_unique<EditFileTool>(workspace, limits));
  return tools;
}

}  // namespace hearth::tools
