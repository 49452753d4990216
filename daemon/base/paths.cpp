// SPDX-License-Identifier: Apache-2.0
#include "base/paths.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "base/fd.h"

namespace hearth {
namespace {

Result<std::string> Home() {
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] == '/') return std::string(home);
  struct passwd* pw = getpwuid(getuid());
  if (pw != nullptr && pw->pw_dir != nullptr && pw->pw_dir[0] == '/')
    return std::string(pw->pw_dir);
  return Status::NotFound("cannot find the home directory: set HOME");
}

Result<std::string> XdgDir(const char* variable, const char* home_suffix) {
  const char* value = std::getenv(variable);
  if (value != nullptr && value[0] == '/') return std::string(value) + "/hearth";
  auto home = Home();
  if (!home.ok()) return home.status();
  return *home + home_suffix + "/hearth";
}

}  // namespace

Result<std::string> DataDir() { return XdgDir("XDG_DATA_HOME", "/.local/share"); }
Result<std::string> ConfigDir() { return XdgDir("XDG_CONFIG_HOME", "/.config"); }
Result<std::string> CacheDir() { return XdgDir("XDG_CACHE_HOME", "/.cache"); }

Result<std::string> RuntimeDir() {
  const char* value = std::getenv("XDG_RUNTIME_DIR");
  if (value != nullptr && value[0] == '/') return std::string(value) + "/hearth";
  std::string fallback = "/run/user/" + std::to_string(getuid());
  struct stat st;
  if (stat(fallback.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return fallback + "/hearth";
  return Status::NotFound(
      "XDG_RUNTIME_DIR is not set and /run/user/UID does not exist: run Hearth inside a user "
      "session, or set XDG_RUNTIME_DIR to a private directory");
}

Status EnsurePrivateDir(const std::string& path) {
  if (path.empty()) return Status::InvalidArgument("empty directory path");
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    bool last = pos == path.size();
    if (mkdir(prefix.c_str(), last ? 0700 : 0755) != 0 && errno != EEXIST) {
      return PosixError("create directory " + prefix, errno);
    }
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return PosixError("stat " + path, errno);
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + " exists but is not a directory");
  if (st.st_uid != getuid()) {
    return Status::PermissionDenied(path + " belongs to another user; refusing to use it");
  }
  if ((st.st_mode & 077) != 0 && chmod(path.c_str(), 0700) != 0) {
    return PosixError("make " + path + " private (chmod 0700)", errno);
  }
  return Status::Ok();
}

Status WriteFileAtomic(const std::string& path, std::string_view contents) {
  std::string tmp = path + ".tmp";
  UniqueFd fd(open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return PosixError("create " + tmp, errno);
  size_t done = 0;
  while (done < contents.size()) {
    ssize_t n = write(fd.get(), contents.data() + done, contents.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return PosixError("write " + tmp, errno);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return PosixError("fsync " + tmp, errno);
  fd.Reset();
  if (rename(tmp.c_str(), path.c_str()) != 0) return PosixError("rename to " + path, errno);
  return Status::Ok();
}

Result<std::string> ReadSmallFile(const std::string& path, size_t max_size) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return PosixError("open " + path, errno);
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return PosixError("read " + path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > max_size) return Status::TooLarge(path + " is larger than expected");
  }
  return out;
}

bool IsWithin(std::string_view path, std::string_view dir) {
  if (dir == "/") return true;
  return path == dir ||
         (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

std::string RealPath(const std::string& path) {
  std::unique_ptr<char, decltype(&free)> real(realpath(path.c_str(), nullptr), &free);
  return real ? std::string(real.get()) : std::string();
}

std::string LexicallyNormal(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  std::string out;
  for (std::string_view part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? "/" : out;
}

}  // namespace hearth
