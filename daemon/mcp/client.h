// SPDX-License-Identifier: Apache-2.0
// mcp: Model Context Protocol servers over stdio, run inside Hearth's sandbox, whose tools the
// agent can call.
#pragma once

#include <sys/types.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <json/value.h>

#include "base/fd.h"
#include "base/status.h"
#include "mcp/json_rpc.h"
#include "mcp/permissions.h"
#include "sandbox/child_process.h"
#include "sandbox/landlock.h"
#include "tools/tool.h"

namespace hearth::mcp {

// The protocol versions Hearth speaks, newest first. It offers the first; a server may answer
// with any of them.
inline constexpr std::array<std::string_view, 4> kProtocolVersions = {"2025-11-25", "2025-06-18",
                                                                      "2025-03-26", "2024-11-05"};

// One server as configured (config.json "mcp_servers").
struct ServerConfig {
  std::string name;
  std::string command;  // a path, or a name looked up in sandbox::kChildPath
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // added to the sandbox's minimal environment
  ServerPermissions permissions;
};

struct ClientOptions {
  ServerConfig server;
  // Where the server may go: the same policy as run_command's (workspace roots minus the
  // deny-list, read-only system directories, no network). At each start the directory the
  // server is installed in is added read-only (see ServerReadOnlyPaths), and the server's own
  // permissions are added: network, its folders (read-only roots and workspace roots).
  sandbox::SandboxPolicy policy;
  // A directory of this server's own (created on demand, granted read-write) that holds the
  // caches of package runners such as npx: npm_config_cache, XDG_CACHE_HOME and TMPDIR point
  // into it. Never a cache the user's own programs use: a server could plant code there. Empty:
  // package runners are refused.
  std::string package_cache;
  // Where the server starts (absolute). Empty: the first workspace root, or "/" without one.
  std::string cwd;
  // HOME for the server; empty leaves it out of its environment.
  std::string home;
  // The user's own home directory, which is never granted whole. Empty: $HOME.
  std::string user_home;
  // From starting the program to the answer to `initialize`.
  std::chrono::milliseconds start_timeout{20000};
  // Each page of tools/list.
  std::chrono::milliseconds list_timeout{20000};
  std::chrono::milliseconds call_timeout{120000};
  // After a failed start (or listing), uses fail at once with the same error for this long
  // rather than starting the server again for every run.
  std::chrono::milliseconds retry_delay{30000};
  size_t max_line_bytes = kMaxLineBytes;
  // Bytes of a call's result text kept for the model (the head, cut at a UTF-8 boundary).
  size_t output_cap = 64 * 1024;
  // The tail of the server's stderr kept for error messages.
  size_t stderr_cap = 8 * 1024;
  size_t max_tools = 256;
  // Called each time the server has been started in the sandbox, with a note for the audit log
  // (tool "mcp:NAME", the command line, how it is confined and its pid). Called from the thread
  // that uses the client, without the client's lock held. May be empty.
  std::function<void(const tools::AuditNote&)> on_start;
};

// A tool as the server lists it.
struct ToolInfo {
  std::string name;
  std::string description;
  Json::Value input_schema;  // a JSON Schema object
  bool operator==(const ToolInfo&) const = default;
};

// A client for one MCP server (stdio transport, JSON-RPC 2.0, one message per line).
//
// Lifecycle: nothing runs until the first ListTools or CallTool, which starts the server as a
// sandboxed child (sandbox::ChildProcess; its own process group, stdin and stdout as pipes,
// stderr kept in a bounded tail for error messages) and performs the handshake: `initialize`
// offering kProtocolVersions[0], accepting any version of kProtocolVersions the server answers
// (another version fails the start and says which), then `notifications/initialized`. A
// server that exits, closes its output, sends a line longer than max_line_bytes or does not
// answer in time is stopped (its whole group killed) and the failure is the result of the use
// that saw it; the next use starts it again. A failed start is not retried for retry_delay.
// Package runners that download the server as they run it (npx, uvx, `npm exec`, ...) run only
// when the server has network and a package_cache; otherwise they are refused at once, saying
// how to allow them or install the server instead. Package caches the user's own programs use,
// such as ~/.npm, stay closed (a writable one would let a server plant code that the user's own
// npx later runs outside the sandbox).
//
// roots/list answers the server's own folders (permissions.read_paths and write_paths) when it
// has any, and the workspace roots otherwise: a server given a folder of its own serves that
// folder (the reference file server replaces its arguments' folders with the roots).
//
// Each running server has a thread of its own that spawned it (so the sandbox's parent-death
// signal stays armed while the client lives: PR_SET_PDEATHSIG follows the spawning thread) and
// that reads its output all the time: it answers the server's requests (`ping`; `roots/list`
// with the workspace roots as file:// URIs; anything else with JSON-RPC error -32601), notes
// `notifications/tools/list_changed` (even before the handshake ends), drains stderr, and hands
// responses to the waiting caller.
//
// Thread-safe. One operation at a time per server: concurrent ListTools and CallTool calls
// queue (a queued caller can still be cancelled). Destruction closes the server's stdin, waits
// briefly, then SIGTERM and SIGKILL to its process group, and joins the thread.
class McpClient {
 public:
  explicit McpClient(ClientOptions options);
  ~McpClient();
  McpClient(const McpClient&) = delete;
  McpClient& operator=(const McpClient&) = delete;

