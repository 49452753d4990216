// SPDX-License-Identifier: Apache-2.0
#include "mcp/client.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <json/json.h>

#include "testing/files.h"
#include "testing/temp_dir.h"

#ifndef HEARTH_MCP_FAKE_SERVER
#error "HEARTH_MCP_FAKE_SERVER must name tests/mcp/fake_server.mjs"
#endif

namespace hearth::mcp {
namespace {

using unit::ReadFile;
using unit::WriteFile;

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr char kSecret[] = "SECRET-5e1f0a-KEY";

Json::Value Parse(const std::string& text) {
  Json::Value value;
  Json::CharReaderBuilder builder;
  std::string errors;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  EXPECT_TRUE(reader->parse(text.data(), text.data() + text.size(), &value, &errors)) << text;
  return value;
}

Json::Value Args(const std::string& key, const Json::Value& value) {
  Json::Value args(Json::objectValue);
  args[key] = value;
  return args;
}

bool ProcessGone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

class AnMcpClient : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sandbox::LandlockAbi() <= 0) GTEST_SKIP() << "Landlock is not available";
    if (access("/usr/bin/node", X_OK) != 0) GTEST_SKIP() << "node is not installed";
  }

  ClientOptions Options(std::vector<std::string> flags = {}) {
    ClientOptions options;
    options.server.name = "fake";
    options.server.command = "node";
    options.server.args = {HEARTH_MCP_FAKE_SERVER};
    for (std::string& flag : flags) options.server.args.push_back(std::move(flag));
    options.policy.workspace_roots = {workspace_.path()};
    options.home = workspace_.path();
    options.start_timeout = milliseconds(20000);
    options.list_timeout = milliseconds(20000);
    options.call_timeout = milliseconds(20000);
    options.retry_delay = milliseconds(0);
    return options;
  }

  std::unique_ptr<McpClient> Make(ClientOptions options) {
    return std::make_unique<McpClient>(std::move(options));
  }

  static tools::ToolResult Call(McpClient& client, const std::string& tool,
                                const Json::Value& args = Json::Value(Json::objectValue)) {
    return client.CallTool(tool, args, nullptr);
  }

  static pid_t Pid(McpClient& client) {
    tools::ToolResult result = Call(client, "pid");
    EXPECT_FALSE(result.is_error) << result.text;
    return static_cast<pid_t>(std::stol(result.text));
  }

  unit::TempDir workspace_;
};

TEST_F(AnMcpClient, StartsNothingBeforeItsFirstUse) {
  auto client = Make(Options());
  EXPECT_EQ(client->server_pid(), std::nullopt);
  EXPECT_TRUE(client->NeedsListing());
  EXPECT_NE(client->StatusLine().find("not started yet"), std::string::npos);
}

TEST_F(AnMcpClient, ListsToolsAndCallsOne) {
  auto client = Make(Options());
  auto tools = client->ListTools();
  ASSERT_TRUE(tools.ok()) << tools.status().message();
  ASSERT_FALSE(tools->empty());
  EXPECT_EQ(tools->front().name, "echo");
  EXPECT_EQ(tools->front().description, "The echo tool.");
  EXPECT_EQ(tools->front().input_schema["type"].asString(), "object");
  EXPECT_FALSE(client->NeedsListing());

  tools::ToolResult result = Call(*client, "echo", Args("text", "hello, world"));
  EXPECT_FALSE(result.is_error);
  EXPECT_EQ(result.text, "hello, world");
  EXPECT_NE(client->StatusLine().find("running (fake 1.0, MCP 2025-11-25"), std::string::npos)
      << client->StatusLine();
}

