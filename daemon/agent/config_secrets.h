// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <json/value.h>

#include "base/status.h"

namespace hearth::agent {

// The API keys and MCP environment values of a saved settings document (what ConfigToJson
// writes), moved out to a secrets::SecretStore: the document in the database names each one by
// reference, `"api_key_secret": NAME` in a provider and `"env_secrets": {VAR: NAME}` in an MCP
// server, and the store holds the values. ParseConfig never sees a reference: they are replaced
// by their values first. config.json is the user's own file and is never rewritten.

struct SecretValue {
  std::string name;  // "provider/<name>/api_key" or "mcp/<server>/env/<VAR>"
  std::string value;
};

// Replaces every plain API key and MCP environment value in `doc` with a reference, and returns
// the values taken out: all of them for a document ConfigToJson just wrote, and for a document an
// older Hearth saved, the ones still there. References already in `doc` stay as they are.
std::vector<SecretValue> TakeSecrets(Json::Value& doc);

// Every name `doc` refers to.
std::set<std::string> SecretNames(const Json::Value& doc);

// Where a reference's value comes from: the value, nullopt when there is none, or why it cannot
// be read now.
using SecretLookup = std::function<Result<std::optional<std::string>>(const std::string& name)>;

struct PutBackResult {
  std::vector<std::string> missing;     // names with no value: a line each for the settings page
  std::vector<std::string> unreadable;  // names whose value could not be read now
  Status first_error;                   // why, for the first of `unreadable`
};

// Replaces every reference in `doc` with its value from `lookup`; a reference without a value is
// dropped (the provider has no key, the variable is not set) and reported.
PutBackResult PutBackSecrets(Json::Value& doc, const SecretLookup& lookup);

}  // namespace hearth::agent
