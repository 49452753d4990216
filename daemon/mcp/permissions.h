// SPDX-License-Identifier: Apache-2.0
// mcp: what one MCP server may reach beyond the workspace, as the user chose when adding it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hearth::mcp {

// Granted to one server's process only, on top of the sandbox every server gets (the workspace
// minus the deny-list, read-only system folders). Paths are absolute; the deny-list and the write
// protection apply inside them as they do in the workspace.
struct ServerPermissions {
  bool network = false;  // TCP (and name resolution): off unless the user turns it on
  std::vector<std::string> read_paths;
  std::vector<std::string> write_paths;
  bool operator==(const ServerPermissions&) const = default;
  bool empty() const { return !network && read_paths.empty() && write_paths.empty(); }
};

// One line for Settings and every approval form: "network off, no folders beyond the workspace",
// "network on, reads /srv/docs, reads and writes /home/u/notes".
std::string DescribePermissions(const ServerPermissions& permissions);

// The folders a server's arguments name, to offer when it is added: each argument (or the value
// of a "--name=value" argument) that is an absolute path or starts with "~/" (expanded with
// `home`), lexically normalised, and names an existing directory other than "/". In order,
// without repeats.
std::vector<std::string> FoldersNamedIn(const std::vector<std::string>& args,
                                        std::string_view home);

// Whether `path` can be lent to a server: absolute, an existing directory, not "/" (the message
// says which and what to do).
Status CheckLentFolder(const std::string& path);

}  // namespace hearth::mcp
