// SPDX-License-Identifier: Apache-2.0
// Landlock: the kernel-enforced confinement of every program Hearth starts (run_command, MCP
// servers). A sandboxed child sees the workspace roots minus the deny-list, a few read-only system
// directories, a scratch directory, and nothing else; it cannot gain privileges, open most
// sockets, or leave its process group.
#pragma once

#include <linux/filter.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/fd.h"
#include "base/status.h"
#include "sandbox/deny_list.h"
#include "sandbox/protected_list.h"

namespace hearth::sandbox {

// The running kernel's Landlock ABI version (1 for Linux 5.13, 4 for 6.7, 7 for 6.15; Hearth
// uses what it knows of up to 7), or 0 when Landlock is not built in or was left out of the
// boot-time `lsm=` list. Hearth refuses to
// start sandboxed children when this is 0: it never runs a command unconfined.
int LandlockAbi();

// One line for the UI and D-Bus: "Landlock ABI 7: enforced" or why it is not available and what
// that means ("... commands and MCP servers are refused").
std::string LandlockSummary();

// /usr /bin /sbin /lib /lib32 /lib64 /etc /opt and /proc, granted read and execute.
//   /etc: what it holds that is secret (shadow, ssh host keys, TLS private keys) is root's and
//     unreadable to the user anyway; programs need passwd, resolv.conf, ssl/certs, ld.so.cache.
//   /proc: many programs need /proc/self (bash, python, node, ps). Reading it is safe under
//     Landlock because (1) every path is checked where it really leads, so /proc/self/root/home/..
//     and /proc/self/fd/N reach a denied file only to be refused; and (2) Landlock forbids ptrace
//     access to any process outside the child's own domain, so the environ, mem, maps, fd, cwd
//     and root entries of Hearth and of the user's other programs are refused. What stays
//     visible is what `ps` shows any user: other processes' command lines and status.
//   Not granted: /tmp and /var/tmp (other programs' files, Kerberos caches, agent sockets),
//     /run (the user's runtime directory: D-Bus, keyring, Hearth's login tokens), /home, /root,
//     /sys, /dev beyond the devices below, /mnt, /media, /srv.
// Paths that do not exist on the machine are skipped.
std::vector<std::string> DefaultReadOnlyPaths();

// /dev/null /dev/zero /dev/full /dev/random /dev/urandom, granted read and write. No /dev/tty:
// a child never has Hearth's terminal (and a terminal could be driven with TIOCSTI).
std::vector<std::string> DefaultDevicePaths();

// What a sandboxed child may reach. Landlock is an allow-list, so "the roots minus the denied
// entries" is built by walking each root (see PreparedPolicy::Prepare).
struct SandboxPolicy {
  // Absolute directories the child may read, write, create in, delete in and execute from,
  // except what `deny_list` names. The deny-list's patterns are matched beneath each root (see
  // DenyList::DeniesAbsolute); its absolute entries apply wherever they are.
  std::vector<std::string> workspace_roots;
  DenyList deny_list;
  // What the child may read and execute but not change, beneath the roots (and the scratch
  // directory): matched like the deny-list's patterns. See PreparedPolicy for what that costs.
  ProtectedList protected_list;
  // Absolute directories the child may read and execute from but not change, walked like the
  // workspace roots (the deny-list applies inside them): folders the user lends one program.
  std::vector<std::string> read_only_roots;
  // Granted whole, read and execute only; the deny-list is not applied inside them (they are
  // system directories, not the user's). A workspace root inside one of them is refused unless
  // nothing beneath the root is denied: the read-only grant would reach the denied entries.
  std::vector<std::string> read_only_paths = DefaultReadOnlyPaths();
  std::vector<std::string> device_paths = DefaultDevicePaths();
  // An absolute directory the child may use freely (TMPDIR); walked like a root. "" for none.
  std::string scratch_dir;
  // false: no TCP bind or connect (Landlock, from ABI 4) and no IPv4, IPv6 or netlink sockets at
  // all (seccomp; so no UDP either). true: those work, and the target of /etc/resolv.conf is
  // granted read-only so that name resolution works.
  bool allow_network = false;
  // false: no AF_UNIX sockets (seccomp) and no datagram socketpairs. Landlock does not check
  // connect() on a named socket, and one connect to the session bus, ssh-agent or gpg-agent
  // would hand the child everything the sandbox keeps from it (`systemd-run --user cat ...`).
  // Stream socketpairs, which can reach nobody else, stay allowed.
  bool allow_unix_sockets = false;
  // The bounds of the walk, breadth first. A directory the walk could not list completely (too
  // deep, the entry budget spent, unreadable, or changed under it) is left out entirely, so a
  // secret deeper than the walk is never exposed: the bound costs access, not safety.
  size_t walk_max_entries = 50000;
  int walk_max_depth = 32;
};

// What Prepare granted and left out, for the audit log and for tests. Paths are real paths.
struct PolicyReport {
  static constexpr size_t kMaxListed = 32;
  int abi = 0;
  size_t rules = 0;
  size_t entries_walked = 0;
  std::vector<std::string> denied;  // entries the deny-list kept out (the first kMaxListed)
  size_t denied_count = 0;
  std::vector<std::string> unexamined;  // directories the walk left closed (the first kMaxListed)
  size_t unexamined_count = 0;
  // Write-protected entries granted read and execute only (the first kMaxListed).
  std::vector<std::string> read_only;
  size_t read_only_count = 0;
  bool tcp_restricted = false;  // Landlock refuses TCP bind and connect (ABI 4 and later)
  bool scoped = false;          // abstract sockets and signals confined to the domain (ABI 6)
};

// How a child started with `report` (prepared from `policy`) is confined, in one line for the
// audit log: "Landlock ABI 7: workspace /home/u/p read-write (3 entries on the deny-list kept
// closed), system folders read-only, no network, no Unix sockets".
std::string DescribeConfinement(const SandboxPolicy& policy, const PolicyReport& report);

// A policy turned into a Landlock ruleset and a seccomp program, ready to apply in any number of
// children. Everything that opens files, allocates or can fail in an interesting way happens in
// Prepare, in the parent, so that ApplyInChild only makes system calls.
//
// How the walk turns roots minus the deny-list into rules: a directory with nothing denied or
// unexamined beneath it gets one rule with every right. A directory that holds a denied entry
// gets READ_DIR only, and each of its other entries gets its own rule, recursively. So inside
// such a directory the child can list names (including the names inside denied directories:
// READ_DIR is inherited by the whole hierarchy), read and write the existing clean files, and
// use clean subdirectories freely, but it cannot create, delete or rename entries there: any
// write or create right on it would be inherited by the denied entries beneath it. Denied and
// unexamined entries get no rule at all. Rules are bound to inodes, not names: renaming a denied
// file over a clean one leaves the name unreadable, and linking or moving a denied file into a
// granted directory fails (EXDEV: Landlock's REFER check). The walk resolves every path beneath
// the root without following symlinks (openat2 RESOLVE_NO_SYMLINKS) and checks that each granted
// directory is the one it listed, so a concurrent rename cannot slip a foreign directory in.
//
// Write-protected entries (SandboxPolicy::protected_list) are walked the same way but granted
// read, read-dir and execute instead of nothing, and their directories are walked for denied
// entries inside. Every directory above one is therefore like a directory holding a denied
// entry: no entries can be created, deleted or renamed in it, because any such right would be
// inherited by the protected entry beneath. So a command can neither write .git/hooks/pre-commit
// nor rename .git away and put another in its place; the price is that in a git repository's
// top folder and in .git itself a command creates nothing (so `git commit` fails in commands).
//
// Limits, said plainly: names are matched at Prepare time; a secret created later in a
// directory granted whole is reachable by children started afterwards from the same
// PreparedPolicy (prepare a fresh one per run, as run_command does). A hard link to a secret
// under an innocent name cannot be recognised. A protected name that does not exist yet can be
// created wherever creating is allowed (a new `.git` in a subfolder, `.envrc` in a folder without
// one): Landlock grants by inode, not by name. Thread-safe once prepared; move-only.
class PreparedPolicy {
 public:
  // Builds the ruleset for the running kernel's ABI. Errors: kUnavailable when Landlock is not
  // there; kInvalidArgument for a relative root, a root inside a read-only path with denied
  // entries beneath it, or an absolute deny-list entry inside a read-only path; kNotFound (and
  // the like, from errno) for a root that cannot be opened; kUnsupported on a CPU architecture
  // the socket filter is not written for; kIoError when the kernel refuses a rule.
  static Result<PreparedPolicy> Prepare(const SandboxPolicy& policy);
  // The same, restricted to the rights of an older ABI (1 to LandlockAbi()), for tests.
  static Result<PreparedPolicy> PrepareForAbi(const SandboxPolicy& policy, int abi);