TEST_F(AnMcpClient, RecordsEachStartWithHowTheServerIsConfinedAndItsPid) {
  ClientOptions options = Options();
  std::vector<tools::AuditNote> notes;
  options.on_start = [&](const tools::AuditNote& note) { notes.push_back(note); };
  auto client = Make(std::move(options));
  ASSERT_TRUE(client->ListTools().ok());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_EQ(notes[0].tool, "mcp:fake");
  EXPECT_EQ(notes[0].target, std::string("node ") + HEARTH_MCP_FAKE_SERVER);
  EXPECT_NE(notes[0].text.find("started confined by Landlock ABI "), std::string::npos)
      << notes[0].text;
  EXPECT_NE(notes[0].text.find("workspace " + workspace_.path() + " read-write"), std::string::npos)
      << notes[0].text;
  EXPECT_NE(notes[0].text.find("pid " + std::to_string(*client->server_pid())), std::string::npos)
      << notes[0].text;
  Call(*client, "echo", Args("text", "again"));
  EXPECT_EQ(notes.size(), 1u) << "a running server is not started again";
}

TEST_F(AnMcpClient, OffersTheNewestVersionAndItsRootsCapability) {
  auto client = Make(Options());
  Json::Value seen = Parse(Call(*client, "seen").text);
  EXPECT_EQ(seen["initialize"]["protocolVersion"].asString(), kProtocolVersions.front());
  EXPECT_EQ(seen["initialize"]["clientInfo"]["name"].asString(), "hearth");
  EXPECT_TRUE(seen["initialize"]["capabilities"]["roots"].isObject());
  EXPECT_TRUE(seen["initialized"].asBool());
}

TEST_F(AnMcpClient, AcceptsAnOlderVersionTheServerAnswers) {
  auto client = Make(Options({"--version=2024-11-05"}));
  ASSERT_TRUE(client->ListTools().ok());
  EXPECT_EQ(client->protocol_version(), "2024-11-05");
}

TEST_F(AnMcpClient, RefusesAVersionItDoesNotKnow) {
  auto client = Make(Options({"--version=1999-01-01"}));
  auto tools = client->ListTools();
  ASSERT_FALSE(tools.ok());
  EXPECT_EQ(tools.status().code(), Status::Code::kUnsupported);
  EXPECT_NE(tools.status().message().find("\"1999-01-01\""), std::string::npos);
  EXPECT_NE(tools.status().message().find("2025-06-18"), std::string::npos);
  EXPECT_NE(client->StatusLine().find("1999-01-01"), std::string::npos);
  tools::ToolResult result = Call(*client, "echo");
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("1999-01-01"), std::string::npos);
}

TEST_F(AnMcpClient, HandlesListChangedBeforeTheInitializeAnswer) {
  auto client = Make(Options({"--early-list-changed"}));
  auto tools = client->ListTools();
  ASSERT_TRUE(tools.ok()) << tools.status().message();
  EXPECT_FALSE(client->NeedsListing());  // the list was asked for after the notification
  const uint64_t generation = client->listing_generation();

  EXPECT_FALSE(Call(*client, "add_tool").is_error);
  // The notification may follow the answer: wait for it.
  const Steady::time_point deadline = Steady::now() + milliseconds(5000);
  while (!client->NeedsListing() && Steady::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  ASSERT_TRUE(client->NeedsListing());
  tools = client->ListTools();
  ASSERT_TRUE(tools.ok());
  EXPECT_EQ(tools->back().name, "extra");
  EXPECT_GT(client->listing_generation(), generation);
  EXPECT_FALSE(client->NeedsListing());
}

TEST_F(AnMcpClient, FollowsPaginationCursors) {
  auto client = Make(Options({"--page-size=2"}));
  auto tools = client->ListTools();
  ASSERT_TRUE(tools.ok()) << tools.status().message();
  EXPECT_GE(tools->size(), 10u);
  EXPECT_EQ((*tools)[0].name, "echo");
  EXPECT_EQ((*tools)[2].name, "crash");
}

TEST_F(AnMcpClient, ListsNoToolsWhenTheServerOffersNone) {
  auto client = Make(Options({"--no-tools"}));
  auto tools = client->ListTools();
  ASSERT_TRUE(tools.ok()) << tools.status().message();
  EXPECT_TRUE(tools->empty());
}

TEST_F(AnMcpClient, ReportsIsErrorResultsAsErrors) {
  auto client = Make(Options());
  tools::ToolResult result = Call(*client, "fail");
  EXPECT_TRUE(result.is_error);
  EXPECT_EQ(result.text, "it failed on purpose");
}

TEST_F(AnMcpClient, ReportsJsonRpcErrorsAsErrors) {
  auto client = Make(Options());
  tools::ToolResult result = Call(*client, "no_such_tool");
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("Unknown tool: no_such_tool"), std::string::npos) << result.text;
  EXPECT_NE(result.text.find("-32602"), std::string::npos) << result.text;
}

