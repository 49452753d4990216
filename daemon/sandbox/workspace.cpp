// SPDX-License-Identifier: Apache-2.0
#include "sandbox/workspace.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "base/paths.h"
#include "base/random.h"

namespace hearth::sandbox {
namespace {

constexpr size_t kMaxPathLength = 4096;  // PATH_MAX, counting the NUL the kernel adds
constexpr size_t kMaxShownPath = 200;
constexpr uint64_t kBeneath = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
constexpr uint64_t kBeneathNoSymlinks = kBeneath | RESOLVE_NO_SYMLINKS;
// openat2 with RESOLVE_BENEATH answers EAGAIN when a rename or mount raced with the lookup, since
// it cannot then vouch for ".." handling; trying again is the documented response.
constexpr int kAttempts = 8;

long SystemOpenat2(int dirfd, const char* path, open_how* how, size_t size) {
  return syscall(SYS_openat2, dirfd, path, how, size);
}

// `path` as it may appear in a message: control bytes replaced, at most ~200 bytes.
std::string Shown(std::string_view path) {
  std::string out;
  for (char c : path.substr(0, kMaxShownPath)) {
    out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
  }
  if (path.size() > kMaxShownPath) {
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) out.pop_back();
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "…";
  }
  return out;
}

// Components of `path` without empty ones and "."; ".." kept as written.
std::vector<std::string_view> Components(std::string_view path) {
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

std::string Join(const std::vector<std::string_view>& parts, size_t from = 0) {
  std::string out;
  for (size_t i = from; i < parts.size(); ++i) {
    if (!out.empty()) out += '/';
    out += parts[i];
  }
  return out;
}

std::string Absolute(const std::vector<std::string_view>& parts) { return "/" + Join(parts); }

// "/a/b" + "c/d"; `root` may be "/" and `rest` empty.
std::string Under(const std::string& root, std::string_view rest) {
  if (rest.empty()) return root;
  return root == "/" ? "/" + std::string(rest) : root + "/" + std::string(rest);
}

// A file-system failure that is not a sandbox decision: never kPermissionDenied, which callers
// audit as a refusal by the sandbox.
Status FileSystemError(std::string_view context, int error_number) {
  Status status = PosixError(context, error_number);
  if (status.code() == Status::Code::kPermissionDenied) return Status::IoError(status.message());
  return status;
}

Status OutsideRoots(std::string_view given) {
  return Status::PermissionDenied("denied: " + Shown(given) + " is outside the workspace roots");
}

Status OnDenyList(std::string_view given) {
  return Status::PermissionDenied("denied: " + Shown(given) + " is on the deny-list");
}

Status WriteProtected(std::string_view given, std::string_view absolute) {
  return Status::PermissionDenied(ProtectedList::Refusal(Shown(given), Shown(absolute)));
}

// Why openat2 failed, for the model and the user.
Status ResolveError(std::string_view given, int error) {
  std::string shown = Shown(given);
  switch (error) {
    case EXDEV:
      return OutsideRoots(given);
    case ELOOP:
      return Status::PermissionDenied("denied: " + shown +
                                      " goes through a symbolic-link loop or a /proc magic link");
    case ENOENT:
      if (given.starts_with("~")) {
        return Status::NotFound(shown +
                                " does not exist (\"~\" is not expanded here: give a path "
                                "relative to the workspace folder, or an absolute one)");
      }
      return Status::NotFound(shown + " does not exist");
    case ENOTDIR:
      return Status::NotFound(shown + " does not exist: part of it is not a directory");
    case ENAMETOOLONG:
      return Status::InvalidArgument(shown + ": a name in the path is too long");
    case ENOSYS:
      return Status::Unavailable("file tools are disabled: openat2 is not available");
    default:
      return FileSystemError("open " + shown, error);
  }
}

// Where `fd` is, as the kernel names it.
Result<std::string> RealPath(int fd) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  std::string target(kMaxPathLength + 1, '\0');
  ssize_t n = readlink(link.c_str(), target.data(), target.size());
  if (n < 0) return FileSystemError("read " + link, errno);
  if (static_cast<size_t>(n) >= target.size()) {
    return Status::PermissionDenied("denied: the path reached is too long to check");
  }
  target.resize(static_cast<size_t>(n));
  return target;
}

// The process's umask, read without changing it (umask(2) can only set it, and setting it even
// for a moment would change the files other threads create meanwhile). 022 if /proc says
// nothing (before Linux 4.7).
mode_t ProcessUmask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("Umask:"))
      return static_cast<mode_t>(std::strtoul(line.c_str() + 6, nullptr, 8) & 0777);
  }
  return 022;
}