  // Starts the server if needed and lists its tools (following pagination cursors), replacing
  // the cached list. Errors: kUnavailable (could not start, stopped, did not answer; the message
  // says why, with the end of its stderr), kUnsupported (an unknown protocol version),
  // kNotFound (no such program), kPermissionDenied (its install folder cannot be opened to it
  // safely, see ServerReadOnlyPaths), kCancelled, kInvalidArgument (a malformed answer).
  Result<std::vector<ToolInfo>> ListTools(const std::atomic<bool>* cancel = nullptr);
  // True when the tools were never listed or the server said they changed, and no failure is
  // being waited out: the next run should call ListTools before asking the model.
  bool NeedsListing() const;
  // The last listing (empty before the first).
  std::vector<ToolInfo> tools() const;
  // Changes whenever the last listing changes.
  uint64_t listing_generation() const;

  // Calls a tool. Never fails: problems come back as an error result written for the model and
  // the user. The server's `isError` results are errors too. Content items: text as is; images,
  // audio and resources as a short note; with no content, `structuredContent` as JSON. The
  // text is capped at output_cap. `cancel` (may be null) is polled every sandbox::kCancelPoll:
  // when set, the server is sent `notifications/cancelled` and the call returns at once. On
  // timeout the server is told the same, then stopped.
  tools::ToolResult CallTool(const std::string& name, const Json::Value& arguments,
                             const std::atomic<bool>* cancel);

