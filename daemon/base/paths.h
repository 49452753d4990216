// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth {

// The XDG base directories Hearth uses, each with "/hearth" appended:
//   data:    $XDG_DATA_HOME    or ~/.local/share  (the SQLite file)
//   runtime: $XDG_RUNTIME_DIR  or /run/user/UID   (port file, instance lock)
//   config:  $XDG_CONFIG_HOME  or ~/.config
//   cache:   $XDG_CACHE_HOME   or ~/.cache         (MCP servers' package caches)
// Relative XDG values are ignored, as the spec requires.
Result<std::string> DataDir();
Result<std::string> RuntimeDir();
Result<std::string> ConfigDir();
Result<std::string> CacheDir();

// Creates `path` and missing parents; the last component gets mode 0700. Fails if `path` exists
// but is not a directory, or is owned by someone else.
Status EnsurePrivateDir(const std::string& path);

// Writes `contents` to `path` atomically (temporary file, fsync, rename) with mode 0600.
Status WriteFileAtomic(const std::string& path, std::string_view contents);

// Reads a whole small file (at most `max_size` bytes).
Result<std::string> ReadSmallFile(const std::string& path, size_t max_size = 4096);

// True when `path` is `dir` or lies beneath it. Both absolute and lexically normalised: this
// compares names, it resolves nothing.
bool IsWithin(std::string_view path, std::string_view dir);

// `path` (absolute) with ".", ".." and repeated slashes resolved lexically, without touching the
// file system ("/a/./b/../c//d" is "/a/c/d"; ".." at the root stays at the root).
std::string LexicallyNormal(std::string_view path);

// realpath(3) of `path`: absolute, symlinks resolved; empty when it cannot be resolved.
std::string RealPath(const std::string& path);

}  // namespace hearth
