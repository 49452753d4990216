// SPDX-License-Identifier: Apache-2.0
// MCP servers managed in Settings, in the real daemon: adding one starts it and shows its tools
// or why it failed; removing one asks first and ends its process, even while a run holds its
// tools; editing one restarts it and its tools ask again; every tool card and approval names
// the server. The MCP server is tests/mcp/fake_server.mjs, run by node in Hearth's sandbox.
#include <signal.h>

#include <json/json.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_llm.h"
#include "harness.h"
#include "live_stream.h"
#include "sandbox/landlock.h"

#ifndef HEARTH_MCP_FAKE_SERVER
#error "HEARTH_MCP_FAKE_SERVER must name tests/mcp/fake_server.mjs"
#endif

namespace hearth::testing {
namespace {

constexpr auto npos = std::string::npos;

bool Alive(pid_t pid) { return kill(pid, 0) == 0 || errno != ESRCH; }

class McpSettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (sandbox::LandlockAbi() <= 0) GTEST_SKIP() << "Landlock is not available";
  }
  void TearDown() override {
    if (daemon_) {
      ExitStatus exit = daemon_->Terminate();
      EXPECT_TRUE(exit.exited && exit.code == 0) << daemon_->Stderr();
    }
  }

  std::string Home(const std::string& relative) const { return dirs_.root() + "/" + relative; }

  // A daemon with a workspace, whose model (model "echo") calls fake__echo in each new
  // conversation, then answers.
  void Start() {
    FakeLlm::Options options;
    Json::Value args;
    args["text"] = "hello from MCP";
    options.transcripts["echo.0.sse"] = SseToolCalls("echo", {{"call_echo", "fake__echo", args}});
    options.transcripts["echo.1.sse"] = SseAnswer("echo", "The server answered.");
    fake_ = std::make_unique<FakeLlm>(std::move(options));
    ASSERT_TRUE(fake_->ok()) << fake_->Stderr();
    std::filesystem::create_directories(Home("proj"));
    Json::Value provider;
    provider["name"] = "fake";
    provider["type"] = "openai";
    provider["base_url"] = fake_->url() + "/v1";
    provider["default_model"] = "echo";
    Json::Value config;
    config["providers"].append(provider);
    config["workspace_roots"].append(Home("proj"));
    std::filesystem::create_directories(Home("config/hearth"));
    std::ofstream(Home("config/hearth/config.json")) << config.toStyledString();
    daemon_ = std::make_unique<Daemon>(dirs_);
    ASSERT_TRUE(daemon_->WaitReady()) << daemon_->Stderr();
    client_ = std::make_unique<Client>(daemon_->port(), daemon_->AppHost());
    ASSERT_EQ(client_->Login(daemon_->LoginPath()).status, 303);
  }

  HttpResponse AddFakeServer(const std::string& extra = "") {
    return client_->Post("/settings/mcp/add", "name=fake&command=node&args=" +
                                                  FormEncode(HEARTH_MCP_FAKE_SERVER) + extra);
  }

  // The pid of the newest start of the server, from the audit log on the settings page.
  pid_t NewestPid() {
    std::string page = client_->Get("/settings").body;
    std::smatch match;
    if (!std::regex_search(page, match, std::regex("; pid ([0-9]+)"))) {
      ADD_FAILURE() << "no start in the audit log: " << page;
      return 0;
    }
    return static_cast<pid_t>(std::stol(match[1]));
  }

  std::string NewConversation() {
    HttpResponse r = client_->Post("/conversations", "");
    EXPECT_EQ(r.status, 200);
    std::string url = r.Header("hx-push-url");
    EXPECT_TRUE(url.starts_with("/c/")) << url;
    return url.substr(std::min<size_t>(3, url.size()));
  }
  // Waits until the run asks for an approval; returns the tool message's
  // id, from the approval form.
  std::string WaitForApproval(LiveStream& live) {
    EXPECT_TRUE(live.WaitFor("form class=\"approval\"")) << live.text();
    std::smatch match;
    std::string text = live.text();
    if (!std::regex_search(text, match, std::regex("name=\"message\" value=\"([0-9]+)\""))) {
      ADD_FAILURE() << text;
      return "";
    }
    return match[1];
  }
  std::string View(const std::string& id) { return client_->Get("/c/" + id).body; }

