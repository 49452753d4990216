// SPDX-License-Identifier: Apache-2.0
// Versions through the daemon: regenerating the last answer keeps the earlier one a step away,
// editing a sent message answers the new version while the old branch stays, and the model is
// sent only the thread shown.
#include <json/json.h>

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

namespace hearth::testing {
namespace {

constexpr auto npos = std::string::npos;

class Versions : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeLlm>();
    ASSERT_TRUE(fake_->ok()) << fake_->Stderr();
    Json::Value provider;
    provider["name"] = "fake";
    provider["type"] = "openai";
    provider["base_url"] = fake_->url() + "/v1";
    provider["default_model"] = "hello";
    Json::Value config;
    config["providers"].append(provider);
    std::filesystem::create_directories(dirs_.root() + "/config/hearth");
    std::ofstream(dirs_.root() + "/config/hearth/config.json") << config.toStyledString();
    daemon_ = std::make_unique<Daemon>(dirs_);
    ASSERT_TRUE(daemon_->WaitReady()) << daemon_->Stderr();
    client_ = std::make_unique<Client>(daemon_->port(), daemon_->AppHost());
    ASSERT_EQ(client_->Login(daemon_->LoginPath()).status, 303);
    HttpResponse r = client_->Post("/conversations", "");
    ASSERT_EQ(r.status, 200);
    std::string url = r.Header("hx-push-url");
    ASSERT_TRUE(url.starts_with("/c/")) << url;
    id_ = url.substr(3);
  }
  void TearDown() override {
    if (daemon_) {
      EXPECT_EQ(daemon_->Terminate().code, 0) << daemon_->Stderr();
    }
  }

  void WaitForEnd() {
    LiveStream live(daemon_->port(), client_->host(), client_->cookie(), id_);
    ASSERT_TRUE(live.WaitFor("event: end")) << live.text();
  }
  void Send(const std::string& text) {
    HttpResponse sent = client_->Post("/c/" + id_ + "/messages", "content=" + FormEncode(text));
    ASSERT_EQ(sent.status, 200) << sent.body;
    WaitForEnd();
  }
  std::string Page() { return client_->Get("/c/" + id_).body; }
  // The ids of the messages the page shows, in order.
  static std::vector<std::string> MessageIds(const std::string& page) {
    std::vector<std::string> ids;
    std::regex pattern("<li id=\"msg-([0-9]+)\"");
    for (auto it = std::sregex_iterator(page.begin(), page.end(), pattern);
         it != std::sregex_iterator(); ++it) {
      ids.push_back((*it)[1]);
    }
    return ids;
  }
  // The roles and texts of the conversation a chat request sent, without the system prompt.
  static std::vector<std::string> Sent(const Json::Value& request) {
    std::vector<std::string> out;
    for (const Json::Value& m : request["body"]["messages"]) {
      if (m["role"].asString() == "system") continue;
      out.push_back(m["role"].asString() + ": " + m["content"].asString());
    }
    return out;
  }

  UserDirs dirs_;
  std::unique_ptr<FakeLlm> fake_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
  std::string id_;
};

