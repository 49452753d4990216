// SPDX-License-Identifier: Apache-2.0
#include "sandbox/landlock.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <functional>
#include <memory>
#include <string_view>
#include <utility>

#include "base/paths.h"

namespace hearth::sandbox {
namespace {

// <linux/securebits.h> (SECBIT_*): root is an ordinary uid, locked so no exec undoes it.
constexpr unsigned long kSecureNoRoot = 1UL << 0;
constexpr unsigned long kSecureNoRootLocked = 1UL << 1;
constexpr unsigned long kSecureNoSetuidFixup = 1UL << 2;
constexpr unsigned long kSecureNoSetuidFixupLocked = 1UL << 3;
constexpr unsigned long kSecureKeepCapsLocked = 1UL << 5;

// Debian bookworm's <linux/landlock.h> stops at ABI 2; the later values are fixed UAPI.
constexpr uint64_t kFsExecute = 1ULL << 0;
constexpr uint64_t kFsWriteFile = 1ULL << 1;
constexpr uint64_t kFsReadFile = 1ULL << 2;
constexpr uint64_t kFsReadDir = 1ULL << 3;
constexpr uint64_t kFsMakeChar = 1ULL << 6;
constexpr uint64_t kFsMakeBlock = 1ULL << 11;
constexpr uint64_t kFsAbi1 = (1ULL << 13) - 1;      // EXECUTE ... MAKE_SYM
constexpr uint64_t kFsRefer = 1ULL << 13;           // ABI 2
constexpr uint64_t kFsTruncate = 1ULL << 14;        // ABI 3
constexpr uint64_t kFsIoctlDev = 1ULL << 15;        // ABI 5
constexpr uint64_t kNetBindTcp = 1ULL << 0;         // ABI 4
constexpr uint64_t kNetConnectTcp = 1ULL << 1;      // ABI 4
constexpr uint64_t kScopeAbstractUnix = 1ULL << 0;  // ABI 6
constexpr uint64_t kScopeSignal = 1ULL << 1;        // ABI 6
// landlock_restrict_self: log refusals after execve too (ABI 7). Without it the kernel logs only
// refusals to the program that called landlock_restrict_self, i.e. none of the child's.
constexpr uint32_t kRestrictSelfLogNewExecOn = 1U << 1;

// struct landlock_ruleset_attr as of ABI 6; the kernel is told how much of it the ABI knows.
struct RulesetAttr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

constexpr uint64_t kFileRights =
    kFsExecute | kFsWriteFile | kFsReadFile | kFsTruncate | kFsIoctlDev;
// Device nodes need CAP_MKNOD anyway; nothing in a workspace should make them.
constexpr uint64_t kWorkspaceDirRights = ~(kFsMakeChar | kFsMakeBlock);
constexpr uint64_t kReadOnlyRights = kFsExecute | kFsReadFile | kFsReadDir;
// Write-protected entries: what kReadOnlyRights gives (kFileRights takes READ_DIR off a file).
constexpr uint64_t kProtectedRights = kReadOnlyRights;
constexpr uint64_t kDeviceRights = kFsReadFile | kFsWriteFile | kFsTruncate;

#if defined(__x86_64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_X86_64;
constexpr bool kHasX32 = true;
#elif defined(__aarch64__)
constexpr uint32_t kAuditArch = AUDIT_ARCH_AARCH64;
constexpr bool kHasX32 = false;
#elif defined(__riscv) && __riscv_xlen == 64
constexpr uint32_t kAuditArch = AUDIT_ARCH_RISCV64;
constexpr bool kHasX32 = false;
#else
#define HEARTH_NO_SOCKET_FILTER 1
#endif

struct Probe {
  int abi = 0;
  int error = 0;
};

Probe ProbeLandlock() {
  long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (abi < 0) return {0, errno};
  return {static_cast<int>(abi), 0};
}

uint64_t HandledFs(int abi) {
  uint64_t rights = kFsAbi1;
  if (abi >= 2) rights |= kFsRefer;
  if (abi >= 3) rights |= kFsTruncate;
  if (abi >= 5) rights |= kFsIoctlDev;
  return rights;
}

// Opens `rel` beneath `root_fd` without following any symlink, so that what the walk examined is
// what gets the rule, even if someone renames things meanwhile.
int OpenBeneath(int root_fd, const std::string& rel, uint64_t flags) {
  open_how how{};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how));
}

