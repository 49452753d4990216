// SPDX-License-Identifier: Apache-2.0
#include "sandbox/deny_list.h"

#include <stdlib.h>

#include <algorithm>
#include <memory>

namespace hearth::sandbox {
namespace {

constexpr size_t kMaxEntryLength = 4096;

char LowerAscii(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Components of `path` without empty ones and ".", ".." kept as written.
std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty() && part != ".") out.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

// `components` with each ".." taking away the one before it (none left: it is dropped).
std::vector<std::string_view> Resolve(const std::vector<std::string_view>& components) {
  std::vector<std::string_view> out;
  for (std::string_view part : components) {
    if (part != "..") {
      out.push_back(part);
    } else if (!out.empty()) {
      out.pop_back();
    }
  }
  return out;
}

bool EqualIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] - 'A' + 'a') : b[i];
    if (x != y) return false;
  }
  return true;
}

// Ignoring ASCII case, like the patterns (see DenyList): on a case-folding file system
// ".config/HEARTH" is Hearth's own ".config/hearth".
bool HasPrefix(const std::vector<std::string_view>& components,
               const std::vector<std::string>& prefix) {
  if (prefix.size() > components.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (!EqualIgnoringAsciiCase(components[i], prefix[i])) return false;
  }
  return true;
}

std::vector<std::string> ToStrings(const std::vector<std::string_view>& parts) {
  return std::vector<std::string>(parts.begin(), parts.end());
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view name) {
  // Greedy matching with one backtrack point, the last `*` seen: linear in practice and never
  // worse than |pattern| * |name|.
  size_t p = 0;
  size_t n = 0;
  size_t star = std::string_view::npos;
  size_t resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() &&
               (pattern[p] == '?' || LowerAscii(pattern[p]) == LowerAscii(name[n]))) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

const std::vector<std::string>& DenyList::DefaultPatterns() {
  // Keys, tokens and password stores in the places their programs keep them, and browser and
  // mail profiles (cookies, saved passwords, mail).
  static const std::vector<std::string> kDefaults = {
      ".ssh",
      ".gnupg",
      ".aws",
      ".config/gcloud",
      ".netrc",
      ".env*",
      "*.pem",
      "*.key",
      "id_*",
      ".git-credentials",
      ".docker/config.json",
      ".kube",
      ".npmrc",
      ".pypirc",
      ".azure",
      ".vault-token",
      ".terraform.d",
      ".cargo/credentials*",
      ".config/gh",
      ".password-store",
      ".local/share/keyrings",
      "*.kdbx",
      ".mozilla",
      ".thunderbird",
      ".config/google-chrome",
      ".config/chromium",
      ".config/BraveSoftware",
  };
  return kDefaults;
}

DenyList::DenyList() {
  for (const std::string& pattern : DefaultPatterns()) {
    Status added = Add(pattern);
    assert(added.ok());
    (void)added;
  }
}

Status DenyList::Add(std::string_view entry) {
  if (entry.empty()) return Status::InvalidArgument("a deny-list entry cannot be empty");
  if (entry.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("a deny-list entry cannot contain a NUL byte");
  }
  if (entry.size() > kMaxEntryLength) {
    return Status::InvalidArgument("a deny-list entry is longer than 4096 bytes");
  }
  std::vector<std::string_view> parts = Split(entry);
  if (entry.front() == '/') {
    absolute_.push_back(ToStrings(Resolve(parts)));
    std::unique_ptr<char, decltype(&free)> real(realpath(std::string(entry).c_str(), nullptr),
                                                &free);
    if (real) {
      std::vector<std::string> real_parts = ToStrings(Split(real.get()));
      if (real_parts != absolute_.back()) absolute_.push_back(std::move(real_parts));
    }
  } else {
    for (std::string_view part : parts) {
      if (part == "..") {
        return Status::InvalidArgument("deny-list pattern \"" + std::string(entry) +
                                       "\" has a \"..\" component, which matches nothing");
      }
    }
    if (parts.empty()) {
      return Status::InvalidArgument("deny-list pattern \"" + std::string(entry) +
                                     "\" names nothing");
    }
    patterns_.push_back(ToStrings(parts));
  }
  entries_.emplace_back(entry);
  return Status::Ok();
}

bool DenyList::MatchesPattern(const std::vector<std::string_view>& components,
                              size_t first_checked) const {
  for (const std::vector<std::string>& pattern : patterns_) {
    size_t k = pattern.size();
    // `end` is the index of the component the match ends at.
    for (size_t end = std::max(first_checked, k - 1); end < components.size(); ++end) {
      size_t start = end + 1 - k;
      bool all = true;
      for (size_t j = 0; j < k && all; ++j) all = GlobMatch(pattern[j], components[start + j]);
      if (all) return true;
    }
  }
  return false;
}

bool DenyList::UnderAbsoluteEntry(const std::vector<std::string_view>& components) const {
  for (const std::vector<std::string>& entry : absolute_) {
    if (HasPrefix(components, entry)) return true;
  }
  return false;
}

bool DenyList::Denies(std::string_view root_relative_path) const {
  std::vector<std::string_view> raw = Split(root_relative_path);
  return MatchesPattern(raw, 0) || MatchesPattern(Resolve(raw), 0);
}

bool DenyList::DeniesAbsolute(std::string_view path, std::string_view root) const {
  std::vector<std::string_view> raw = Split(path);
  std::vector<std::string_view> resolved = Resolve(raw);
  if (UnderAbsoluteEntry(raw) || UnderAbsoluteEntry(resolved)) return true;
  std::vector<std::string_view> root_parts = Split(root);
  bool root_is_prefix = root_parts.size() <= raw.size();
  for (size_t i = 0; i < root_parts.size() && root_is_prefix; ++i) {
    root_is_prefix = root_parts[i] == raw[i];
  }
  size_t first_checked = root_is_prefix && !root_parts.empty() ? root_parts.size() - 1 : 0;
  return MatchesPattern(raw, first_checked) || MatchesPattern(resolved, first_checked);
}

}  // namespace hearth::sandbox
