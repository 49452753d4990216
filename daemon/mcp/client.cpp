// SPDX-License-Identifier: Apache-2.0
#include "mcp/client.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <system_error>
#include <utility>

#include "base/paths.h"
#include "base/utf8.h"

namespace hearth::mcp {
namespace {

using std::chrono::milliseconds;

constexpr size_t kMaxPages = 64;
constexpr size_t kWalkLimit = 100000;
// How much of the server's stderr an error message quotes.
constexpr size_t kStderrQuoted = 1500;
// On a graceful stop: after closing stdin, and again after SIGTERM.
constexpr milliseconds kStopStep{150};
// From starting a package runner (npx, uvx) to the handshake: a download, then the start.
constexpr milliseconds kPackageRunnerStart{120000};
constexpr std::string_view kCancelledText =
    "cancelled: the user pressed Stop, and Hearth told the MCP server to abandon the call.";

// "30 s", "0.5 s".
std::string Seconds(milliseconds duration) {
  auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  std::string fraction = std::to_string(ms % 1000 + 1000).substr(1);
  while (fraction.back() == '0') fraction.pop_back();
  return std::to_string(ms / 1000) + "." + fraction + " s";
}

// The head of `text`, at most `cap` bytes cut at a character boundary, with a note when cut.
std::string Cap(std::string text, size_t cap) {
  if (text.size() <= cap) return text;
  size_t cut = Utf8Prefix(text, cap);
  size_t dropped = text.size() - cut;
  text.resize(cut);
  text += "\n[output truncated: the first " + std::to_string(cut) + " bytes are shown, " +
          std::to_string(dropped) + " more were dropped]";
  return text;
}

std::string Dirname(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Basename(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

bool IsExecutableFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(path.c_str(), X_OK) == 0;
}

bool IsRegularFile(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// The program as sandbox::ChildProcess will find it.
Result<std::string> FindProgram(const std::string& command, const std::string& cwd) {
  if (command.empty()) return Status::InvalidArgument("the server's command is empty");
  if (command.find('/') != std::string::npos) {
    std::string path = command.front() == '/' ? command : cwd + "/" + command;
    if (!IsExecutableFile(path)) return Status::NotFound(path + " is not an executable file");
    return path;
  }
  std::string_view dirs = sandbox::kChildPath;
  while (!dirs.empty()) {
    size_t colon = dirs.find(':');
    std::string candidate = std::string(dirs.substr(0, colon)) + "/" + command;
    if (IsExecutableFile(candidate)) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return Status::NotFound("command not found: " + command + " (looked in " + sandbox::kChildPath +
                          ")");
}

bool IsInterpreter(const std::string& name) {
  return name == "node" || name == "nodejs" || name == "bun" || name == "deno" ||
         name.starts_with("python");
}

// npx and its kind download the server when they run: never possible in the sandbox, which
// has no network, and where a shared package cache must not be writable (a server could plant
// code there that the user's own npx would later run unconfined).
bool IsPackageRunner(const ServerConfig& server) {
  const std::string program = Basename(server.command);
  const std::string first = server.args.empty() ? "" : server.args.front();
  return program == "npx" || program == "pnpx" || program == "bunx" || program == "uvx" ||
         ((program == "npm" || program == "pnpm" || program == "yarn" || program == "bun") &&
          (first == "exec" || first == "x" || first == "dlx")) ||
         ((program == "pipx" || program == "uv") && (first == "run" || first == "tool"));
}

// Where the file at `real` is installed: the outermost node_modules directory above it, the
// root of the Python virtual environment whose bin/ holds it, or its own directory.
std::string InstallDir(const std::string& real) {
  size_t modules = real.find("/node_modules/");
  if (modules != std::string::npos) return real.substr(0, modules + sizeof "/node_modules" - 1);
  std::string dir = Dirname(real);
  if (Basename(dir) == "bin" && IsRegularFile(Dirname(dir) + "/pyvenv.cfg")) return Dirname(dir);
  return dir;
}

// Whether `dir` may be granted whole, read-only (see ServerReadOnlyPaths).
Status CheckGrant(const std::string& dir, const sandbox::SandboxPolicy& policy,
                  const std::string& user_home) {
  auto refuse = [&](const std::string& why) {
    return Status::PermissionDenied("the server's program lies in " + dir +
                                    ", which Hearth would have to open to it, but " + why +
                                    ". Install the server in a folder of its own (for example "
                                    "with npm install --prefix) and point its command there.");
  };
  if (dir == "/") return refuse("that is the whole file system");
  std::string home = RealPath(user_home);
  if (!home.empty() && IsWithin(home, dir)) return refuse("that holds your home folder");
  for (const std::string& root : policy.workspace_roots) {
    std::string real = RealPath(root);
    if (IsWithin(real.empty() ? root : real, dir)) return refuse("that holds a workspace folder");
  }
  if (policy.deny_list.DeniesAbsolute(dir, "/")) return refuse("it is on Hearth's deny-list");
  std::error_code error;
  std::filesystem::recursive_directory_iterator it(
      dir, std::filesystem::directory_options::skip_permission_denied, error);
  size_t seen = 0;
  for (; !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (++seen > kWalkLimit) {
      return refuse("it holds more than " + std::to_string(kWalkLimit) +
                    " entries, too many to check for protected files");
    }
    const std::string path = it->path().string();
    if (policy.deny_list.DeniesAbsolute(path, dir)) {
      return refuse("it holds " + path + ", which is on Hearth's deny-list");
    }
  }
  if (error) return refuse("it could not be checked for protected files (" + error.message() + ")");
  return Status::Ok();
}

// A tools/call result as text for the model.
std::string FormatContent(const Json::Value& result) {
  std::string text;
  auto add = [&](std::string piece) {
    if (!text.empty() && text.back() != '\n') text += '\n';
    text += piece;
  };
  auto size_note = [](const Json::Value& item) {
    std::string mime = item["mimeType"].isString() ? item["mimeType"].asString() : "";
    size_t bytes = item["data"].isString() ? item["data"].asString().size() / 4 * 3 : 0;
    std::string note = mime;
    if (bytes > 0)
      note += (note.empty() ? "" : ", ") + std::to_string((bytes + 1023) / 1024) + " KiB";
    return note.empty() ? std::string() : " (" + note + ")";
  };
  const Json::Value& content = result["content"];
  for (Json::ArrayIndex i = 0; content.isArray() && i < content.size(); ++i) {
    const Json::Value& item = content[i];
    if (!item.isObject()) {
      add("[a content item that is not an object: not shown]");
      continue;
    }
    const std::string type = item["type"].isString() ? item["type"].asString() : "";
    if (type == "text" && item["text"].isString()) {
      add(item["text"].asString());
    } else if (type == "image" || type == "audio") {
      add("[" + type + size_note(item) + ": not shown, Hearth passes on only text]");
    } else if (type == "resource") {
      const Json::Value& resource = item["resource"];
      if (!resource.isObject()) {
        add("[embedded resource: not shown]");
        continue;
      }
      std::string uri = resource["uri"].isString() ? resource["uri"].asString() : "?";
      add("[embedded resource " + uri + size_note(resource) + ": not shown]");
    } else if (type == "resource_link") {
      std::string uri = item["uri"].isString() ? item["uri"].asString() : "?";
      std::string name = item["name"].isString() ? " \"" + item["name"].asString() + "\"" : "";
      add("[link to resource " + uri + name + "]");
    } else {
      add("[content of type \"" + type + "\": not shown]");
    }
  }
  if (text.empty() && result.isMember("structuredContent")) {
    text = ToCompactJson(result["structuredContent"]);
  }
  if (text.empty()) text = "(no output)";
  return text;
}

bool WaitReadable(int fd, milliseconds timeout) {
  pollfd p{fd, POLLIN, 0};
  int ready;
  do {
    ready = poll(&p, 1, static_cast<int>(timeout.count()));
  } while (ready < 0 && errno == EINTR);
  return ready > 0;
}

}  // namespace

std::string FileUri(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file://";
  for (char c : path) {
    auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
        (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
      uri += c;
    } else {
      uri += '%';
      uri += kHex[byte >> 4];
      uri += kHex[byte & 0xF];
    }
  }
  return uri;
}

Result<std::vector<std::string>> ServerReadOnlyPaths(const ServerConfig& server,
                                                     const std::string& cwd,
                                                     const sandbox::SandboxPolicy& policy,
                                                     const std::string& user_home) {
  Result<std::string> program = FindProgram(server.command, cwd);
  if (!program.ok()) return program.status();
  std::vector<std::string> files = {*program};
  if (IsInterpreter(Basename(server.command))) {
    for (const std::string& arg : server.args) {
      if (arg == "-m" || arg == "-c" || arg == "-e" || arg == "--eval") break;
      if (arg.starts_with('-')) continue;
      if (arg.starts_with('/') && IsRegularFile(arg)) files.push_back(arg);
      break;
    }
  }
  std::vector<std::string> readable;
  for (const std::string& path : policy.read_only_paths) {
    std::string real = RealPath(path);
    if (!real.empty()) readable.push_back(real);
  }
  for (const std::string& root : policy.workspace_roots) {
    std::string real = RealPath(root);
    readable.push_back(real.empty() ? root : real);
  }
  std::vector<std::string> dirs;
  for (const std::string& file : files) {
    std::string real = RealPath(file);
    if (real.empty()) return Status::NotFound(file + " cannot be reached");
    if (std::any_of(readable.begin(), readable.end(),
                    [&](const std::string& dir) { return IsWithin(real, dir); })) {
      continue;
    }
    std::string dir = InstallDir(real);
    if (std::find(dirs.begin(), dirs.end(), dir) != dirs.end()) continue;
    if (Status s = CheckGrant(dir, policy, user_home); !s.ok()) return s;
    dirs.push_back(dir);
  }
  return dirs;
}

McpClient::McpClient(ClientOptions options)
    : options_(std::move(options)), label_("MCP server \"" + options_.server.name + "\"") {}

McpClient::~McpClient() {
  std::unique_lock lock(mu_);
  if (alive_) EndSession(true, "Hearth stopped it");
  JoinThread(lock);
}

bool McpClient::Acquire(std::unique_lock<std::mutex>& lock, const std::atomic<bool>* cancel) {
  while (busy_) {
    if (cancel != nullptr && cancel->load()) return false;
    if (cancel != nullptr) {
      changed_.wait_for(lock, sandbox::kCancelPoll);
    } else {
      changed_.wait(lock);
    }
  }
  busy_ = true;
  return true;
}

void McpClient::Release() {
  busy_ = false;
  changed_.notify_all();
}

void McpClient::Wake() {
  if (!wake_.valid()) return;
  uint64_t one = 1;
  ssize_t written = write(wake_.get(), &one, sizeof one);
  (void)written;  // a full counter still wakes the thread
}

void McpClient::EndSession(bool graceful, std::string reason) {
  initialized_ = false;  // the next use starts a new server, once this one is gone
  if (!end_requested_) {
    end_requested_ = true;
    end_graceful_ = graceful;
    end_reason_ = std::move(reason);
  }
  Wake();
}

void McpClient::JoinThread(std::unique_lock<std::mutex>& lock) {
  if (!thread_.joinable()) return;
  std::thread thread = std::move(thread_);
  lock.unlock();
  thread.join();
  lock.lock();
  wake_.Reset();
}

Status McpClient::Fail(Status status) {
  last_failure_ = status.message();
  retry_at_ = Clock::now() + options_.retry_delay;
  return status;
}

std::string McpClient::StderrTail() const {
  std::string_view tail = stderr_;
  if (tail.size() > kStderrQuoted) {
    tail.remove_prefix(tail.size() - kStderrQuoted);
    size_t newline = tail.find('\n');
    if (newline != std::string_view::npos && newline + 1 < tail.size()) {
      tail.remove_prefix(newline + 1);
    }
  }
  while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' ' || tail.back() == '\r')) {
    tail.remove_suffix(1);
  }
  if (tail.empty()) return {};
  return "\nIts last words on stderr:\n" + ToValidUtf8(tail);
}

std::string McpClient::Describe(const Reply& reply, std::string_view during) const {
  switch (reply.outcome) {
    case Reply::Outcome::kResult:
      return {};
    case Reply::Outcome::kError:
      return label_ + " answered with an error " + std::string(during) + ": " +
             ToValidUtf8(reply.message) + " (JSON-RPC error " + std::to_string(reply.error_code) +
             ").";
    case Reply::Outcome::kEnded:
      return label_ + " stopped " + std::string(during) + ": " + reply.message + "." +
             StderrTail() + "\nHearth starts it again when it is next used.";
    case Reply::Outcome::kTimedOut:
      return label_ + " did not answer " + std::string(during) +
             " in time, so Hearth stopped it; " + "it starts again when it is next used.";
    case Reply::Outcome::kCancelled:
      return std::string(kCancelledText);
  }
  return {};
}

std::string McpClient::Cwd() const {
  if (!options_.cwd.empty()) return options_.cwd;
  if (!options_.policy.workspace_roots.empty()) return options_.policy.workspace_roots.front();
  // A package runner looks for a project in its working directory: its cache is one it may use.
  if (IsPackageRunner(options_.server) && !options_.package_cache.empty()) {
    return options_.package_cache;
  }
  return "/";
}

sandbox::SandboxPolicy McpClient::EffectivePolicy() const {
  sandbox::SandboxPolicy policy = options_.policy;
  const ServerPermissions& permissions = options_.server.permissions;
  policy.allow_network = policy.allow_network || permissions.network;
  for (const std::string& path : permissions.write_paths) policy.workspace_roots.push_back(path);
  for (const std::string& path : permissions.read_paths) policy.read_only_roots.push_back(path);
  if (IsPackageRunner(options_.server) && permissions.network && !options_.package_cache.empty()) {
    policy.workspace_roots.push_back(options_.package_cache);
  }
  return policy;
}

Result<sandbox::PreparedPolicy> McpClient::PreparePolicy() const {
  if (sandbox::LandlockAbi() <= 0) {
    return Status::Unavailable("Hearth runs MCP servers only inside its sandbox, and " +
                               sandbox::LandlockSummary());
  }
  sandbox::SandboxPolicy policy = EffectivePolicy();
  std::string user_home = options_.user_home;
  if (user_home.empty()) {
    const char* home = getenv("HOME");
    user_home = home != nullptr ? home : "";
  }
  Result<std::vector<std::string>> extra =
      ServerReadOnlyPaths(options_.server, Cwd(), policy, user_home);
  if (!extra.ok()) return extra.status();
  for (const std::string& dir : *extra) policy.read_only_paths.push_back(dir);
  return sandbox::PreparedPolicy::Prepare(policy);
}

Status McpClient::Start(std::unique_lock<std::mutex>& lock, const std::atomic<bool>* cancel) {
  JoinThread(lock);
  if (!retired_.empty()) return Status::Unavailable(retired_);
  ever_started_ = true;
  const bool package_runner = IsPackageRunner(options_.server);
  if (package_runner && !options_.server.permissions.network) {
    return Fail(Status::Unavailable(
        label_ + " cannot start: \"" + Basename(options_.server.command) +
        "\" downloads the server as it runs, and this server has no network. Edit it in "
        "Settings and tick \"Network\" (its downloads then go to a cache of its own), or install "
        "the server first (npm install --prefix DIR PACKAGE, or pip install into a virtual "
        "environment) and set its command to the installed program, such as "
        "DIR/node_modules/.bin/NAME."));
  }
  if (package_runner && options_.package_cache.empty()) {
    return Fail(Status::Unavailable(
        label_ + " cannot start: \"" + Basename(options_.server.command) +
        "\" needs a package cache of its own, and Hearth has none to give it here (no cache "
        "folder: set XDG_CACHE_HOME or HOME). Install the server first and set its command to "
        "the installed program."));
  }
  std::vector<std::string> cache_env;
  if (package_runner) {
    // npm's cache, uv's and pnpm's (XDG_CACHE_HOME) and temporary files, all in the server's
    // own directory; update checks would only fail.
    const std::string& cache = options_.package_cache;
    for (const std::string& dir : {cache, cache + "/npm", cache + "/tmp"}) {
      if (Status s = EnsurePrivateDir(dir); !s.ok()) {
        return Fail(s.WithContext(label_ + " could not start: its package cache"));
      }
    }
    cache_env = {
        "npm_config_cache=" + cache + "/npm", "XDG_CACHE_HOME=" + cache, "TMPDIR=" + cache + "/tmp",
        "npm_config_update_notifier=false",   "npm_config_fund=false",   "npm_config_audit=false"};
  }
  // Preparing walks the workspace; busy_ keeps other operations out meanwhile.
  lock.unlock();
  Result<sandbox::PreparedPolicy> policy = PreparePolicy();
  lock.lock();
  if (!policy.ok()) return Fail(policy.status().WithContext(label_ + " could not start"));
  if (!retired_.empty()) return Status::Unavailable(retired_);

  const std::string confinement = sandbox::DescribeConfinement(EffectivePolicy(), policy->report());
  sandbox::ChildOptions child;
  child.argv.push_back(options_.server.command);
  for (const std::string& arg : options_.server.args) child.argv.push_back(arg);
  child.cwd = Cwd();
  child.home = options_.home;
  child.extra_env = std::move(cache_env);  // the user's own values, added after, win
  for (const auto& [name, value] : options_.server.env)
    child.extra_env.push_back(name + "=" + value);
  child.stdin_mode = sandbox::ChildOptions::Stdin::kPipe;
  child.stderr_mode = sandbox::ChildOptions::Stderr::kPipe;

  spawn_done_ = false;
  spawn_status_ = Status::Ok();
  alive_ = false;
  end_requested_ = false;
  end_graceful_ = false;
  end_reason_.clear();
  initialized_ = false;
  has_tools_ = false;
  protocol_version_.clear();
  server_info_.clear();
  outbox_.clear();
  replies_.clear();
  stderr_.clear();
  wake_.Reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!wake_.valid()) return Fail(PosixError(label_ + " could not start: eventfd", errno));
  thread_ = std::thread(&McpClient::RunSession, this, std::move(*policy), std::move(child));
  changed_.wait(lock, [&] { return spawn_done_; });
  if (!spawn_status_.ok()) {
    Status failed = spawn_status_;
    JoinThread(lock);
    return Fail(Status::Unavailable(label_ + " could not start: " + failed.message()));
  }
  if (options_.on_start) {
    std::string command_line = options_.server.command;
    for (const std::string& arg : options_.server.args) command_line += " " + arg;
    tools::AuditNote note{"mcp:" + options_.server.name, std::move(command_line),
                          "started confined by " + confinement + "; pid " + std::to_string(pid_)};
    lock.unlock();  // busy_ keeps other operations out meanwhile
    options_.on_start(note);
    lock.lock();
  }

