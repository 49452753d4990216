// SPDX-License-Identifier: Apache-2.0
// The diffs the approval forms of write_file and edit_file show: the file as it is, read through
// the workspace's checks (roots, deny-list, a size bound), against what the call would make it.
// Not for other modules: they see Tool::ApprovalPreview.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "sandbox/workspace.h"
#include "tools/diff.h"
#include "tools/tool.h"

namespace hearth::tools {

struct PreviewLimits {
  size_t file_bytes = size_t{1} << 20;  // a larger current file is not read (nor writable)
  DiffLimits diff;
};

// write_file's `content` over the file at `path`: a diff when the file exists and is text of at
// most limits.file_bytes, a summary that says why not when it is too large or binary; nullopt
// when there is no such file to read (a new file, a refused or missing path).
std::optional<ChangePreview> PreviewWrite(const sandbox::Workspace& workspace,
                                          std::string_view path, std::string_view content,
                                          const PreviewLimits& limits);

// edit_file's replacement of `old_text` by `new_text` in the file at `path`: a diff of the whole
// file when `old_text` is found as the call needs it (once, or anywhere with `replace_all`), so
// the lines carry their numbers; otherwise old_text against new_text, with a summary that says
// why the file could not be used.
ChangePreview PreviewEdit(const sandbox::Workspace& workspace, std::string_view path,
                          std::string_view old_text, std::string_view new_text, bool replace_all,
                          const PreviewLimits& limits);

}  // namespace hearth::tools
