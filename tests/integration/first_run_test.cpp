// SPDX-License-Identifier: Apache-2.0
// A first run without a model server: the welcome view says one is needed and links to Settings,
// loads the servers answering on the usual loopback ports (pointed here at the fake server with
// the test-only HEARTH_TEST_PROBE_PORTS) and saves one in one click; a message sent meanwhile
// gets a notice that links to Settings and is still there after a reload (until a server is
// configured).
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "fake_llm.h"
#include "harness.h"
#include "live_stream.h"

namespace hearth::testing {
namespace {

constexpr auto npos = std::string::npos;

// A loopback port that accepts connections (the kernel's backlog) but never answers: a hung
// server, which the probe must give up on.
class SilentPort {
 public:
  SilentPort() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(fd_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        listen(fd_.get(), 8) != 0 ||
        getsockname(fd_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  uint16_t port() const { return port_; }

 private:
  UniqueFd fd_;
  uint16_t port_ = 0;
};

class FirstRun : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeLlm>();
    ASSERT_TRUE(fake_->ok()) << fake_->Stderr();
    ASSERT_NE(silent_.port(), 0);
    // Ollama's and llama-server's usual ports lead to the fake server (it answers both APIs),
    // vLLM's to a port that never answers; LM Studio's is not probed at all.
    std::string fake = std::to_string(fake_->port());
    setenv("HEARTH_TEST_PROBE_PORTS",
           ("11434=" + fake + ",8080=" + fake + ",8000=" + std::to_string(silent_.port())).c_str(),
           1);
    daemon_ = std::make_unique<Daemon>(dirs_);
    ASSERT_TRUE(daemon_->WaitReady()) << daemon_->Stderr();
    client_ = std::make_unique<Client>(daemon_->port(), daemon_->AppHost());
    ASSERT_EQ(client_->Login(daemon_->LoginPath()).status, 303);
  }
  void TearDown() override {
    unsetenv("HEARTH_TEST_PROBE_PORTS");
    if (daemon_) {
      EXPECT_EQ(daemon_->Terminate().code, 0) << daemon_->Stderr();
    }
  }

  HttpResponse FullPage(const std::string& path) {
    return client_->Get(path, {{"HX-Request", ""}});
  }
  std::string NewConversation() {
    HttpResponse r = client_->Post("/conversations", "");
    EXPECT_EQ(r.status, 200);
    std::string url = r.Header("hx-push-url");
    EXPECT_TRUE(url.starts_with("/c/")) << url;
    return url.substr(std::min<size_t>(3, url.size()));
  }