  Json::Value params(Json::objectValue);
  params["protocolVersion"] = std::string(kProtocolVersions.front());
  params["capabilities"]["roots"]["listChanged"] = false;
  params["clientInfo"]["name"] = "hearth";
  params["clientInfo"]["version"] = HEARTH_VERSION;
  // A package runner downloads the server first, which takes longer than starting one.
  const milliseconds start_timeout = package_runner
                                         ? std::max(options_.start_timeout, kPackageRunnerStart)
                                         : options_.start_timeout;
  Reply reply = Request(lock, "initialize", params, start_timeout, cancel);
  if (reply.outcome != Reply::Outcome::kResult) {
    // The initialize request is never cancelled (the specification forbids it): the server
    // is stopped instead, its state being unknown.
    EndSession(false, "its start was abandoned");
    if (reply.outcome == Reply::Outcome::kCancelled) {
      return Status::Cancelled(std::string(kCancelledText));
    }
    std::string message = reply.outcome == Reply::Outcome::kTimedOut
                              ? label_ + " did not answer the MCP handshake within " +
                                    Seconds(start_timeout) + "." + StderrTail()
                              : Describe(reply, "during the MCP handshake");
    return Fail(Status::Unavailable(message));
  }
  const Json::Value result =
      reply.result.isObject() ? reply.result : Json::Value(Json::objectValue);
  const std::string version =
      result["protocolVersion"].isString() ? result["protocolVersion"].asString() : "";
  if (std::find(kProtocolVersions.begin(), kProtocolVersions.end(), version) ==
      kProtocolVersions.end()) {
    EndSession(false, "it speaks an unknown protocol version");
    std::string known;
    for (std::string_view v : kProtocolVersions)
      known += (known.empty() ? "" : ", ") + std::string(v);
    return Fail(Status::Unsupported(
        label_ + " speaks MCP version \"" + ToValidUtf8(version.substr(0, 64)) +
        "\", which Hearth does not know (it speaks " + known +
        "). Update Hearth or use a version of the server that supports one of these."));
  }
  protocol_version_ = version;
  has_tools_ = result["capabilities"].isObject() && result["capabilities"].isMember("tools");
  const Json::Value& info = result["serverInfo"];
  if (info.isObject() && info["name"].isString()) {
    server_info_ = ToValidUtf8(info["name"].asString().substr(0, 100));
    if (info["version"].isString()) {
      server_info_ += " " + ToValidUtf8(info["version"].asString().substr(0, 40));
    }
  }
  Notify("notifications/initialized", Json::Value());
  initialized_ = true;
  last_failure_.clear();
  return Status::Ok();
}

Status McpClient::EnsureStarted(std::unique_lock<std::mutex>& lock,
                                const std::atomic<bool>* cancel) {
  if (!retired_.empty()) return Status::Unavailable(retired_);
  if (alive_ && initialized_) return Status::Ok();
  if (!last_failure_.empty() && Clock::now() < retry_at_) {
    return Status::Unavailable(last_failure_);
  }
  if (alive_) EndSession(false, "it was restarted");
  return Start(lock, cancel);
}

McpClient::Reply McpClient::Request(std::unique_lock<std::mutex>& lock, std::string_view method,
                                    const Json::Value& params, milliseconds timeout,
                                    const std::atomic<bool>* cancel) {
  Reply reply;
  reply.id = next_id_++;
  auto slot = replies_.emplace(reply.id, std::nullopt).first;
  outbox_ += EncodeRequest(reply.id, method, params);
  Wake();
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    if (slot->second) {
      Message& message = *slot->second;
      if (message.is_error) {
        reply.outcome = Reply::Outcome::kError;
        reply.error_code = message.error_code;
        reply.message = std::move(message.error_message);
      } else {
        reply.outcome = Reply::Outcome::kResult;
        reply.result = std::move(message.result);
      }
      break;
    }
    if (!alive_) {
      reply.outcome = Reply::Outcome::kEnded;
      reply.message = end_reason_;
      break;
    }
    const Clock::time_point now = Clock::now();
    if (cancel != nullptr && cancel->load()) {
      reply.outcome = Reply::Outcome::kCancelled;
      break;
    }
    if (now >= deadline) {
      reply.outcome = Reply::Outcome::kTimedOut;
      break;
    }
    Clock::time_point wake = deadline;
    if (cancel != nullptr) wake = std::min(wake, now + sandbox::kCancelPoll);
    changed_.wait_until(lock, wake);
  }
  replies_.erase(slot);
  return reply;
}

