// SPDX-License-Identifier: Apache-2.0
#include "tools/change_preview.h"

#include <unistd.h>

#include <cerrno>
#include <string>

#include "tools/file_tool.h"

namespace hearth::tools {
namespace {

// The file's whole text, or why it is not shown: a file that cannot be opened (kNotFound and
// friends, as the workspace says), too large (kTooLarge) or binary (kUnsupported).
Result<std::string> ReadCurrent(const sandbox::Workspace& workspace, std::string_view path,
                                size_t max_bytes) {
  Result<UniqueFd> fd = workspace.OpenForRead(path);
  if (!fd.ok()) return fd.status();
  Result<sandbox::FileVersion> version = sandbox::VersionOf(fd->get());
  if (!version.ok()) return version.status();
  if (static_cast<uint64_t>(version->size) > max_bytes) {
    return Status::TooLarge("it is " + Size(static_cast<uint64_t>(version->size)) +
                            ", more than the " + Size(max_bytes) + " a diff is made of");
  }
  std::string text(static_cast<size_t>(version->size) + 1, '\0');
  size_t length = 0;
  while (length < text.size()) {
    ssize_t n = read(fd->get(), text.data() + length, text.size() - length);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return PosixError("read " + ShownName(path), errno);
    if (n == 0) break;
    length += static_cast<size_t>(n);
  }
  if (length > max_bytes) return Status::TooLarge("it grew while it was read");
  text.resize(length);
  if (text.find('\0') != std::string::npos) {
    return Status::Unsupported("it is a binary file (it contains NUL bytes)");
  }
  return text;
}

std::string Lines(size_t count) {
  return std::to_string(count) + (count == 1 ? " line" : " lines");
}

// "3 lines added, 1 line removed", and what bounds cut from the diff shown.
std::string Describe(const LineDiff& diff) {
  std::string text = Lines(diff.added) + " added, " + Lines(diff.removed) + " removed";
  if (diff.rough) {
    text +=
        "; the changed part is too different to compare line by line, so it is shown "
        "removed, then added";
  }
  if (diff.cut) {
    text +=
        "; the diff is cut short here, so read the whole new content in the arguments "
        "before you allow it";
  }
  return text + ".";
}

}  // namespace

std::optional<ChangePreview> PreviewWrite(const sandbox::Workspace& workspace,
                                          std::string_view path, std::string_view content,
                                          const PreviewLimits& limits) {
  Result<std::string> current = ReadCurrent(workspace, path, limits.file_bytes);
  std::string shown = ShownName(path);
  if (!current.ok()) {
    if (current.status().code() != Status::Code::kTooLarge &&
        current.status().code() != Status::Code::kUnsupported) {
      return std::nullopt;
    }
    return ChangePreview{.summary = "This replaces " + shown + ", which has no diff shown: " +
                                    current.status().message() + ".",
                         .diff = {}};
  }
  LineDiff diff = DiffLines(*current, content, limits.diff);
  if (diff.text.empty()) {
    return ChangePreview{.summary = "This writes " + shown + " as it already is: no change.",
                         .diff = {}};
  }
  return ChangePreview{.summary = "Changes to the existing " + shown + ": " + Describe(diff),
                       .diff = std::move(diff.text)};
}

ChangePreview PreviewEdit(const sandbox::Workspace& workspace, std::string_view path,
                          std::string_view old_text, std::string_view new_text, bool replace_all,
                          const PreviewLimits& limits) {
  std::string shown = ShownName(path);
  std::string why;
  Result<std::string> current = ReadCurrent(workspace, path, limits.file_bytes);
  if (!current.ok()) {
    why = shown + " could not be read (" + current.status().message() + ")";
  } else if (old_text.empty()) {
    why = "old_text is empty";
  } else {
    std::string edited;
    size_t found = 0;
    size_t copied = 0;
    for (size_t at = current->find(old_text); at != std::string::npos;
         at = current->find(old_text, at + old_text.size())) {
      ++found;
      edited.append(*current, copied, at - copied);
      edited += new_text;
      copied = at + old_text.size();
      if (edited.size() > limits.file_bytes) break;  // bounds what replace_all can make
    }
    edited.append(*current, copied, std::string::npos);
    if (edited.size() > limits.file_bytes) {
      why = "the edited file would be larger than " + Size(limits.file_bytes) +
            ", so the call will fail";
    } else if (found == 0) {
      why = "old_text is not in " + shown + " as it is now, so the call will fail";
    } else if (found > 1 && !replace_all) {
      why = "old_text occurs " + std::to_string(found) + " times in " + shown +
            ", so the call will fail";
    } else {
      LineDiff diff = DiffLines(*current, edited, limits.diff);
      return ChangePreview{.summary = "Changes to " + shown + ": " + Describe(diff),
                           .diff = std::move(diff.text)};
    }
  }
  LineDiff diff = DiffLines(old_text, new_text, limits.diff);
  return ChangePreview{.summary = "old_text against new_text (" + why + "): " + Describe(diff),
                       .diff = std::move(diff.text)};
}

}  // namespace hearth::tools