TEST_F(AnMcpClient, RestartsAServerThatCrashedMidCall) {
  auto client = Make(Options());
  const pid_t first = Pid(*client);
  tools::ToolResult result = Call(*client, "crash");
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("exited with status 3"), std::string::npos) << result.text;
  EXPECT_NE(result.text.find("crashing on purpose"), std::string::npos) << result.text;
  EXPECT_EQ(client->server_pid(), std::nullopt);
  EXPECT_NE(client->StatusLine().find("stopped"), std::string::npos) << client->StatusLine();

  result = Call(*client, "echo", Args("text", "again"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text, "again");
  EXPECT_NE(Pid(*client), first);
}

TEST_F(AnMcpClient, StopsAHungServerAtTheTimeoutAndRestartsIt) {
  ClientOptions options = Options();
  options.call_timeout = milliseconds(500);
  auto client = Make(std::move(options));
  const pid_t first = Pid(*client);
  const Steady::time_point start = Steady::now();
  tools::ToolResult result = Call(*client, "hang");
  EXPECT_LT(Steady::now() - start, milliseconds(5000));
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("did not finish the call within 0.5 s"), std::string::npos)
      << result.text;
  // The thread reaps it as soon as the kill lands.
  const Steady::time_point deadline = Steady::now() + milliseconds(5000);
  while (!ProcessGone(first) && Steady::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(ProcessGone(first));

  result = Call(*client, "echo", Args("text", "back"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text, "back");
}

TEST_F(AnMcpClient, TreatsAnOversizedLineAsABrokenServer) {
  ClientOptions options = Options();
  options.max_line_bytes = 64 * 1024;
  auto client = Make(std::move(options));
  tools::ToolResult result = Call(*client, "big", Args("bytes", 200000));
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("longer than 64 KiB"), std::string::npos) << result.text;
  EXPECT_EQ(result.text.find("xxxx"), std::string::npos);

  result = Call(*client, "big", Args("bytes", 1000));  // restarted, and within the limit
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text, std::string(1000, 'x'));
}

TEST_F(AnMcpClient, CapsTheOutput) {
  ClientOptions options = Options();
  options.output_cap = 1000;
  auto client = Make(std::move(options));
  tools::ToolResult result = Call(*client, "big", Args("bytes", 5000));
  EXPECT_FALSE(result.is_error);
  EXPECT_EQ(result.text.substr(0, 1000), std::string(1000, 'x'));
  EXPECT_NE(result.text.find("[output truncated: the first 1000 bytes are shown, 4000 more"),
            std::string::npos)
      << result.text;
}

TEST_F(AnMcpClient, ReturnsPromptlyOnCancelAndTellsTheServer) {
  auto client = Make(Options());
  const pid_t pid = Pid(*client);
  std::atomic<bool> cancel{false};
  std::thread stopper([&] {
    std::this_thread::sleep_for(milliseconds(200));
    cancel.store(true);
  });
  const Steady::time_point start = Steady::now();
  tools::ToolResult result = client->CallTool("hang", Json::Value(Json::objectValue), &cancel);
  const auto elapsed = Steady::now() - start;
  stopper.join();
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("cancelled"), std::string::npos) << result.text;
  EXPECT_LT(elapsed, milliseconds(2000));

  // The server lives on, and heard about it.
  Json::Value seen = Parse(Call(*client, "seen").text);
  ASSERT_EQ(seen["cancelled"].size(), 1u) << seen;
  EXPECT_TRUE(seen["cancelled"][0].isIntegral());
  EXPECT_EQ(Pid(*client), pid);
}