  UserDirs dirs_;
  std::unique_ptr<FakeLlm> fake_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

TEST_F(McpSettingsTest, AddingAServerStartsItAndShowsItsToolsAtOnce) {
  ASSERT_NO_FATAL_FAILURE(Start());
  HttpResponse added = AddFakeServer();
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_NE(added.body.find("MCP server &quot;fake&quot;: running"), npos) << added.body;
  EXPECT_NE(added.body.find("Its tools: <code>echo</code>"), npos) << added.body;
  EXPECT_NE(added.body.find("May reach: network off, no folders beyond the workspace"), npos);
  pid_t pid = NewestPid();
  EXPECT_TRUE(pid > 0 && Alive(pid));
}

TEST_F(McpSettingsTest, AddingAServerThatFailsShowsTheEndOfItsStderrAtOnce) {
  ASSERT_NO_FATAL_FAILURE(Start());
  HttpResponse added = client_->Post(
      "/settings/mcp/add",
      "name=broken&command=node&args=-e%0A" +
          FormEncode(
              "process.stderr.write('broken: GITHUB_TOKEN is not set\\n'); process.exit(2)"));
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_NE(added.body.find("broken: GITHUB_TOKEN is not set"), npos) << added.body;
  EXPECT_NE(added.body.find("exited with status 2"), npos) << added.body;
}

TEST_F(McpSettingsTest, RemovingAServerAsksFirstThenEndsItsProcessEvenDuringARun) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_EQ(AddFakeServer().status, 200);
  pid_t pid = NewestPid();
  ASSERT_TRUE(pid > 0 && Alive(pid));

  // A run waits for the approval of the server's tool, holding its tools meanwhile. The form
  // and the card name the server, and what it may reach.
  std::string id = NewConversation();
  ASSERT_EQ(client_->Post("/c/" + id + "/messages", "content=Echo").status, 200);
  LiveStream live(daemon_->port(), client_->host(), client_->cookie(), id);
  std::string message = WaitForApproval(live);
  ASSERT_FALSE(message.empty());
  std::string view = View(id);
  EXPECT_NE(view.find("<span class=\"tool-origin\">from MCP server fake</span>"), npos) << view;
  EXPECT_NE(view.find("From MCP server <strong>fake</strong>, which may reach: network off, no "
                      "folders beyond the workspace"),
            npos)
      << view;

  // Remove asks first (a fragment with its own form), and changes nothing meanwhile.
  HttpResponse asked = client_->Get("/settings/mcp/remove?name=fake");
  ASSERT_EQ(asked.status, 200) << asked.body;
  EXPECT_NE(asked.body.find("Remove the MCP server “fake”?"), npos) << asked.body;
  EXPECT_NE(asked.body.find("hx-post=\"/settings/mcp/remove\""), npos) << asked.body;
  EXPECT_TRUE(Alive(pid));

  HttpResponse removed = client_->Post("/settings/mcp/remove", "name=fake");
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(removed.body.find("<strong>fake</strong>"), npos) << removed.body;
  // Reaped before the answer: no waiting needed.
  EXPECT_FALSE(Alive(pid)) << "the removed server's process " << pid << " still runs";

  // Allowed after all, the call fails with why; the run ends.
  ASSERT_EQ(client_->Post("/c/" + id + "/approve", "message=" + message + "&decision=once").status,
            204);
  EXPECT_TRUE(live.WaitFor("event: end")) << live.text();
  EXPECT_NE(View(id).find("was removed or changed in Settings, and Hearth stopped it"), npos);
}

