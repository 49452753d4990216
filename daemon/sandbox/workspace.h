// SPDX-License-Identifier: Apache-2.0
// Workspace: the folders the agent's own file tools may use, confined by openat2 and the deny-list.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "base/status.h"
#include "sandbox/deny_list.h"
#include "sandbox/protected_list.h"

struct open_how;  // <linux/openat2.h>

namespace hearth::sandbox {

// A directory opened inside the workspace, to list it or walk beneath it. Holds an O_PATH fd;
// only a Workspace makes one. Move-only.
class Directory {
 public:
  int fd() const { return fd_.get(); }
  // How to name it to the model: relative to the first root, or absolute under another root.
  const std::string& path() const { return path_; }

 private:
  friend class Workspace;
  Directory(UniqueFd fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  UniqueFd fd_;
  std::string path_;
};

enum class EntryType { kFile, kDirectory, kSymlink, kOther };

// One version of a file's contents, as far as the file system tells: what edit_file read, so
// that it does not overwrite a change someone made after it read.
struct FileVersion {
  uint64_t device = 0;
  uint64_t inode = 0;
  int64_t size = 0;
  int64_t modified_ns = 0;
  int64_t changed_ns = 0;  // ctime: no program can set it back
  bool operator==(const FileVersion&) const = default;
};
// The version of the open file `fd`.
Result<FileVersion> VersionOf(int fd);

enum class WriteMode {
  kCreateOrReplace,
  kCreate,   // the file must not exist yet
  kReplace,  // the file must exist
};

struct WriteOutcome {
  bool created = false;
  int64_t previous_size = 0;  // of the file replaced
};

struct DirEntry {
  std::string name;
  EntryType type = EntryType::kOther;
  int64_t size = 0;  // bytes, for kFile; 0 otherwise
};

// The folders the agent's file tools may use, enforced by the kernel.
//
// Each root is opened once (O_PATH | O_DIRECTORY) and every path is resolved beneath a root's fd
// by openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: "..", absolute symlinks, symlinks
// that lead out of the root and /proc magic links fail in the kernel, so no string trick reaches
// outside. The deny-list is then checked against both the path as given and the path the kernel
// reached (read back from /proc/self/fd), so a symlink "notes -> .ssh" inside a root is refused
// too. A file is first opened O_PATH (which never blocks and has no side effects, even on a FIFO
// or a device), checked, and only then reopened for reading or writing.
//
// Paths from the model are either relative (to the first root) or absolute (inside one of the
// roots, matched lexically against the root as configured or as it really is).
//
// Errors, each with a message written for the model and the user:
//   kPermissionDenied  the sandbox refused: outside the roots, on the deny-list, a write to a
//                      write-protected path, through a /proc magic link or a symlink loop. Only
//                      sandbox decisions use this code, so callers audit exactly these; the file
//                      system's own EACCES is kIoError.
//   kNotFound          nothing there.
//   kInvalidArgument   malformed path (empty, NUL byte, too long), or the wrong kind of file.
//   kUnavailable       the kernel lacks openat2 or /proc is not mounted: every call fails, there
//                      is no unchecked fallback.
//   kTooLarge, kBusy, kIoError  as usual.
//
// Immutable after Open; every method is const and thread-safe.
class Workspace {
 public:
  // openat2(2) as a function, so tests can stand in a kernel without it.
  using Openat2Fn = long (*)(int dirfd, const char* path, struct open_how* how, size_t size);

  // Opens every root (absolute paths to directories). InvalidArgument for a relative root or one
  // the deny-list covers, NotFound and friends when a root cannot be opened. A kernel without
  // openat2 is not an error here: the Workspace opens and reports unavailable() instead, so the
  // tools can say why they refuse. `openat2` is for tests; null means the real system call.
  static Result<Workspace> Open(const std::vector<std::string>& roots, DenyList deny_list,
                                Openat2Fn openat2 = nullptr);
  // The same with the write protection given (the other form uses the defaults, no unlocks).
  // Writes (OpenForWrite, WriteFile, MakeParents) to a path `protected_list` protects are
  // refused, judged like the deny-list: the path as given, the path reached, each directory
  // created on the way, and once more just before the new file gets its name.
  static Result<Workspace> Open(const std::vector<std::string>& roots, DenyList deny_list,
                                ProtectedList protected_list, Openat2Fn openat2 = nullptr);

  // OK, or kUnavailable with the reason every call will fail.
  const Status& availability() const { return availability_; }
  // The roots as configured (lexically normalised), the first being where relative paths start.
  std::vector<std::string> roots() const;
  const DenyList& deny_list() const { return deny_list_; }
  const ProtectedList& protected_list() const { return protected_; }

  // A regular file, opened O_RDONLY | O_NONBLOCK | O_CLOEXEC. Symlinks inside a root are
  // followed. Directories, FIFOs, sockets and devices are refused (kInvalidArgument).
  Result<UniqueFd> OpenForRead(std::string_view path) const;

