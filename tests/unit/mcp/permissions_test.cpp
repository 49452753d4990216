// SPDX-License-Identifier: Apache-2.0
// An MCP server's own permissions (mcp/permissions.h) as the sandbox enforces them: folders lent
// to it and no others, roots/list naming them, package runners and their cache, and the words
// Settings and approvals show.
#include "mcp/permissions.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <json/json.h>

#include "mcp/client.h"
#include "mcp/mcp_tools.h"
#include "testing/files.h"
#include "testing/temp_dir.h"

#ifndef HEARTH_MCP_FAKE_SERVER
#error "HEARTH_MCP_FAKE_SERVER must name tests/mcp/fake_server.mjs"
#endif

namespace hearth::mcp {
namespace {

using std::chrono::milliseconds;
constexpr auto npos = std::string::npos;

class AServerWithPermissions : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sandbox::LandlockAbi() <= 0) GTEST_SKIP() << "Landlock is not available";
    if (access("/usr/bin/node", X_OK) != 0) GTEST_SKIP() << "node is not installed";
    std::filesystem::create_directories(dir_.path() + "/workspace");
    std::filesystem::create_directories(dir_.path() + "/lent");
    std::filesystem::create_directories(dir_.path() + "/other");
    unit::WriteFile(dir_.path() + "/lent/note.txt", "lent note\n");
    unit::WriteFile(dir_.path() + "/lent/.env", "SECRET=1\n");
    unit::WriteFile(dir_.path() + "/other/note.txt", "other note\n");
  }

  ClientOptions Options(ServerPermissions permissions) {
    ClientOptions options;
    options.server = {"fake", "node", {HEARTH_MCP_FAKE_SERVER}, {}, std::move(permissions)};
    options.policy.workspace_roots = {dir_.path() + "/workspace"};
    options.home = dir_.path() + "/workspace";
    options.user_home = dir_.path() + "/workspace";
    options.retry_delay = milliseconds(0);
    return options;
  }

  static tools::ToolResult Read(McpClient& client, const std::string& path) {
    Json::Value args;
    args["path"] = path;
    return client.CallTool("read", args, nullptr);
  }

  unit::TempDir dir_;
};

TEST_F(AServerWithPermissions, ReadsTheFolderLentToItAndNoOther) {
  McpClient client(Options({.read_paths = {dir_.path() + "/lent"}}));
  tools::ToolResult lent = Read(client, dir_.path() + "/lent/note.txt");
  EXPECT_FALSE(lent.is_error) << lent.text;
  EXPECT_EQ(lent.text, "lent note\n");
  // The deny-list applies inside a lent folder, and nothing else was lent.
  EXPECT_TRUE(Read(client, dir_.path() + "/lent/.env").is_error);
  tools::ToolResult other = Read(client, dir_.path() + "/other/note.txt");
  EXPECT_TRUE(other.is_error);
  EXPECT_NE(other.text.find("EACCES"), npos) << other.text;
}

TEST_F(AServerWithPermissions, WithoutThemReadsNothingBeyondTheWorkspace) {
  McpClient client(Options({}));
  EXPECT_TRUE(Read(client, dir_.path() + "/lent/note.txt").is_error);
}

TEST_F(AServerWithPermissions, HearsItsOwnFoldersAsItsRootsAndTheWorkspaceWithoutThem) {
  McpClient lent(Options({.write_paths = {dir_.path() + "/lent"}}));
  tools::ToolResult probe = lent.CallTool("probe", Json::Value(Json::objectValue), nullptr);
  ASSERT_FALSE(probe.is_error) << probe.text;
  EXPECT_NE(probe.text.find(FileUri(dir_.path() + "/lent")), npos) << probe.text;
  EXPECT_EQ(probe.text.find(FileUri(dir_.path() + "/workspace")), npos) << probe.text;

  McpClient plain(Options({}));
  probe = plain.CallTool("probe", Json::Value(Json::objectValue), nullptr);
  EXPECT_NE(probe.text.find(FileUri(dir_.path() + "/workspace")), npos) << probe.text;
}

TEST_F(AServerWithPermissions, RunsAPackageRunnerOnlyWithNetworkAndACacheOfItsOwn) {
  ClientOptions options = Options({.network = true});
  options.server.command = "npx";
  options.server.args = {"-y", "@modelcontextprotocol/server-everything"};
  McpClient no_cache(options);
  auto tools = no_cache.ListTools();
  ASSERT_FALSE(tools.ok());
  EXPECT_NE(tools.status().message().find("needs a package cache of its own"), npos)
      << tools.status().message();
}

TEST_F(AServerWithPermissions, AreDescribedInWordsAndChangeTheApprovalDigest) {
  EXPECT_EQ(DescribePermissions({}), "network off, no folders beyond the workspace");
  EXPECT_EQ(DescribePermissions({true, {"/srv/docs"}, {"/home/u/notes"}}),
            "network on, reads /srv/docs, reads and writes /home/u/notes");
  ServerConfig server{"fake", "node", {"server.js"}, {}, {}};
  const std::string plain = ServerDigest(server);
  server.permissions.network = true;
  EXPECT_NE(ServerDigest(server), plain);
  server.permissions = {false, {"/srv/docs"}, {}};
  EXPECT_NE(ServerDigest(server), plain);
}

TEST_F(AServerWithPermissions, OffersTheFoldersItsArgumentsName) {
  std::vector<std::string> args = {"-y",
                                   "@modelcontextprotocol/server-filesystem",
                                   dir_.path() + "/lent/",
                                   "--root=" + dir_.path() + "/other",
                                   dir_.path() + "/lent/note.txt",
                                   dir_.path() + "/missing",
                                   "/",
                                   "~/lent"};
  EXPECT_EQ(FoldersNamedIn(args, dir_.path()),
            (std::vector<std::string>{dir_.path() + "/lent", dir_.path() + "/other"}));
  EXPECT_FALSE(CheckLentFolder("/").ok());
  EXPECT_FALSE(CheckLentFolder("relative").ok());
  EXPECT_FALSE(CheckLentFolder(dir_.path() + "/missing").ok());
  EXPECT_TRUE(CheckLentFolder(dir_.path() + "/lent").ok());
}

}  // namespace
}  // namespace hearth::mcp
