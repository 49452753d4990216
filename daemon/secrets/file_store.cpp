// SPDX-License-Identifier: Apache-2.0
#include "secrets/file_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <json/json.h>

#include "base/fd.h"
#include "base/json.h"
#include "base/paths.h"

namespace hearth::secrets {
namespace {

constexpr int kFormatVersion = 1;

std::string Octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Why the file at `path`, described by `st`, must not hold secrets; Ok when it may.
Status CheckFile(const std::string& path, const struct stat& st) {
  if (!S_ISREG(st.st_mode)) {
    return Status::PermissionDenied(path + " is not a regular file, so Hearth will not keep keys " +
                                    "in it: remove it, then enter the keys again in Settings");
  }
  if (st.st_uid != geteuid()) {
    return Status::PermissionDenied(path + " belongs to user " + std::to_string(st.st_uid) +
                                    ", not to you: Hearth will not read or replace it; remove it " +
                                    "and enter the keys again in Settings");
  }
  if ((st.st_mode & 077) != 0) {
    return Status::PermissionDenied(path + " has mode " + Octal(st.st_mode) +
                                    ", so other users may read or change it: run `chmod 600 " +
                                    path + "`, then restart Hearth (`hearthctl restart`)");
  }
  return Status::Ok();
}

Status RefuseSymlink(const std::string& path) {
  return Status::PermissionDenied(path + " is a symbolic link, which Hearth does not follow for " +
                                  "its keys: replace it with the file itself, then restart Hearth");
}

Status NoDir() {
  return Status::Unavailable(
      "Hearth has no configuration directory for its keys: set HOME or XDG_CONFIG_HOME");
}

}  // namespace

FileSecretStore::FileSecretStore(std::string dir, std::string shown_dir)
    : dir_(std::move(dir)), shown_dir_(std::move(shown_dir)) {}

std::string FileSecretStore::Where() const {
  return "file " + shown_dir_ + "/" + std::string(kFileName) + ", 0600";
}

Status FileSecretStore::LoadLocked() {
  if (loaded_) return Status::Ok();
  if (dir_.empty()) return NoDir();
  const std::string file = path();
  UniqueFd fd(open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) {
      values_.clear();
      loaded_ = true;
      return Status::Ok();
    }
    if (errno == ELOOP) return RefuseSymlink(file);
    return PosixError("open " + file, errno);
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return PosixError("stat " + file, errno);
  if (Status s = CheckFile(file, st); !s.ok()) return s;
  if (static_cast<size_t>(st.st_size) > kMaxFileBytes) {
    return Status::TooLarge(file + " is over 1 MiB, which no file of Hearth's is: move it away, " +
                            "then enter the keys again in Settings");
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return PosixError("read " + file, errno);
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
    if (text.size() > kMaxFileBytes) return Status::TooLarge(file + " is over 1 MiB");
  }
  Json::Value root;
  const Status bad = Status::Corrupt(
      file + " is not a secrets file Hearth wrote, so Hearth leaves it as it is and cannot read " +
      "the keys in it: fix it, or move it away and enter the keys again in Settings");
  if (!ParseJson(text, &root, 4) || !root.isObject() || !root["version"].isInt() ||
      !root["secrets"].isObject()) {
    return bad;
  }
  if (root["version"].asInt() != kFormatVersion) {
    return Status::Unsupported(file + " was written by a newer Hearth (format " +
                               std::to_string(root["version"].asInt()) +
                               "): run that version, or move the file away");
  }
  std::map<std::string, std::string, std::less<>> values;
  const Json::Value& secrets = root["secrets"];
  for (const std::string& name : secrets.getMemberNames()) {
    if (!secrets[name].isString()) return bad;
    values[name] = secrets[name].asString();
  }
  values_ = std::move(values);
  loaded_ = true;
  return Status::Ok();
}

Status FileSecretStore::WriteLocked(const std::map<std::string, std::string, std::less<>>& values) {
  if (dir_.empty()) return NoDir();
  if (Status s = EnsurePrivateDir(dir_); !s.ok()) return s;
  const std::string file = path();
  // The file may have been replaced since it was read: check again what the rename would replace.
  struct stat st;
  if (lstat(file.c_str(), &st) == 0) {
    if (S_ISLNK(st.st_mode)) return RefuseSymlink(file);
    if (Status s = CheckFile(file, st); !s.ok()) return s;
  } else if (errno != ENOENT) {
    return PosixError("stat " + file, errno);
  }

  Json::Value root(Json::objectValue);
  root["version"] = kFormatVersion;
  root["secrets"] = Json::Value(Json::objectValue);
  for (const auto& [name, value] : values) root["secrets"][name] = value;
  Json::StreamWriterBuilder writer;
  writer["indentation"] = "  ";
  std::string text = Json::writeString(writer, root) + "\n";

  UniqueFd dir(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir.valid()) return PosixError("open " + dir_, errno);
  std::string tmp_name = "." + std::string(kFileName) + ".XXXXXX";
  std::string tmp = dir_ + "/" + tmp_name;
  // mkostemp: a new name, created 0600 with O_EXCL, so nothing placed there beforehand is used.
  UniqueFd fd(mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd.valid()) return PosixError("create a file in " + dir_, errno);
  auto fail = [&](const std::string& what, int error) {
    unlink(tmp.c_str());
    return PosixError(what + " " + tmp, error);
  };
  if (fchmod(fd.get(), 0600) != 0) return fail("chmod", errno);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write", errno);
    }
    done += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return fail("fsync", errno);
  fd.Reset();
  if (rename(tmp.c_str(), file.c_str()) != 0) return fail("rename", errno);
  // The rename itself must reach the disk before the database stops naming the old value.
  if (fsync(dir.get()) != 0) return PosixError("fsync " + dir_, errno);
  return Status::Ok();
}

Result<std::optional<std::string>> FileSecretStore::Get(std::string_view name) {
  std::lock_guard lock(mu_);
  if (Status s = LoadLocked(); !s.ok()) return s;
  auto it = values_.find(name);
  if (it == values_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

Status FileSecretStore::Put(std::string_view name, std::string_view value) {
  std::lock_guard lock(mu_);
  if (Status s = LoadLocked(); !s.ok()) return s;
  auto it = values_.find(name);
  if (it != values_.end() && it->second == value) return Status::Ok();
  auto values = values_;
  values[std::string(name)] = std::string(value);
  if (Status s = WriteLocked(values); !s.ok()) return s;
  values_ = std::move(values);
  return Status::Ok();
}

Status FileSecretStore::Remove(std::string_view name) {
  std::lock_guard lock(mu_);
  if (Status s = LoadLocked(); !s.ok()) return s;
  auto it = values_.find(name);
  if (it == values_.end()) return Status::Ok();
  auto values = values_;
  values.erase(std::string(name));
  if (Status s = WriteLocked(values); !s.ok()) return s;
  values_ = std::move(values);
  return Status::Ok();
}

Status FileSecretStore::Check() {
  std::lock_guard lock(mu_);
  return LoadLocked();
}

}  // namespace hearth::secrets
