// SPDX-License-Identifier: Apache-2.0
// Settings documents with their secrets taken out and put back.
#include "agent/config_secrets.h"

#include <gtest/gtest.h>
#include <json/json.h>

#include <map>

#include "agent/config.h"
#include "base/json.h"

namespace hearth::agent {
namespace {

Json::Value Parse(const std::string& text) {
  Json::Value doc;
  EXPECT_TRUE(ParseJson(text, &doc));
  return doc;
}

std::string Write(const Json::Value& doc) {
  Json::StreamWriterBuilder writer;
  return Json::writeString(writer, doc);
}

AgentConfig WithSecrets() {
  AgentConfig config;
  ProviderConfig hosted;
  hosted.name = "hosted";
  hosted.endpoint.base_url = "https://api.example.com/v1";
  hosted.endpoint.api_key = "sk-live-abc";
  ProviderConfig local;
  local.name = "local";
  local.endpoint.base_url = "http://127.0.0.1:8080/v1";
  config.providers = {hosted, local};
  config.mcp_servers = {{"gh", "npx", {"-y", "server"}, {{"TOKEN", "ghp_xyz"}, {"MODE", "ro"}}}};
  return config;
}

TEST(ConfigSecrets, TakesEveryKeyAndEnvironmentValueOutOfTheDocument) {
  Json::Value doc = Parse(ConfigToJson(WithSecrets()));
  std::vector<SecretValue> taken = TakeSecrets(doc);
  std::map<std::string, std::string> values;
  for (const SecretValue& v : taken) values[v.name] = v.value;
  EXPECT_EQ(values, (std::map<std::string, std::string>{{"provider/hosted/api_key", "sk-live-abc"},
                                                        {"mcp/gh/env/TOKEN", "ghp_xyz"},
                                                        {"mcp/gh/env/MODE", "ro"}}));
  std::string text = Write(doc);
  EXPECT_EQ(text.find("sk-live-abc"), std::string::npos);
  EXPECT_EQ(text.find("ghp_xyz"), std::string::npos);
  EXPECT_EQ(SecretNames(doc), (std::set<std::string>{"provider/hosted/api_key", "mcp/gh/env/TOKEN",
                                                     "mcp/gh/env/MODE"}));
  // Taking again finds nothing more: the references stay.
  EXPECT_TRUE(TakeSecrets(doc).empty());
  EXPECT_EQ(SecretNames(doc).size(), 3u);
}

TEST(ConfigSecrets, PuttingBackGivesTheSameConfiguration) {
  Json::Value doc = Parse(ConfigToJson(WithSecrets()));
  std::map<std::string, std::string> store;
  for (const SecretValue& v : TakeSecrets(doc)) store[v.name] = v.value;
  PutBackResult back = PutBackSecrets(doc, [&](const std::string& name) {
    return Result<std::optional<std::string>>(std::optional<std::string>(store.at(name)));
  });
  EXPECT_TRUE(back.missing.empty());
  EXPECT_TRUE(back.unreadable.empty());
  Result<AgentConfig> parsed = ParseConfig(Write(doc), "/home/u");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->providers[0].endpoint.api_key, "sk-live-abc");
  EXPECT_EQ(parsed->providers[1].endpoint.api_key, "");
  EXPECT_EQ(parsed->mcp_servers[0].env.at("TOKEN"), "ghp_xyz");
  EXPECT_EQ(parsed->mcp_servers[0].env.at("MODE"), "ro");
}

TEST(ConfigSecrets, AMissingOrUnreadableValueIsReportedAndTheReferenceDropped) {
  Json::Value doc = Parse(ConfigToJson(WithSecrets()));
  TakeSecrets(doc);
  PutBackResult back = PutBackSecrets(doc, [](const std::string& name) {
    if (name == "mcp/gh/env/TOKEN") {
      return Result<std::optional<std::string>>(Status::Unavailable("the keyring is locked"));
    }
    return Result<std::optional<std::string>>(std::optional<std::string>());
  });
  EXPECT_EQ(back.unreadable, std::vector<std::string>{"mcp/gh/env/TOKEN"});
  EXPECT_EQ(back.first_error.message(), "the keyring is locked");
  EXPECT_EQ(back.missing.size(), 2u);
  Result<AgentConfig> parsed = ParseConfig(Write(doc), "/home/u");
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_TRUE(parsed->providers[0].endpoint.api_key.empty());
  EXPECT_TRUE(parsed->mcp_servers[0].env.empty());
}

}  // namespace
}  // namespace hearth::agent
