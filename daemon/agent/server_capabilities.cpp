// SPDX-License-Identifier: Apache-2.0
#include "agent/server_capabilities.h"

#include <json/json.h>

#include "base/json.h"
#include "base/sha256.h"

namespace hearth::agent {
namespace {

const char* AbilityName(Ability ability) {
  switch (ability) {
    case Ability::kYes:
      return "yes";
    case Ability::kNo:
      return "no";
    case Ability::kUnknown:
      break;
  }
  return "unknown";
}

Ability AbilityFrom(const Json::Value& value) {
  if (!value.isString()) return Ability::kUnknown;
  if (value.asString() == "yes") return Ability::kYes;
  if (value.asString() == "no") return Ability::kNo;
  return Ability::kUnknown;
}

}  // namespace

std::string CapabilitiesKey(const llm::Endpoint& endpoint, std::string_view model) {
  std::string identity = endpoint.wire == llm::Wire::kOllama ? "ollama" : "openai";
  identity += '\n';
  identity += endpoint.base_url;
  identity += '\n';
  identity += model;
  return "llm.capabilities." + Sha256Hex(identity);
}

std::string CapabilitiesToJson(const ServerCapabilities& capabilities) {
  Json::Value value(Json::objectValue);
  value["tools"] = AbilityName(capabilities.tools);
  value["streams_with_tools"] = AbilityName(capabilities.streams_with_tools);
  if (capabilities.context_tokens > 0) {
    value["context_tokens"] = Json::Int64(capabilities.context_tokens);
  }
  if (!capabilities.tools_refusal.empty()) value["tools_refusal"] = capabilities.tools_refusal;
  if (!capabilities.tools_advice.empty()) value["tools_advice"] = capabilities.tools_advice;
  Json::StreamWriterBuilder writer;
  writer["indentation"] = "";
  return Json::writeString(writer, value);
}

ServerCapabilities CapabilitiesFromJson(std::string_view json) {
  ServerCapabilities capabilities;
  Json::Value value;
  if (json.empty() || !ParseJson(json, &value, 8) || !value.isObject()) return capabilities;
  capabilities.tools = AbilityFrom(value["tools"]);
  capabilities.streams_with_tools = AbilityFrom(value["streams_with_tools"]);
  if (value["context_tokens"].isIntegral() && value["context_tokens"].asInt64() > 0) {
    capabilities.context_tokens = value["context_tokens"].asInt64();
  }
  if (value["tools_refusal"].isString()) {
    capabilities.tools_refusal = value["tools_refusal"].asString();
  }
  if (value["tools_advice"].isString())
    capabilities.tools_advice = value["tools_advice"].asString();
  return capabilities;
}

ServerCapabilities LoadCapabilities(store::Store& store, const llm::Endpoint& endpoint,
                                    std::string_view model) {
  Result<std::optional<std::string>> saved = store.GetSetting(CapabilitiesKey(endpoint, model));
  if (!saved.ok() || !saved->has_value()) return {};
  return CapabilitiesFromJson(**saved);
}

Status SaveCapabilities(store::Store& store, const llm::Endpoint& endpoint, std::string_view model,
                        const ServerCapabilities& capabilities) {
  return store.SetSetting(CapabilitiesKey(endpoint, model), CapabilitiesToJson(capabilities));
}

}  // namespace hearth::agent