  PreparedPolicy(PreparedPolicy&&) = default;
  PreparedPolicy& operator=(PreparedPolicy&&) = default;
  PreparedPolicy(const PreparedPolicy&) = delete;
  PreparedPolicy& operator=(const PreparedPolicy&) = delete;

  const PolicyReport& report() const { return report_; }
  bool valid() const { return ruleset_.valid(); }

 private:
  friend int ApplyInChild(const PreparedPolicy& policy, int* failed_step) noexcept;
  PreparedPolicy() = default;

  UniqueFd ruleset_;
  std::vector<sock_filter> filter_;
  PolicyReport report_;
};

// The steps of ApplyInChild, for `failed_step`.
enum ApplyStep : int {
  kApplyNoNewPrivs = 1,
  kApplyLandlock = 2,
  kApplySeccomp = 3,
  kApplyCapabilities = 4
};
const char* ApplyStepName(int step);

// Confines the calling process for good: PR_SET_NO_NEW_PRIVS, landlock_restrict_self, then the
// seccomp filter. From ABI 7 the domain asks for its refusals to be logged after execve too
// (LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON): where the kernel's audit subsystem is on (auditd),
// every file or TCP access Landlock refuses a command or an MCP server is recorded there. Meant for
// a child between fork and exec: it makes only async-signal-safe system calls and never allocates,
// so it returns an errno (0 on success) and the ApplyStep that failed rather than a Status. The
// caller reports failure to its parent and exits without exec.
int ApplyInChild(const PreparedPolicy& policy, int* failed_step) noexcept;

}  // namespace hearth::sandbox
