// SPDX-License-Identifier: Apache-2.0
// sandbox: confines what the agent's tools may touch to the user's workspace, minus a deny-list.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hearth::sandbox {

// Shell-style matching of one name against `pattern`: `*` matches any run of bytes (a leading dot
// included), `?` matches one byte. ASCII letters match regardless of case (see DenyList for why).
// There are no character classes and no escapes.
bool GlobMatch(std::string_view pattern, std::string_view name);

// The places no tool may read or write, whatever path leads there. Three kinds of entries:
//   - a pattern without `/` (".ssh", "*.pem", "id_*") matches any single path component at any
//     depth, so ".ssh" denies "a/b/.ssh/config" and "*.pem" denies "certs/x.pem";
//   - a pattern with `/` (".config/gcloud") matches that run of components anywhere in a path:
//     "a/.config/gcloud/x" is denied, and so is everything beneath a match;
//   - an absolute path ("/home/u/.local/share/hearth") denies that file or directory and
//     everything under it.
// Matching ignores ASCII case: Linux names are case-sensitive, but a case-folding file system
// (vfat, exfat, ext4 with casefold) opens ".SSH/ID_RSA" as ".ssh/id_rsa", and denying ".SSH" on
// an ordinary file system costs nothing worth keeping. Globs are deliberately broad: "id_*" also
// denies "id_generator.cpp", ".env*" also denies ".envrc"; a false denial is visible and
// harmless, a missed secret is not.
//
// Paths are judged lexically: "a/../.ssh" and ".//.ssh" are denied because a component matches,
// and a path is denied if it names a denied entry on its way ("x/.ssh/../y"). The caller (the
// Workspace) checks both the path it was given and the path the kernel actually reached, which is
// what makes symlinks harmless. A hard link to a secret placed inside the workspace by someone
// else cannot be recognised by its name; that is outside what a name-based list can do.
//
// Immutable once built; const methods are thread-safe.
class DenyList {
 public:
  // The default patterns: DefaultPatterns().
  DenyList();

  // The patterns every DenyList starts with.
  static const std::vector<std::string>& DefaultPatterns();
  // A list without the defaults, for other lists of names matched the same way (ProtectedList).
  static DenyList Empty() { return DenyList(NoDefaults{}); }

  // Adds a pattern or an absolute path (see above). InvalidArgument when it is empty, contains a
  // NUL byte, is longer than 4096 bytes, or (for a pattern) has a ".." component or no name at
  // all ("./"). An absolute path is also recorded as its real path when it exists and differs
  // (symlinked home directories), so the check on reached paths still matches it.
  Status Add(std::string_view entry);

  // True if a pattern matches `root_relative_path`, a path relative to a workspace root. Empty
  // components and "." are ignored; ".." is judged both as written and resolved lexically.
  bool Denies(std::string_view root_relative_path) const;

  // For an absolute path (as given, or as reached by the kernel) inside the workspace root `root`
  // (an absolute path that is a lexical prefix of `path`; "/" when there is none): true if an
  // absolute entry covers `path`, or a pattern match ends at `root`'s own last component or below
  // it. Components above the root are context only, so a root at /srv/id_users/me does not deny
  // all of itself through "id_*", while a root at ~/.config still denies "gcloud" inside it.
  bool DeniesAbsolute(std::string_view path, std::string_view root) const;

  // Every entry in the order added, the defaults first.
  const std::vector<std::string>& entries() const { return entries_; }

 private:
  struct NoDefaults {};
  explicit DenyList(NoDefaults) {}
  bool MatchesPattern(const std::vector<std::string_view>& components, size_t first_checked) const;
  bool UnderAbsoluteEntry(const std::vector<std::string_view>& components) const;

  std::vector<std::string> entries_;
  std::vector<std::vector<std::string>> patterns_;  // each a run of component globs
  std::vector<std::vector<std::string>> absolute_;  // each a path's components
};

}  // namespace hearth::sandbox
