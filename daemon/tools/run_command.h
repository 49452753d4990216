// SPDX-License-Identifier: Apache-2.0
// run_command: the tool that runs a shell command line for the model, inside the sandbox.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "sandbox/landlock.h"
#include "tools/tool.h"

namespace hearth::tools {

struct RunCommandOptions {
  // Where commands may go: workspace roots (the first is where they start by default), the
  // deny-list, a scratch directory (also TMPDIR), network. Walked afresh for every call, so new
  // secrets in the workspace are covered from the next command on.
  sandbox::SandboxPolicy policy;
  // HOME for commands; empty means Hearth's own $HOME. It is only readable or writable where the
  // policy says so (a home that is not a workspace root stays closed).
  std::string home;
  std::chrono::milliseconds timeout{30000};
  size_t output_cap = 64 * 1024;
  // "NAME=value" entries added to the minimal environment (PATH, HOME, LANG, TMPDIR).
  std::vector<std::string> extra_env;
  // The Landlock ABI to use; asked on every call, so that tests can play a kernel without
  // Landlock (return 0). Values above the kernel's are cut down to it.
  int (*landlock_abi)() = &sandbox::LandlockAbi;
};

// The tool `run_command {command: string, cwd?: string}`: runs `/bin/sh -c command` as a
// sandboxed child (see sandbox/landlock.h) in `cwd` (relative to the first root, or absolute
// inside a root; default the first root), with stdin from /dev/null and stdout and stderr
// together. The result shows the output (the head, up to the cap, with a note when cut), then how
// the command ended: exit status, signal, timeout or cancellation. On timeout or cancel the whole
// process group gets SIGTERM, then SIGKILL after a second; background jobs never outlive the
// command. Results are errors (is_error) unless the command exited with status 0.
//
// Without Landlock it refuses every call: Hearth never runs a command unconfined. A cwd outside
// the roots or on the deny-list is refused before anything runs, and reported to on_denial. The
// command line itself is scanned for words that name denied paths (".ssh/id_rsa",
// "~/.aws/credentials", "proj/../.env"): each is reported to on_denial and noted in the result,
// but the command still runs; the kernel is what keeps those files closed, whatever the command
// does to reach them (symlinks, find -exec, /proc/self/root, variables). The scan is an audit
// aid, with false alarms ("grep id_rsa") and misses ("cat $(echo .s)sh/id_rsa").
//
// needs_approval() is true. Thread-safe: Call may run concurrently for several conversations.
std::unique_ptr<Tool> MakeRunCommandTool(RunCommandOptions options);

}  // namespace hearth::tools
