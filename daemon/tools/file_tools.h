#pragma once

#include <memory>
#include <vector>

#include "sandbox/workspace.h"
#include "tools/tool.h"

namespace hearth::tools {

// The read-only file tools, every one confined by `workspace` (never null):
//   list_dir      {path?}                                   entries with type and size, sorted
//   read_file     {path, start_line?, end_line?}            text, by line range for long files
//   search_files  {query, path?, content?, max_results?}    names, or lines containing `query`
// None needs approval. Limits: list_dir shows 500 entries; read_file scans at most 8 MiB and
// returns at most 64 KiB; search_files walks 12 levels deep, visits 20000 entries, reads 1 MiB
// of each file and returns at most 100 results. Each says so in its result when a limit cut it
// short. Denials reach ToolContext::on_denial once each and come back as "denied: ...".
// Thread-safe: the tools hold no state besides the shared, immutable workspace.
std::vector<std::unique_ptr<Tool>> MakeFileTools(
    std::shared_ptr<const sandbox::Workspace> workspace);

}  // namespace hearth::tools
