// SPDX-License-Identifier: Apache-2.0
#include "agent/config.h"

#include "base/json.h"
#include "sandbox/protected_list.h"

#include <json/json.h>

#include <cerrno>
#include <fstream>
#include <memory>
#include <sstream>

namespace hearth::agent {
namespace {

constexpr int kMaxListEntries = 64;
constexpr int kMaxStepsLimit = 50;

Status Bad(std::string_view key, std::string_view what) {
  return Status::InvalidArgument("config: \"" + std::string(key) + "\" " + std::string(what));
}

Result<std::string> String(const Json::Value& value, std::string_view key, size_t max = 4096) {
  if (!value.isString()) return Bad(key, "must be a string");
  std::string text = value.asString();
  if (text.size() > max) return Bad(key, "is too long");
  if (text.find('\0') != std::string::npos) return Bad(key, "contains a NUL character");
  return text;
}

Result<std::vector<std::string>> Strings(const Json::Value& value, std::string_view key) {
  if (!value.isArray()) return Bad(key, "must be a list of strings");
  if (value.size() > kMaxListEntries) return Bad(key, "has too many entries");
  std::vector<std::string> out;
  for (const Json::Value& item : value) {
    Result<std::string> text = String(item, key);
    if (!text.ok()) return text.status();
    out.push_back(std::move(*text));
  }
  return out;
}

Status CheckKeys(const Json::Value& object, std::string_view where,
                 std::initializer_list<std::string_view> known) {
  for (const std::string& name : object.getMemberNames()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || k == name;
    if (!ok) {
      return Status::InvalidArgument("config: unknown key \"" + name + "\" in " +
                                     std::string(where));
    }
  }
  return Status::Ok();
}

Result<std::string> ExpandHome(std::string path, std::string_view home, std::string_view key) {
  if (path == "~" || path.starts_with("~/")) {
    if (home.empty()) return Bad(key, "uses ~ but HOME is not set");
    path = std::string(home) + path.substr(1);
  }
  if (path.empty() || path.front() != '/') return Bad(key, "entries must be absolute paths or ~/…");
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

Result<ProviderConfig> ParseProvider(const Json::Value& value) {
  if (!value.isObject()) return Bad("providers", "entries must be objects");
  if (Status s = CheckKeys(value, "a provider",
                           {"name", "type", "base_url", "api_key", "api_key_env", "default_model",
                            "first_byte_timeout_s", "idle_timeout_s"});
      !s.ok()) {
    return s;
  }
  ProviderConfig provider;
  auto name = String(value["name"], "providers[].name", 64);
  if (!name.ok()) return name.status();
  if (name->empty()) return Bad("providers[].name", "must not be empty");
  provider.name = *name;
  std::string type = value.get("type", "openai").asString();
  if (type == "openai") {
    provider.endpoint.wire = llm::Wire::kOpenAi;
  } else if (type == "ollama") {
    provider.endpoint.wire = llm::Wire::kOllama;
  } else {
    return Bad("providers[].type", "must be \"openai\" or \"ollama\"");
  }
  auto url = String(value["base_url"], "providers[].base_url", 2048);
  if (!url.ok()) return url.status();
  provider.endpoint.base_url = *url;
  if (value.isMember("api_key")) {
    auto key = String(value["api_key"], "providers[].api_key");
    if (!key.ok()) return key.status();
    provider.endpoint.api_key = *key;
  } else if (value.isMember("api_key_env")) {
    auto env = String(value["api_key_env"], "providers[].api_key_env", 128);
    if (!env.ok()) return env.status();
    const char* key = getenv(env->c_str());
    if (key != nullptr) provider.endpoint.api_key = key;
  }
  if (value.isMember("default_model")) {
    auto model = String(value["default_model"], "providers[].default_model", 256);
    if (!model.ok()) return model.status();
    provider.default_model = *model;
  }
  for (auto [key, field] : {std::pair{"first_byte_timeout_s", &provider.timeouts.first_byte_s},
                            std::pair{"idle_timeout_s", &provider.timeouts.idle_s}}) {
    if (!value.isMember(key)) continue;
    const Json::Value& seconds = value[key];
    if (!seconds.isInt() || seconds.asInt() < 1 || seconds.asInt() > llm::kMaxTimeoutS) {
      return Bad(std::string("providers[].") + key,
                 "must be a whole number of seconds from 1 to 86400 (24 hours)");
    }
    *field = seconds.asInt();
  }
  if (Status s = llm::ValidateEndpoint(provider.endpoint); !s.ok()) {
    return s.WithContext("config: provider \"" + provider.name + "\"");
  }
  return provider;
}

Result<McpServerConfig> ParseMcpServer(const Json::Value& value, std::string_view home) {
  if (!value.isObject()) return Bad("mcp_servers", "entries must be objects");
  if (Status s =
          CheckKeys(value, "an MCP server",
                    {"name", "command", "args", "env", "network", "read_paths", "write_paths"});
      !s.ok()) {
    return s;
  }
  McpServerConfig server;
  auto name = String(value["name"], "mcp_servers[].name", 64);
  if (!name.ok()) return name.status();
  auto command = String(value["command"], "mcp_servers[].command");
  if (!command.ok()) return command.status();
  if (name->empty() || command->empty()) return Bad("mcp_servers", "need a name and a command");
  server.name = *name;
  server.command = *command;
  if (value.isMember("args")) {
    auto args = Strings(value["args"], "mcp_servers[].args");
    if (!args.ok()) return args.status();
    server.args = *args;
  }
  if (value.isMember("env")) {
    const Json::Value& env = value["env"];
    if (!env.isObject()) return Bad("mcp_servers[].env", "must be an object of strings");
    for (const std::string& key : env.getMemberNames()) {
      auto text = String(env[key], "mcp_servers[].env");
      if (!text.ok()) return text.status();
      server.env[key] = *text;
    }
  }
  if (value.isMember("network")) {
    if (!value["network"].isBool()) return Bad("mcp_servers[].network", "must be true or false");
    server.network = value["network"].asBool();
  }
  for (auto [key, field] : {std::pair{"read_paths", &server.read_paths},
                            std::pair{"write_paths", &server.write_paths}}) {
    if (!value.isMember(key)) continue;
    std::string where = std::string("mcp_servers[].") + key;
    auto paths = Strings(value[key], where);
    if (!paths.ok()) return paths.status();
    for (std::string& path : *paths) {
      auto expanded = ExpandHome(std::move(path), home, where);
      if (!expanded.ok()) return expanded.status();
      field->push_back(std::move(*expanded));
    }
  }
  return server;
}

// `true`, `false`, or {"enabled": bool, "private_networks": bool} (each key optional).
Result<FetchUrlConfig> ParseFetchUrl(const Json::Value& value) {
  FetchUrlConfig fetch_url;
  if (value.isBool()) {
    fetch_url.enabled = value.asBool();
    return fetch_url;
  }
  if (!value.isObject()) {
    return Bad("fetch_url", "must be true, false or {\"enabled\": ..., \"private_networks\": ...}");
  }
  for (const std::string& key : value.getMemberNames()) {
    bool* field = key == "enabled"            ? &fetch_url.enabled
                  : key == "private_networks" ? &fetch_url.private_networks
                                              : nullptr;
    if (field == nullptr) {
      return Status::InvalidArgument("config: unknown key \"fetch_url." + key +
                                     "\" (fetch_url takes \"enabled\" and \"private_networks\")");
    }
    if (!value[key].isBool()) return Bad("fetch_url." + key, "must be true or false");
    *field = value[key].asBool();
  }
  return fetch_url;
}

}  // namespace

const ProviderConfig* AgentConfig::FindProvider(std::string_view name) const {
  if (name.empty()) {
    for (const ProviderConfig& p : providers) {
      if (p.name == default_provider) return &p;
    }
    return providers.empty() ? nullptr : &providers.front();
  }
  for (const ProviderConfig& p : providers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Result<AgentConfig> ParseConfig(std::string_view json, std::string_view home) {
  if (json.size() > kMaxConfigBytes) return Status::TooLarge("config: the file is over 256 KiB");
  Json::Value root;
  if (!ParseJson(json, &root, 32)) {
    return Status::InvalidArgument(
        "config: not valid JSON (a syntax error, a key given twice, or nesting deeper than 32)");
  }
  if (!root.isObject()) return Status::InvalidArgument("config: the document must be an object");
  if (Status s = CheckKeys(
          root, "the document",
          {"providers", "default_provider", "default_model", "system_prompt", "workspace_roots",
           "deny", "unlocked_paths", "mcp_servers", "fetch_url", "max_steps"});
      !s.ok()) {
    return s;
  }
  AgentConfig config;
  for (const std::string& key : root.getMemberNames()) config.from_file.insert(key);

  if (root.isMember("providers")) {
    const Json::Value& list = root["providers"];
    if (!list.isArray() || list.size() > kMaxListEntries) {
      return Bad("providers", "must be a list of at most 64 providers");
    }
    for (const Json::Value& item : list) {
      auto provider = ParseProvider(item);
      if (!provider.ok()) return provider.status();
      if (config.FindProvider(provider->name) != nullptr) {
        return Bad("providers", "names \"" + provider->name + "\" twice");
      }
      config.providers.push_back(std::move(*provider));
    }
  }
  for (auto [key, field] : {std::pair{"default_provider", &config.default_provider},
                            std::pair{"default_model", &config.default_model}}) {
    if (!root.isMember(key)) continue;
    auto text = String(root[key], key, 256);
    if (!text.ok()) return text.status();
    *field = *text;
  }
  if (root.isMember("system_prompt")) {
    auto text = String(root["system_prompt"], "system_prompt", 32 * 1024);
    if (!text.ok()) return text.status();
    config.system_prompt = *text;
  }
  if (root.isMember("workspace_roots")) {
    auto roots = Strings(root["workspace_roots"], "workspace_roots");
    if (!roots.ok()) return roots.status();
    for (std::string& root_path : *roots) {
      auto expanded = ExpandHome(std::move(root_path), home, "workspace_roots");
      if (!expanded.ok()) return expanded.status();
      config.workspace_roots.push_back(std::move(*expanded));
    }
  }
  if (root.isMember("deny")) {
    auto deny = Strings(root["deny"], "deny");
    if (!deny.ok()) return deny.status();
    config.deny = *deny;
  }
  if (root.isMember("unlocked_paths")) {
    auto paths = Strings(root["unlocked_paths"], "unlocked_paths");
    if (!paths.ok()) return paths.status();
    for (std::string& path : *paths) {
      auto expanded = ExpandHome(std::move(path), home, "unlocked_paths");
      if (!expanded.ok()) return expanded.status();
      sandbox::ProtectedList check;
      if (Status s = check.Unlock(*expanded); !s.ok()) {
        return Status::InvalidArgument("config: \"unlocked_paths\": " + s.message());
      }
      config.unlocked_paths.push_back(std::move(*expanded));
    }
  }
  if (root.isMember("mcp_servers")) {
    const Json::Value& list = root["mcp_servers"];
    if (!list.isArray() || list.size() > kMaxListEntries) {
      return Bad("mcp_servers", "must be a list of at most 64 servers");
    }
    for (const Json::Value& item : list) {
      auto server = ParseMcpServer(item, home);
      if (!server.ok()) return server.status();
      config.mcp_servers.push_back(std::move(*server));
    }
  }
  if (root.isMember("fetch_url")) {
    auto fetch_url = ParseFetchUrl(root["fetch_url"]);
    if (!fetch_url.ok()) return fetch_url.status();
    config.fetch_url = *fetch_url;
  }
  if (root.isMember("max_steps")) {
    const Json::Value& steps = root["max_steps"];
    if (!steps.isInt() || steps.asInt() < 1 || steps.asInt() > kMaxStepsLimit) {
      return Bad("max_steps", "must be a whole number from 1 to 50");
    }
    config.max_steps = steps.asInt();
  }
  if (!config.default_provider.empty() && config.FindProvider(config.default_provider) == nullptr &&
      config.from_file.contains("providers")) {
    return Bad("default_provider", "names no provider in \"providers\"");
  }
  return config;
}

Result<AgentConfig> LoadConfigFile(const std::string& path, std::string_view home) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return AgentConfig();
    return PosixError("read " + path, errno);
  }
  std::string text;
  text.resize(kMaxConfigBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  Result<AgentConfig> config = ParseConfig(text, home);
  if (!config.ok()) return config.status().WithContext(path);
  return config;
}

AgentConfig MergeConfig(const AgentConfig& file, const AgentConfig& saved) {
  AgentConfig merged = saved;
  merged.from_file = file.from_file;
  auto take = [&](const char* key, auto member) {
    if (file.from_file.contains(key)) merged.*member = file.*member;
  };
  take("providers", &AgentConfig::providers);
  take("default_provider", &AgentConfig::default_provider);
  take("default_model", &AgentConfig::default_model);
  take("system_prompt", &AgentConfig::system_prompt);
  take("workspace_roots", &AgentConfig::workspace_roots);
  take("deny", &AgentConfig::deny);
  take("unlocked_paths", &AgentConfig::unlocked_paths);
  take("mcp_servers", &AgentConfig::mcp_servers);
  take("fetch_url", &AgentConfig::fetch_url);
  take("max_steps", &AgentConfig::max_steps);
  return merged;
}

std::string ConfigToJson(const AgentConfig& config) {
  Json::Value root(Json::objectValue);
  Json::Value providers(Json::arrayValue);
  for (const ProviderConfig& p : config.providers) {
    Json::Value item;
    item["name"] = p.name;
    item["type"] = p.endpoint.wire == llm::Wire::kOllama ? "ollama" : "openai";
    item["base_url"] = p.endpoint.base_url;
    if (!p.endpoint.api_key.empty()) item["api_key"] = p.endpoint.api_key;
    if (!p.default_model.empty()) item["default_model"] = p.default_model;
    if (p.timeouts.first_byte_s != llm::Timeouts{}.first_byte_s) {
      item["first_byte_timeout_s"] = p.timeouts.first_byte_s;
    }
    if (p.timeouts.idle_s != llm::Timeouts{}.idle_s) item["idle_timeout_s"] = p.timeouts.idle_s;
    providers.append(item);
  }
  root["providers"] = providers;
  root["default_provider"] = config.default_provider;
  root["default_model"] = config.default_model;
  root["system_prompt"] = config.system_prompt;
  Json::Value roots(Json::arrayValue);
  for (const std::string& r : config.workspace_roots) roots.append(r);
  root["workspace_roots"] = roots;
  Json::Value deny(Json::arrayValue);
  for (const std::string& d : config.deny) deny.append(d);
  root["deny"] = deny;
  Json::Value unlocked(Json::arrayValue);
  for (const std::string& path : config.unlocked_paths) unlocked.append(path);
  root["unlocked_paths"] = unlocked;
  Json::Value servers(Json::arrayValue);
  for (const McpServerConfig& s : config.mcp_servers) {
    Json::Value item;
    item["name"] = s.name;
    item["command"] = s.command;
    Json::Value args(Json::arrayValue);
    for (const std::string& a : s.args) args.append(a);
    item["args"] = args;
    Json::Value env(Json::objectValue);
    for (const auto& [k, v] : s.env) env[k] = v;
    item["env"] = env;
    item["network"] = s.network;
    Json::Value read(Json::arrayValue);
    for (const std::string& path : s.read_paths) read.append(path);
    item["read_paths"] = read;
    Json::Value write(Json::arrayValue);
    for (const std::string& path : s.write_paths) write.append(path);
    item["write_paths"] = write;
    servers.append(item);
  }
  root["mcp_servers"] = servers;
  root["fetch_url"]["enabled"] = config.fetch_url.enabled;
  root["fetch_url"]["private_networks"] = config.fetch_url.private_networks;
  root["max_steps"] = config.max_steps;
  Json::StreamWriterBuilder writer;
  writer["indentation"] = "  ";
  return Json::writeString(writer, root);
}

}  // namespace hearth::agent
