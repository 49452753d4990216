// SPDX-License-Identifier: Apache-2.0
#include "auth/app_host.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/fd.h"
#include "base/paths.h"
#include "base/random.h"

namespace hearth::auth {
namespace {

constexpr std::string_view kPrefix = "h-";
constexpr std::string_view kSuffix = ".localhost";
constexpr size_t kRandomBytes = 20;  // 160 bits

bool IsLowerHex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

std::string NewAppHost() {
  unsigned char bytes[kRandomBytes];
  FillRandom(bytes, sizeof bytes);
  return std::string(kPrefix) + HexEncode(bytes, sizeof bytes) + std::string(kSuffix);
}

Result<std::string> ReadAppHost(const std::string& path) {
  auto text = ReadSmallFile(path, 256);
  if (!text.ok()) return text.status();
  std::string name = *text;
  while (!name.empty() && (name.back() == '\n' || name.back() == ' ')) name.pop_back();
  if (!IsAppHostName(name)) {
    return Status::InvalidArgument(
        path +
        " does not hold the host name Hearth's pages are served under (h-<hex>.localhost)"
        "; delete the file and start Hearth again (it makes a new name, so open tabs and "
        "bookmarks then need a new login link)");
  }
  return name;
}

// Writes `contents` to a new file at `path`; false if there is one already. Written to a
// temporary file first and linked into place, so a reader never sees half a name and two
// writers never overwrite each other.
Result<bool> CreateExclusive(const std::string& path, std::string_view contents) {
  std::string tmp = path + "." + std::to_string(getpid()) + ".tmp";
  {
    UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd.valid()) return PosixError("create " + tmp, errno);
    if (write(fd.get(), contents.data(), contents.size()) !=
            static_cast<ssize_t>(contents.size()) ||
        fsync(fd.get()) != 0) {
      int error = errno;
      unlink(tmp.c_str());
      return PosixError("write " + tmp, error);
    }
  }
  int linked = link(tmp.c_str(), path.c_str());
  int error = errno;
  unlink(tmp.c_str());
  if (linked != 0) {
    if (error == EEXIST) return false;
    return PosixError("create " + path, error);
  }
  return true;
}

}  // namespace

bool IsAppHostName(std::string_view name) {
  if (!name.starts_with(kPrefix) || !name.ends_with(kSuffix)) return false;
  std::string_view hex = name.substr(kPrefix.size(), name.size() - kPrefix.size() - kSuffix.size());
  return hex.size() >= 32 && hex.size() + kPrefix.size() <= 63 &&
         std::all_of(hex.begin(), hex.end(), IsLowerHex);
}

Result<std::string> LoadOrCreateAppHost(const std::string& path) {
  auto existing = ReadAppHost(path);
  if (existing.ok() || existing.status().code() != Status::Code::kNotFound) return existing;
  std::string name = NewAppHost();
  auto created = CreateExclusive(path, name + "\n");
  if (!created.ok()) return created.status();
  if (*created) return name;
  return ReadAppHost(path);  // another process made it first: its name is the one
}

std::string AppAuthority(std::string_view name, uint16_t port) {
  return std::string(name) + ":" + std::to_string(port);
}

std::string AppOrigin(std::string_view name, uint16_t port) {
  return "http://" + AppAuthority(name, port);
}

}  // namespace hearth::auth
