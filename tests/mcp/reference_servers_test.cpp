// SPDX-License-Identifier: Apache-2.0
// Hearth's MCP client against the reference servers from npm (pinned by package-lock.json and
// fetched by the mcp.install test), each run in Hearth's sandbox as the agent runs it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "mcp/client.h"
#include "mcp/mcp_tools.h"
#include "testing/temp_dir.h"

#ifndef HEARTH_MCP_NODE_MODULES
#error "HEARTH_MCP_NODE_MODULES must name the node_modules that mcp.install fills"
#endif

namespace hearth::mcp {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr char kSecret[] = "SECRET-c0ffee-RSA-PRIVATE";

void WriteFile(const std::string& path, const std::string& content) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  ASSERT_TRUE(out.good()) << path;
}

bool Has(const std::vector<ToolInfo>& tools, const std::string& name) {
  return std::any_of(tools.begin(), tools.end(), [&](const ToolInfo& t) { return t.name == name; });
}

Json::Value Args(std::initializer_list<std::pair<const char*, Json::Value>> members) {
  Json::Value args(Json::objectValue);
  for (const auto& [key, value] : members) args[key] = value;
  return args;
}

class TheReferenceServers : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sandbox::LandlockAbi() <= 0) GTEST_SKIP() << "Landlock is not available";
    ASSERT_TRUE(std::filesystem::exists(Bin("mcp-server-everything")))
        << "the reference servers are not installed: run ctest -R mcp.install first";
  }

  static std::string Bin(const std::string& name) {
    return std::string(HEARTH_MCP_NODE_MODULES) + "/.bin/" + name;
  }

  std::shared_ptr<McpClient> Start(const std::string& name, const std::string& bin,
                                   std::vector<std::string> args) {
    ClientOptions options;
    options.server = {name, Bin(bin), std::move(args), {}};
    options.policy.workspace_roots = {workspace_.path()};
    options.home = workspace_.path();
    options.start_timeout = milliseconds(60000);
    options.list_timeout = milliseconds(60000);
    options.call_timeout = milliseconds(60000);
    auto client = std::make_shared<McpClient>(std::move(options));
    auto tools = client->ListTools();
    EXPECT_TRUE(tools.ok()) << tools.status().message();
    return client;
  }

  unit::TempDir workspace_;
};

TEST_F(TheReferenceServers, EverythingNegotiatesListsAndRunsItsTools) {
  auto client = Start("everything", "mcp-server-everything", {"stdio"});
  std::vector<ToolInfo> tools = client->tools();
  EXPECT_TRUE(Has(tools, "echo"));
  // `add` was renamed `get-sum` in the 2025 rewrite of server-everything.
  const std::string sum = Has(tools, "add") ? "add" : "get-sum";
  EXPECT_TRUE(Has(tools, sum));
  EXPECT_NE(
      std::find(kProtocolVersions.begin(), kProtocolVersions.end(), client->protocol_version()),
      kProtocolVersions.end());
  EXPECT_NE(client->StatusLine().find("running"), std::string::npos) << client->StatusLine();

  tools::ToolResult echo =
      client->CallTool("echo", Args({{"message", "hello from Hearth"}}), nullptr);
  EXPECT_FALSE(echo.is_error) << echo.text;
  EXPECT_NE(echo.text.find("hello from Hearth"), std::string::npos) << echo.text;

  tools::ToolResult added = client->CallTool(sum, Args({{"a", 2}, {"b", 3}}), nullptr);
  EXPECT_FALSE(added.is_error) << added.text;
  EXPECT_NE(added.text.find("5"), std::string::npos) << added.text;

  // Invalid arguments come back as an error result, not a broken client.
  tools::ToolResult bad = client->CallTool(sum, Args({{"a", "two"}}), nullptr);
  EXPECT_TRUE(bad.is_error) << bad.text;
  tools::ToolResult again = client->CallTool("echo", Args({{"message", "still here"}}), nullptr);
  EXPECT_NE(again.text.find("still here"), std::string::npos) << again.text;
}

TEST_F(TheReferenceServers, EverythingsImagesBecomeANote) {
  auto client = Start("everything", "mcp-server-everything", {"stdio"});
  if (!Has(client->tools(), "get-tiny-image")) GTEST_SKIP() << "no get-tiny-image in this version";
  tools::ToolResult image = client->CallTool("get-tiny-image", Json::Value(), nullptr);
  EXPECT_FALSE(image.is_error) << image.text;
  EXPECT_NE(image.text.find("[image (image/png"), std::string::npos) << image.text;
  EXPECT_LT(image.text.size(), 2000u);  // no base64 for the model
}

TEST_F(TheReferenceServers, EverythingSeesOnlyTheEnvironmentHearthGives) {
  auto client = Start("everything", "mcp-server-everything", {"stdio"});
  if (!Has(client->tools(), "get-env")) GTEST_SKIP() << "no get-env in this version";
  setenv("HEARTH_MCP_TEST_LEAK", "leaked", 1);
  tools::ToolResult env = client->CallTool("get-env", Json::Value(), nullptr);
  unsetenv("HEARTH_MCP_TEST_LEAK");
  EXPECT_FALSE(env.is_error) << env.text;
  EXPECT_NE(env.text.find("PATH"), std::string::npos) << env.text;
  EXPECT_EQ(env.text.find("leaked"), std::string::npos) << env.text;
}