void McpClient::Notify(std::string_view method, const Json::Value& params) {
  outbox_ += EncodeNotification(method, params);
  Wake();
}

Result<std::vector<ToolInfo>> McpClient::ListTools(const std::atomic<bool>* cancel) {
  std::unique_lock lock(mu_);
  if (!Acquire(lock, cancel)) return Status::Cancelled(std::string(kCancelledText));
  struct Guard {
    McpClient* client;
    ~Guard() { client->Release(); }
  } guard{this};

  if (Status started = EnsureStarted(lock, cancel); !started.ok()) return started;
  // A list_changed that arrives from now on is about a list newer than this one.
  stale_ = false;
  std::vector<ToolInfo> found;
  std::string cursor;
  for (size_t page = 0; has_tools_ && page < kMaxPages; ++page) {
    Json::Value params(Json::objectValue);
    if (!cursor.empty()) params["cursor"] = cursor;
    Reply reply = Request(lock, "tools/list", params, options_.list_timeout, cancel);
    if (reply.outcome == Reply::Outcome::kCancelled || reply.outcome == Reply::Outcome::kTimedOut) {
      Json::Value cancelled(Json::objectValue);
      cancelled["requestId"] = Json::Int64(reply.id);
      Notify("notifications/cancelled", cancelled);
    }
    if (reply.outcome == Reply::Outcome::kTimedOut) {
      EndSession(false, "it did not list its tools in time");
    }
    if (reply.outcome != Reply::Outcome::kResult) {
      stale_ = true;
      if (reply.outcome == Reply::Outcome::kCancelled) {
        return Status::Cancelled(std::string(kCancelledText));
      }
      std::string message = reply.outcome == Reply::Outcome::kTimedOut
                                ? label_ + " did not list its tools within " +
                                      Seconds(options_.list_timeout) + ", so Hearth stopped it."
                                : Describe(reply, "while listing its tools");
      return Fail(Status::Unavailable(message));
    }
    const Json::Value& tools =
        reply.result.isObject() ? reply.result["tools"] : Json::Value::nullSingleton();
    if (!tools.isArray()) {
      stale_ = true;
      return Fail(
          Status::InvalidArgument(label_ + " answered tools/list without a \"tools\" array."));
    }
    for (const Json::Value& tool : tools) {
      if (found.size() >= options_.max_tools) break;
      if (!tool.isObject() || !tool["name"].isString() || tool["name"].asString().empty()) continue;
      ToolInfo info;
      info.name = tool["name"].asString();
      if (std::any_of(found.begin(), found.end(),
                      [&](const ToolInfo& t) { return t.name == info.name; })) {
        continue;
      }
      if (tool["description"].isString()) info.description = tool["description"].asString();
      info.input_schema = tool["inputSchema"];
      if (!info.input_schema.isObject()) {
        info.input_schema = Json::Value(Json::objectValue);
        info.input_schema["type"] = "object";
      }
      found.push_back(std::move(info));
    }
    const Json::Value& next = reply.result["nextCursor"];
    cursor = next.isString() ? next.asString() : "";
    if (cursor.empty()) break;
  }
  if (!listed_ || found != tools_) {
    tools_ = std::move(found);
    ++generation_;
  }
  listed_ = true;
  last_failure_.clear();
  return tools_;
}