TEST_F(AnMcpClient, AnswersTheServersOwnRequests) {
  auto client = Make(Options());
  tools::ToolResult result = Call(*client, "probe");
  ASSERT_FALSE(result.is_error) << result.text;
  Json::Value answers = Parse(result.text);
  EXPECT_TRUE(answers["ping"]["result"].isObject());
  EXPECT_TRUE(answers["ping"]["result"].empty());
  ASSERT_EQ(answers["roots"]["result"]["roots"].size(), 1u) << answers;
  EXPECT_EQ(answers["roots"]["result"]["roots"][0]["uri"].asString(),
            "file://" + workspace_.path());
  EXPECT_EQ(answers["sampling"]["error"]["code"].asInt(), -32601);
}

TEST_F(AnMcpClient, NotesContentItShowsNot) {
  auto client = Make(Options());
  tools::ToolResult result = Call(*client, "mixed");
  EXPECT_FALSE(result.is_error);
  EXPECT_EQ(result.text,
            "before\n"
            "[image (image/png, 3 KiB): not shown, Hearth passes on only text]\n"
            "[audio (audio/wav, 1 KiB): not shown, Hearth passes on only text]\n"
            "[embedded resource file:///r.txt (text/plain): not shown]\n"
            "[link to resource file:///l.txt \"l.txt\"]\n"
            "[content of type \"hologram\": not shown]\n"
            "after");
  result = Call(*client, "structured");
  EXPECT_EQ(result.text, "{\"answer\":42}");
}

TEST_F(AnMcpClient, SurvivesMalformedAnswers) {
  auto client = Make(Options());
  tools::ToolResult result = Call(*client, "weird");
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text,
            "[a content item that is not an object: not shown]\n"
            "[a content item that is not an object: not shown]\n"
            "[embedded resource: not shown]\n"
            "[content of type \"\": not shown]\n"
            "[a content item that is not an object: not shown]");
  EXPECT_EQ(Call(*client, "echo", Args("text", "fine")).text, "fine");

  auto bad_init = Make(Options({"--bad-init"}));
  auto tools = bad_init->ListTools();
  ASSERT_FALSE(tools.ok());
  EXPECT_NE(tools.status().message().find("does not know"), std::string::npos)
      << tools.status().message();

  auto bad_list = Make(Options({"--bad-list"}));
  tools = bad_list->ListTools();
  ASSERT_FALSE(tools.ok());
  EXPECT_NE(tools.status().message().find("without a \"tools\" array"), std::string::npos)
      << tools.status().message();
  EXPECT_TRUE(bad_list->tools().empty());
}

TEST_F(AnMcpClient, IgnoresWhatIsNotAMessageOnStdout) {
  auto client = Make(Options());
  tools::ToolResult result = Call(*client, "noise");
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text, "after the noise");
}

TEST_F(AnMcpClient, DrainsAChattyStderr) {
  auto client = Make(Options());
  tools::ToolResult result = Call(*client, "stderr_spam");  // 1 MiB: far more than a pipe holds
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text, "said a lot");
}

TEST_F(AnMcpClient, PassesTheConfiguredEnvironmentAndNothingElse) {
  ClientOptions options = Options();
  options.server.env["FAKE_GREETING"] = "bonjour";
  setenv("HEARTH_TEST_LEAK", "leaked", 1);
  auto client = Make(std::move(options));
  EXPECT_EQ(Call(*client, "env", Args("name", "FAKE_GREETING")).text, "bonjour");
  EXPECT_EQ(Call(*client, "env", Args("name", "HEARTH_TEST_LEAK")).text, "(unset)");
  EXPECT_EQ(Call(*client, "env", Args("name", "HOME")).text, workspace_.path());
  unsetenv("HEARTH_TEST_LEAK");
}

