// SPDX-License-Identifier: Apache-2.0
#include "sandbox/protected_list.h"

#include <cassert>

#include "base/paths.h"

namespace hearth::sandbox {
namespace {

constexpr size_t kMaxPathLength = 4096;

}  // namespace

std::string ProtectedList::Refusal(std::string_view shown, std::string_view absolute) {
  return "denied: " + std::string(shown) +
         " cannot be written: it is write-protected (what is written there runs outside Hearth's "
         "sandbox: git hooks and configuration, shell start-up files, autostart entries, editor "
         "tasks); tools and commands may read it but not change it. Only the user can unlock it, "
         "in Hearth's Settings under \"Write-protected paths\" (the path to unlock: " +
         std::string(absolute) + ").";
}

const std::vector<std::string>& ProtectedList::DefaultPatterns() {
  static const std::vector<std::string> kDefaults = {
      // git: hooks, core.fsmonitor, core.hooksPath, aliases, filters; global and per-repository.
      ".git",
      ".gitconfig",
      ".config/git",
      // Shells and sessions read these at start-up.
      ".bashrc",
      ".bash_profile",
      ".bash_login",
      ".bash_logout",
      ".profile",
      ".zshrc",
      ".zshenv",
      ".zprofile",
      ".zlogin",
      ".zlogout",
      ".cshrc",
      ".tcshrc",
      ".login",
      ".kshrc",
      ".mkshrc",
      ".config/fish",
      ".xprofile",
      ".xinitrc",
      ".xsession",
      ".xsessionrc",
      ".pam_environment",
      // Started by the desktop or systemd at log-in; found first on PATH.
      ".config/autostart",
      ".config/systemd/user",
      ".config/environment.d",
      ".local/share/systemd/user",
      ".local/bin",
      // Run by editors and tools when a folder is opened or a commit is made.
      ".vscode/tasks.json",
      ".vscode/settings.json",
      ".vscode/launch.json",
      ".envrc",
      ".pre-commit-config.yaml",
  };
  return kDefaults;
}

ProtectedList::ProtectedList() {
  for (const std::string& pattern : DefaultPatterns()) {
    Status added = patterns_.Add(pattern);
    assert(added.ok());
    (void)added;
  }
}

Status ProtectedList::Unlock(std::string_view path) {
  if (path.empty() || path.front() != '/') {
    return Status::InvalidArgument("an unlocked path must be absolute (\"" +
                                   std::string(path.substr(0, 200)) + "\" is not)");
  }
  if (path.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("an unlocked path cannot contain a NUL byte");
  }
  if (path.size() > kMaxPathLength) {
    return Status::InvalidArgument("an unlocked path is longer than 4096 bytes");
  }
  std::string normal = LexicallyNormal(path);
  for (size_t at = 0; at < path.size();) {
    size_t slash = path.find('/', at);
    if (slash == std::string_view::npos) slash = path.size();
    if (path.substr(at, slash - at) == "..") {
      return Status::InvalidArgument("the unlocked path " + std::string(path.substr(0, 200)) +
                                     " has a \"..\" component; give the plain path");
    }
    at = slash + 1;
  }
  if (!patterns_.DeniesAbsolute(normal, "/")) {
    return Status::InvalidArgument(
        normal.substr(0, 200) +
        " is not write-protected, so there is nothing to unlock; unlock only the protected file "
        "or folder itself (such as /home/me/project/.git/hooks/pre-commit)");
  }
  unlocked_.push_back(normal);
  unlocked_forms_.push_back(normal);
  std::string real = RealPath(normal);
  if (!real.empty() && real != normal) unlocked_forms_.push_back(std::move(real));
  return Status::Ok();
}

bool ProtectedList::Unlocked(std::string_view path) const {
  if (unlocked_forms_.empty()) return false;
  std::string resolved = LexicallyNormal(path);
  for (const std::string& form : unlocked_forms_) {
    if (IsWithin(resolved, form)) return true;
  }
  return false;
}

bool ProtectedList::Protects(std::string_view path, std::string_view root) const {
  return patterns_.DeniesAbsolute(path, root) && !Unlocked(path);
}

}  // namespace hearth::sandbox