// A fresh name for a file being written, hidden and unlikely to be taken.
std::string TemporaryName() {
  unsigned char random[8];
  FillRandom(random, sizeof random);
  return ".hearth-" + HexEncode(random, sizeof random) + ".tmp";
}

Status SymlinkRefused(std::string_view given) {
  return Status::InvalidArgument(Shown(given) +
                                 " is a symbolic link; write to the file it points to");
}

// Why writing `given` failed, when the file system refused. 0: nothing to add.
Status WriteError(std::string_view given, int error) {
  std::string shown = Shown(given);
  switch (error) {
    case 0:
      return Status::IoError("could not write " + shown);
    case EROFS:
      return Status::IoError(
          "could not write " + shown +
          ": the file system is read-only to Hearth. Under its systemd service Hearth sees your "
          "home folder read-only unless the workspace folder is listed in ReadWritePaths= (see "
          "\"Letting the agent write\" in the README)");
    case ENOSPC:
    case EDQUOT:
      return Status::IoError("could not write " + shown + ": the disk is full; " + shown +
                             " was left as it was");
    case EFBIG:
      return Status::TooLarge("could not write " + shown + ": the file is too large");
    default:
      return FileSystemError("write " + shown, error);
  }
}

const char* KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISREG(mode)) return "a file";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
  return "not a regular file";
}

Status CheckName(std::string_view name) {
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string_view::npos ||
      name.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("\"" + Shown(name) + "\" is not a name inside a directory");
  }
  return Status::Ok();
}

// Turns the O_PATH fd `fd` into one opened with `flags` on the very same inode. Going through
// /proc/self/fd/N instead of resolving the path a second time means there is no second lookup
// to race: a file swapped for a FIFO or a symlink between the check and the open cannot be
// opened in its place. The result is checked against the O_PATH fd's st_dev/st_ino anyway.
Result<UniqueFd> Reopen(int fd, int flags, const struct stat& checked, std::string_view given) {
  std::string link = "/proc/self/fd/" + std::to_string(fd);
  UniqueFd reopened(open(link.c_str(), flags | O_CLOEXEC | O_NOCTTY));
  if (!reopened.valid()) return FileSystemError("open " + Shown(given), errno);
  struct stat st;
  if (fstat(reopened.get(), &st) != 0) return FileSystemError("stat " + Shown(given), errno);
  if (st.st_dev != checked.st_dev || st.st_ino != checked.st_ino || !S_ISREG(st.st_mode)) {
    return Status::PermissionDenied("denied: " + Shown(given) + " changed while it was opened");
  }
  return reopened;
}

}  // namespace

Result<FileVersion> VersionOf(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return FileSystemError("stat", errno);
  auto ns = [](const struct timespec& t) { return int64_t{t.tv_sec} * 1000000000 + t.tv_nsec; };
  return FileVersion{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                     static_cast<int64_t>(st.st_size), ns(st.st_mtim), ns(st.st_ctim)};
}

Result<Workspace> Workspace::Open(const std::vector<std::string>& roots, DenyList deny_list,
                                  Openat2Fn openat2) {
  return Open(roots, std::move(deny_list), ProtectedList(), openat2);
}

