// SPDX-License-Identifier: Apache-2.0
// Settings with MCP servers: their tools join the tool box at the first run, not before.
#include <gtest/gtest.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "agent/settings.h"
#include "mcp/mcp_tools.h"
#include "sandbox/landlock.h"
#include "secrets/file_store.h"
#include "testing/temp_dir.h"

namespace hearth::agent {
namespace {

bool Contains(const std::vector<std::string>& lines, const std::string& needle) {
  for (const std::string& line : lines) {
    if (line.find(needle) != std::string::npos) return true;
  }
  return false;
}

class SettingsWithMcpServers : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sandbox::LandlockAbi() <= 0) GTEST_SKIP() << "Landlock is not available";
    if (access("/usr/bin/node", X_OK) != 0) GTEST_SKIP() << "node is not installed";
    auto store = store::Store::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status().message();
    store_ = std::move(*store);
  }

  std::unique_ptr<Settings> Make(std::vector<McpServerConfig> servers) {
    AgentConfig file;
    file.workspace_roots = {workspace_.path()};
    file.mcp_servers = std::move(servers);
    file.from_file = {"workspace_roots", "mcp_servers"};
    auto settings =
        std::make_unique<Settings>(*store_, secrets_, std::move(file), "",
                                   std::vector<std::string>{data_.path()}, workspace_.path());
    EXPECT_TRUE(settings->Load().ok());
    return settings;
  }

  static McpServerConfig Fake(const std::string& name, std::vector<std::string> flags = {}) {
    McpServerConfig server{name, "node", {HEARTH_MCP_FAKE_SERVER}, {}};
    for (std::string& flag : flags) server.args.push_back(std::move(flag));
    return server;
  }

  unit::TempDir workspace_;
  unit::TempDir data_;
  secrets::FileSecretStore secrets_{data_.path() + "/config", "config"};
  std::unique_ptr<store::Store> store_;
};

TEST_F(SettingsWithMcpServers, ListTheServersToolsAtTheFirstRunAndKeepTheBuiltIns) {
  auto settings = Make({Fake("fake")});
  EXPECT_TRUE(Contains(settings->SandboxReport(), "MCP server \"fake\": not started yet"));

  std::shared_ptr<const ToolBox> box = settings->Tools();
  ASSERT_NE(box->Find("fake__echo"), nullptr);
  EXPECT_NE(box->Find("run_command"), nullptr);
  EXPECT_TRUE(Contains(settings->SandboxReport(), "MCP server \"fake\": running"));
  // The grant is bound to the server's command line, not just the tool's name.
  EXPECT_EQ(box->Find("fake__echo")->grant_key(),
            "mcp:fake__echo@" + mcp::ServerDigest({"fake", "node", {HEARTH_MCP_FAKE_SERVER}, {}}));
  EXPECT_EQ(box->Find("run_command")->grant_key(), "run_command");

  // Nothing changed: the same box.
  EXPECT_EQ(settings->Tools(), box);

  Json::Value args(Json::objectValue);
  args["text"] = "from the box";
  tools::ToolResult result = box->Find("fake__echo")->Call(args, tools::ToolContext{});
  EXPECT_EQ(result.text, "from the box");
}

TEST_F(SettingsWithMcpServers, ListAgainAfterTheServerSaysItsToolsChanged) {
  auto settings = Make({Fake("fake")});
  std::shared_ptr<const ToolBox> box = settings->Tools();
  EXPECT_EQ(box->Find("fake__extra"), nullptr);
  box->Find("fake__add_tool")->Call(Json::Value(Json::objectValue), tools::ToolContext{});
  // The notification follows the answer; the next run sees it (or the one after).
  std::shared_ptr<const ToolBox> next = settings->Tools();
  for (int i = 0; i < 500 && next->Find("fake__extra") == nullptr; ++i) {
    usleep(10000);
    next = settings->Tools();
  }
  EXPECT_NE(next->Find("fake__extra"), nullptr);
  EXPECT_NE(next, box);
}

TEST_F(SettingsWithMcpServers, ReportAServerThatCannotStartAndKeepTheOthers) {
  auto settings = Make({Fake("broken", {"--version=1999-01-01"}), Fake("fine")});
  std::shared_ptr<const ToolBox> box = settings->Tools();
  EXPECT_NE(box->Find("fine__echo"), nullptr);
  EXPECT_EQ(box->Find("broken__echo"), nullptr);
  std::vector<std::string> report = settings->SandboxReport();
  EXPECT_TRUE(Contains(report, "MCP server \"broken\" speaks MCP version \"1999-01-01\""));
  EXPECT_TRUE(Contains(report, "MCP server \"fine\": running"));
}

TEST_F(SettingsWithMcpServers, KeepRunningServersWhenUnrelatedSettingsAreSaved) {
  auto settings = Make({Fake("fake")});
  std::shared_ptr<const ToolBox> box = settings->Tools();
  std::string pid = box->Find("fake__pid")->Call(Json::Value(), tools::ToolContext{}).text;

  AgentConfig saved = settings->Saved();
  saved.system_prompt = "Be brief.";
  ASSERT_TRUE(settings->Save(saved).ok());
  box = settings->Tools();
  EXPECT_EQ(box->Find("fake__pid")->Call(Json::Value(), tools::ToolContext{}).text, pid);
}

}  // namespace
}  // namespace hearth::agent