bool McpClient::NeedsListing() const {
  std::lock_guard lock(mu_);
  if (!last_failure_.empty() && Clock::now() < retry_at_) return false;
  return !listed_ || stale_;
}

std::vector<ToolInfo> McpClient::tools() const {
  std::lock_guard lock(mu_);
  return tools_;
}

uint64_t McpClient::listing_generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

tools::ToolResult McpClient::CallTool(const std::string& name, const Json::Value& arguments,
                                      const std::atomic<bool>* cancel) {
  std::unique_lock lock(mu_);
  if (!Acquire(lock, cancel)) return {true, std::string(kCancelledText)};
  struct Guard {
    McpClient* client;
    ~Guard() { client->Release(); }
  } guard{this};

  if (Status started = EnsureStarted(lock, cancel); !started.ok()) {
    return {true, started.message()};
  }
  Json::Value params(Json::objectValue);
  params["name"] = name;
  params["arguments"] = arguments.isObject() ? arguments : Json::Value(Json::objectValue);
  Reply reply = Request(lock, "tools/call", params, options_.call_timeout, cancel);
  switch (reply.outcome) {
    case Reply::Outcome::kResult: {
      if (!reply.result.isObject()) {
        return {true, label_ + " answered tools/call with something that is not a result."};
      }
      const bool is_error = reply.result["isError"].isBool() && reply.result["isError"].asBool();
      return {is_error, Cap(ToValidUtf8(FormatContent(reply.result)), options_.output_cap)};
    }
    case Reply::Outcome::kError:
      return {true, Describe(reply, "to the call")};
    case Reply::Outcome::kEnded:
      return {true, Describe(reply, "during the call")};
    case Reply::Outcome::kTimedOut:
    case Reply::Outcome::kCancelled: {
      Json::Value cancelled(Json::objectValue);
      cancelled["requestId"] = Json::Int64(reply.id);
      cancelled["reason"] = reply.outcome == Reply::Outcome::kCancelled
                                ? "The user stopped the call."
                                : "The call took longer than Hearth allows.";
      Notify("notifications/cancelled", cancelled);
      if (reply.outcome == Reply::Outcome::kCancelled) return {true, std::string(kCancelledText)};
      EndSession(false, "a call did not finish within " + Seconds(options_.call_timeout));
      return {true, label_ + " did not finish the call within " + Seconds(options_.call_timeout) +
                        ", so Hearth stopped the server; it starts again when it is next used."};
    }
  }
  return {true, label_ + ": unexpected outcome"};
}

