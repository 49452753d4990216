// SPDX-License-Identifier: Apache-2.0
#include "agent/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "testing/temp_dir.h"

namespace hearth::agent {
namespace {

using Code = Status::Code;

TEST(AConfigDocument, ReadsEveryKey) {
  auto config = ParseConfig(R"({
    "providers": [
      {"name": "local", "type": "openai", "base_url": "http://127.0.0.1:8080/v1",
       "default_model": "qwen"},
      {"name": "ollama", "type": "ollama", "base_url": "http://127.0.0.1:11434", "api_key": "k"}
    ],
    "default_provider": "ollama",
    "default_model": "llama3.2",
    "system_prompt": "Be brief.",
    "workspace_roots": ["~/projects", "/srv/data/"],
    "deny": ["secrets", "*.kdbx"],
    "mcp_servers": [{"name": "fs", "command": "npx", "args": ["-y", "x"], "env": {"A": "1"}}],
    "fetch_url": true,
    "max_steps": 4
  })",
                            "/home/u");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->providers.size(), 2u);
  EXPECT_EQ(config->providers[0].endpoint.wire, llm::Wire::kOpenAi);
  EXPECT_EQ(config->providers[0].default_model, "qwen");
  EXPECT_EQ(config->providers[1].endpoint.wire, llm::Wire::kOllama);
  EXPECT_EQ(config->providers[1].endpoint.api_key, "k");
  EXPECT_EQ(config->FindProvider("")->name, "ollama");
  EXPECT_EQ(config->default_model, "llama3.2");
  EXPECT_EQ(config->system_prompt, "Be brief.");
  EXPECT_EQ(config->workspace_roots, (std::vector<std::string>{"/home/u/projects", "/srv/data"}));
  EXPECT_EQ(config->deny, (std::vector<std::string>{"secrets", "*.kdbx"}));
  ASSERT_EQ(config->mcp_servers.size(), 1u);
  EXPECT_EQ(config->mcp_servers[0].args, (std::vector<std::string>{"-y", "x"}));
  EXPECT_EQ(config->mcp_servers[0].env.at("A"), "1");
  EXPECT_TRUE(config->fetch_url.enabled);
  EXPECT_FALSE(config->fetch_url.private_networks);
  EXPECT_EQ(config->max_steps, 4);
  EXPECT_EQ(config->from_file.size(), 9u);
}

TEST(AConfigDocument, NamesTheKeyItRefuses) {
  struct Case {
    const char* json;
    const char* says;
  };
  const Case cases[] = {
      {R"({"provider": []})", "unknown key \"provider\""},
      {R"({"providers": [{"name": "a", "base_url": "ftp://x"}]})", "http:// or https://"},
      {R"({"providers": [{"name": "a", "type": "claude", "base_url": "http://x"}]})",
       "\"openai\" or \"ollama\""},
      {R"({"providers": [{"name": "", "base_url": "http://x"}]})", "must not be empty"},
      {R"({"providers": [{"name": "a", "base_url": "http://x", "colour": 1}]})",
       "unknown key \"colour\" in a provider"},
      {R"({"providers": [{"name": "a", "base_url": "http://x"},
                         {"name": "a", "base_url": "http://y"}]})",
       "names \"a\" twice"},
      {R"({"workspace_roots": ["relative/path"]})", "absolute paths"},
      {R"({"workspace_roots": "/one"})", "list of strings"},
      {R"({"max_steps": 0})", "from 1 to 50"},
      {R"({"max_steps": 51})", "from 1 to 50"},
      {R"({"fetch_url": "yes"})", "must be true, false or {"},
      {R"({"fetch_url": 1})", "must be true, false or {"},
      {R"({"fetch_url": {"enabled": "yes"}})", "\"fetch_url.enabled\" must be true or false"},
      {R"({"fetch_url": {"private_networks": 1}})",
       "\"fetch_url.private_networks\" must be true or false"},
      {R"({"fetch_url": {"enabled": true, "private_network": true}})",
       "unknown key \"fetch_url.private_network\""},
      {R"({"default_provider": "nope", "providers": []})", "names no provider"},
      {R"([1, 2])", "must be an object"},
      {R"({"a": 1, "a": 2})", "not valid JSON"},
      {R"({"system_prompt": )", "not valid JSON"},
  };
  for (const Case& c : cases) {
    auto config = ParseConfig(c.json, "/home/u");
    ASSERT_FALSE(config.ok()) << c.json;
    EXPECT_NE(config.status().message().find(c.says), std::string::npos)
        << c.json << " -> " << config.status().message();
  }
}

