// SPDX-License-Identifier: Apache-2.0
// ProtectedList: the places the agent's tools and commands may read but never write, because
// what is written there runs later outside every sandbox.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "sandbox/deny_list.h"

namespace hearth::sandbox {

// Files and folders that become code the user runs unconfined: git's hooks and configuration
// (the next `git status` runs core.fsmonitor, the next commit runs .git/hooks/pre-commit), shell
// start-up files, desktop autostart entries, systemd user units, ~/.local/bin (early in PATH),
// editor task and launch files, direnv's .envrc and pre-commit's configuration.
//
// Patterns are matched exactly as DenyList matches them (a name at any depth, a run of names
// anywhere, everything beneath a match, ASCII case ignored), against both the path as given and
// the path the kernel reached. All of `.git` is protected, not only hooks/ and config: git also
// takes hooks and configuration from .git/modules/*/ and config.worktree, and a `.git` *file*
// ("gitdir: ...") points git at a directory of the writer's choosing.
//
// The user may unlock specific absolute paths (Settings): an unlocked path, and everything
// beneath it, is writable again. Only a path the patterns protect can be unlocked, so an unlock
// never reaches wider than the user meant ("/home/me" is refused).
//
// Immutable once built; const methods are thread-safe.
class ProtectedList {
 public:
  // The default patterns: DefaultPatterns().
  ProtectedList();

  static const std::vector<std::string>& DefaultPatterns();

  // Makes `path` (absolute) and everything beneath it writable. InvalidArgument, with a message
  // for the user, when it is not absolute, has a ".." component, a NUL byte, is longer than 4096
  // bytes, or is not protected in the first place. Like DenyList::Add, an existing path is also
  // recorded as its real path when that differs.
  Status Unlock(std::string_view path);

  // For an absolute path inside the workspace root `root` (see DenyList::DeniesAbsolute for how
  // `root` limits matching): true when a pattern protects it and no unlock covers it. A path
  // with ".." is judged as resolved lexically for the unlocks.
  bool Protects(std::string_view path, std::string_view root) const;

  // The unlocked paths as given (lexically normalised), in the order added.
  const std::vector<std::string>& unlocked() const { return unlocked_; }

  // The refusal of a write to `shown` (the path as given, made safe to show), which is
  // `absolute`: what happened, why, and where the user can unlock it.
  static std::string Refusal(std::string_view shown, std::string_view absolute);

 private:
  bool Unlocked(std::string_view path) const;

  DenyList patterns_ = DenyList::Empty();
  std::vector<std::string> unlocked_;
  std::vector<std::string> unlocked_forms_;  // as given and as real paths
};

}  // namespace hearth::sandbox