#ifndef HEARTH_NO_SOCKET_FILTER
// The seccomp program: refuses the socket families the policy does not allow, datagram
// socketpairs (they can sendto() any named socket), io_uring (it opens and connects sockets
// without the socket(2) call this filter checks), setsid and setpgid (so that killing the
// process group kills everything the child started), and the kernel keyrings (which may hold
// the user's Kerberos tickets or file-system keys). A foreign system-call ABI (i386 through
// int 0x80, x32) could dodge the numbers checked here: the former kills the process, the latter
// fails.
std::vector<sock_filter> BuildSocketFilter(bool allow_network, bool allow_unix) {
  std::vector<sock_filter> p;
  auto stmt = [&p](uint16_t code, uint32_t k) { p.push_back(sock_filter{code, 0, 0, k}); };
  auto jump = [&p](uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) {
    p.push_back(sock_filter{code, jt, jf, k});
  };
  auto error = [](int e) {
    return SECCOMP_RET_ERRNO | (static_cast<uint32_t>(e) & SECCOMP_RET_DATA);
  };
  constexpr uint16_t kLoad = BPF_LD | BPF_W | BPF_ABS;
  constexpr uint16_t kJeq = BPF_JMP | BPF_JEQ | BPF_K;
  constexpr uint16_t kRet = BPF_RET | BPF_K;
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "the low half of an argument is first");

  stmt(kLoad, offsetof(seccomp_data, arch));
  jump(kJeq, kAuditArch, 1, 0);
  stmt(kRet, SECCOMP_RET_KILL_PROCESS);
  stmt(kLoad, offsetof(seccomp_data, nr));
  if (kHasX32) {
    jump(BPF_JMP | BPF_JGE | BPF_K, 0x40000000u, 0, 1);  // __X32_SYSCALL_BIT
    stmt(kRet, error(ENOSYS));
  }
  const std::pair<long, int> refused[] = {
      {__NR_io_uring_setup, ENOSYS}, {__NR_setsid, EPERM},   {__NR_setpgid, EPERM},
      {__NR_keyctl, ENOSYS},         {__NR_add_key, ENOSYS}, {__NR_request_key, ENOSYS},
  };
  for (const auto& [nr, err] : refused) {
    jump(kJeq, static_cast<uint32_t>(nr), 0, 1);
    stmt(kRet, error(err));
  }

  std::vector<uint32_t> families;
  if (allow_unix) families.push_back(AF_UNIX);
  if (allow_network) families.insert(families.end(), {AF_INET, AF_INET6, AF_NETLINK});
  const auto n = static_cast<uint8_t>(families.size());
  jump(kJeq, __NR_socket, 0, static_cast<uint8_t>(n + 3));
  stmt(kLoad, offsetof(seccomp_data, args[0]));
  for (uint8_t j = 0; j < n; ++j) jump(kJeq, families[j], static_cast<uint8_t>(n - j), 0);
  stmt(kRet, error(EACCES));
  stmt(kRet, SECCOMP_RET_ALLOW);

  if (!allow_unix) {
    jump(kJeq, __NR_socketpair, 0, 5);
    stmt(kLoad, offsetof(seccomp_data, args[1]));
    stmt(BPF_ALU | BPF_AND | BPF_K, 0xf);  // the type without SOCK_CLOEXEC / SOCK_NONBLOCK
    jump(kJeq, SOCK_DGRAM, 0, 1);
    stmt(kRet, error(EACCES));
    stmt(kRet, SECCOMP_RET_ALLOW);
  }
  stmt(kRet, SECCOMP_RET_ALLOW);
  return p;
}
#endif