void McpClient::Retire(std::string reason) {
  std::unique_lock lock(mu_);
  retired_ = reason.empty() ? label_ + " was stopped" : std::move(reason);
  // An operation under way sees the server end (or, before it spawns, retired_) and returns.
  if (alive_) EndSession(true, retired_);
  (void)Acquire(lock, nullptr);
  if (alive_) EndSession(true, retired_);
  JoinThread(lock);
  Release();
}

std::string McpClient::StatusLine() const {
  std::lock_guard lock(mu_);
  if (!retired_.empty()) return retired_;
  if (alive_ && initialized_) {
    std::string line = label_ + ": running";
    line += " (" + (server_info_.empty() ? std::string() : server_info_ + ", ") + "MCP " +
            protocol_version_ + ", ";
    line += listed_ ? std::to_string(tools_.size()) + " tools)" : "tools not listed yet)";
    return line;
  }
  if (!last_failure_.empty()) return ToValidUtf8(last_failure_);
  if (!ever_started_) {
    return label_ + ": not started yet (it starts when a conversation first needs its tools)";
  }
  return label_ + ": stopped (" + end_reason_ + "); it starts again when it is next used";
}

std::string McpClient::protocol_version() const {
  std::lock_guard lock(mu_);
  return alive_ && !end_requested_ ? protocol_version_ : std::string();
}

