// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/config.h"
#include "secrets/secret_store.h"
#include "store/store.h"

namespace hearth::mcp {
class McpClient;
}

namespace hearth::agent {

// An MCP server as Settings shows it.
struct McpServerState {
  std::string name;
  std::string status;              // McpClient::StatusLine
  std::vector<std::string> tools;  // the names the server listed, as it gave them
  std::string permissions;         // mcp::DescribePermissions
};

struct McpState;  // settings.cpp: the MCP servers, and the tool box that includes their tools

// The agent's effective configuration and the tools built from it. Values come from config.json
// (read once at start-up) and from the settings page (kept in the store under kSettingKey); a
// key the file sets wins. Saving rebuilds the tools: the workspace is reopened and the deny-list
// recomputed, and runs already under way finish with the tools they started with. Thread-safe.
//
// The settings page's API keys and MCP environment values live in `secrets`, never in the store:
// the store's document names them (config_secrets.h). They are read once, by Load, and kept in
// memory; Save writes the ones that changed and forgets the ones no longer named.
class Settings {
 public:
  static constexpr std::string_view kSettingKey = "agent.config";

  // `own_dirs` are Hearth's own directories (data, configuration, runtime: the database, API
  // keys, login tokens): always on the deny-list.
  Settings(store::Store& store, secrets::SecretStore& secrets, AgentConfig file_config,
           std::string config_path, std::vector<std::string> own_dirs, std::string home);

  // Reads the saved values and builds the tools. A saved document that no longer parses is
  // reported and ignored (the file's values and the defaults still apply). Keys an older Hearth
  // left in the store move to the secret store, and the database file is rewritten without
  // them; when the secret store cannot take them (a locked keyring), they stay where they were,
  // are used, and the returned status says why.
  Status Load();
  // Replaces the settings page's values (keys the file sets are kept from the file). Fails,
  // changing nothing, when a key cannot be saved in the secret store, and while keys saved
  // before could not be read (saving would forget them).
  Status Save(AgentConfig saved);
  // For the settings page: where the keys are kept, then what is wrong with them, if anything
  // (a locked keyring, a key missing from it, keys still in the database), a line each.
  std::vector<std::string> SecretsReport() const;

  AgentConfig Current() const;
  AgentConfig Saved() const;
  // Held by whoever reads Saved(), changes it and calls Save(), so that two changes made at once
  // (two pages saving) apply one after the other instead of one overwriting the other.
  [[nodiscard]] std::unique_lock<std::mutex> BeginChange() {
    return std::unique_lock<std::mutex>(change_mu_);
  }
  // The tools for a run. With MCP servers configured, servers whose tools were never listed,
  // or that said their tools changed, are listed first (starting them): call it from a run's
  // thread, never with a lock held.
  std::shared_ptr<const ToolBox> Tools() const;
  const std::string& config_path() const { return config_path_; }
  // One line per fact about the sandbox for the settings page and Supervise: Landlock's
  // availability, the workspace roots in force, problems with them, each MCP server's state.
  std::vector<std::string> SandboxReport() const;
  // Starts the MCP server called `name` (if it is not running) and lists its tools, so that
  // Settings can show them, or why it failed, at once. Blocks up to the server's start and list
  // timeouts: call it from a request's thread, never with a lock held. kNotFound when no server
  // of that name is in force; otherwise the client's errors (McpClient::ListTools).
  Status StartMcpServer(const std::string& name);
  // Each configured server's state, in the configuration's order.
  std::vector<McpServerState> McpServers() const;

 private:
  // Requires mu_. Returns the MCP clients of the previous configuration that the new one does
  // not use (the server was removed, or its command, arguments, environment, permissions or
  // sandbox changed): the caller retires them once mu_ is released.
  [[nodiscard]] std::vector<std::shared_ptr<mcp::McpClient>> Rebuild();
  static void RetireAll(const std::vector<std::shared_ptr<mcp::McpClient>>& clients);

  store::Store& store_;
  secrets::SecretStore& secrets_;
  const AgentConfig file_;
  const std::string config_path_;
  const std::vector<std::string> own_dirs_;
  const std::string home_;

  std::mutex change_mu_;  // see BeginChange; taken before mu_
  mutable std::mutex mu_;
  // guarded by mu_
  AgentConfig saved_;
  AgentConfig current_;
  std::shared_ptr<const ToolBox> tools_;
  std::vector<std::string> report_;
  std::shared_ptr<McpState> mcp_;  // null without MCP servers; the state locks itself
  std::map<std::string, std::string> secret_values_;  // what the secret store holds, by name
  std::set<std::string> unreadable_;                  // names Load could not read
  std::vector<std::string> secret_notes_;             // for SecretsReport
  bool plain_in_database_ = false;  // keys Load could not move out are still in the store
};

}  // namespace hearth::agent