Result<Workspace> Workspace::Open(const std::vector<std::string>& roots, DenyList deny_list,
                                  ProtectedList protected_list, Openat2Fn openat2) {
  std::vector<Root> opened;
  Status proc_status;
  for (const std::string& root : roots) {
    if (root.empty() || root.front() != '/') {
      return Status::InvalidArgument("workspace root \"" + Shown(root) +
                                     "\" is not an absolute path");
    }
    if (root.find('\0') != std::string::npos || root.size() >= kMaxPathLength) {
      return Status::InvalidArgument("workspace root \"" + Shown(root) + "\" is malformed");
    }
    std::vector<std::string_view> parts = Components(root);
    for (std::string_view part : parts) {
      if (part == "..") {
        return Status::InvalidArgument("workspace root " + Shown(root) +
                                       " contains \"..\"; give the folder's plain path");
      }
    }
    UniqueFd fd(open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd.valid()) return PosixError("open workspace root " + Shown(root), errno);
    std::string path = Absolute(parts);
    Result<std::string> real = RealPath(fd.get());
    if (!real.ok()) {
      proc_status = Status::Unavailable(
          "file tools are disabled: Hearth cannot read /proc/self/fd (" + real.status().message() +
          "), which it needs to check where a path really leads; mount /proc");
      real = path;
    }
    if (deny_list.DeniesAbsolute(path, path) || deny_list.DeniesAbsolute(*real, *real)) {
      return Status::InvalidArgument("workspace root " + Shown(root) +
                                     " is on the deny-list; choose a folder without secrets in it");
    }
    opened.push_back(Root{std::move(path), std::move(*real), std::move(fd)});
  }
  Workspace workspace(std::move(opened), std::move(deny_list),
                      openat2 != nullptr ? openat2 : &SystemOpenat2);
  workspace.protected_ = std::move(protected_list);
  workspace.availability_ = proc_status;

  open_how how{};
  how.flags = O_PATH | O_CLOEXEC;
  how.resolve = kBeneath;
  int probe_dir = workspace.roots_.empty() ? AT_FDCWD : workspace.roots_.front().fd.get();
  long probe = workspace.openat2_(probe_dir, ".", &how, sizeof how);
  if (probe >= 0) {
    close(static_cast<int>(probe));
  } else {
    // ENOSYS before Linux 5.6; EPERM or ENOSYS from a seccomp filter that does not know it.
    workspace.availability_ = Status::Unavailable(
        "file tools are disabled: this system does not allow the openat2 system call (" +
        PosixError("openat2", errno).message() +
        "); Hearth needs it (Linux 5.6 or later) to keep file access inside the workspace");
  }
  return Result<Workspace>(std::move(workspace));
}

std::vector<std::string> Workspace::roots() const {
  std::vector<std::string> out;
  for (const Root& root : roots_) out.push_back(root.path);
  return out;
}

Status Workspace::CheckGiven(std::string_view given, size_t* root, std::string* rest) const {
  if (given.empty()) {
    return Status::InvalidArgument("the path is empty; use \".\" for the workspace folder");
  }
  if (given.find('\0') != std::string_view::npos) {
    return Status::InvalidArgument("the path contains a NUL byte");
  }
  if (given.size() >= kMaxPathLength) {
    return Status::InvalidArgument("the path is too long (" + std::to_string(given.size()) +
                                   " bytes; the limit is 4095)");
  }
  if (roots_.empty()) {
    return Status::PermissionDenied("denied: " + Shown(given) +
                                    " is outside the workspace roots (no folder is configured)");
  }
  std::vector<std::string_view> parts = Components(given);
  if (given.front() != '/') {
    *root = 0;
    *rest = Join(parts);
  } else {
    // The outermost root that contains the path, as configured or as it really is: resolving
    // beneath it lets ".." move anywhere inside the workspace.
    size_t best_length = std::string::npos;
    for (size_t i = 0; i < roots_.size(); ++i) {
      for (const std::string* form : {&roots_[i].path, &roots_[i].real}) {
        std::vector<std::string_view> root_parts = Components(*form);
        bool prefix = root_parts.size() <= parts.size();
        for (size_t j = 0; j < root_parts.size() && prefix; ++j) {
          prefix = root_parts[j] == parts[j];
        }
        if (prefix && root_parts.size() < best_length) {
          best_length = root_parts.size();
          *root = i;
          *rest = Join(parts, root_parts.size());
        }
      }
    }
    if (best_length == std::string::npos) return OutsideRoots(given);
  }
  const Root& r = roots_[*root];
  if (deny_list_.DeniesAbsolute(Under(r.path, *rest), r.path) ||
      deny_list_.DeniesAbsolute(Under(r.real, *rest), r.real)) {
    return OnDenyList(given);
  }
  return Status::Ok();
}

