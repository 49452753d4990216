// SPDX-License-Identifier: Apache-2.0
// The limits of real model servers, met by the real daemon answering from the fake one as they
// would: an answer the server cut off (finish_reason "length" or "content_filter", Ollama's
// done_reason) is marked incomplete with the reason in words; each answer shows its tokens and
// speed; a server's own first-byte and idle timeouts end a request and the error names the one
// that did; a conversation longer than the model's context leaves out its oldest turns, and says
// so, instead of failing.
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
#include "store/store.h"

namespace hearth::testing {
namespace {

constexpr auto npos = std::string::npos;

// The part of a page from the conversation's last message with `role` to the next message (an
// answer's Markdown has list items of its own).
std::string LastItem(const std::string& page, const std::string& role) {
  size_t at = page.rfind("class=\"message " + role);
  if (at == npos) return {};
  size_t start = page.rfind("<li id=\"msg-", at);
  size_t end = page.find("<li id=\"msg-", at);
  return page.substr(start, end == npos ? npos : end - start);
}

class ModelLimitsTest : public ::testing::Test {
 protected:
  void TearDown() override { StopDaemon(); }

  // Starts the fake server (`transcripts`, or the shared ones) and the daemon, whose only
  // provider is the fake with `model`, of `type`, and `provider_extra`'s keys.
  void Start(FakeLlm::Options transcripts, const std::string& model, const std::string& type,
             const Json::Value& provider_extra = Json::Value(Json::objectValue)) {
    fake_ = std::make_unique<FakeLlm>(std::move(transcripts));
    ASSERT_TRUE(fake_->ok()) << fake_->Stderr();
    Json::Value provider = provider_extra;
    provider["name"] = "fake";
    provider["type"] = type;
    provider["base_url"] = type == "ollama" ? fake_->url() : fake_->url() + "/v1";
    provider["default_model"] = model;
    Json::Value config;
    config["providers"].append(provider);
    std::filesystem::create_directories(dirs_.root() + "/config/hearth");
    std::ofstream(dirs_.root() + "/config/hearth/config.json") << config.toStyledString();
    daemon_ = std::make_unique<Daemon>(dirs_);
    ASSERT_TRUE(daemon_->WaitReady()) << daemon_->Stderr();
    client_ = std::make_unique<Client>(daemon_->port(), daemon_->AppHost());
    ASSERT_EQ(client_->Login(daemon_->LoginPath()).status, 303);
  }
  void StopDaemon() {
    if (!daemon_) return;
    ExitStatus exit = daemon_->Terminate();
    EXPECT_TRUE(exit.exited && exit.code == 0) << daemon_->Stderr();
    daemon_.reset();
  }