TEST_F(TheReferenceServers, EverythingStopsALongOperationWhenCancelled) {
  auto client = Start("everything", "mcp-server-everything", {"stdio"});
  if (!Has(client->tools(), "trigger-long-running-operation")) GTEST_SKIP();
  std::atomic<bool> cancel{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(300));
    cancel.store(true);
  });
  const Steady::time_point start = Steady::now();
  tools::ToolResult result = client->CallTool("trigger-long-running-operation",
                                              Args({{"duration", 30}, {"steps", 5}}), &cancel);
  stopper.join();
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("cancelled"), std::string::npos) << result.text;
  EXPECT_LT(Steady::now() - start, milliseconds(3000));
  tools::ToolResult echo = client->CallTool("echo", Args({{"message", "after"}}), nullptr);
  EXPECT_NE(echo.text.find("after"), std::string::npos) << echo.text;
}

TEST_F(TheReferenceServers, FilesystemReadsAndListsTheWorkspace) {
  WriteFile(workspace_.File("notes.txt"), "the plan: ship it");
  auto client = Start("files", "mcp-server-filesystem", {workspace_.path()});
  std::vector<ToolInfo> tools = client->tools();
  EXPECT_TRUE(Has(tools, "read_text_file") || Has(tools, "read_file"));
  EXPECT_TRUE(Has(tools, "list_directory"));
  const std::string read = Has(tools, "read_text_file") ? "read_text_file" : "read_file";

  tools::ToolResult notes =
      client->CallTool(read, Args({{"path", workspace_.File("notes.txt")}}), nullptr);
  EXPECT_FALSE(notes.is_error) << notes.text;
  EXPECT_NE(notes.text.find("the plan: ship it"), std::string::npos) << notes.text;

  tools::ToolResult listing =
      client->CallTool("list_directory", Args({{"path", workspace_.path()}}), nullptr);
  EXPECT_FALSE(listing.is_error) << listing.text;
  EXPECT_NE(listing.text.find("notes.txt"), std::string::npos) << listing.text;
}

TEST_F(TheReferenceServers, FilesystemCannotReadASecretItsOwnRulesAllow) {
  WriteFile(workspace_.File(".ssh/id_rsa"), kSecret);
  WriteFile(workspace_.File("project/.env"), kSecret);
  // The server is told the whole workspace is its to read; only the sandbox says otherwise.
  auto client = Start("files", "mcp-server-filesystem", {workspace_.path()});
  std::vector<std::unique_ptr<tools::Tool>> tools = MakeMcpTools(client);
  ASSERT_FALSE(tools.empty());

  for (std::string name : {"files__read_text_file", "files__read_file"}) {
    auto tool = std::find_if(tools.begin(), tools.end(),
                             [&](const auto& t) { return t->schema().name == name; });
    if (tool == tools.end()) continue;
    for (std::string secret : {".ssh/id_rsa", "project/.env"}) {
      tools::ToolResult result =
          (*tool)->Call(Args({{"path", workspace_.File(secret)}}), tools::ToolContext{});
      EXPECT_TRUE(result.is_error) << name << " " << secret << ": " << result.text;
      EXPECT_EQ(result.text.find(kSecret), std::string::npos) << name << " " << secret;
      // Refused by the kernel, not by the server's own path check.
      EXPECT_NE(result.text.find("EACCES"), std::string::npos) << result.text;
      EXPECT_EQ(result.text.find("outside allowed"), std::string::npos) << result.text;
    }
  }
  tools::ToolResult many = client->CallTool("read_multiple_files",
                                            Args({{"paths",
                                                   [&] {
                                                     Json::Value paths(Json::arrayValue);
                                                     paths.append(workspace_.File(".ssh/id_rsa"));
                                                     paths.append(workspace_.File("project/.env"));
                                                     return paths;
                                                   }()}}),
                                            nullptr);
  EXPECT_EQ(many.text.find(kSecret), std::string::npos) << many.text;
  tools::ToolResult search = client->CallTool(
      "search_files", Args({{"path", workspace_.path()}, {"pattern", "**/*"}}), nullptr);
  EXPECT_EQ(search.text.find(kSecret), std::string::npos) << search.text;
}

}  // namespace
}  // namespace hearth::mcp

namespace hearth::mcp {
namespace {

// The README's recipe as written: npx downloads server-filesystem, in the sandbox, with network
// and a cache of its own, and it serves the folder it was given. Needs the npm registry, so it
// runs only when HEARTH_MCP_NPX=1 (the CI machines have no registry access).
TEST(TheNpxRecipe, ServesTheFolderItWasGivenWithNetworkAndItsOwnCache) {
  if (getenv("HEARTH_MCP_NPX") == nullptr) GTEST_SKIP() << "set HEARTH_MCP_NPX=1 to run it";
  if (sandbox::LandlockAbi() <= 0) GTEST_SKIP() << "Landlock is not available";
  unit::TempDir root;
  const std::string served = root.path() + "/notes";
  WriteFile(served + "/todo.md", "buy milk\n");
  ClientOptions options;
  options.server = {"files",
                    "npx",
                    {"-y", "@modelcontextprotocol/server-filesystem", served},
                    {},
                    {.network = true, .write_paths = {served}}};
  options.package_cache = root.path() + "/cache/mcp/files";
  options.user_home = root.path();
  auto client = std::make_shared<McpClient>(std::move(options));
  auto tools = client->ListTools();
  ASSERT_TRUE(tools.ok()) << tools.status().message();
  EXPECT_TRUE(Has(*tools, "list_directory"));
  tools::ToolResult listed = client->CallTool("list_directory", Args({{"path", served}}), nullptr);
  EXPECT_FALSE(listed.is_error) << listed.text;
  EXPECT_NE(listed.text.find("todo.md"), std::string::npos) << listed.text;
}

}  // namespace
}  // namespace hearth::mcp
