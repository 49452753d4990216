// SPDX-License-Identifier: Apache-2.0
#include "mcp/mcp_tools.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "testing/temp_dir.h"

namespace hearth::mcp {
namespace {

TEST(AnMcpToolName, JoinsServerAndToolAndReplacesOtherBytes) {
  EXPECT_EQ(AgentToolName("files", "read_file"), "files__read_file");
  EXPECT_EQ(AgentToolName("my server", "get.weather/now"), "my_server__get_weather_now");
  EXPECT_EQ(AgentToolName("ü", "a-b"), "____a-b");  // two bytes, two underscores
}

TEST(AnMcpToolName, StaysWithinTheLimitAndDistinct) {
  std::string server(40, 's');
  std::string a = AgentToolName(server, std::string(40, 't') + "_one");
  std::string b = AgentToolName(server, std::string(40, 't') + "_two");
  EXPECT_EQ(a.size(), kMaxToolName);
  EXPECT_EQ(b.size(), kMaxToolName);
  EXPECT_NE(a, b);
  EXPECT_TRUE(a.starts_with(server + "__"));
}

TEST(AServerDigest, ChangesWithCommandArgumentsAndEnvironment) {
  ServerConfig base{"files", "/usr/bin/node", {"/srv/index.js", "/data"}, {{"A", "1"}}};
  const std::string digest = ServerDigest(base);
  EXPECT_EQ(digest.size(), 16u);
  EXPECT_EQ(ServerDigest(base), digest);

  ServerConfig renamed = base;
  renamed.name = "other";  // the name is in the tool's name already
  EXPECT_EQ(ServerDigest(renamed), digest);

  ServerConfig command = base;
  command.command = "/usr/local/bin/node";
  EXPECT_NE(ServerDigest(command), digest);
  ServerConfig args = base;
  args.args.push_back("/home");
  EXPECT_NE(ServerDigest(args), digest);
  ServerConfig env = base;
  env.env["A"] = "2";
  EXPECT_NE(ServerDigest(env), digest);
  // Moving bytes between fields changes it too.
  ServerConfig split{"files", "/usr/bin/node", {"/srv/index.js/data"}, {{"A", "1"}}};
  EXPECT_NE(ServerDigest(split), digest);
}

TEST(MadeMcpTools, ComeFromTheListingNeedApprovalAndBindTheGrantToTheServer) {
  if (sandbox::LandlockAbi() <= 0) GTEST_SKIP() << "Landlock is not available";
  if (access("/usr/bin/node", X_OK) != 0) GTEST_SKIP() << "node is not installed";
  unit::TempDir workspace;
  ClientOptions options;
  options.server = {"fake", "node", {HEARTH_MCP_FAKE_SERVER}, {}};
  options.policy.workspace_roots = {workspace.path()};
  auto client = std::make_shared<McpClient>(options);
  EXPECT_TRUE(MakeMcpTools(client).empty());  // nothing listed, nothing started
  EXPECT_EQ(client->server_pid(), std::nullopt);

  ASSERT_TRUE(client->ListTools().ok());
  auto tools = MakeMcpTools(client);
  ASSERT_FALSE(tools.empty());
  const tools::Tool& echo = *tools.front();
  EXPECT_EQ(echo.schema().name, "fake__echo");
  EXPECT_EQ(echo.schema().description, "(from the MCP server \"fake\") The echo tool.");
  EXPECT_EQ(echo.schema().parameters["type"].asString(), "object");
  EXPECT_TRUE(echo.needs_approval());
  EXPECT_EQ(echo.grant_key(), "mcp:fake__echo@" + ServerDigest(options.server));

  Json::Value args(Json::objectValue);
  args["text"] = "through the adapter";
  tools::ToolResult result = echo.Call(args, tools::ToolContext{});
  EXPECT_FALSE(result.is_error);
  EXPECT_EQ(result.text, "through the adapter");
}

TEST(MadeMcpTools, TellApartToolsThatSanitisingMakesAlike) {
  if (sandbox::LandlockAbi() <= 0) GTEST_SKIP() << "Landlock is not available";
  if (access("/usr/bin/node", X_OK) != 0) GTEST_SKIP() << "node is not installed";
  unit::TempDir workspace;
  ClientOptions options;
  options.server = {"fake", "node", {HEARTH_MCP_FAKE_SERVER, "--twins"}, {}};
  options.policy.workspace_roots = {workspace.path()};
  auto client = std::make_shared<McpClient>(options);
  ASSERT_TRUE(client->ListTools().ok());
  auto tools = MakeMcpTools(client);
  ASSERT_GE(tools.size(), 2u);
  const tools::Tool& dot = *tools[tools.size() - 2];
  const tools::Tool& underscore = *tools[tools.size() - 1];
  EXPECT_EQ(dot.schema().name, "fake__twin_a");
  EXPECT_TRUE(underscore.schema().name.starts_with("fake__twin_a_"));
  EXPECT_EQ(underscore.schema().name.size(), std::string("fake__twin_a_").size() + 8);
  EXPECT_EQ(dot.Call(Json::Value(Json::objectValue), tools::ToolContext{}).text, "twin.a");
  EXPECT_EQ(underscore.Call(Json::Value(Json::objectValue), tools::ToolContext{}).text, "twin_a");
}

}  // namespace
}  // namespace hearth::mcp
