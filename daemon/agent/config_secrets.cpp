// SPDX-License-Identifier: Apache-2.0
#include "agent/config_secrets.h"

namespace hearth::agent {
namespace {

constexpr char kApiKey[] = "api_key";
constexpr char kApiKeyRef[] = "api_key_secret";
constexpr char kEnv[] = "env";
constexpr char kEnvRefs[] = "env_secrets";

std::string ProviderKeyName(const Json::Value& provider) {
  return "provider/" + provider.get("name", "").asString() + "/api_key";
}

std::string EnvName(const Json::Value& server, const std::string& var) {
  return "mcp/" + server.get("name", "").asString() + "/env/" + var;
}

// The objects of `doc[list]`, skipping anything else (ParseConfig reports those later).
template <typename F>
void ForEachObject(Json::Value& doc, const char* list, F&& f) {
  if (!doc.isObject() || !doc.isMember(list) || !doc[list].isArray()) return;
  for (Json::Value& item : doc[list]) {
    if (item.isObject()) f(item);
  }
}

}  // namespace

std::vector<SecretValue> TakeSecrets(Json::Value& doc) {
  std::vector<SecretValue> taken;
  ForEachObject(doc, "providers", [&](Json::Value& provider) {
    // isMember first: operator[] on a missing key would add it, as null.
    if (!provider.isMember(kApiKey) || !provider[kApiKey].isString()) return;
    std::string name = ProviderKeyName(provider);
    taken.push_back({name, provider[kApiKey].asString()});
    provider.removeMember(kApiKey);
    provider[kApiKeyRef] = name;
  });
  ForEachObject(doc, "mcp_servers", [&](Json::Value& server) {
    if (!server.isMember(kEnv) || !server[kEnv].isObject()) return;
    for (const std::string& var : server[kEnv].getMemberNames()) {
      if (!server[kEnv][var].isString()) continue;
      std::string name = EnvName(server, var);
      taken.push_back({name, server[kEnv][var].asString()});
      server[kEnvRefs][var] = name;
      server[kEnv].removeMember(var);
    }
    if (server[kEnv].empty()) server.removeMember(kEnv);
  });
  return taken;
}

std::set<std::string> SecretNames(const Json::Value& doc) {
  std::set<std::string> names;
  Json::Value copy = doc;
  ForEachObject(copy, "providers", [&](Json::Value& provider) {
    if (provider[kApiKeyRef].isString()) names.insert(provider[kApiKeyRef].asString());
  });
  ForEachObject(copy, "mcp_servers", [&](Json::Value& server) {
    if (!server[kEnvRefs].isObject()) return;
    for (const std::string& var : server[kEnvRefs].getMemberNames()) {
      if (server[kEnvRefs][var].isString()) names.insert(server[kEnvRefs][var].asString());
    }
  });
  return names;
}

PutBackResult PutBackSecrets(Json::Value& doc, const SecretLookup& lookup) {
  PutBackResult result;
  // Returns the value, or nullopt after noting why there is none.
  auto fetch = [&](const std::string& name) -> std::optional<std::string> {
    Result<std::optional<std::string>> value = lookup(name);
    if (!value.ok()) {
      if (result.unreadable.empty()) result.first_error = value.status();
      result.unreadable.push_back(name);
      return std::nullopt;
    }
    if (!*value) result.missing.push_back(name);
    return *value;
  };
  ForEachObject(doc, "providers", [&](Json::Value& provider) {
    if (!provider.isMember(kApiKeyRef)) return;
    Json::Value ref = provider[kApiKeyRef];
    provider.removeMember(kApiKeyRef);
    if (!ref.isString()) return;
    if (auto value = fetch(ref.asString())) provider[kApiKey] = *value;
  });
  ForEachObject(doc, "mcp_servers", [&](Json::Value& server) {
    if (!server.isMember(kEnvRefs)) return;
    Json::Value refs = server[kEnvRefs];
    server.removeMember(kEnvRefs);
    if (!refs.isObject()) return;
    for (const std::string& var : refs.getMemberNames()) {
      if (!refs[var].isString()) continue;
      if (auto value = fetch(refs[var].asString())) server[kEnv][var] = *value;
    }
  });
  return result;
}

}  // namespace hearth::agent
