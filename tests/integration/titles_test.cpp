// SPDX-License-Identifier: Apache-2.0
// Conversations get a title from their first exchange, asked of the model once the answer is
// in (a short unstreamed request), or the first words of the message when the model gives none;
// the page's list and heading follow; a title the user set stays.
#include <json/json.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fake_llm.h"
#include "harness.h"
#include "live_stream.h"

namespace hearth::testing {
namespace {

constexpr auto npos = std::string::npos;

class Titles : public ::testing::Test {
 protected:
  void TearDown() override {
    if (daemon_) {
      EXPECT_EQ(daemon_->Terminate().code, 0) << daemon_->Stderr();
    }
  }

  void Start(const std::string& model) {
    fake_ = std::make_unique<FakeLlm>();
    ASSERT_TRUE(fake_->ok()) << fake_->Stderr();
    Json::Value provider;
    provider["name"] = "fake";
    provider["type"] = "openai";
    provider["base_url"] = fake_->url() + "/v1";
    provider["default_model"] = model;
    Json::Value config;
    config["providers"].append(provider);
    std::filesystem::create_directories(dirs_.root() + "/config/hearth");
    std::ofstream(dirs_.root() + "/config/hearth/config.json") << config.toStyledString();
    daemon_ = std::make_unique<Daemon>(dirs_);
    ASSERT_TRUE(daemon_->WaitReady()) << daemon_->Stderr();
    client_ = std::make_unique<Client>(daemon_->port(), daemon_->AppHost());
    ASSERT_EQ(client_->Login(daemon_->LoginPath()).status, 303);
    events_ = std::make_unique<EventReader>(daemon_->port(), client_->cookie(), client_->host());
    ASSERT_TRUE(events_->ok());
    ASSERT_TRUE(events_->WaitFor("connected"));
  }

  std::string NewConversation() {
    HttpResponse r = client_->Post("/conversations", "");
    EXPECT_EQ(r.status, 200);
    std::string url = r.Header("hx-push-url");
    EXPECT_TRUE(url.starts_with("/c/")) << url;
    return url.substr(std::min<size_t>(3, url.size()));
  }
  void RunToEnd(const std::string& id, const std::string& text) {
    HttpResponse sent = client_->Post("/c/" + id + "/messages", "content=" + FormEncode(text));
    ASSERT_EQ(sent.status, 200) << sent.body;
    LiveStream live(daemon_->port(), client_->host(), client_->cookie(), id);
    ASSERT_TRUE(live.WaitFor("event: end")) << live.text();
  }

  UserDirs dirs_;
  std::unique_ptr<FakeLlm> fake_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<EventReader> events_;  // a page's /events stream, open from the start
};

TEST_F(Titles, AreAskedOfTheModelAfterTheFirstAnswerAndReachThePage) {
  Start("titled");
  std::string id = NewConversation();
  RunToEnd(id, "What should I pack for a week in Lisbon in March?");

  // The page showing the conversation gets its heading and document title; every page's list
  // is told to reload.
  ASSERT_TRUE(events_->WaitFor("event: title-" + id)) << events_->received();
  EXPECT_NE(events_->received().find(
                "<h1 id=\"conversation-title\" hx-swap-oob=\"true\">Packing for Lisbon</h1>"),
            npos)
      << events_->received();
  EXPECT_NE(events_->received().find("<title>Packing for Lisbon · Hearth</title>"), npos);
  EXPECT_TRUE(events_->WaitFor("data: titled")) << events_->received();
  EXPECT_NE(client_->Get("/conversations").body.find(">Packing for Lisbon<"), npos);
  HttpResponse page = client_->Get("/c/" + id);
  EXPECT_NE(page.body.find("<h1 id=\"conversation-title\">Packing for Lisbon</h1>"), npos);
  EXPECT_NE(page.body.find("sse-swap=\"title-" + id + "\""), npos);

  // One short request, unstreamed, without tools, sent once the answer was complete.
  std::vector<Json::Value> chats = fake_->ChatRequests();
  std::vector<Json::Value> titles = fake_->TitleRequests();
  ASSERT_EQ(chats.size(), 1u);
  ASSERT_EQ(titles.size(), 1u);
  const Json::Value& answer = chats[0];
  const Json::Value& title = titles[0];
  EXPECT_TRUE(answer["body"]["stream"].asBool());
  EXPECT_FALSE(title["body"]["stream"].asBool());
  EXPECT_FALSE(title["body"].isMember("tools"));
  EXPECT_GE(title["received_at"].asInt64(), answer["completed_at"].asInt64());
  std::string asked = title["body"]["messages"][1]["content"].asString();
  EXPECT_NE(asked.find("What should I pack"), npos) << asked;
  EXPECT_NE(asked.find("Pack light"), npos) << asked;

  // A second exchange asks for no other title.
  RunToEnd(id, "And shoes?");
  EXPECT_EQ(fake_->TitleRequests().size(), 1u);
}

TEST_F(Titles, AreTheFirstWordsOfTheMessageWhenTheModelGivesNone) {
  // `streamed` has no unstreamed answer: the server says 404, model not found.
  Start("streamed");
  std::string id = NewConversation();
  RunToEnd(id, "Tell me\nabout the answer to everything, please, in detail");
  ASSERT_TRUE(events_->WaitFor("event: title-" + id)) << events_->received();
  EXPECT_NE(client_->Get("/conversations").body.find(">Tell me about the answer to…<"), npos)
      << client_->Get("/conversations").body;
}

TEST_F(Titles, SetByTheUserAreNeverReplaced) {
  Start("titled");
  std::string mine = NewConversation();
  ASSERT_EQ(client_->Post("/c/" + mine + "/rename", "title=Mine").status, 200);
  RunToEnd(mine, "What should I pack for a week in Lisbon in March?");
  // Titles are made one at a time, in order: once the next conversation has its title, the
  // first would have had one.
  std::string other = NewConversation();
  RunToEnd(other, "What should I pack for a week in Lisbon in March?");
  ASSERT_TRUE(events_->WaitFor("event: title-" + other)) << events_->received();
  EXPECT_EQ(events_->received().find("event: title-" + mine + "\n"), npos);
  EXPECT_EQ(fake_->TitleRequests().size(), 1u);
  std::string list = client_->Get("/conversations").body;
  EXPECT_NE(list.find(">Mine<"), npos) << list;
  EXPECT_NE(list.find(">Packing for Lisbon<"), npos) << list;
}

}  // namespace
}  // namespace hearth::testing