TEST(AConfigDocument, ReadsFetchUrlAsATrueOrFalseOrAsAnObject) {
  struct Case {
    const char* json;
    bool enabled;
    bool private_networks;
  };
  const Case cases[] = {
      {R"({"fetch_url": false})", false, false},
      {R"({"fetch_url": true})", true, false},
      {R"({"fetch_url": {}})", false, false},
      {R"({"fetch_url": {"enabled": true}})", true, false},
      {R"({"fetch_url": {"private_networks": true}})", false, true},
      {R"({"fetch_url": {"enabled": true, "private_networks": true}})", true, true},
  };
  for (const Case& c : cases) {
    auto config = ParseConfig(c.json, "/h");
    ASSERT_TRUE(config.ok()) << c.json << " -> " << config.status().ToString();
    EXPECT_EQ(config->fetch_url.enabled, c.enabled) << c.json;
    EXPECT_EQ(config->fetch_url.private_networks, c.private_networks) << c.json;
    EXPECT_TRUE(config->from_file.contains("fetch_url")) << c.json;
  }
  auto absent = ParseConfig("{}", "/h");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->fetch_url.enabled);
  EXPECT_FALSE(absent->fetch_url.private_networks);
}

TEST(AConfigDocument, ReadsUnlockedPathsAndRefusesOnesThatAreNotProtected) {
  auto config = ParseConfig(
      R"({"unlocked_paths": ["~/proj/.git/hooks/pre-commit", "/srv/.envrc"]})", "/home/u");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->unlocked_paths,
            (std::vector<std::string>{"/home/u/proj/.git/hooks/pre-commit", "/srv/.envrc"}));
  auto back = ParseConfig(ConfigToJson(*config), "/home/u");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->unlocked_paths, config->unlocked_paths);
  for (const char* json : {R"({"unlocked_paths": ["~"]})", R"({"unlocked_paths": ["proj/.git"]})",
                           R"({"unlocked_paths": ["/home/u/proj/../.git"]})"}) {
    auto refused = ParseConfig(json, "/home/u");
    EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument) << json;
    EXPECT_NE(refused.status().message().find("unlocked_paths"), std::string::npos) << json;
  }
}

TEST(AConfigDocument, RefusesDeepNestingAndHugeFiles) {
  std::string deep = "{\"deny\": " + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_FALSE(ParseConfig(deep, "/h").ok());
  std::string huge = "{\"system_prompt\": \"" + std::string(kMaxConfigBytes, 'a') + "\"}";
  EXPECT_EQ(ParseConfig(huge, "/h").status().code(), Code::kTooLarge);
}

TEST(AConfigDocument, ReadsTheApiKeyFromTheNamedEnvironmentVariable) {
  setenv("HEARTH_TEST_API_KEY", "from-env", 1);
  auto config = ParseConfig(
      R"({"providers": [{"name": "a", "base_url": "https://x/v1", "api_key_env": "HEARTH_TEST_API_KEY"}]})",
      "/h");
  unsetenv("HEARTH_TEST_API_KEY");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->providers[0].endpoint.api_key, "from-env");
}