// Builds the ruleset: grants rules and records what it did in the report.
class RulesetBuilder {
 public:
  RulesetBuilder(int ruleset_fd, uint64_t handled, const SandboxPolicy& policy,
                 PolicyReport* report)
      : ruleset_fd_(ruleset_fd), handled_(handled), policy_(policy), report_(report) {}

  // Adds `fd` (any open file) with `rights`, cut down to what the ABI handles and what the kind of
  // file can take.
  Status Grant(int fd, uint64_t rights, bool is_directory, std::string_view what) {
    landlock_path_beneath_attr attr{};
    attr.allowed_access = rights & handled_ & (is_directory ? ~0ULL : kFileRights);
    attr.parent_fd = fd;
    if (syscall(SYS_landlock_add_rule, ruleset_fd_, LANDLOCK_RULE_PATH_BENEATH, &attr, 0) != 0) {
      return PosixError("landlock_add_rule for " + std::string(what), errno);
    }
    ++report_->rules;
    return Status::Ok();
  }

  // A read-only path or a device, granted whole. Missing paths are skipped.
  Status GrantWhole(const std::string& path, uint64_t rights) {
    UniqueFd fd(open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!fd.valid())
      return errno == ENOENT || errno == ENOTDIR ? Status::Ok() : PosixError("open " + path, errno);
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) return PosixError("stat " + path, errno);
    return Grant(fd.get(), rights, S_ISDIR(st.st_mode), path);
  }

  // Walks `root` and grants it minus the deny-list, every right or (`read_only`) read and
  // execute only. Sets *clean when nothing beneath it was left out.
  Status GrantRoot(const std::string& root, bool read_only, bool* clean);

 private:
  enum class Kind : uint8_t { kDirectory, kFile, kSymlink };
  enum class State : uint8_t { kPending, kListed, kDenied, kUnexamined };
  struct Node {
    std::string rel;  // relative to the root; "." for the root itself
    uint32_t first_child = 0;
    uint32_t child_count = 0;
    int depth = 0;
    Kind kind = Kind::kFile;
    State state = State::kPending;
    bool read_only = false;  // write-protected: read and execute only
    dev_t dev = 0;           // directories: as listed
    ino_t ino = 0;
  };

  void List(int root_fd, const std::string& real_root, size_t index, size_t* walked);
  Status Emit(int root_fd, const std::string& real_root, size_t index);
  std::string Absolute(const std::string& real_root, const std::string& rel) const {
    if (rel == ".") return real_root;
    return real_root == "/" ? "/" + rel : real_root + "/" + rel;
  }
  void NoteDenied(std::string path) {
    if (report_->denied.size() < PolicyReport::kMaxListed)
      report_->denied.push_back(std::move(path));
    ++report_->denied_count;
  }
  void NoteReadOnly(std::string path) {
    if (report_->read_only.size() < PolicyReport::kMaxListed) {
      report_->read_only.push_back(std::move(path));
    }
    ++report_->read_only_count;
  }
  void NoteUnexamined(std::string path) {
    if (report_->unexamined.size() < PolicyReport::kMaxListed) {
      report_->unexamined.push_back(std::move(path));
    }
    ++report_->unexamined_count;
  }

  int ruleset_fd_;
  uint64_t handled_;
  const SandboxPolicy& policy_;
  PolicyReport* report_;
  std::vector<Node> nodes_;
  std::vector<bool> clean_;
  bool root_read_only_ = false;  // the root being walked is granted read and execute only
};