int Workspace::Openat2(int dirfd, const std::string& rest, uint64_t flags, uint64_t resolve,
                       UniqueFd* out, mode_t mode) const {
  open_how how{};
  how.flags = flags;
  how.mode = (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE ? mode : 0;
  how.resolve = resolve;
  const char* path = rest.empty() ? "." : rest.c_str();
  int error = EAGAIN;
  for (int attempt = 0; attempt < kAttempts && error == EAGAIN; ++attempt) {
    long fd = openat2_(dirfd, path, &how, sizeof how);
    if (fd >= 0) {
      out->Reset(static_cast<int>(fd));
      return 0;
    }
    error = errno;
  }
  return error;
}

Result<UniqueFd> Workspace::Resolve(int dirfd, const std::string& rest, uint64_t flags,
                                    uint64_t resolve, std::string_view given) const {
  UniqueFd fd;
  int error = Openat2(dirfd, rest, flags, resolve, &fd);
  if (error == 0) return fd;
  return ResolveError(given, error);
}

Result<Workspace::Location> Workspace::Locate(int fd, std::string_view given) const {
  Result<std::string> real = RealPath(fd);
  if (!real.ok()) return real.status();
  if (real->empty() || real->front() != '/') return OutsideRoots(given);
  std::vector<std::string> root_reals;
  for (const Root& root : roots_) root_reals.push_back(root.real);
  // A root moved since Open no longer matches its recorded path; read the roots afresh then.
  for (int pass = 0; pass < 2; ++pass) {
    size_t outer = roots_.size();
    for (size_t i = 0; i < roots_.size(); ++i) {
      if (IsWithin(*real, root_reals[i]) &&
          (outer == roots_.size() || root_reals[i].size() < root_reals[outer].size())) {
        outer = i;
      }
    }
    if (outer < roots_.size()) {
      if (deny_list_.DeniesAbsolute(*real, root_reals[outer])) {
        return Status::PermissionDenied("denied: " + Shown(given) +
                                        " leads to a path on the deny-list");
      }
      size_t shown_root = IsWithin(*real, root_reals[0]) ? 0 : outer;
      const std::string& base = root_reals[shown_root];
      std::string relative =
          real->substr(base == "/" ? 1 : std::min(real->size(), base.size() + 1));
      Location location;
      location.root_real = root_reals[outer];
      location.display = shown_root == 0 ? (relative.empty() ? "." : relative)
                                         : Under(roots_[shown_root].path, relative);
      location.real = std::move(*real);
      return location;
    }
    for (size_t i = 0; i < roots_.size() && pass == 0; ++i) {
      Result<std::string> now = RealPath(roots_[i].fd.get());
      if (now.ok()) root_reals[i] = std::move(*now);
    }
  }
  return OutsideRoots(given);
}

Result<UniqueFd> Workspace::FinishFile(UniqueFd fd, std::string_view given, int flags) const {
  Result<Location> where = Locate(fd.get(), given);
  if (!where.ok()) return where.status();
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return FileSystemError("stat " + Shown(given), errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(Shown(given) + " is " + KindOf(st.st_mode) +
                                   "; only regular files can be opened");
  }
  if ((flags & O_ACCMODE) != O_RDONLY && st.st_nlink > 1) {
    return Status::InvalidArgument(Shown(given) +
                                   " has other hard links; writing would change them too");
  }
  return Reopen(fd.get(), flags, st, given);
}

Result<Directory> Workspace::FinishDirectory(UniqueFd fd, std::string_view given) const {
  Result<Location> where = Locate(fd.get(), given);
  if (!where.ok()) return where.status();
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return FileSystemError("stat " + Shown(given), errno);
  if (!S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(Shown(given) + " is " + KindOf(st.st_mode) +
                                   ", not a directory");
  }
  return Directory(std::move(fd), std::move(where->display));
}

Result<UniqueFd> Workspace::OpenForRead(std::string_view path) const {
  if (!availability_.ok()) return availability_;
  size_t root = 0;
  std::string rest;
  Status given = CheckGiven(path, &root, &rest);
  if (!given.ok()) return given;
  Result<UniqueFd> fd = Resolve(roots_[root].fd.get(), rest, O_PATH | O_CLOEXEC, kBeneath, path);
  if (!fd.ok()) return fd.status();
  return FinishFile(std::move(*fd), path, O_RDONLY | O_NONBLOCK);
}

Result<Directory> Workspace::OpenDirectory(std::string_view path) const {
  if (!availability_.ok()) return availability_;
  size_t root = 0;
  std::string rest;
  Status given = CheckGiven(path, &root, &rest);
  if (!given.ok()) return given;
  Result<UniqueFd> fd = Resolve(roots_[root].fd.get(), rest, O_PATH | O_CLOEXEC, kBeneath, path);
  if (!fd.ok()) return fd.status();
  return FinishDirectory(std::move(*fd), path);
}

Result<Directory> Workspace::OpenParent(std::string_view path, std::string* name) const {
  size_t root = 0;
  std::string rest;
  Status given = CheckGiven(path, &root, &rest);
  if (!given.ok()) return given;
  if (Status writable = CheckGivenWritable(path, root, rest); !writable.ok()) return writable;
  std::vector<std::string_view> parts = Components(rest);
  if (parts.empty() || parts.back() == ".." || path.ends_with('/') || path.ends_with("/.")) {
    return Status::InvalidArgument(Shown(path) + " does not name a file");
  }
  *name = std::string(parts.back());
  parts.pop_back();
  Result<UniqueFd> parent_fd =
      Resolve(roots_[root].fd.get(), Join(parts), O_PATH | O_CLOEXEC, kBeneath, path);
  if (!parent_fd.ok()) return parent_fd.status();
  Result<Directory> parent = FinishDirectory(std::move(*parent_fd), path);
  if (!parent.ok()) return parent.status();
  // The parent as reached (through symlinks) plus the name, before anything is created.
  if (Status writable = CheckReachedWritable(path, parent->fd(), *name); !writable.ok()) {
    return writable;
  }
  return parent;
}

Status Workspace::CheckWrite(std::string_view path) const {
  if (!availability_.ok()) return Status::Ok();
  std::string name;
  Result<Directory> parent = OpenParent(path, &name);
  if (!parent.ok() && parent.status().code() == Status::Code::kPermissionDenied) {
    return parent.status();
  }
  return Status::Ok();
}

Status Workspace::CheckGivenWritable(std::string_view given, size_t root,
                                     const std::string& rest) const {
  const Root& r = roots_[root];
  for (const std::string* form : {&r.path, &r.real}) {
    std::string path = Under(*form, rest);
    if (protected_.Protects(path, *form)) return WriteProtected(given, path);
  }
  return Status::Ok();
}

Status Workspace::CheckReachedWritable(std::string_view given, int dir,
                                       const std::string& name) const {
  Result<Location> here = Locate(dir, given);
  if (!here.ok()) return here.status();
  std::string path = Under(here->real, name);
  if (deny_list_.DeniesAbsolute(path, here->root_real)) {
    return Status::PermissionDenied("denied: " + Shown(given) +
                                    " leads to a path on the deny-list");
  }
  if (protected_.Protects(path, here->root_real)) return WriteProtected(given, path);
  return Status::Ok();
}

Result<UniqueFd> Workspace::OpenForWrite(std::string_view path, bool create) const {
  if (!availability_.ok()) return availability_;
  std::string name;
  Result<Directory> parent = OpenParent(path, &name);
  if (!parent.ok()) return parent.status();
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    UniqueFd existing;
    int error =
        Openat2(parent->fd(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC, kBeneathNoSymlinks, &existing);
    if (error == 0) {
      struct stat st;
      if (fstat(existing.get(), &st) == 0 && S_ISLNK(st.st_mode)) return SymlinkRefused(path);
      return FinishFile(std::move(existing), path, O_WRONLY);
    }
    if (error != ENOENT || !create) return ResolveError(path, error);
    // O_EXCL with O_NOFOLLOW creates a new regular file or fails; it never follows a link.
    UniqueFd created;
    error = Openat2(parent->fd(), name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                    kBeneathNoSymlinks, &created);
    if (error == 0) {
      Result<Location> where = Locate(created.get(), path);
      if (!where.ok()) return where.status();
      return created;
    }
    if (error != EEXIST) return ResolveError(path, error);
    // Someone else created it between the two calls: look again.
  }
  return Status::Busy(Shown(path) + " keeps changing; try again");
}

Result<WriteOutcome> Workspace::WriteFile(std::string_view path, std::string_view content,
                                          WriteMode mode, const FileVersion* expected) const {
  if (!availability_.ok()) return availability_;
  std::string name;
  Result<Directory> parent = OpenParent(path, &name);
  if (!parent.ok()) return parent.status();

  WriteOutcome outcome;
  mode_t permissions = 0600;  // a replacement keeps its own (see below)
  UniqueFd existing;
  int error =
      Openat2(parent->fd(), name, O_PATH | O_NOFOLLOW | O_CLOEXEC, kBeneathNoSymlinks, &existing);
  if (error == ENOENT) {
    if (mode == WriteMode::kReplace) return ResolveError(path, error);
    outcome.created = true;
    // What open(2) would give a new file: 0666 less the umask (0077 under the systemd unit).
    permissions = 0666 & ~ProcessUmask();
  } else if (error != 0) {
    return ResolveError(path, error);
  } else {
    struct stat st;
    if (fstat(existing.get(), &st) != 0) return FileSystemError("stat " + Shown(path), errno);
    if (S_ISLNK(st.st_mode)) return SymlinkRefused(path);
    if (!S_ISREG(st.st_mode)) {
      return Status::InvalidArgument(Shown(path) + " is " + KindOf(st.st_mode) +
                                     "; only regular files can be written");
    }
    if (mode == WriteMode::kCreate) {
      return Status::InvalidArgument(Shown(path) + " already exists");
    }
    Result<Location> where = Locate(existing.get(), path);
    if (!where.ok()) return where.status();
    if (expected != nullptr) {
      Result<FileVersion> now = VersionOf(existing.get());
      if (!now.ok()) return now.status();
      if (*now != *expected) {
        return Status::Busy(Shown(path) + " changed since it was read; read it again");
      }
    }
    // The permission bits only: a set-user-ID bit must not pass to contents the model wrote.
    permissions = st.st_mode & 0777;
    outcome.previous_size = st.st_size;
  }

  // The new contents are written to a file without a name (O_TMPFILE), private until complete,
  // so that neither a failure nor a crash leaves a half-written file or a stray one behind. File
  // systems without O_TMPFILE get a named temporary file instead, removed on failure.
  std::string temporary;  // the temporary file's name; empty while it has none
  UniqueFd out;
  error = Openat2(parent->fd(), ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, kBeneath, &out, 0600);
  if (error == EOPNOTSUPP || error == EISDIR) {
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      temporary = TemporaryName();
      error = Openat2(parent->fd(), temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                      kBeneathNoSymlinks, &out, 0600);
      if (error != EEXIST) break;
    }
  }
  if (error != 0) return WriteError(path, error);
  auto failed = [&](int error_number) {
    out.Reset();
    if (!temporary.empty()) unlinkat(parent->fd(), temporary.c_str(), 0);
    return WriteError(path, error_number);
  };
  if (fchmod(out.get(), permissions) != 0) return failed(errno);
  for (size_t done = 0; done < content.size();) {
    ssize_t n = write(out.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return failed(errno);
    if (n == 0) return failed(EIO);
    done += static_cast<size_t>(n);
  }
  if (fsync(out.get()) != 0) return failed(errno);

  // The directory may have been moved onto the deny-list, under a protected name (a command
  // renaming "x" to ".git") or out of the workspace while the contents were written: check where
  // the name would appear just before giving it.
  if (Status writable = CheckReachedWritable(path, parent->fd(), name); !writable.ok()) {
    (void)failed(0);
    return writable;
  }

  if (temporary.empty()) {
    std::string self = "/proc/self/fd/" + std::to_string(out.get());
    if (outcome.created) {
      // linkat never replaces: a file created meanwhile under that name stays.
      if (linkat(AT_FDCWD, self.c_str(), parent->fd(), name.c_str(), AT_SYMLINK_FOLLOW) != 0) {
        if (errno == EEXIST) {
          return Status::Busy(Shown(path) + " was created by something else meanwhile; try again");
        }
        return WriteError(path, errno);
      }
    } else {
      // A name for the finished file for the moment before it is renamed over the old one.
      for (int attempt = 0; attempt < kAttempts; ++attempt) {
        temporary = TemporaryName();
        if (linkat(AT_FDCWD, self.c_str(), parent->fd(), temporary.c_str(), AT_SYMLINK_FOLLOW) ==
            0) {
          break;
        }
        int link_error = errno;
        temporary.clear();
        if (link_error != EEXIST) return WriteError(path, link_error);
      }
      if (temporary.empty()) return Status::Busy(Shown(path) + " could not be replaced; try again");
    }
  }
  if (!temporary.empty()) {
    // A new file must not replace one created meanwhile; a replacement replaces atomically.
    int renamed = outcome.created
                      ? renameat2(parent->fd(), temporary.c_str(), parent->fd(), name.c_str(),
                                  RENAME_NOREPLACE)
                      : renameat(parent->fd(), temporary.c_str(), parent->fd(), name.c_str());
    if (renamed != 0) {
      error = errno;
      // File systems without RENAME_NOREPLACE: a hard link fails the same way on an existing
      // name.
      if (error == EINVAL && outcome.created) {
        error =
            linkat(parent->fd(), temporary.c_str(), parent->fd(), name.c_str(), 0) == 0 ? 0 : errno;
      }
      if (error != 0 || outcome.created) unlinkat(parent->fd(), temporary.c_str(), 0);
      if (error == EEXIST) {
        return Status::Busy(Shown(path) + " was created by something else meanwhile; try again");
      }
      if (error != 0) return WriteError(path, error);
    }
  }
  // The new name is durable once the directory is; the contents already are.
  UniqueFd directory(openat(parent->fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory.valid()) fsync(directory.get());
  return outcome;
}

Status Workspace::MakeParents(std::string_view path) const {
  if (!availability_.ok()) return availability_;
  size_t root = 0;
  std::string rest;
  Status given = CheckGiven(path, &root, &rest);
  if (!given.ok()) return given;
  // Refused before any folder is made: ".git/hooks/x" must not leave an empty .git behind.
  if (Status writable = CheckGivenWritable(path, root, rest); !writable.ok()) return writable;
  std::vector<std::string_view> parts = Components(rest);
  if (parts.empty()) return Status::InvalidArgument(Shown(path) + " does not name a file");
  parts.pop_back();
  // Most often the folder is there already: found (or refused) the usual way, ".." and all.
  Result<UniqueFd> whole =
      Resolve(roots_[root].fd.get(), Join(parts), O_PATH | O_CLOEXEC, kBeneath, path);
  if (whole.ok()) return FinishDirectory(std::move(*whole), path).status();
  if (whole.status().code() != Status::Code::kNotFound) return whole.status();
  for (std::string_view part : parts) {
    if (part == "..") {
      return Status::InvalidArgument(Shown(path) +
                                     " contains \"..\"; give the plain path of the new file");
    }
  }
  UniqueFd current(fcntl(roots_[root].fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!current.valid()) return FileSystemError("open the workspace root", errno);
  for (std::string_view part : parts) {
    std::string name(part);
    UniqueFd next;
    int error = Openat2(current.get(), name, O_PATH | O_DIRECTORY | O_CLOEXEC, kBeneath, &next);
    if (error == ENOENT) {
      if (Status writable = CheckReachedWritable(path, current.get(), name); !writable.ok()) {
        return writable;
      }
      if (mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
        return WriteError(path, errno);
      }
      error =
          Openat2(current.get(), name, O_PATH | O_DIRECTORY | O_CLOEXEC, kBeneathNoSymlinks, &next);
    }
    if (error != 0) return ResolveError(path, error);
    Result<Location> reached = Locate(next.get(), path);
    if (!reached.ok()) return reached.status();
    current = std::move(next);
  }
  return Status::Ok();
}

std::vector<std::string> Workspace::ReadOnlyRoots() const {
  std::vector<std::string> read_only;
  for (const Root& root : roots_) {
    struct statvfs fs;
    if (fstatvfs(root.fd.get(), &fs) == 0 && (fs.f_flag & ST_RDONLY) != 0) {
      read_only.push_back(root.path);
    }
  }
  return read_only;
}

Status Workspace::ForEachEntry(const Directory& dir,
                               const std::function<bool(const DirEntry&)>& visit) const {
  if (!availability_.ok()) return availability_;
  Result<Location> where = Locate(dir.fd(), dir.path());
  if (!where.ok()) return where.status();
  // A fresh open description, so each listing starts at the beginning; "." cannot leave `dir`.
  UniqueFd listing(openat(dir.fd(), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!listing.valid()) return FileSystemError("list " + Shown(dir.path()), errno);
  std::unique_ptr<DIR, int (*)(DIR*)> stream(fdopendir(listing.get()), &closedir);
  if (!stream) return FileSystemError("list " + Shown(dir.path()), errno);
  listing.Release();  // the DIR owns it now
  while (true) {
    errno = 0;
    dirent* entry = readdir(stream.get());
    if (entry == nullptr) {
      if (errno != 0) return FileSystemError("list " + Shown(dir.path()), errno);
      return Status::Ok();
    }
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (deny_list_.DeniesAbsolute(Under(where->real, name), where->root_real)) continue;
    struct stat st;
    if (fstatat(dir.fd(), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    DirEntry out;
    out.name = std::string(name);
    if (S_ISREG(st.st_mode)) {
      out.type = EntryType::kFile;
      out.size = st.st_size;
    } else if (S_ISDIR(st.st_mode)) {
      out.type = EntryType::kDirectory;
    } else if (S_ISLNK(st.st_mode)) {
      out.type = EntryType::kSymlink;
    }
    if (!visit(out)) return Status::Ok();
  }
}

Result<Directory> Workspace::OpenSubdirectory(const Directory& dir, std::string_view name) const {
  if (!availability_.ok()) return availability_;
  Status valid = CheckName(name);
  if (!valid.ok()) return valid;
  std::string given = dir.path() == "." ? std::string(name) : Under(dir.path(), name);
  Result<UniqueFd> fd = Resolve(dir.fd(), std::string(name), O_PATH | O_NOFOLLOW | O_CLOEXEC,
                                kBeneathNoSymlinks, given);
  if (!fd.ok()) return fd.status();
  return FinishDirectory(std::move(*fd), given);
}

Result<UniqueFd> Workspace::OpenFileForRead(const Directory& dir, std::string_view name) const {
  if (!availability_.ok()) return availability_;
  Status valid = CheckName(name);
  if (!valid.ok()) return valid;
  std::string given = dir.path() == "." ? std::string(name) : Under(dir.path(), name);
  Result<UniqueFd> fd = Resolve(dir.fd(), std::string(name), O_PATH | O_NOFOLLOW | O_CLOEXEC,
                                kBeneathNoSymlinks, given);
  if (!fd.ok()) return fd.status();
  return FinishFile(std::move(*fd), given, O_RDONLY | O_NONBLOCK);
}

}  // namespace hearth::sandbox