  // One line for the settings page: not started yet, running (version, tool count), stopped or
  // failed (why).
  std::string StatusLine() const;
  // The negotiated protocol version; empty while no server is running.
  std::string protocol_version() const;
  // The running server's process id, if any (for tests and Settings).
  std::optional<pid_t> server_pid() const;
  // Ends the server for good (it was removed or changed in Settings): its process group is
  // stopped (stdin closed, then SIGTERM, then SIGKILL) and reaped before this returns, and every
  // later use fails at once with `reason`. Waits for an operation under way, which the stop ends.
  void Retire(std::string reason);
  const ClientOptions& options() const { return options_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Reply {
    enum class Outcome { kResult, kError, kEnded, kTimedOut, kCancelled };
    Outcome outcome = Outcome::kEnded;
    Json::Value result;
    int error_code = 0;
    std::string message;  // kError: the server's; kEnded: why it ended
    int64_t id = 0;       // the request's, for notifications/cancelled
  };

  // Waits for the other operation to finish; false if cancelled meanwhile.
  bool Acquire(std::unique_lock<std::mutex>& lock, const std::atomic<bool>* cancel);
  void Release();
  Status EnsureStarted(std::unique_lock<std::mutex>& lock, const std::atomic<bool>* cancel);
  Status Start(std::unique_lock<std::mutex>& lock, const std::atomic<bool>* cancel);
  Reply Request(std::unique_lock<std::mutex>& lock, std::string_view method,
                const Json::Value& params, std::chrono::milliseconds timeout,
                const std::atomic<bool>* cancel);
  void Notify(std::string_view method, const Json::Value& params);
  // Asks the thread to end the server: at once (kill) or gracefully (close stdin first).
  void EndSession(bool graceful, std::string reason);
  // Records a failed start or listing: uses fail with it until retry_delay has passed.
  Status Fail(Status status);
  // options_.policy with the server's permissions and package cache added.
  sandbox::SandboxPolicy EffectivePolicy() const;
  Result<sandbox::PreparedPolicy> PreparePolicy() const;
  std::string Cwd() const;
  void JoinThread(std::unique_lock<std::mutex>& lock);
  void Wake();
  std::string Describe(const Reply& reply, std::string_view during) const;
  std::string StderrTail() const;

  // The session thread and what it calls, holding mu_ only while touching shared state.
  void RunSession(sandbox::PreparedPolicy policy, sandbox::ChildOptions child_options);
  void HandleLine(std::string_view line, std::string& to_server);
  void HandleLineSafely(std::string_view line, std::string& to_server);
  void AppendStderr(std::string_view bytes);

  const ClientOptions options_;
  const std::string label_;  // "MCP server \"name\""

  mutable std::mutex mu_;
  std::condition_variable changed_;
  // guarded by mu_
  bool busy_ = false;
  std::thread thread_;
  UniqueFd wake_;            // eventfd that wakes the session thread
  bool spawn_done_ = false;  // the thread has tried to spawn
  Status spawn_status_;
  bool alive_ = false;  // spawned and not yet ended
  bool end_requested_ = false;
  bool end_graceful_ = false;
  std::string end_reason_;  // why the last session ended
  bool initialized_ = false;
  bool has_tools_ = false;  // the server announced the tools capability
  std::string protocol_version_;
  std::string server_info_;  // "name version" from serverInfo
  pid_t pid_ = 0;
  std::string outbox_;                                 // bytes for the server's stdin
  std::map<int64_t, std::optional<Message>> replies_;  // requests in flight
  int64_t next_id_ = 1;
  std::string stderr_;  // the tail, at most stderr_cap
  bool ever_started_ = false;
  std::string last_failure_;      // why the last start or listing failed
  Clock::time_point retry_at_{};  // no new start before this, after a failure
  std::vector<ToolInfo> tools_;
  bool listed_ = false;
  bool stale_ = false;  // list_changed since the last listing was asked for
  uint64_t generation_ = 0;
  std::string retired_;  // why the server may not start again (Retire); empty while it may
};

// The directories a server's program must be able to read beyond the sandbox's system
// directories: where it is installed. For the program (symlinks followed, so npm's bin links
// lead to the package), and for an interpreter (node, python3, bun, deno) also the script
// given as its first argument: when the file lies inside a node_modules tree, the outermost
// node_modules directory (it holds the package's dependencies); otherwise the file's own
// directory. Nothing is added for files already readable (under a read-only path of `policy`,
// or in a workspace root, where the deny-list applies). Refused with kPermissionDenied when the
// grant would open more than a program's files: "/", `user_home` or a directory above it, a
// directory holding a workspace root, one the deny-list covers, or one with denied entries
// beneath it (found by a walk of at most 100000 entries; a larger tree is refused too).
// kNotFound when the program is not there.
Result<std::vector<std::string>> ServerReadOnlyPaths(const ServerConfig& server,
                                                     const std::string& cwd,
                                                     const sandbox::SandboxPolicy& policy,
                                                     const std::string& user_home);

// `path` (absolute) as a file:// URI, bytes outside RFC 3986's unreserved set and "/"
// percent-encoded.
std::string FileUri(std::string_view path);

}  // namespace hearth::mcp