  SilentPort silent_;
  UserDirs dirs_;
  std::unique_ptr<FakeLlm> fake_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

TEST_F(FirstRun, WelcomeSaysAModelServerIsNeededAndLoadsTheServersFoundAfterwards) {
  HttpResponse home = FullPage("/");
  ASSERT_EQ(home.status, 200);
  EXPECT_NE(home.body.find("Hearth needs a model server"), npos) << home.body;
  EXPECT_NE(home.body.find("<a href=\"/settings\">Settings</a>"), npos);
  // The probe is not on the page's path: the page asks for it once shown.
  EXPECT_NE(home.body.find("hx-get=\"/welcome/servers\" hx-trigger=\"load\""), npos);
  EXPECT_TRUE(fake_->Requests().empty()) << fake_->Requests().toStyledString();
}

TEST_F(FirstRun, FindsTheServersAnsweringOnTheUsualPortsAndNotAHungOne) {
  HttpResponse found = client_->Get("/welcome/servers");
  ASSERT_EQ(found.status, 200);
  const std::string fake = std::to_string(fake_->port());
  EXPECT_NE(
      found.body.find("<strong>Ollama</strong> at <code>http://127.0.0.1:" + fake + "</code>"),
      npos)
      << found.body;
  EXPECT_NE(found.body.find("<strong>llama-server</strong> at <code>http://127.0.0.1:" + fake +
                            "/v1</code>"),
            npos);
  EXPECT_NE(found.body.find("<option value=\"hello\">hello</option>"), npos);
  EXPECT_NE(found.body.find("name=\"port\" value=\"8080\""), npos);
  EXPECT_EQ(found.body.find("vLLM"), npos) << "a port that never answers is not offered";
  EXPECT_EQ(found.body.find("LM Studio"), npos);
  // Each API was asked on its own route.
  bool tags = false, models = false;
  for (const Json::Value& r : fake_->AllRequests()) {
    tags |= r["path"].asString() == "/api/tags";
    models |= r["path"].asString() == "/v1/models";
  }
  EXPECT_TRUE(tags && models) << fake_->AllRequests().toStyledString();
}

TEST_F(FirstRun, OneClickSavesTheServerAsTheDefaultAndItAnswers) {
  ASSERT_EQ(client_->Get("/welcome/servers").status, 200);
  HttpResponse used = client_->Post("/welcome/servers/use", "port=8080&model=hello");
  ASSERT_EQ(used.status, 200) << used.body;
  EXPECT_NE(used.body.find("Hearth answers with <code>hello</code> on llama-server"), npos)
      << used.body;

  HttpResponse home = FullPage("/");
  EXPECT_EQ(home.body.find("Hearth needs a model server"), npos);
  HttpResponse settings = FullPage("/settings");
  EXPECT_NE(
      settings.body.find("hello on http://127.0.0.1:" + std::to_string(fake_->port()) + "/v1"),
      npos)
      << settings.body;

  std::string id = NewConversation();
  ASSERT_EQ(client_->Post("/c/" + id + "/messages", "content=hi").status, 200);
  LiveStream live(daemon_->port(), client_->host(), client_->cookie(), id);
  ASSERT_TRUE(live.WaitFor("event: end")) << live.text();
  bool asked = false;
  for (const Json::Value& r : fake_->Requests()) {
    asked |= r["path"].asString() == "/v1/chat/completions" && r["body"]["model"] == "hello";
  }
  EXPECT_TRUE(asked) << fake_->Requests().toStyledString();
}

TEST_F(FirstRun, OneClickRefusesWhatWasNotFound) {
  HttpResponse other = client_->Post("/welcome/servers/use", "port=9999&model=hello");
  EXPECT_EQ(other.status, 400);
  EXPECT_NE(other.body.find("add any other in Settings"), npos) << other.body;
  HttpResponse unprobed = client_->Post("/welcome/servers/use", "port=1234&model=hello");
  EXPECT_EQ(unprobed.status, 400);
  HttpResponse hung = client_->Post("/welcome/servers/use", "port=8000");
  EXPECT_EQ(hung.status, 503);
  EXPECT_NE(hung.body.find("vLLM no longer answers"), npos) << hung.body;
  HttpResponse unlisted = client_->Post("/welcome/servers/use", "port=8080&model=nosuch");
  EXPECT_EQ(unlisted.status, 400);
  EXPECT_NE(unlisted.body.find("does not list the model"), npos) << unlisted.body;
  // Another site cannot choose the user's model server.
  HttpResponse forged = client_->Post("/welcome/servers/use", "port=8080&model=hello",
                                      {{"Origin", "http://evil.example"}, {"HX-Request", ""}});
  EXPECT_EQ(forged.status, 403);
  EXPECT_NE(FullPage("/").body.find("Hearth needs a model server"), npos) << "nothing was saved";
}

TEST_F(FirstRun, TheNoServerNoticeLinksToSettingsAndSurvivesAReload) {
  std::string id = NewConversation();
  HttpResponse sent = client_->Post("/c/" + id + "/messages", "content=hello there");
  ASSERT_EQ(sent.status, 200);
  EXPECT_NE(sent.body.find("No model is configured, so nothing can answer yet"), npos) << sent.body;
  EXPECT_NE(sent.body.find("<a href=\"/settings\">Open Settings</a>"), npos);
  HttpResponse reloaded = FullPage("/c/" + id);
  ASSERT_EQ(reloaded.status, 200);
  EXPECT_NE(reloaded.body.find("hello there"), npos);
  EXPECT_NE(reloaded.body.find("No model is configured, so nothing can answer yet"), npos)
      << reloaded.body;
  EXPECT_NE(reloaded.body.find("<a href=\"/settings\">Open Settings</a>"), npos);
  // It says how things are now, so it is gone once a server is configured.
  ASSERT_EQ(client_->Get("/welcome/servers").status, 200);
  ASSERT_EQ(client_->Post("/welcome/servers/use", "port=8080&model=hello").status, 200);
  HttpResponse configured = FullPage("/c/" + id);
  EXPECT_NE(configured.body.find("hello there"), npos);
  EXPECT_EQ(configured.body.find("No model is configured"), npos);
}

}  // namespace
}  // namespace hearth::testing
