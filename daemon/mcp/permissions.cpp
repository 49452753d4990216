// SPDX-License-Identifier: Apache-2.0
#include "mcp/permissions.h"

#include <sys/stat.h>

#include <algorithm>

#include "base/paths.h"

namespace hearth::mcp {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string Joined(const std::vector<std::string>& paths) {
  std::string out;
  for (const std::string& path : paths) out += (out.empty() ? "" : ", ") + path;
  return out;
}

}  // namespace

std::string DescribePermissions(const ServerPermissions& permissions) {
  std::string text = permissions.network ? "network on" : "network off";
  if (permissions.read_paths.empty() && permissions.write_paths.empty()) {
    return text + ", no folders beyond the workspace";
  }
  if (!permissions.read_paths.empty()) text += ", reads " + Joined(permissions.read_paths);
  if (!permissions.write_paths.empty()) {
    text += ", reads and writes " + Joined(permissions.write_paths);
  }
  return text;
}

std::vector<std::string> FoldersNamedIn(const std::vector<std::string>& args,
                                        std::string_view home) {
  std::vector<std::string> folders;
  for (const std::string& arg : args) {
    std::string path = arg;
    if (path.starts_with("--")) {
      size_t equals = path.find('=');
      if (equals == std::string::npos) continue;
      path = path.substr(equals + 1);
    }
    if (path.starts_with("~/") && !home.empty()) path = std::string(home) + path.substr(1);
    if (!path.starts_with('/')) continue;
    path = LexicallyNormal(path);
    if (path == "/" || !IsDirectory(path)) continue;
    if (std::find(folders.begin(), folders.end(), path) == folders.end()) folders.push_back(path);
  }
  return folders;
}

Status CheckLentFolder(const std::string& path) {
  if (!path.starts_with('/')) {
    return Status::InvalidArgument("\"" + path +
                                   "\" is not an absolute path: give the whole path, from /");
  }
  if (LexicallyNormal(path) == "/") {
    return Status::InvalidArgument(
        "an MCP server cannot be given the whole file system (\"/\"): name the folders it needs");
  }
  if (!IsDirectory(path)) {
    return Status::NotFound(path + " is not an existing folder: create it first, or correct it");
  }
  return Status::Ok();
}

}  // namespace hearth::mcp