std::optional<pid_t> McpClient::server_pid() const {
  std::lock_guard lock(mu_);
  if (!alive_ || end_requested_) return std::nullopt;
  return pid_;
}

void McpClient::AppendStderr(std::string_view bytes) {
  stderr_.append(bytes);
  if (stderr_.size() > options_.stderr_cap) stderr_.erase(0, stderr_.size() - options_.stderr_cap);
}

void McpClient::HandleLine(std::string_view line, std::string& to_server) {
  Result<std::vector<Message>> parsed = ParseLine(line);
  std::lock_guard lock(mu_);
  if (!parsed.ok()) {
    // The transport allows nothing but messages on stdout; keep it where a failure report
    // will show it.
    AppendStderr("[not a JSON-RPC message on stdout: " + std::string(line.substr(0, 200)) + "]\n");
    return;
  }
  bool changed = false;
  for (Message& message : *parsed) {
    switch (message.kind) {
      case Message::Kind::kResponse: {
        std::optional<int64_t> id = IntegerId(message.id);
        auto slot = id ? replies_.find(*id) : replies_.end();
        // Answers to abandoned requests are dropped.
        if (slot != replies_.end() && !slot->second) {
          slot->second = std::move(message);
          changed = true;
        }
        break;
      }
      case Message::Kind::kRequest:
        if (message.method == "ping") {
          to_server += EncodeResult(message.id, Json::Value(Json::objectValue));
        } else if (message.method == "roots/list") {
          Json::Value result(Json::objectValue);
          result["roots"] = Json::Value(Json::arrayValue);
          const ServerPermissions& own = options_.server.permissions;
          std::vector<std::string> roots = own.read_paths;
          roots.insert(roots.end(), own.write_paths.begin(), own.write_paths.end());
          if (roots.empty()) roots = options_.policy.workspace_roots;
          for (const std::string& root : roots) {
            Json::Value item(Json::objectValue);
            item["uri"] = FileUri(root);
            item["name"] = Basename(root);
            result["roots"].append(item);
          }
          to_server += EncodeResult(message.id, result);
        } else {
          to_server += EncodeError(message.id, kMethodNotFound,
                                   "Hearth does not support \"" + message.method + "\"");
        }
        break;
      case Message::Kind::kNotification:
        if (message.method == "notifications/tools/list_changed") {
          stale_ = true;
          changed = true;
        } else if (message.method == "notifications/message" && message.params.isObject()) {
          const Json::Value& level = message.params["level"];
          const Json::Value& data = message.params["data"];
          AppendStderr("[log " + (level.isString() ? level.asString() : "?") + "] " +
                       (data.isString() ? data.asString() : ToCompactJson(data)) + "\n");
        }
        break;
      case Message::Kind::kInvalid:
        break;
    }
  }
  if (changed) changed_.notify_all();
}

