// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "sandbox/workspace.h"
#include "tools/tool.h"

namespace hearth::tools {

// The bounds of the file tools. The defaults suit a desktop; tests make them small.
struct FileToolLimits {
  size_t list_entries = 500;                    // list_dir: entries shown, the first by name
  int64_t read_scan_bytes = int64_t{8} << 20;   // read_file: how far into a file lines are sought
  size_t read_output_bytes = size_t{64} << 10;  // read_file: text returned per call
  int search_depth = 12;                        // search_files: levels below its path
  int search_entries = 20000;                   // search_files: directory entries looked at
  size_t search_file_bytes = size_t{1} << 20;   // search_files: bytes read of each file
  int search_results = 100;                     // search_files: the most max_results may ask
  size_t write_bytes = size_t{1} << 20;         // write_file, edit_file: the file's new size
};

// The read-only file tools, every one confined by `workspace` (never null):
//   list_dir      {path?}                                   entries with type and size, sorted
//   read_file     {path, start_line?, end_line?}            text, by line range for long files
//   search_files  {query, path?, content?, max_results?}    names, or lines containing `query`
// None needs approval. Each is bounded by `limits` and says so in its result when a bound cut it
// short. Denials reach ToolContext::on_denial once each and come back as "denied: ...".
// Thread-safe: the tools hold no state besides the shared, immutable workspace.
std::vector<std::unique_ptr<Tool>> MakeFileTools(
    std::shared_ptr<const sandbox::Workspace> workspace, const FileToolLimits& limits = {});

// The file tools that change files, each call approved by the user (or the tool always allowed),
// every one confined by `workspace` (never null) and its deny-list:
//   write_file  {path, content}                             creates or replaces a whole file
//   edit_file   {path, old_text, new_text, replace_all?}    replaces text that occurs once (or
//                                                           every occurrence)
// Files are replaced atomically (Workspace::WriteFile): a failed or interrupted write leaves the
// old file whole. write_file creates missing parent directories. Results say what changed, with
// line numbers, so the model can check its work without reading the file again.
std::vector<std::unique_ptr<Tool>> MakeWriteTools(
    std::shared_ptr<const sandbox::Workspace> workspace, const FileToolLimits& limits = {});

}  // namespace hearth::tools