  std::string NewConversation() {
    HttpResponse r = client_->Post("/conversations", "");
    EXPECT_EQ(r.status, 200);
    std::string url = r.Header("hx-push-url");
    EXPECT_TRUE(url.starts_with("/c/")) << url;
    return url.substr(std::min<size_t>(3, url.size()));
  }
  // Sends `text` and follows the run to its end.
  void RunToEnd(const std::string& id, const std::string& text) {
    HttpResponse sent = client_->Post("/c/" + id + "/messages", "content=" + FormEncode(text));
    ASSERT_EQ(sent.status, 200) << sent.body;
    LiveStream live(daemon_->port(), client_->host(), client_->cookie(), id);
    ASSERT_EQ(live.status(), 200);
    ASSERT_TRUE(live.WaitFor("event: end")) << live.text();
  }
  std::string View(const std::string& id) {
    HttpResponse r = client_->Get("/c/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
  // The stored metadata of the conversation's last answer, read after the daemon has stopped.
  Json::Value LastAnswerMeta(const std::string& id) {
    StopDaemon();
    auto store = store::Store::Open(dirs_.db_path());
    EXPECT_TRUE(store.ok());
    if (!store.ok()) return {};
    auto messages = (*store)->ListMessages(std::stoll(id), std::nullopt, store::kMaxPageSize);
    EXPECT_TRUE(messages.ok());
    Json::Value meta;
    if (!messages.ok()) return meta;
    for (const store::Message& m : *messages) {
      if (m.role == "assistant") Json::Reader().parse(m.meta, meta);
    }
    return meta;
  }

  UserDirs dirs_;
  std::unique_ptr<FakeLlm> fake_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

TEST_F(ModelLimitsTest, AnAnswerCutOffAtTheLengthLimitIsIncompleteAndSaysWhyWithItsUsage) {
  // llama-server once the context is full: finish_reason "length", then usage and timings.
  Start({}, "length", "openai");
  std::string id = NewConversation();
  RunToEnd(id, "How do the three files open the database?");
  std::string answer = LastItem(View(id), "assistant");
  EXPECT_NE(answer.find("class=\"message assistant partial\""), npos) << answer;
  EXPECT_NE(answer.find("<span class=\"badge\">incomplete</span>"), npos) << answer;
  EXPECT_NE(answer.find("reader for the check, and"), npos) << answer;
  EXPECT_NE(answer.find("Cut off: the model reached its length limit"), npos) << answer;
  EXPECT_NE(answer.find("4,032 tokens in, 64 out, 18.3 tokens/s"), npos) << answer;
  Json::Value meta = LastAnswerMeta(id);
  EXPECT_EQ(meta["cut_off"].asString(), "length") << meta.toStyledString();
  EXPECT_EQ(meta["completion_tokens"].asInt64(), 64);
  EXPECT_EQ(meta["speed_from"].asString(), "server");
}

TEST_F(ModelLimitsTest, AnOllamaAnswerDoneForLengthIsIncompleteAndShowsItsSpeed) {
  Start({}, "length", "ollama");
  std::string id = NewConversation();
  RunToEnd(id, "How do the three files open the database?");
  std::string answer = LastItem(View(id), "assistant");
  EXPECT_NE(answer.find("<span class=\"badge\">incomplete</span>"), npos) << answer;
  EXPECT_NE(answer.find("Cut off: the model reached its length limit"), npos) << answer;
  // eval_count 32 in eval_duration 1.6 s.
  EXPECT_NE(answer.find("2,016 tokens in, 32 out, 20.0 tokens/s"), npos) << answer;
}

TEST_F(ModelLimitsTest, AnAnswerStoppedByAContentFilterSaysSo) {
  Start({}, "filtered", "openai");
  std::string id = NewConversation();
  RunToEnd(id, "Tell me.");
  std::string answer = LastItem(View(id), "assistant");
  EXPECT_NE(answer.find("<span class=\"badge\">incomplete</span>"), npos) << answer;
  EXPECT_NE(answer.find("Cut off by the model server&#39;s content filter"), npos) << answer;
}

TEST_F(ModelLimitsTest, TheServersFirstByteTimeoutEndsTheRequestAndTheErrorNamesIt) {
  // The fake server answers "firstbyte" after 3 minutes, as a CPU model reading a long prompt
  // might; this server's own setting gives up after 1 s (the default would wait 10 minutes).
  Json::Value timeouts;
  timeouts["first_byte_timeout_s"] = 1;
  Start({}, "firstbyte", "openai", timeouts);
  std::string id = NewConversation();
  RunToEnd(id, "Think hard.");
  std::string answer = LastItem(View(id), "assistant");
  EXPECT_NE(answer.find("within 1 s (the server&#39;s first-byte timeout)"), npos) << answer;
  EXPECT_NE(answer.find("Wait for the first byte"), npos) << answer;
  EXPECT_NE(answer.find("first_byte_timeout_s"), npos) << answer;
  EXPECT_EQ(answer.find("Done thinking"), npos) << answer;
  Json::Value requests = fake_->WaitForRequests([](const Json::Value& all) {
    return all.size() == 1 && !all[0]["client_closed_at"].isNull();
  });
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_FALSE(requests[0]["client_closed_at"].isNull()) << requests.toStyledString();
  EXPECT_TRUE(requests[0]["completed_at"].isNull()) << requests.toStyledString();
}

TEST_F(ModelLimitsTest, TheServersIdleTimeoutEndsAStalledAnswerKeepsItAndNamesIt) {
  // "stall" sends a few words, then nothing ever again.
  Json::Value timeouts;
  timeouts["idle_timeout_s"] = 1;
  Start({}, "stall", "openai", timeouts);
  std::string id = NewConversation();
  RunToEnd(id, "Go on.");
  std::string answer = LastItem(View(id), "assistant");
  EXPECT_NE(answer.find("Let me think"), npos) << answer;
  EXPECT_NE(answer.find("<span class=\"badge\">incomplete</span>"), npos) << answer;
  EXPECT_NE(answer.find("sent nothing for 1 s (the server&#39;s idle timeout)"), npos) << answer;
  EXPECT_NE(answer.find("idle_timeout_s"), npos) << answer;
}

TEST_F(ModelLimitsTest, AConversationLongerThanTheContextLeavesOutItsOldestTurnAndSaysSo) {
  // llama-server's /props for a 2,048-token context; every turn is answered "Noted.".
  FakeLlm::Options options;
  Json::Value props;
  props["default_generation_settings"]["n_ctx"] = 2048;
  props["default_generation_settings"]["n_predict"] = -1;
  props["total_slots"] = 1;
  props["model_path"] = "/models/qwen2.5-7b-instruct-q4_k_m.gguf";
  props["chat_template"] = "{{ bos_token }}";
  options.transcripts["props.json"] = props.toStyledString();
  for (int turn = 0; turn < 3; ++turn) {
    options.transcripts["fit." + std::to_string(turn) + ".sse"] = SseAnswer("fit", "Noted.");
  }
  Start(std::move(options), "fit", "openai");
  std::string id = NewConversation();
  // Each message is about 2,500 bytes (some 625 tokens): two fit the context with room for an
  // answer, three do not.
  auto message = [](char c) { return std::string(1, c) + ": " + std::string(2500, c); };
  RunToEnd(id, message('a'));
  RunToEnd(id, message('b'));
  RunToEnd(id, message('c'));

  std::vector<Json::Value> chats = fake_->ChatRequests();
  ASSERT_EQ(chats.size(), 3u);
  EXPECT_TRUE(HasMessage(chats[1], "user", message('a')));
  EXPECT_FALSE(HasMessage(chats[2], "user", message('a'))) << "the oldest turn was sent";
  EXPECT_TRUE(HasMessage(chats[2], "user", message('b')));
  EXPECT_TRUE(HasMessage(chats[2], "user", message('c')));
  std::string page = View(id);
  std::string note = "Earlier messages left out to fit the model&#39;s 2,048-token context.";
  EXPECT_NE(LastItem(page, "assistant").find(note), npos) << LastItem(page, "assistant");
  EXPECT_EQ(page.find(note), page.rfind(note)) << "only the last answer left anything out";
  // The server was asked its context size only once it could matter: for the third message
  // (with two, some 1,300 tokens and 512 for the answer fit any context in use).
  int props_requests = 0;
  for (const Json::Value& request : fake_->Requests()) {
    if (request["path"].asString() == "/props") ++props_requests;
  }
  EXPECT_EQ(props_requests, 1);
}

}  // namespace
}  // namespace hearth::testing