TEST_F(McpSettingsTest, EditingAServerRestartsItAndItsToolsAskAgain) {
  ASSERT_NO_FATAL_FAILURE(Start());
  ASSERT_EQ(AddFakeServer().status, 200);
  pid_t first = NewestPid();
  ASSERT_GT(first, 0);

  // Always allowed: the next conversation's call runs without asking.
  std::string id = NewConversation();
  ASSERT_EQ(client_->Post("/c/" + id + "/messages", "content=Echo").status, 200);
  {
    LiveStream live(daemon_->port(), client_->host(), client_->cookie(), id);
    std::string message = WaitForApproval(live);
    ASSERT_EQ(
        client_->Post("/c/" + id + "/approve", "message=" + message + "&decision=always").status,
        204);
    ASSERT_TRUE(live.WaitFor("event: end")) << live.text();
  }
  std::string again = NewConversation();
  ASSERT_EQ(client_->Post("/c/" + again + "/messages", "content=Echo").status, 200);
  {
    LiveStream live(daemon_->port(), client_->host(), client_->cookie(), again);
    ASSERT_TRUE(live.WaitFor("event: end")) << live.text();
    EXPECT_EQ(live.text().find("form class=\"approval\""), npos) << live.text();
  }
  EXPECT_TRUE(Alive(first));

  // The edit form shows what is set, never the environment's values.
  HttpResponse form = client_->Get("/settings/mcp/edit?name=fake");
  ASSERT_EQ(form.status, 200) << form.body;
  EXPECT_NE(form.body.find("hx-post=\"/settings/mcp/edit\""), npos) << form.body;
  EXPECT_NE(form.body.find(HEARTH_MCP_FAKE_SERVER), npos) << form.body;

  // A new environment: the old process is gone, a new one runs, and the tool asks again.
  HttpResponse edited = client_->Post(
      "/settings/mcp/edit",
      "name=fake&command=node&args=" + FormEncode(HEARTH_MCP_FAKE_SERVER) + "&env=MODE%3D2");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_NE(edited.body.find("with MODE set"), npos) << edited.body;
  EXPECT_NE(edited.body.find("Its tools: <code>echo</code>"), npos) << edited.body;
  EXPECT_FALSE(Alive(first)) << "the edited server's old process " << first << " still runs";
  pid_t second = NewestPid();
  EXPECT_TRUE(second > 0 && second != first && Alive(second));

  std::string third = NewConversation();
  ASSERT_EQ(client_->Post("/c/" + third + "/messages", "content=Echo").status, 200);
  LiveStream live(daemon_->port(), client_->host(), client_->cookie(), third);
  EXPECT_FALSE(WaitForApproval(live).empty());
}

TEST_F(McpSettingsTest, OffersTheFoldersItsArgumentsNameAndRefusesFoldersThatAreNot) {
  ASSERT_NO_FATAL_FAILURE(Start());
  std::filesystem::create_directories(Home("notes"));
  HttpResponse offered =
      client_->Post("/settings/mcp/folders", "form_prefix=mcp&args=-y%0Aserver%0A" +
                                                 FormEncode(Home("notes")) + "%0A--root=%2F");
  ASSERT_EQ(offered.status, 200) << offered.body;
  EXPECT_NE(offered.body.find("Its arguments name <code>" + Home("notes") + "</code>"), npos)
      << offered.body;
  EXPECT_NE(offered.body.find(">" + Home("notes") + "\n</textarea>"), npos) << offered.body;

  HttpResponse missing = AddFakeServer("&read_paths=" + FormEncode(Home("nowhere")));
  EXPECT_EQ(missing.status, 404) << missing.body;
  EXPECT_NE(missing.body.find("is not an existing folder"), npos) << missing.body;
  EXPECT_EQ(AddFakeServer("&write_paths=%2F").status, 400);

  HttpResponse added = AddFakeServer("&network=on&read_paths=" + FormEncode(Home("notes")));
  ASSERT_EQ(added.status, 200) << added.body;
  EXPECT_NE(added.body.find("May reach: network on, reads " + Home("notes")), npos) << added.body;
}

}  // namespace
}  // namespace hearth::testing