TEST_F(AnMcpClient, RunsTheServerInTheSandbox) {
  WriteFile(workspace_.File("notes.txt"), "plain notes");
  WriteFile(workspace_.File(".ssh/id_rsa"), kSecret);
  auto client = Make(Options());
  tools::ToolResult notes = Call(*client, "read", Args("path", workspace_.File("notes.txt")));
  EXPECT_FALSE(notes.is_error) << notes.text;
  EXPECT_EQ(notes.text, "plain notes");

  tools::ToolResult secret = Call(*client, "read", Args("path", workspace_.File(".ssh/id_rsa")));
  EXPECT_TRUE(secret.is_error);
  EXPECT_EQ(secret.text, "cannot read: EACCES");
  EXPECT_EQ(secret.text.find(kSecret), std::string::npos);

  // Nor anything outside the workspace and the system directories.
  unit::TempDir outside;
  WriteFile(outside.File("other.txt"), kSecret);
  tools::ToolResult other = Call(*client, "read", Args("path", outside.File("other.txt")));
  EXPECT_TRUE(other.is_error);
  EXPECT_EQ(other.text.find(kSecret), std::string::npos);
}

TEST_F(AnMcpClient, EndsItsServerWhenDestroyed) {
  auto client = Make(Options());
  const pid_t pid = Pid(*client);
  EXPECT_EQ(client->server_pid(), pid);
  client.reset();
  EXPECT_TRUE(ProcessGone(pid));
}

TEST_F(AnMcpClient, SaysWhyAProgramCouldNotStart) {
  ClientOptions options = Options();
  options.server.command = "/nonexistent/mcp-server";
  auto client = Make(std::move(options));
  auto tools = client->ListTools();
  ASSERT_FALSE(tools.ok());
  EXPECT_NE(tools.status().message().find("/nonexistent/mcp-server"), std::string::npos)
      << tools.status().message();
  EXPECT_NE(client->StatusLine().find("could not start"), std::string::npos)
      << client->StatusLine();
}

TEST_F(AnMcpClient, RefusesPackageRunnersWithoutNetworkAndSaysWhatToDoInstead) {
  for (std::vector<std::string> argv : std::vector<std::vector<std::string>>{
           {"npx", "-y", "@modelcontextprotocol/server-everything"},
           {"/usr/bin/npm", "exec", "@modelcontextprotocol/server-everything"},
           {"uvx", "mcp-server-fetch"}}) {
    ClientOptions options = Options();
    options.server.command = argv.front();
    options.server.args.assign(argv.begin() + 1, argv.end());
    auto client = Make(std::move(options));
    auto tools = client->ListTools();
    ASSERT_FALSE(tools.ok());
    EXPECT_NE(tools.status().message().find("this server has no network"), std::string::npos)
        << tools.status().message();
    EXPECT_NE(tools.status().message().find("tick \"Network\""), std::string::npos);
    EXPECT_NE(tools.status().message().find("install the server first"), std::string::npos);
    EXPECT_EQ(client->server_pid(), std::nullopt);
  }
}

TEST_F(AnMcpClient, WaitsOutTheRetryDelayAfterAFailedStart) {
  ClientOptions options = Options({"--version=1999-01-01"});
  options.retry_delay = milliseconds(60000);
  auto client = Make(std::move(options));
  ASSERT_FALSE(client->ListTools().ok());
  EXPECT_FALSE(client->NeedsListing());
  const Steady::time_point start = Steady::now();
  tools::ToolResult result = Call(*client, "echo");
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("1999-01-01"), std::string::npos);
  EXPECT_LT(Steady::now() - start, milliseconds(100));  // no second start
  EXPECT_EQ(client->server_pid(), std::nullopt);
}

TEST_F(AnMcpClient, QueuesConcurrentCalls) {
  auto client = Make(Options());
  std::vector<std::thread> threads;
  std::vector<tools::ToolResult> results(4);
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back(
        [&, i] { results[i] = Call(*client, "echo", Args("text", "call " + std::to_string(i))); });
  }
  for (auto& thread : threads) thread.join();
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_FALSE(results[i].is_error) << results[i].text;
    EXPECT_EQ(results[i].text, "call " + std::to_string(i));
  }
}