void McpClient::HandleLineSafely(std::string_view line, std::string& to_server) {
  // An exception would end the thread, and the program with it: whatever a server sends, the
  // worst it gets is its line ignored.
  try {
    HandleLine(line, to_server);
  } catch (const std::exception& error) {
    std::lock_guard lock(mu_);
    AppendStderr(std::string("[a message Hearth could not handle: ") + error.what() + "]\n");
  }
}

void McpClient::RunSession(sandbox::PreparedPolicy policy, sandbox::ChildOptions child_options) {
  // A write to the stdin of a server that died raises SIGPIPE, aimed at the writing thread:
  // blocked here, the write fails with EPIPE instead. Children start with an empty mask.
  sigset_t pipe_signal;
  sigemptyset(&pipe_signal);
  sigaddset(&pipe_signal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);

  Result<std::unique_ptr<sandbox::ChildProcess>> spawned =
      sandbox::ChildProcess::Spawn(child_options, policy);
  int wake_fd;
  {
    std::lock_guard lock(mu_);
    spawn_done_ = true;
    if (!spawned.ok()) spawn_status_ = spawned.status();
    alive_ = spawned.ok();
    pid_ = spawned.ok() ? (*spawned)->pid() : 0;
    wake_fd = wake_.get();
    changed_.notify_all();
  }
  if (!spawned.ok()) return;
  sandbox::ChildProcess& child = **spawned;

  LineSplitter splitter(options_.max_line_bytes);
  std::string to_server;
  std::string reason;
  bool requested = false;
  bool graceful = false;
  bool output_ended = false;  // EOF, exit, or an error on the server's side
  char buffer[65536];

  auto drain_stderr = [&] {
    for (;;) {
      ssize_t n = read(child.stderr_fd(), buffer, sizeof buffer);
      if (n > 0) {
        std::lock_guard lock(mu_);
        AppendStderr(std::string_view(buffer, static_cast<size_t>(n)));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || errno != EAGAIN) child.CloseStderr();
      return;
    }
  };
  // False when the session must end (`reason` says why).
  auto drain_stdout = [&] {
    for (;;) {
      ssize_t n = read(child.stdout_fd(), buffer, sizeof buffer);
      if (n > 0) {
        bool ok = splitter.Feed(std::string_view(buffer, static_cast<size_t>(n)),
                                [&](std::string_view line) { HandleLineSafely(line, to_server); });
        if (!ok) {
          reason = "it sent a message longer than " +
                   std::to_string(options_.max_line_bytes / 1024) + " KiB";
          return false;
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return true;
      reason = n == 0 ? "it closed its output" : PosixError("reading its output", errno).message();
      output_ended = true;
      return false;
    }
  };

  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (end_requested_) {
        requested = true;
        graceful = end_graceful_;
        reason = end_reason_;
        break;
      }
      to_server += outbox_;
      outbox_.clear();
    }
    pollfd fds[5];
    nfds_t count = 0;
    fds[count++] = {wake_fd, POLLIN, 0};
    const nfds_t out_index = count;
    fds[count++] = {child.stdout_fd(), POLLIN, 0};
    const nfds_t pid_index = count;
    fds[count++] = {child.pidfd(), POLLIN, 0};
    nfds_t err_index = 0, in_index = 0;
    if (child.stderr_fd() >= 0) {
      err_index = count;
      fds[count++] = {child.stderr_fd(), POLLIN, 0};
    }
    if (!to_server.empty()) {
      in_index = count;
      fds[count++] = {child.stdin_fd(), POLLOUT, 0};
    }
    if (poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      reason = PosixError("poll", errno).message();
      break;
    }
    if (fds[0].revents != 0) {
      uint64_t counter;
      ssize_t n = read(wake_fd, &counter, sizeof counter);
      (void)n;
    }
    if (err_index != 0 && fds[err_index].revents != 0) drain_stderr();
    if (fds[out_index].revents != 0 && !drain_stdout()) break;
    if (fds[pid_index].revents != 0) {
      // What it wrote before exiting is still in the pipe.
      if (drain_stdout()) reason = "it exited";
      output_ended = true;
      break;
    }
    if (in_index != 0 && fds[in_index].revents != 0) {
      ssize_t n = write(child.stdin_fd(), to_server.data(), to_server.size());
      if (n > 0) {
        to_server.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        reason = "it stopped reading its input";
        output_ended = true;
        break;
      }
    }
  }

  // The end: a server that closed its output is given a moment to exit by itself, so that its
  // exit status can be reported; one asked to stop gracefully gets EOF on stdin, then SIGTERM
  // (https://modelcontextprotocol.io/specification/2025-06-18/basic/lifecycle#stdio).
  child.CloseStdin();
  bool exited = false;
  if (graceful || output_ended) exited = WaitReadable(child.pidfd(), kStopStep);
  if (graceful && !exited) {
    (void)child.SignalGroup(SIGTERM);
    exited = WaitReadable(child.pidfd(), kStopStep);
  }
  // Whatever it left running in its group must not outlive it.
  (void)child.SignalGroup(SIGKILL);
  Result<sandbox::ExitStatus> status = child.Wait();
  if (child.stderr_fd() >= 0) drain_stderr();
  if (!requested && exited && status.ok()) reason = "it " + status->Describe();

  std::lock_guard lock(mu_);
  alive_ = false;
  initialized_ = false;
  pid_ = 0;
  end_reason_ = reason;
  changed_.notify_all();
}

}  // namespace hearth::mcp
