// SPDX-License-Identifier: Apache-2.0
// agent: the conversation loop that runs a model, its tools and the sandbox for one user.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "llm/client.h"

namespace hearth::agent {

struct ProviderConfig {
  std::string name;  // what the UI and conversations call it, e.g. "ollama"
  llm::Endpoint endpoint;
  std::string default_model;
  llm::Timeouts timeouts;  // first_byte_timeout_s, idle_timeout_s (1 s to 24 h)
};

struct McpServerConfig {
  std::string name;
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;
  // What the server may reach beyond the workspace, chosen when it is added: TCP for its own
  // process (off by default), and folders (absolute) it may read, or read and write. The
  // deny-list and the write protection apply inside them as in the workspace.
  bool network = false;
  std::vector<std::string> read_paths;
  std::vector<std::string> write_paths;
};

// The fetch_url tool (tools/fetch_url.h). In config.json either `"fetch_url": true` or
// `"fetch_url": {"enabled": true, "private_networks": false}`.
struct FetchUrlConfig {
  bool enabled = false;
  bool private_networks = false;  // also this machine and the local network
};

// What the agent is configured with. Comes from two places: `config.json` in
// $XDG_CONFIG_HOME/hearth (for scripts, tests and distributions) and the settings page (kept in
// the store). A top-level key set in the file wins, and the settings page shows it as such.
struct AgentConfig {
  std::vector<ProviderConfig> providers;
  std::string default_provider;  // a provider's name; empty: the first provider
  std::string default_model;     // empty: the provider's default model
  std::string system_prompt;
  std::vector<std::string> workspace_roots;  // absolute, "~" expanded
  std::vector<std::string> deny;             // deny-list additions
  std::vector<std::string> unlocked_paths;   // write-protected paths made writable, "~" expanded
  std::vector<McpServerConfig> mcp_servers;
  FetchUrlConfig fetch_url;
  int max_steps = 8;  // model calls per user message

  std::set<std::string> from_file;  // top-level keys the file set

  const ProviderConfig* FindProvider(std::string_view name) const;
};

inline constexpr size_t kMaxConfigBytes = 256 * 1024;

// Parses a config document. Unknown keys are refused (a typo must not be silently ignored), as
// are wrong types and values out of range; the message names the key. `home` expands "~/".
Result<AgentConfig> ParseConfig(std::string_view json, std::string_view home);
// Reads `path`; a missing file is an empty config. The message names the file.
Result<AgentConfig> LoadConfigFile(const std::string& path, std::string_view home);
// The settings page's values, overridden key by key by the file's.
AgentConfig MergeConfig(const AgentConfig& file, const AgentConfig& saved);
// The document ParseConfig reads back, API keys included. Settings takes the keys out
// (config_secrets.h) before the document goes to the store.
std::string ConfigToJson(const AgentConfig& config);

}  // namespace hearth::agent