TEST(AServerInstallDir, IsTheOutermostNodeModulesOfAnNpmBinLink) {
  unit::TempDir dir;
  const std::string modules = dir.File("prefix/node_modules");
  WriteFile(modules + "/@scope/server/dist/index.js", "#!/usr/bin/env node\n");
  WriteFile(modules + "/@scope/server/node_modules/dep/index.js", "");
  chmod((modules + "/@scope/server/dist/index.js").c_str(), 0755);
  std::filesystem::create_directories(modules + "/.bin");
  std::filesystem::create_symlink("../@scope/server/dist/index.js", modules + "/.bin/server");

  ServerConfig server{"s", modules + "/.bin/server", {}, {}};
  auto paths = ServerReadOnlyPaths(server, "/", sandbox::SandboxPolicy(), "/nonexistent-home");
  ASSERT_TRUE(paths.ok()) << paths.status().message();
  EXPECT_EQ(*paths, std::vector<std::string>{std::filesystem::canonical(modules).string()});
}

TEST(AServerInstallDir, IsTheScriptsFolderForAnInterpreter) {
  unit::TempDir dir;
  WriteFile(dir.File("server/main.js"), "");
  ServerConfig server{"s", "node", {"--no-warnings", dir.File("server/main.js"), "/data"}, {}};
  auto paths = ServerReadOnlyPaths(server, "/", sandbox::SandboxPolicy(), "/nonexistent-home");
  ASSERT_TRUE(paths.ok()) << paths.status().message();
  EXPECT_EQ(*paths,
            std::vector<std::string>{std::filesystem::canonical(dir.File("server")).string()});
}

TEST(AServerInstallDir, AddsNothingForSystemPrograms) {
  ServerConfig server{"s", "sh", {"-c", "true"}, {}};
  auto paths = ServerReadOnlyPaths(server, "/", sandbox::SandboxPolicy(), "/nonexistent-home");
  ASSERT_TRUE(paths.ok()) << paths.status().message();
  EXPECT_TRUE(paths->empty());
}

TEST(AServerInstallDir, IsRefusedWhenItHoldsProtectedFiles) {
  unit::TempDir dir;
  WriteFile(dir.File("server/main.js"), "");
  WriteFile(dir.File("server/.env"), kSecret);
  ServerConfig server{"s", "node", {dir.File("server/main.js")}, {}};
  auto paths = ServerReadOnlyPaths(server, "/", sandbox::SandboxPolicy(), "/nonexistent-home");
  ASSERT_FALSE(paths.ok());
  EXPECT_EQ(paths.status().code(), Status::Code::kPermissionDenied);
  EXPECT_NE(paths.status().message().find(".env"), std::string::npos);
}

TEST(AServerInstallDir, IsRefusedWhenItIsTheHomeFolder) {
  unit::TempDir home;
  WriteFile(home.File("server.js"), "");
  ServerConfig server{"s", "node", {home.File("server.js")}, {}};
  auto paths = ServerReadOnlyPaths(server, "/", sandbox::SandboxPolicy(), home.path());
  ASSERT_FALSE(paths.ok());
  EXPECT_NE(paths.status().message().find("home folder"), std::string::npos);
}

TEST(AServerInstallDir, IsNotNeededInsideAWorkspaceRoot) {
  unit::TempDir root;
  WriteFile(root.File("tools/server.js"), "");
  sandbox::SandboxPolicy policy;
  policy.workspace_roots = {root.path()};
  ServerConfig server{"s", "node", {root.File("tools/server.js")}, {}};
  auto paths = ServerReadOnlyPaths(server, "/", policy, "/nonexistent-home");
  ASSERT_TRUE(paths.ok()) << paths.status().message();
  EXPECT_TRUE(paths->empty());
}

TEST(AFileUri, PercentEncodesWhatIsNotUnreserved) {
  EXPECT_EQ(FileUri("/home/u/My Project/ü#1"), "file:///home/u/My%20Project/%C3%BC%231");
  EXPECT_EQ(FileUri("/a-b_c.d~e"), "file:///a-b_c.d~e");
}

}  // namespace
}  // namespace hearth::mcp