void RulesetBuilder::List(int root_fd, const std::string& real_root, size_t index, size_t* walked) {
  std::string rel = nodes_[index].rel;
  int fd = OpenBeneath(root_fd, rel, O_RDONLY | O_DIRECTORY);
  if (fd < 0) {
    nodes_[index].state = State::kUnexamined;
    return;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    close(fd);
    nodes_[index].state = State::kUnexamined;
    return;
  }
  struct CloseDir {
    void operator()(DIR* d) const { closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> dir(fdopendir(fd));
  if (!dir) {
    close(fd);
    nodes_[index].state = State::kUnexamined;
    return;
  }
  std::vector<Node> children;
  bool complete = true;
  for (;;) {
    errno = 0;
    dirent* entry = readdir(dir.get());
    if (entry == nullptr) {
      complete = errno == 0;
      break;
    }
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (++*walked > policy_.walk_max_entries) {
      complete = false;
      break;
    }
    Node child;
    child.rel = rel == "." ? std::string(name) : rel + "/" + std::string(name);
    child.depth = nodes_[index].depth + 1;
    unsigned char type = entry->d_type;
    if (type == DT_UNKNOWN) {
      struct stat child_st {};
      if (fstatat(dirfd(dir.get()), entry->d_name, &child_st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // gone meanwhile
        complete = false;               // an entry of unknown kind: not clean
        break;
      }
      type = S_ISDIR(child_st.st_mode) ? DT_DIR : S_ISLNK(child_st.st_mode) ? DT_LNK : DT_REG;
    }
    child.kind = type == DT_DIR ? Kind::kDirectory : type == DT_LNK ? Kind::kSymlink : Kind::kFile;
    std::string absolute = Absolute(real_root, child.rel);
    if (policy_.deny_list.DeniesAbsolute(absolute, real_root)) {
      child.state = State::kDenied;
    } else {
      child.state = child.kind == Kind::kDirectory ? State::kPending : State::kListed;
      child.read_only = root_read_only_ || policy_.protected_list.Protects(absolute, real_root);
    }
    children.push_back(std::move(child));
  }
  if (!complete) {
    nodes_[index].state = State::kUnexamined;
    return;
  }
  std::sort(children.begin(), children.end(),
            [](const Node& a, const Node& b) { return a.rel < b.rel; });
  nodes_[index].state = State::kListed;
  nodes_[index].dev = st.st_dev;
  nodes_[index].ino = st.st_ino;
  nodes_[index].first_child = static_cast<uint32_t>(nodes_.size());
  nodes_[index].child_count = static_cast<uint32_t>(children.size());
  for (Node& child : children) nodes_.push_back(std::move(child));
}

Status RulesetBuilder::Emit(int root_fd, const std::string& real_root, size_t index) {
  const Node& node = nodes_[index];
  if (node.state == State::kDenied) {
    NoteDenied(Absolute(real_root, node.rel));
    return Status::Ok();
  }
  if (node.state == State::kUnexamined) {
    NoteUnexamined(Absolute(real_root, node.rel));
    return Status::Ok();
  }
  if (node.kind == Kind::kSymlink) return Status::Ok();  // its target is judged where it is

  bool directory = node.kind == Kind::kDirectory;
  UniqueFd fd(OpenBeneath(root_fd, node.rel, directory ? O_PATH | O_DIRECTORY : O_PATH));
  struct stat st {};
  bool same = fd.valid() && fstat(fd.get(), &st) == 0 &&
              (directory ? st.st_dev == node.dev && st.st_ino == node.ino : !S_ISDIR(st.st_mode));
  if (!same) {
    // Renamed, replaced or removed since the walk: leave it closed.
    if (directory) NoteUnexamined(Absolute(real_root, node.rel));
    return Status::Ok();
  }
  std::string path = Absolute(real_root, node.rel);
  if (clean_[index]) {
    if (node.read_only) {
      if (!root_read_only_) NoteReadOnly(path);
      return Grant(fd.get(), kProtectedRights, directory, path);
    }
    return Grant(fd.get(), directory ? kWorkspaceDirRights : kFileRights, directory, path);
  }
  Status granted = Grant(fd.get(), kFsReadDir, true, path);
  if (!granted.ok()) return granted;
  fd.Reset();
  for (uint32_t i = 0; i < node.child_count; ++i) {
    Status status = Emit(root_fd, real_root, nodes_[index].first_child + i);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

Status RulesetBuilder::GrantRoot(const std::string& root, bool read_only, bool* clean) {
  root_read_only_ = read_only;
  if (root.empty() || root.front() != '/') {
    return Status::InvalidArgument("workspace root \"" + root + "\" is not an absolute path");
  }
  std::string real = RealPath(root);
  if (real.empty()) return PosixError("workspace root " + root, errno);
  UniqueFd root_fd(open(real.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) return PosixError("open workspace root " + root, errno);

  nodes_.clear();
  Node top;
  top.rel = ".";
  top.kind = Kind::kDirectory;
  top.state = policy_.deny_list.DeniesAbsolute(real, real) ? State::kDenied : State::kPending;
  top.read_only = read_only || policy_.protected_list.Protects(real, real);
  nodes_.push_back(std::move(top));
  // Breadth first: the shallow structure is settled before the budget runs out.
  size_t walked = 0;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].kind != Kind::kDirectory || nodes_[i].state != State::kPending) continue;
    if (nodes_[i].depth >= policy_.walk_max_depth || walked >= policy_.walk_max_entries) {
      nodes_[i].state = State::kUnexamined;
      continue;
    }
    List(root_fd.get(), real, i, &walked);
  }
  report_->entries_walked += std::min(walked, policy_.walk_max_entries);

  // Children always come after their parent, so one backward pass settles every subtree. A
  // subtree is clean (one rule covers it) when nothing beneath is denied or unexamined and
  // everything in it is as protected as its top: a writable rule on a folder would be inherited
  // by a protected entry inside it.
  clean_.assign(nodes_.size(), false);
  for (size_t i = nodes_.size(); i-- > 0;) {
    const Node& node = nodes_[i];
    if (node.state == State::kDenied || node.state == State::kUnexamined) continue;
    bool all = true;
    for (uint32_t c = 0; c < node.child_count && all; ++c) {
      const Node& child = nodes_[node.first_child + c];
      all = clean_[node.first_child + c] && child.read_only == node.read_only;
    }
    clean_[i] = all;
  }
  *clean = clean_[0];
  return Emit(root_fd.get(), real, 0);
}

}  // namespace

int LandlockAbi() { return ProbeLandlock().abi; }

std::string LandlockSummary() {
  Probe probe = ProbeLandlock();
  if (probe.abi > 0) {
#ifdef HEARTH_NO_SOCKET_FILTER
    return "Landlock ABI " + std::to_string(probe.abi) +
           " is available, but Hearth has no socket filter for this CPU architecture: commands "
           "and MCP servers are refused";
#else
    return "Landlock ABI " + std::to_string(probe.abi) + ": enforced";
#endif
  }
  std::string why;
  if (probe.error == ENOSYS) {
    why = "the kernel was built without it";
  } else if (probe.error == EOPNOTSUPP) {
    why = "it is disabled at boot; add \"landlock\" to the lsm= kernel parameter";
  } else {
    why = std::strerror(probe.error);
  }
  return "Landlock is not available on this kernel (" + why +
         "): commands and MCP servers are refused";
}

namespace {

// `dir`'s entries as paths, less those `skip` refuses; nothing when it cannot be listed.
std::vector<std::string> EntriesOf(const std::string& dir,
                                   const std::function<bool(std::string_view)>& skip) {
  std::vector<std::string> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return out;
  while (dirent* e = readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == ".." || skip(name)) continue;
    out.push_back(dir + "/" + std::string(name));
  }
  closedir(d);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> DefaultReadOnlyPaths() {
  std::vector<std::string> paths = {"/usr",   "/bin",   "/sbin", "/lib",
                                    "/lib32", "/lib64", "/opt",  "/proc"};
  // /etc less the files that hold secrets. File modes keep them from an ordinary user, but not
  // from a command of a hearthd that runs as root: root owns them, and the owner's read bit needs
  // no capability. Landlock rules only add access, so /etc is granted entry by entry.
  auto etc = EntriesOf("/etc", [](std::string_view name) {
    return name == "shadow" || name == "shadow-" || name == "gshadow" || name == "gshadow-" ||
           name == "sudoers" || name == "sudoers.d" || name == "ssl" || name == "ssh" ||
           name == "security" || name == "credstore" || name == "credstore.encrypted" ||
           name == ".pwd.lock";
  });
  paths.insert(paths.end(), etc.begin(), etc.end());
  // TLS certificates, without the private keys; ssh's client configuration, without host keys.
  auto ssl = EntriesOf("/etc/ssl", [](std::string_view name) { return name == "private"; });
  paths.insert(paths.end(), ssl.begin(), ssl.end());
  auto ssh = EntriesOf("/etc/ssh", [](std::string_view name) { return name.ends_with("_key"); });
  paths.insert(paths.end(), ssh.begin(), ssh.end());
  return paths;
}

std::vector<std::string> DefaultDevicePaths() {
  return {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom"};
}

Result<PreparedPolicy> PreparedPolicy::Prepare(const SandboxPolicy& policy) {
  int abi = LandlockAbi();
  if (abi <= 0) return Status::Unavailable(LandlockSummary());
  return PrepareForAbi(policy, abi);
}

Result<PreparedPolicy> PreparedPolicy::PrepareForAbi(const SandboxPolicy& policy, int abi) {
  int kernel_abi = LandlockAbi();
  if (kernel_abi <= 0) return Status::Unavailable(LandlockSummary());
  if (abi < 1 || abi > kernel_abi) {
    return Status::InvalidArgument("Landlock ABI " + std::to_string(abi) +
                                   " is not available (the kernel has 1 to " +
                                   std::to_string(kernel_abi) + ")");
  }
#ifdef HEARTH_NO_SOCKET_FILTER
  return Status::Unsupported(LandlockSummary());
#else
  PreparedPolicy prepared;
  prepared.filter_ = BuildSocketFilter(policy.allow_network, policy.allow_unix_sockets);
  PolicyReport& report = prepared.report_;
  report.abi = abi;

  RulesetAttr attr{};
  attr.handled_access_fs = HandledFs(abi);
  if (abi >= 4 && !policy.allow_network) {
    attr.handled_access_net = kNetBindTcp | kNetConnectTcp;
    report.tcp_restricted = true;
  }
  if (abi >= 6) {
    attr.scoped = kScopeAbstractUnix | kScopeSignal;
    report.scoped = true;
  }
  size_t attr_size = abi >= 6 ? sizeof attr : abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
  prepared.ruleset_.Reset(
      static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0)));
  if (!prepared.ruleset_.valid()) return PosixError("landlock_create_ruleset", errno);

  // Read-only paths are granted whole, so nothing the deny-list names may lie inside one.
  std::vector<std::string> read_only;
  for (const std::string& path : policy.read_only_paths) {
    std::string real = RealPath(path);
    if (!real.empty()) read_only.push_back(real);
  }
  for (const std::string& entry : policy.deny_list.entries()) {
    if (entry.empty() || entry.front() != '/') continue;
    std::string real = RealPath(entry);
    for (const std::string& dir : read_only) {
      if (IsWithin(entry, dir) || (!real.empty() && IsWithin(real, dir))) {
        return Status::InvalidArgument("the deny-list entry " + entry + " lies inside " + dir +
                                       ", which commands may read whole; remove " + dir +
                                       " from the read-only paths");
      }
    }
  }

  RulesetBuilder builder(prepared.ruleset_.get(), attr.handled_access_fs, policy, &report);
  std::vector<std::pair<std::string, bool> > roots;  // path, read-only
  for (const std::string& root : policy.workspace_roots) roots.emplace_back(root, false);
  if (!policy.scratch_dir.empty()) roots.emplace_back(policy.scratch_dir, false);
  for (const std::string& root : policy.read_only_roots) roots.emplace_back(root, true);
  for (const auto& [root, root_read_only] : roots) {
    bool clean = false;
    Status granted = builder.GrantRoot(root, root_read_only, &clean);
    if (!granted.ok()) return granted;
    std::string real = RealPath(root);
    for (const std::string& dir : read_only) {
      if (!clean && IsWithin(real, dir)) {
        return Status::InvalidArgument(
            "workspace root " + root + " lies inside " + dir +
            ", which commands may read whole, and holds entries the deny-list protects; use a "
            "root outside " +
            dir + " or remove " + dir + " from the read-only paths");
      }
    }
  }
  for (const std::string& path : policy.read_only_paths) {
    Status granted = builder.GrantWhole(path, kReadOnlyRights);
    if (!granted.ok()) return granted;
  }
  for (const std::string& path : policy.device_paths) {
    Status granted = builder.GrantWhole(path, kDeviceRights);
    if (!granted.ok()) return granted;
  }
  if (policy.allow_network) {
    // /etc/resolv.conf is often a symlink into /run (systemd-resolved, NetworkManager).
    std::string resolv = RealPath("/etc/resolv.conf");
    if (!resolv.empty()) {
      Status granted = builder.GrantWhole(resolv, kFsReadFile);
      if (!granted.ok()) return granted;
    }
  }
  return prepared;
#endif
}

std::string DescribeConfinement(const SandboxPolicy& policy, const PolicyReport& report) {
  std::string text = "Landlock ABI " + std::to_string(report.abi) + ": ";
  if (policy.workspace_roots.empty()) {
    text += "no workspace";
  } else {
    text += "workspace ";
    for (size_t i = 0; i < policy.workspace_roots.size(); ++i) {
      text += (i == 0 ? "" : ", ") + policy.workspace_roots[i];
    }
    text += " read-write";
  }
  if (!policy.read_only_roots.empty()) {
    text += ", ";
    for (size_t i = 0; i < policy.read_only_roots.size(); ++i) {
      text += (i == 0 ? "" : ", ") + policy.read_only_roots[i];
    }
    text += " read-only";
  }
  if (report.denied_count > 0) {
    text += " (" + std::to_string(report.denied_count) + " entries on the deny-list kept closed)";
  }
  if (report.unexamined_count > 0) {
    text += " (" + std::to_string(report.unexamined_count) + " folders too deep to check, closed)";
  }
  text += ", system folders read-only";
  text += policy.allow_network ? ", network allowed" : ", no network";
  if (!policy.allow_unix_sockets) text += ", no Unix sockets";
  return text;
}

const char* ApplyStepName(int step) {
  switch (step) {
    case kApplyNoNewPrivs:
      return "prctl(PR_SET_NO_NEW_PRIVS)";
    case kApplyLandlock:
      return "landlock_restrict_self";
    case kApplySeccomp:
      return "seccomp";
    case kApplyCapabilities:
      return "dropping capabilities";
  }
  return "sandbox setup";
}

int ApplyInChild(const PreparedPolicy& policy, int* failed_step) noexcept {
  // Every capability goes, so a hearthd run as root does not hand root's powers to the agent.
  // Root keeps its uid, but with no capability in the bounding set and none permitted (and
  // no_new_privs set below) the exec gains none back. The bounding set and the securebits need
  // CAP_SETPCAP: without it (an ordinary user) there is nothing there to drop.
  prctl(PR_SET_SECUREBITS, kSecureNoRoot | kSecureNoRootLocked | kSecureNoSetuidFixup |
                               kSecureNoSetuidFixupLocked | kSecureKeepCapsLocked);
  for (unsigned long cap = 0; cap <= 63; ++cap) {
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno == EINVAL) break;  // past the last
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    *failed_step = kApplyCapabilities;
    return errno;
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct none[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capset, &header, none) != 0) {
    *failed_step = kApplyCapabilities;
    return errno;
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    *failed_step = kApplyNoNewPrivs;
    return errno;
  }
  const uint32_t flags = policy.report_.abi >= 7 ? kRestrictSelfLogNewExecOn : 0;
  if (syscall(SYS_landlock_restrict_self, policy.ruleset_.get(), flags) != 0) {
    *failed_step = kApplyLandlock;
    return errno;
  }
  sock_fprog program{};
  program.len = static_cast<unsigned short>(policy.filter_.size());
  program.filter = const_cast<sock_filter*>(policy.filter_.data());
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program, 0, 0) != 0) {
    *failed_step = kApplySeccomp;
    return errno;
  }
  return 0;
}

}  // namespace hearth::sandbox
