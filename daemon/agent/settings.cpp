// SPDX-License-Identifier: Apache-2.0
#include "agent/settings.h"

#include <json/json.h>

#include <algorithm>
#include <cctype>

#include "agent/config_secrets.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/paths.h"
#include "base/sha256.h"
#include "mcp/client.h"
#include "mcp/mcp_tools.h"
#include "sandbox/deny_list.h"
#include "sandbox/landlock.h"
#include "sandbox/protected_list.h"
#include "sandbox/workspace.h"
#include "tools/fetch_url.h"
#include "tools/file_tools.h"
#include "tools/run_command.h"

namespace hearth::agent {

// The MCP servers of one configuration, and the tool box with their tools. Clients are made in
// Rebuild and handed on to the next rebuild while a server's configuration and the sandbox stay
// the same, so saving unrelated settings restarts nothing.
struct McpState {
  struct Server {
    std::string key;  // what the client was made from
    std::shared_ptr<mcp::McpClient> client;
  };
  std::vector<Server> servers;          // immutable once built
  std::shared_ptr<const ToolBox> base;  // the built-in tools

  std::mutex mu;
  // guarded by mu
  std::vector<uint64_t> generations;  // the listings `box` was built from
  std::shared_ptr<const ToolBox> box;
};

namespace {

// A tool of another box: the box with the MCP tools is made anew when a listing changes, while
// the built-in tools stay the same objects.
class SharedTool final : public tools::Tool {
 public:
  SharedTool(std::shared_ptr<const ToolBox> owner, const tools::Tool* tool)
      : owner_(std::move(owner)), tool_(tool) {}
  const llm::ToolSchema& schema() const override { return tool_->schema(); }
  bool needs_approval() const override { return tool_->needs_approval(); }
  std::string grant_key() const override { return tool_->grant_key(); }
  std::vector<std::string> ApprovalNotes(const Json::Value& arguments) const override {
    return tool_->ApprovalNotes(arguments);
  }
  std::optional<tools::ChangePreview> ApprovalPreview(const Json::Value& arguments) const override {
    return tool_->ApprovalPreview(arguments);
  }
  tools::ToolOrigin origin() const override { return tool_->origin(); }
  tools::ToolResult Call(const Json::Value& arguments,
                         const tools::ToolContext& context) const override {
    return tool_->Call(arguments, context);
  }

