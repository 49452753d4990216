// SPDX-License-Identifier: Apache-2.0
#include "auth/token_drop.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>

#include "base/paths.h"

namespace hearth::auth {
namespace {

bool IsDigestName(std::string_view name) {
  return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The expiry stored in a drop file, or -1 if it is unreadable.
int64_t ReadExpiry(const std::string& path) {
  auto text = ReadSmallFile(path, 32);
  if (!text.ok()) return -1;
  char* end = nullptr;
  long long value = std::strtoll(text->c_str(), &end, 10);
  return end != text->c_str() ? value : -1;
}

}  // namespace

Status TokenDrop::Put(std::string_view token_hash, int64_t expires_ms) {
  if (!IsDigestName(token_hash)) return Status::InvalidArgument("not a token digest");
  Status s = EnsurePrivateDir(dir_);
  if (!s.ok()) return s;
  return WriteFileAtomic(dir_ + "/" + std::string(token_hash), std::to_string(expires_ms) + "\n");
}

Result<bool> TokenDrop::Take(std::string_view token_hash, int64_t now_ms) {
  if (!IsDigestName(token_hash)) return false;
  std::string path = dir_ + "/" + std::string(token_hash);
  int64_t expires = ReadExpiry(path);
  if (expires < 0) return false;
  if (unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;  // another request took it first
    return PosixError("remove used login token " + path, errno);
  }
  return now_ms < expires;
}

Result<int64_t> TokenDrop::SweepExpired(int64_t now_ms) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(dir_.c_str()), closedir);
  if (!dir) return errno == ENOENT ? Result<int64_t>(0) : PosixError("open " + dir_, errno);
  int64_t removed = 0;
  while (dirent* entry = readdir(dir.get())) {
    std::string_view name = entry->d_name;
    std::string path = dir_ + "/" + std::string(name);
    bool stale_tmp = name.ends_with(".tmp");
    if (!IsDigestName(name) && !stale_tmp) continue;
    if (stale_tmp || ReadExpiry(path) <= now_ms) {
      if (unlink(path.c_str()) == 0) ++removed;
    }
  }
  return removed;
}

}  // namespace hearth::auth