TEST_F(Versions, RegeneratingKeepsTheEarlierAnswerAStepBack) {
  Send("Which markdown do you know?");
  std::vector<std::string> before = MessageIds(Page());
  ASSERT_EQ(before.size(), 2u);

  HttpResponse r = client_->Post("/c/" + id_ + "/regenerate", "");
  ASSERT_EQ(r.status, 200) << r.body;
  WaitForEnd();
  std::string page = Page();
  std::vector<std::string> after = MessageIds(page);
  ASSERT_EQ(after.size(), 2u) << page;
  EXPECT_EQ(after[0], before[0]);
  EXPECT_NE(after[1], before[1]);
  EXPECT_NE(page.find(">2/2<"), npos) << page;
  EXPECT_NE(page.find("hx-post=\"/c/" + id_ + "/messages/" + before[1] + "/show\""), npos);

  // The model was asked the question again, without the earlier answer.
  std::vector<Json::Value> chats = fake_->ChatRequests();
  ASSERT_EQ(chats.size(), 2u);
  EXPECT_EQ(Sent(chats[1]), std::vector<std::string>{"user: Which markdown do you know?"});

  // Stepping back shows the earlier answer, and forward the new one.
  r = client_->Post("/c/" + id_ + "/messages/" + before[1] + "/show", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(MessageIds(r.body), before);
  EXPECT_NE(r.body.find(">1/2<"), npos);
  EXPECT_EQ(MessageIds(Page()), before);
  r = client_->Post("/c/" + id_ + "/messages/" + after[1] + "/show", "");
  EXPECT_EQ(MessageIds(r.body), after);
}

TEST_F(Versions, AnEditedMessageIsAnsweredAndTheOldBranchStays) {
  Send("first wording");
  std::vector<std::string> first = MessageIds(Page());
  ASSERT_EQ(first.size(), 2u);

  HttpResponse form = client_->Get("/c/" + id_ + "/messages/" + first[0] + "/edit");
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find(">first wording</textarea>"), npos) << form.body;

  HttpResponse r = client_->Post("/c/" + id_ + "/messages/" + first[0] + "/edit",
                                 "content=" + FormEncode("second wording"));
  ASSERT_EQ(r.status, 200) << r.body;
  WaitForEnd();
  std::string page = Page();
  std::vector<std::string> second = MessageIds(page);
  ASSERT_EQ(second.size(), 2u) << page;
  EXPECT_NE(second[0], first[0]);
  EXPECT_EQ(page.find("first wording"), npos);
  EXPECT_NE(page.find("second wording"), npos);

  std::vector<Json::Value> chats = fake_->ChatRequests();
  ASSERT_EQ(chats.size(), 2u);
  EXPECT_EQ(Sent(chats[1]), std::vector<std::string>{"user: second wording"});

  // The old wording and its answer are one step back.
  r = client_->Post("/c/" + id_ + "/messages/" + first[0] + "/show", "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(MessageIds(r.body), first);
  EXPECT_NE(r.body.find("first wording"), npos);

  // A message sent now follows the thread shown.
  Send("and then?");
  std::vector<Json::Value> later = fake_->ChatRequests();
  ASSERT_EQ(later.size(), 3u);
  std::vector<std::string> sent = Sent(later[2]);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0], "user: first wording");
  EXPECT_EQ(sent[2], "user: and then?");
}

TEST_F(Versions, BadRequestsSayWhatToDoAndChangeNothing) {
  HttpResponse r = client_->Post("/c/" + id_ + "/regenerate", "");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("send one first"), npos) << r.body;

  Send("a question");
  std::vector<std::string> ids = MessageIds(Page());
  ASSERT_EQ(ids.size(), 2u);
  r = client_->Post("/c/" + id_ + "/messages/" + ids[0] + "/edit", "content=%20%0D%0A");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("empty"), npos) << r.body;
  r = client_->Post("/c/" + id_ + "/messages/" + ids[1] + "/edit", "content=x");
  EXPECT_EQ(r.status, 400) << r.body;

  // Another conversation's message cannot be reached from this one.
  HttpResponse other = client_->Post("/conversations", "");
  std::string other_id = other.Header("hx-push-url").substr(3);
  r = client_->Post("/c/" + other_id + "/messages/" + ids[0] + "/show", "");
  EXPECT_EQ(r.status, 404) << r.body;
  r = client_->Post("/c/" + id_ + "/messages/999999/show", "");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(MessageIds(Page()), ids);
  EXPECT_EQ(fake_->ChatRequests().size(), 1u);
}

TEST_F(Versions, NothingMovesWhileAnAnswerIsComing) {
  Send("a question");
  std::vector<std::string> ids = MessageIds(Page());
  ASSERT_EQ(ids.size(), 2u);
  // The next answer hangs after its first words, until Stop.
  ASSERT_EQ(client_->Post("/c/" + id_ + "/options", "model=hang").status, 204);
  ASSERT_EQ(client_->Post("/c/" + id_ + "/regenerate", "").status, 200);
  fake_->WaitForRequests([](const Json::Value& all) { return all.size() >= 2; });

  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"/regenerate", ""},
           {"/messages/" + ids[1] + "/show", ""},
           {"/messages/" + ids[0] + "/edit", "content=other"}}) {
    HttpResponse r = client_->Post("/c/" + id_ + path, body);
    EXPECT_EQ(r.status, 503) << path;
    EXPECT_NE(r.body.find("still answering"), npos) << path << ": " << r.body;
  }
  ASSERT_EQ(client_->Post("/c/" + id_ + "/stop", "").status, 204);
  WaitForEnd();
  // The stopped answer is the second version; the first is still a step back.
  std::string page = Page();
  EXPECT_NE(page.find(">2/2<"), npos) << page;
  EXPECT_NE(page.find("Let me think"), npos) << page;
  EXPECT_EQ(fake_->ChatRequests().size(), 2u);
}

}  // namespace
}  // namespace hearth::testing