 private:
  std::shared_ptr<const ToolBox> owner_;
  const tools::Tool* tool_;
};

std::shared_ptr<const ToolBox> BoxWithMcpTools(McpState& state) {
  for (const McpState::Server& server : state.servers) {
    // A failure is remembered by the client and shown in the sandbox report.
    if (server.client->NeedsListing()) (void)server.client->ListTools();
  }
  std::vector<uint64_t> generations;
  for (const McpState::Server& server : state.servers) {
    generations.push_back(server.client->listing_generation());
  }
  std::lock_guard lock(state.mu);
  if (state.box && generations == state.generations) return state.box;
  auto box = std::make_shared<ToolBox>();
  for (const llm::ToolSchema& schema : state.base->Schemas()) {
    box->Add(std::make_unique<SharedTool>(state.base, state.base->Find(schema.name)));
  }
  for (const McpState::Server& server : state.servers) {
    for (auto& tool : mcp::MakeMcpTools(server.client)) {
      if (box->Find(tool->schema().name) == nullptr) box->Add(std::move(tool));
    }
  }
  state.box = box;
  state.generations = std::move(generations);
  return box;
}

}  // namespace

Settings::Settings(store::Store& store, secrets::SecretStore& secrets, AgentConfig file_config,
                   std::string config_path, std::vector<std::string> own_dirs, std::string home)
    : store_(store),
      secrets_(secrets),
      file_(std::move(file_config)),
      config_path_(std::move(config_path)),
      own_dirs_(std::move(own_dirs)),
      home_(std::move(home)) {}

namespace {

std::string WriteDocument(const Json::Value& doc) {
  Json::StreamWriterBuilder writer;
  writer["indentation"] = "  ";
  return Json::writeString(writer, doc);
}

std::string Count(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// Moves keys an older Hearth saved in the store's document (`doc`, already rewritten with
// references) to `secrets`, then rewrites the database file so that no copy of them is left in
// it. On failure the document in the store is unchanged, and keeps the keys.
Status MoveOutOfDatabase(store::Store& store, secrets::SecretStore& secrets,
                         const std::vector<SecretValue>& plain, const Json::Value& doc,
                         std::vector<std::string>& notes) {
  for (const SecretValue& secret : plain) {
    if (Status s = secrets.Put(secret.name, secret.value); !s.ok()) return s;
  }
  if (Status s = store.SetSetting(Settings::kSettingKey, WriteDocument(doc)); !s.ok()) return s;
  std::string moved = Count(plain.size(), "key", "keys") + " saved by an older Hearth moved from " +
                      "the database to " + secrets.Where() + ".";
  if (Status s = store.ScrubDeletedData(); !s.ok()) {
    moved += " Old copies may remain in the database file's free space until it is compacted (" +
             s.message() + ").";
  }
  notes.push_back(std::move(moved));
  return Status::Ok();
}

}  // namespace

Status Settings::Load() {
  Status status;
  AgentConfig saved;
  std::map<std::string, std::string> values;
  std::set<std::string> unreadable;
  std::vector<std::string> notes;
  bool plain_in_database = false;
  Result<std::optional<std::string>> text = store_.GetSetting(kSettingKey);
  Json::Value doc;
  if (!text.ok()) {
    status = text.status();
  } else if (*text && !ParseJson(**text, &doc, 32)) {
    status = ParseConfig(**text, home_).status().WithContext("the saved agent settings");
  } else if (*text) {
    std::vector<SecretValue> plain = TakeSecrets(doc);
    // Values known without asking the secret store: those just taken out of the document.
    std::map<std::string, std::string> known;
    for (const SecretValue& secret : plain) known[secret.name] = secret.value;
    if (!plain.empty()) {
      if (Status moved = MoveOutOfDatabase(store_, secrets_, plain, doc, notes); !moved.ok()) {
        notes.push_back(Count(plain.size(), "key is", "keys are") +
                        " still in the database, where an older Hearth saved them, because they "
                        "could not be moved: " +
                        moved.message());
        status = moved.WithContext("moving API keys out of the database");
        plain_in_database = true;
      }
    }
    // After one failure the store is not asked again: a keyring that does not answer would
    // otherwise hold up the start by its timeout once per key.
    Status store_failed;
    PutBackResult back = PutBackSecrets(doc, [&](const std::string& name) {
      if (auto it = known.find(name); it != known.end()) {
        // In the secret store only if the move worked; otherwise the next Save puts it there.
        if (!plain_in_database) values[name] = it->second;
        return Result<std::optional<std::string>>(std::optional<std::string>(it->second));
      }
      if (!store_failed.ok()) return Result<std::optional<std::string>>(store_failed);
      Result<std::optional<std::string>> value = secrets_.Get(name);
      if (!value.ok()) store_failed = value.status();
      if (value.ok() && *value) values[name] = **value;
      return value;
    });
    for (const std::string& name : back.missing) {
      notes.push_back("\"" + name + "\" is not in " + secrets_.Where() +
                      " any more: enter it again in Settings.");
    }
    if (!back.unreadable.empty()) {
      unreadable.insert(back.unreadable.begin(), back.unreadable.end());
      notes.push_back(Count(back.unreadable.size(), "saved key", "saved keys") +
                      " could not be read, so the servers that need them get none, and Settings "
                      "cannot be changed until they can: " +
                      back.first_error.message());
      if (status.ok()) status = back.first_error.WithContext("reading the saved API keys");
    }
    Result<AgentConfig> parsed = ParseConfig(WriteDocument(doc), home_);
    if (parsed.ok()) {
      saved = std::move(*parsed);
      saved.from_file.clear();
    } else if (status.ok()) {
      status = parsed.status().WithContext("the saved agent settings");
    }
  }
  std::unique_lock lock(mu_);
  saved_ = std::move(saved);
  secret_values_ = std::move(values);
  unreadable_ = std::move(unreadable);
  secret_notes_ = std::move(notes);
  plain_in_database_ = plain_in_database;
  std::vector<std::shared_ptr<mcp::McpClient>> retired = Rebuild();
  lock.unlock();
  RetireAll(retired);
  return status;
}

Status Settings::Save(AgentConfig saved) {
  saved.from_file.clear();
  std::string json = ConfigToJson(saved);
  // What is saved must read back: the same checks as the file's.
  Result<AgentConfig> check = ParseConfig(json, home_);
  if (!check.ok()) return check.status();
  std::map<std::string, std::string> held;
  size_t unreadable = 0;
  bool plain_in_database = false;
  {
    std::lock_guard lock(mu_);
    held = secret_values_;
    unreadable = unreadable_.size();
    plain_in_database = plain_in_database_;
  }
  if (unreadable > 0) {
    Status now = secrets_.Check();
    return Status::Unavailable(
        "Hearth could not read " + Count(unreadable, "saved key", "saved keys") +
        " when it started, and saving now would lose them. " +
        (now.ok() ? std::string("Restart Hearth (`hearthctl restart`) to read them, then save "
                                "again.")
                  : now.message()));
  }
  Json::Value doc;
  if (!ParseJson(json, &doc, 32)) return Status::Internal("the settings document does not parse");
  std::map<std::string, std::string> values;
  for (SecretValue& secret : TakeSecrets(doc)) {
    auto it = held.find(secret.name);
    if (it == held.end() || it->second != secret.value) {
      if (Status s = secrets_.Put(secret.name, secret.value); !s.ok()) return s;
    }
    values[secret.name] = std::move(secret.value);
  }
  if (Status s = store_.SetSetting(kSettingKey, WriteDocument(doc)); !s.ok()) return s;
  std::vector<std::string> notes;
  // The document just replaced held plain keys (Load could not move them): no copy may stay.
  if (plain_in_database) {
    if (Status s = store_.ScrubDeletedData(); !s.ok()) {
      notes.push_back("Old copies of keys may remain in the database file's free space: " +
                      s.message());
    }
  }
  for (const auto& [name, value] : held) {
    if (values.contains(name)) continue;
    // The document no longer names it; a failure only leaves an unused value behind.
    if (Status s = secrets_.Remove(name); !s.ok()) {
      notes.push_back("An old value, \"" + name + "\", could not be removed: " + s.message());
    }
  }
  std::unique_lock lock(mu_);
  saved_ = std::move(saved);
  secret_values_ = std::move(values);
  secret_notes_ = std::move(notes);
  plain_in_database_ = false;
  std::vector<std::shared_ptr<mcp::McpClient>> retired = Rebuild();
  lock.unlock();
  // Outside mu_: stopping a server waits for its process to end.
  RetireAll(retired);
  return Status::Ok();
}

std::vector<std::string> Settings::SecretsReport() const {
  std::vector<std::string> report = {"API keys and MCP environment values are kept in " +
                                     secrets_.Where() + "."};
  if (Status s = secrets_.Check(); !s.ok()) report.push_back(s.message());
  std::lock_guard lock(mu_);
  report.insert(report.end(), secret_notes_.begin(), secret_notes_.end());
  return report;
}

namespace {

// A directory of the server's own for package runners' caches, named so that no server name
// (config.json allows any) can lead out of Hearth's cache directory.
std::string PackageCacheDir(const std::string& server) {
  Result<std::string> cache = CacheDir();
  if (!cache.ok()) return {};
  bool plain = !server.empty() && std::all_of(server.begin(), server.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  return *cache + "/mcp/" + (plain ? server : "server-" + Sha256Hex(server).substr(0, 16));
}

}  // namespace

void Settings::RetireAll(const std::vector<std::shared_ptr<mcp::McpClient>>& clients) {
  for (const auto& client : clients) {
    client->Retire(std::string("MCP server \"") + client->options().server.name +
                   "\" was removed or changed in Settings, and Hearth stopped it.");
  }
}

std::vector<std::shared_ptr<mcp::McpClient>> Settings::Rebuild() {
  current_ = MergeConfig(file_, saved_);
  report_.clear();
  report_.push_back(sandbox::LandlockSummary());

  auto box = std::make_shared<ToolBox>();
  sandbox::DenyList deny;
  bool deny_ok = true;
  for (const std::string& entry : current_.deny) {
    if (Status s = deny.Add(entry); !s.ok()) {
      report_.push_back("Deny-list entry \"" + entry + "\" refused: " + s.message());
      deny_ok = false;
    }
  }
  for (const std::string& dir : own_dirs_) {
    if (!dir.empty()) (void)deny.Add(dir);  // absolute paths: always accepted
  }
  sandbox::ProtectedList protect;
  for (const std::string& path : current_.unlocked_paths) {
    // Checked when saved; a refusal here leaves the path protected, which is the safe side.
    if (Status s = protect.Unlock(path); !s.ok()) {
      report_.push_back("Unlocked path \"" + path + "\" refused: " + s.message());
    }
  }
  if (!protect.unlocked().empty()) {
    std::string paths;
    for (const std::string& path : protect.unlocked()) paths += (paths.empty() ? "" : ", ") + path;
    report_.push_back("Write-protected but unlocked by you: " + paths);
  }
  bool mcp_ok = deny_ok && current_.workspace_roots.empty();  // MCP servers' sandbox is sound
  if (current_.workspace_roots.empty()) {
    report_.push_back("No workspace folder is set: the agent has no file tools.");
  } else if (!deny_ok) {
    report_.push_back("File tools are off until the deny-list is fixed.");
  } else {
    Result<sandbox::Workspace> workspace =
        sandbox::Workspace::Open(current_.workspace_roots, deny, protect);
    if (!workspace.ok()) {
      report_.push_back("File tools are off: " + workspace.status().message());
    } else if (!workspace->availability().ok()) {
      report_.push_back("File tools are off: " + workspace->availability().message());
    } else {
      std::string roots;
      for (const std::string& root : workspace->roots())
        roots += (roots.empty() ? "" : ", ") + root;
      report_.push_back("Workspace: " + roots);
      for (const std::string& root : workspace->ReadOnlyRoots()) {
        report_.push_back("Workspace " + root +
                          " is read-only to Hearth: write_file and edit_file fail there (see "
                          "\"Letting the agent write\" in the README).");
      }
      auto shared = std::make_shared<const sandbox::Workspace>(std::move(*workspace));
      for (auto& tool : tools::MakeFileTools(shared)) box->Add(std::move(tool));
      for (auto& tool : tools::MakeWriteTools(shared)) box->Add(std::move(tool));
      // Commands run in the same roots, confined by Landlock; without Landlock the tool refuses
      // every call and says why.
      tools::RunCommandOptions run;
      run.policy.workspace_roots = current_.workspace_roots;
      run.policy.deny_list = deny;
      run.policy.protected_list = protect;
      run.home = current_.workspace_roots.front();
      box->Add(tools::MakeRunCommandTool(std::move(run)));
      mcp_ok = true;
    }
  }
  // fetch_url needs no workspace: it reaches the web, not the user's files.
  if (current_.fetch_url.enabled) {
    tools::FetchUrlOptions fetch;
    fetch.private_networks = current_.fetch_url.private_networks;
    box->Add(tools::MakeFetchUrlTool(std::move(fetch)));
    report_.push_back(current_.fetch_url.private_networks
                          ? "fetch_url is on, and may reach this machine and the local network."
                          : "fetch_url is on, for public addresses only.");
  }
  // MCP servers run in the same sandbox as run_command. Their tools join the box when a run
  // first needs them (Tools()).
  std::shared_ptr<McpState> previous = std::move(mcp_);
  mcp_.reset();
  if (!current_.mcp_servers.empty() && !mcp_ok) {
    report_.push_back(std::string("MCP servers are off until the ") +
                      (deny_ok ? "workspace folders are fixed." : "deny-list is fixed."));
  } else if (!current_.mcp_servers.empty()) {
    auto state = std::make_shared<McpState>();
    state->base = box;
    for (const McpServerConfig& config : current_.mcp_servers) {
      mcp::ClientOptions options;
      options.server = {config.name,
                        config.command,
                        config.args,
                        config.env,
                        {config.network, config.read_paths, config.write_paths}};
      options.package_cache = PackageCacheDir(config.name);
      options.policy.workspace_roots = current_.workspace_roots;
      options.policy.deny_list = deny;
      options.policy.protected_list = protect;
      if (!current_.workspace_roots.empty()) options.home = current_.workspace_roots.front();
      // A server serves every conversation, so its starts are tied to none.
      options.on_start = [store = &store_](const tools::AuditNote& note) {
        store->AddAuditEntry({.id = 0,
                              .at_ms = SystemClock().NowMs(),
                              .conversation_id = 0,
                              .tool = note.tool,
                              .target = note.target,
                              .reason = note.text});
      };
      std::string key = config.name + "\n" + mcp::ServerDigest(options.server);
      for (const std::string& root : current_.workspace_roots) key += "\n" + root;
      for (const std::string& entry : deny.entries()) key += "\n" + entry;
      for (const std::string& path : protect.unlocked()) key += "\nunlocked " + path;
      std::shared_ptr<mcp::McpClient> client;
      for (size_t i = 0; previous && i < previous->servers.size(); ++i) {
        if (previous->servers[i].key == key) client = previous->servers[i].client;
      }
      if (!client) client = std::make_shared<mcp::McpClient>(std::move(options));
      state->servers.push_back({std::move(key), std::move(client)});
    }
    mcp_ = std::move(state);
  }
  tools_ = std::move(box);
  std::vector<std::shared_ptr<mcp::McpClient>> retired;
  for (size_t i = 0; previous && i < previous->servers.size(); ++i) {
    const auto& client = previous->servers[i].client;
    bool kept = mcp_ && std::any_of(mcp_->servers.begin(), mcp_->servers.end(),
                                    [&](const McpState::Server& s) { return s.client == client; });
    if (!kept) retired.push_back(client);
  }
  return retired;
}

AgentConfig Settings::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

AgentConfig Settings::Saved() const {
  std::lock_guard lock(mu_);
  return saved_;
}

std::shared_ptr<const ToolBox> Settings::Tools() const {
  std::shared_ptr<McpState> mcp;
  {
    std::lock_guard lock(mu_);
    if (!mcp_) return tools_;
    mcp = mcp_;
  }
  // Outside mu_: listing may start servers, which takes a while, and the settings page must not
  // wait for that.
  return BoxWithMcpTools(*mcp);
}

Status Settings::StartMcpServer(const std::string& name) {
  std::shared_ptr<McpState> mcp;
  {
    std::lock_guard lock(mu_);
    mcp = mcp_;
  }
  if (!mcp) {
    return Status::Unavailable("MCP servers are off: see the Sandbox section for why.");
  }
  for (const McpState::Server& server : mcp->servers) {
    if (server.client->options().server.name != name) continue;
    Result<std::vector<mcp::ToolInfo>> tools = server.client->ListTools();
    return tools.ok() ? Status::Ok() : tools.status();
  }
  return Status::NotFound("no MCP server called \"" + name + "\" is in force");
}

std::vector<McpServerState> Settings::McpServers() const {
  std::vector<McpServerState> states;
  std::lock_guard lock(mu_);
  for (const McpServerConfig& config : current_.mcp_servers) {
    McpServerState state;
    state.name = config.name;
    state.permissions =
        mcp::DescribePermissions({config.network, config.read_paths, config.write_paths});
    for (size_t i = 0; mcp_ && i < mcp_->servers.size(); ++i) {
      const auto& client = mcp_->servers[i].client;
      if (client->options().server.name != config.name) continue;
      state.status = client->StatusLine();
      for (const mcp::ToolInfo& tool : client->tools()) state.tools.push_back(tool.name);
    }
    states.push_back(std::move(state));
  }
  return states;
}

std::vector<std::string> Settings::SandboxReport() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> report = report_;
  if (mcp_) {
    for (const McpState::Server& server : mcp_->servers) {
      report.push_back(server.client->StatusLine());
    }
  }
  return report;
}

}  // namespace hearth::agent