  // A directory, to list or walk.
  Result<Directory> OpenDirectory(std::string_view path) const;

  // A regular file opened O_WRONLY | O_CLOEXEC, not truncated (the caller decides). The last
  // component must not be a symlink. With `create`, a missing file is created (mode 0644 before
  // umask, never through a symlink); without it, a missing file is kNotFound. Files with more
  // than one hard link are refused: writing would change the other names as well.
  Result<UniqueFd> OpenForWrite(std::string_view path, bool create) const;

  // Makes `content` the whole of the file `path`, atomically: it is written to a new file in the
  // same directory, flushed to disk, then renamed over `path`, and the directory is flushed. A
  // crash, a full disk or any error leaves the old file exactly as it was and no temporary file
  // behind. The last component must not be a symlink (it is refused, as are directories and
  // special files) and missing directories are not created. A replaced file keeps its
  // permission bits; other hard links to it keep the old contents. With `expected`, a file that
  // is no longer that version is left alone (kBusy). A read-only file system is kIoError with a
  // message saying how to make the folder writable.
  Result<WriteOutcome> WriteFile(std::string_view path, std::string_view content, WriteMode mode,
                                 const FileVersion* expected = nullptr) const;

  // What the sandbox would say to a write to `path`, judged now and changing nothing: the
  // kPermissionDenied a write would get (outside the roots, on the deny-list, write-protected),
  // or OK. Other failures (a missing folder, a read-only file system) are the write's to report.
  Status CheckWrite(std::string_view path) const;

  // Creates the directories missing on the way to `path`'s last component (mode 0755 before
  // umask), each checked like any other path; the last component is left alone. A path with
  // ".." in it is refused here (kInvalidArgument): which directory it means depends on the ones
  // it would create.
  Status MakeParents(std::string_view path) const;

  // The roots on a file system mounted read-only to this process (as ProtectHome=read-only
  // makes the home folder): writes there fail.
  std::vector<std::string> ReadOnlyRoots() const;

  // Calls `visit` for each entry of `dir` the deny-list allows, in directory order, until it
  // returns false; denied entries are skipped without a trace. Types and sizes are those of the
  // entries themselves (symlinks are not followed). Entries that vanish meanwhile are skipped.
  Status ForEachEntry(const Directory& dir,
                      const std::function<bool(const DirEntry&)>& visit) const;

  // `name` (one component from ForEachEntry) inside `dir`, never following a symlink: for
  // walking a tree through fds only.
  Result<Directory> OpenSubdirectory(const Directory& dir, std::string_view name) const;
  Result<UniqueFd> OpenFileForRead(const Directory& dir, std::string_view name) const;

 private:
  struct Root {
    std::string path;  // as configured, lexically normalised
    std::string real;  // as read back from the fd at Open
    UniqueFd fd;
  };
  // Where an fd really is, once the deny-list has allowed it.
  struct Location {
    std::string real;       // as the kernel names it
    std::string root_real;  // the outermost root holding it: the deny-list checks from there
    std::string display;    // how to name it to the model
  };

  Workspace(std::vector<Root> roots, DenyList deny_list, Openat2Fn openat2)
      : roots_(std::move(roots)), deny_list_(std::move(deny_list)), openat2_(openat2) {}

  // Validates `given`, picks the root it lies in and the rest of the path beneath that root, and
  // checks the path as given against the deny-list.
  Status CheckGiven(std::string_view given, size_t* root, std::string* rest) const;
  // openat2 beneath `dirfd`, tried again while the kernel reports a race; 0 or an errno.
  int Openat2(int dirfd, const std::string& rest, uint64_t flags, uint64_t resolve, UniqueFd* out,
              mode_t mode = 0644) const;
  Result<UniqueFd> Resolve(int dirfd, const std::string& rest, uint64_t flags, uint64_t resolve,
                           std::string_view given) const;
  Result<Location> Locate(int fd, std::string_view given) const;
  // From an O_PATH fd: checks where it leads and what it is, then reopens it with `flags`.
  Result<UniqueFd> FinishFile(UniqueFd fd, std::string_view given, int flags) const;
  Result<Directory> FinishDirectory(UniqueFd fd, std::string_view given) const;
  // The directory that holds `path`'s last component, checked for writing there, and that
  // component (a name).
  Result<Directory> OpenParent(std::string_view path, std::string* name) const;
  // kPermissionDenied when `rest` beneath root `root` (as given) is write-protected.
  Status CheckGivenWritable(std::string_view given, size_t root, const std::string& rest) const;
  // kPermissionDenied when `name` inside the directory `dir` (as reached) may not be written:
  // on the deny-list or write-protected.
  Status CheckReachedWritable(std::string_view given, int dir, const std::string& name) const;

  std::vector<Root> roots_;
  DenyList deny_list_;
  ProtectedList protected_;
  Openat2Fn openat2_;
  Status availability_;
};

}  // namespace hearth::sandbox