TEST(AConfigFile, ThatIsMissingIsAnEmptyConfig) {
  unit::TempDir dir;
  auto config = LoadConfigFile(dir.File("config.json"), "/h");
  ASSERT_TRUE(config.ok());
  EXPECT_TRUE(config->providers.empty());
  EXPECT_TRUE(config->from_file.empty());
}

TEST(AConfigFile, ThatIsBrokenIsReportedWithItsPath) {
  unit::TempDir dir;
  std::ofstream(dir.File("config.json")) << "{ not json";
  auto config = LoadConfigFile(dir.File("config.json"), "/h");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find(dir.File("config.json")), std::string::npos);
}

TEST(MergedConfig, TakesEachKeyTheFileSetsFromTheFile) {
  auto file = ParseConfig(R"({"system_prompt": "from the file", "max_steps": 3})", "/h");
  ASSERT_TRUE(file.ok());
  AgentConfig saved;
  saved.system_prompt = "from the page";
  saved.workspace_roots = {"/page/root"};
  saved.max_steps = 9;
  AgentConfig merged = MergeConfig(*file, saved);
  EXPECT_EQ(merged.system_prompt, "from the file");
  EXPECT_EQ(merged.max_steps, 3);
  EXPECT_EQ(merged.workspace_roots, std::vector<std::string>{"/page/root"});
  EXPECT_TRUE(merged.from_file.contains("system_prompt"));
  EXPECT_FALSE(merged.from_file.contains("workspace_roots"));
}

TEST(MergedConfig, TakesFetchUrlFromTheFileOnlyWhenTheFileSetsIt) {
  AgentConfig saved;
  saved.fetch_url = {.enabled = true, .private_networks = true};
  auto file = ParseConfig(R"({"fetch_url": false})", "/h");
  ASSERT_TRUE(file.ok());
  AgentConfig merged = MergeConfig(*file, saved);
  EXPECT_FALSE(merged.fetch_url.enabled);
  EXPECT_FALSE(merged.fetch_url.private_networks);

  auto silent = ParseConfig(R"({"max_steps": 3})", "/h");
  ASSERT_TRUE(silent.ok());
  merged = MergeConfig(*silent, saved);
  EXPECT_TRUE(merged.fetch_url.enabled);
  EXPECT_TRUE(merged.fetch_url.private_networks);
}

TEST(SavedConfig, ReadsBackAsItWasWritten) {
  auto original = ParseConfig(R"({
    "providers": [{"name": "a", "type": "ollama", "base_url": "http://h:1", "api_key": "s",
                   "default_model": "m"}],
    "default_provider": "a", "system_prompt": "p", "workspace_roots": ["/r"], "deny": ["d"],
    "mcp_servers": [{"name": "n", "command": "c", "args": ["x"], "env": {"K": "V"}}],
    "fetch_url": true, "max_steps": 7})",
                              "/h");
  ASSERT_TRUE(original.ok());
  auto again = ParseConfig(ConfigToJson(*original), "/h");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->providers[0].endpoint.base_url, "http://h:1");
  EXPECT_EQ(again->providers[0].endpoint.api_key, "s");
  EXPECT_EQ(again->providers[0].endpoint.wire, llm::Wire::kOllama);
  EXPECT_EQ(again->mcp_servers[0].env.at("K"), "V");
  EXPECT_EQ(again->max_steps, 7);
  EXPECT_EQ(again->deny, std::vector<std::string>{"d"});
  EXPECT_TRUE(again->fetch_url.enabled);
  EXPECT_FALSE(again->fetch_url.private_networks);
}

TEST(SavedConfig, WritesFetchUrlAsAnObject) {
  AgentConfig config;
  config.fetch_url = {.enabled = false, .private_networks = true};
  std::string json = ConfigToJson(config);
  EXPECT_NE(json.find("\"private_networks\" : true"), std::string::npos) << json;
  auto again = ParseConfig(json, "/h");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->fetch_url.enabled);
  EXPECT_TRUE(again->fetch_url.private_networks);
}

}  // namespace
}  // namespace hearth::agent
