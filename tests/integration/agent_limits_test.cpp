// SPDX-License-Identifier: Apache-2.0
// The agent's limits in the real daemon, answering from a fake model server: a tool call too large
// to keep is refused with an error the model can act on, shown on the page, and the run goes on;
// no message is left `streaming` once its run has ended, nor after a start-up.
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
#include "llm/stream_parser.h"
#include "store/store.h"

namespace hearth::testing {
namespace {

constexpr auto npos = std::string::npos;

// The content of the big write: 300 KB, under write_file's 1 MiB, over one call's 128 KiB.
const std::string kBigContent(300 * 1000, 'x');

// The tool results a chat request carries to the model, in order.
std::vector<std::string> ToolResultTexts(const Json::Value& request) {
  std::vector<std::string> results;
  for (const Json::Value& message : RequestMessages(request)) {
    if (message["role"].asString() == "tool") results.push_back(message["content"].asString());
  }
  return results;
}

std::vector<FakeToolCall> BigWriteThenList() {
  Json::Value write;
  write["path"] = "big.txt";
  write["content"] = kBigContent;
  Json::Value list;
  list["path"] = ".";
  return {{"call_big", "write_file", write}, {"call_list", "list_dir", list}};
}

// A daemon whose agent answers from a fake model server, with a workspace and a client signed
// in.
class AgentLimitsTest : public ::testing::Test {
 protected:
  void TearDown() override { StopDaemon(); }

  std::string Home(const std::string& relative) const { return dirs_.root() + "/" + relative; }

  void Start(FakeLlm::Options transcripts, const std::string& model, const std::string& type) {
    fake_ = std::make_unique<FakeLlm>(std::move(transcripts));
    ASSERT_TRUE(fake_->ok()) << fake_->Stderr();
    std::filesystem::create_directories(Home("proj"));
    std::ofstream(Home("proj/notes.md")) << "notes\n";
    Json::Value provider;
    provider["name"] = "fake";
    provider["type"] = type;
    provider["base_url"] = type == "ollama" ? fake_->url() : fake_->url() + "/v1";
    provider["default_model"] = model;
    Json::Value config;
    config["providers"].append(provider);
    config["workspace_roots"].append(Home("proj"));
    std::filesystem::create_directories(Home("config/hearth"));
    std::ofstream(Home("config/hearth/config.json")) << config.toStyledString();
    StartDaemon();
  }
  void StartDaemon() {
    daemon_ = std::make_unique<Daemon>(dirs_);
    ASSERT_TRUE(daemon_->WaitReady()) << daemon_->Stderr();
    client_ = std::make_unique<Client>(daemon_->port(), daemon_->AppHost());
    ASSERT_EQ(client_->Login(daemon_->LoginPath()).status, 303);
  }
  // Stops the daemon, which must exit 0, so that its store can be read.
  void StopDaemon() {
    if (!daemon_) return;
    ExitStatus exit = daemon_->Terminate();
    EXPECT_TRUE(exit.exited && exit.code == 0) << daemon_->Stderr();
    daemon_.reset();
  }
  std::unique_ptr<store::Store> OpenStore() {
    auto store = store::Store::Open(dirs_.db_path());
    EXPECT_TRUE(store.ok()) << store.status().message();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string NewConversation() {
    HttpResponse r = client_->Post("/conversations", "");
    EXPECT_EQ(r.status, 200);
    std::string url = r.Header("hx-push-url");
    EXPECT_TRUE(url.starts_with("/c/")) << url;
    return url.substr(std::min<size_t>(3, url.size()));
  }
  // Sends `text`, follows the run to its end, and returns what the live stream carried.
  std::string RunToEnd(const std::string& id, const std::string& text) {
    HttpResponse sent = client_->Post("/c/" + id + "/messages", "content=" + FormEncode(text));
    EXPECT_EQ(sent.status, 200) << sent.body;
    LiveStream live(daemon_->port(), client_->host(), client_->cookie(), id);
    EXPECT_EQ(live.status(), 200);
    EXPECT_TRUE(live.WaitFor("event: end")) << live.text();
    EXPECT_TRUE(live.WaitClosed()) << live.text();
    return live.text();
  }
  std::string View(const std::string& id) {
    HttpResponse r = client_->Get("/c/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }

  // Every stored message of the conversation, read after the daemon has stopped.
  std::vector<store::Message> StoredMessages(const std::string& id) {
    StopDaemon();
    std::unique_ptr<store::Store> store = OpenStore();
    if (!store) return {};
    auto messages = store->ListMessages(std::stoll(id), std::nullopt, store::kMaxPageSize);
    EXPECT_TRUE(messages.ok());
    return messages.ok() ? *messages : std::vector<store::Message>{};
  }

  // The run with a 300 KB write_file then a list_dir, checked end to end: what the model was sent
  // next, the page, the live stream, the workspace and the store.
  void ExpectBigCallRefusedAndRunGoneOn(const std::string& id, const std::string& events,
                                        const std::string& page,
                                        const std::vector<Json::Value>& chats) {
    // The arguments as the model wrote them: {"content":"xx…","path":"big.txt"}.
    const std::string size = std::to_string(kBigContent.size() + 31);
    // The model was asked again, with the error for the big call and the listing for the next.
    ASSERT_EQ(chats.size(), 2u);
    EXPECT_TRUE(HasMessage(chats[1], "user", "Write big.txt, then list the folder."));
    std::vector<std::string> results = ToolResultTexts(chats[1]);
    ASSERT_EQ(results.size(), 2u) << chats[1].toStyledString().substr(0, 4000);
    EXPECT_NE(results[0].find("over the limit of " + std::to_string(llm::kMaxToolArgumentBytes)),
              npos)
        << results[0];
    EXPECT_NE(results[0].find("nothing was run"), npos) << results[0];
    EXPECT_NE(results[0].find("edit_file"), npos) << results[0];
    EXPECT_NE(results[1].find("notes.md"), npos) << results[1];
    // The request stays small: the refused arguments are not sent back.
    EXPECT_LT(chats[1]["body"].toStyledString().size(), 64u * 1024);

    // The page shows the refused call, the one after it, and the final answer.
    EXPECT_NE(events.find("refused: too large"), npos);
    size_t refused = page.find("refused: too large");
    ASSERT_NE(refused, npos) << page;
    EXPECT_NE(page.find("bytes of arguments, not kept"), npos);
    EXPECT_NE(page.find("write_file"), npos);
    EXPECT_NE(page.find("list_dir", refused), npos);
    EXPECT_NE(page.find("I will write it in parts."), npos);
    EXPECT_EQ(page.find(std::string(1000, 'x')), npos);
    EXPECT_FALSE(std::filesystem::exists(Home("proj/big.txt")));

    // Nothing is left streaming; the refusal is in the audit log.
    std::vector<store::Message> stored = StoredMessages(id);
    ASSERT_GE(stored.size(), 5u);  // the question, the calls, two results, the answer
    for (const store::Message& m : stored) {
      EXPECT_NE(m.state, store::MessageState::kStreaming) << m.role << " " << m.id;
    }
    bool found = false;
    for (const store::Message& m : stored) {
      if (m.role == "tool" && m.content.find("over the limit") != npos) {
        found = true;
        EXPECT_NE(m.meta.find("\"refused_argument_bytes\":" + size), npos) << m.meta;
      }
    }
    EXPECT_TRUE(found);
    std::unique_ptr<store::Store> store = OpenStore();
    ASSERT_TRUE(store);
    auto audit = store->ListAuditEntries(10);
    ASSERT_TRUE(audit.ok());
    ASSERT_EQ(audit->size(), 1u);
    EXPECT_EQ((*audit)[0].tool, "write_file");
    EXPECT_EQ((*audit)[0].reason, "arguments too large to keep");
  }

  UserDirs dirs_;
  std::unique_ptr<FakeLlm> fake_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

class AToolCallTooLarge : public AgentLimitsTest {};

TEST_F(AToolCallTooLarge, StreamedInPiecesIsRefusedWithAnErrorAndTheRunGoesOn) {
  FakeLlm::Options options;
  options.transcripts["big.0.sse"] = SseStreamedToolCalls("big", BigWriteThenList(), 200);
  options.transcripts["big.1.sse"] = SseAnswer("big", "I will write it in parts.");
  ASSERT_NO_FATAL_FAILURE(Start(options, "big", "openai"));
  std::string id = NewConversation();
  std::string events = RunToEnd(id, "Write big.txt, then list the folder.");
  std::string page = View(id);
  std::vector<Json::Value> chats = fake_->ChatRequests();
  // The refused call goes back to the model with empty arguments, paired with its error.
  ASSERT_EQ(chats.size(), 2u);
  for (const Json::Value& message : RequestMessages(chats[1])) {
    for (const Json::Value& call : message["tool_calls"]) {
      if (call["id"].asString() == "call_big") {
        EXPECT_EQ(call["function"]["arguments"].asString(), "{}");
      }
    }
  }
  ExpectBigCallRefusedAndRunGoneOn(id, events, page, chats);
}

TEST_F(AToolCallTooLarge, FromOllamaIsRefusedWithAnErrorAndTheRunGoesOn) {
  FakeLlm::Options options;
  options.transcripts["big.0.ndjson"] = NdjsonToolCalls("big", BigWriteThenList());
  options.transcripts["big.1.ndjson"] = NdjsonAnswer("big", "I will write it in parts.");
  ASSERT_NO_FATAL_FAILURE(Start(options, "big", "ollama"));
  std::string id = NewConversation();
  std::string events = RunToEnd(id, "Write big.txt, then list the folder.");
  ExpectBigCallRefusedAndRunGoneOn(id, events, View(id), fake_->ChatRequests());
}

// Calls each under the bound whose arguments together grow past what the store keeps once
// written into the answer's metadata (a quote, \" in the arguments, is \\\" there): the answer
// is still saved, the largest call refused, the others run.
TEST_F(AToolCallTooLarge, CallsTooLargeTogetherToStoreAreRefusedLargestFirst) {
  Json::Value write;
  write["path"] = "quotes.txt";
  write["content"] = std::string(60 * 1000, '"');
  Json::Value odd;
  odd["path"] = std::string(20 * 1000, '"');
  Json::Value list;
  list["path"] = ".";
  FakeLlm::Options options;
  options.transcripts["quotes.0.sse"] = SseStreamedToolCalls("quotes",
                                                             {{"call_write", "write_file", write},
                                                              {"call_odd", "list_dir", odd},
                                                              {"call_list", "list_dir", list}},
                                                             500);
  options.transcripts["quotes.1.sse"] = SseAnswer("quotes", "Understood.");
  ASSERT_NO_FATAL_FAILURE(Start(options, "quotes", "openai"));
  std::string id = NewConversation();
  RunToEnd(id, "Write the quotes.");
  std::string page = View(id);
  EXPECT_NE(page.find("refused: too large"), npos) << page;
  EXPECT_NE(page.find("Understood."), npos);

  std::vector<Json::Value> chats = fake_->ChatRequests();
  ASSERT_EQ(chats.size(), 2u);
  std::vector<std::string> results = ToolResultTexts(chats[1]);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_NE(results[0].find("more arguments together than Hearth keeps for one answer"), npos)
      << results[0];
  EXPECT_EQ(results[1].find("not kept"), npos) << results[1];
  EXPECT_NE(results[2].find("notes.md"), npos) << results[2];
  EXPECT_FALSE(std::filesystem::exists(Home("proj/quotes.txt")));

  for (const store::Message& m : StoredMessages(id)) {
    EXPECT_NE(m.state, store::MessageState::kStreaming) << m.role << " " << m.id;
  }
}

// --- Start-up --------------------------------------------------------------------------------

class AStartUp : public AgentLimitsTest {};

// Whatever left them (a crash, a save that failed), messages still `streaming` when the backend
// starts belong to no run: they are marked incomplete, answers and tool calls alike.
TEST_F(AStartUp, MarksMessagesLeftStreamingIncomplete) {
  std::filesystem::create_directories(dirs_.data_dir());
  int64_t conversation = 0;
  {
    std::unique_ptr<store::Store> store = OpenStore();
    ASSERT_TRUE(store);
    auto c = store->CreateConversation("left over", 1);
    ASSERT_TRUE(c.ok());
    conversation = c->id;
    ASSERT_TRUE(store->AddMessage(conversation, "user", "Go.", 2).ok());
    ASSERT_TRUE(store
                    ->AddMessage(conversation, "assistant", "Half an answer", 3,
                                 store::MessageState::kStreaming, "{}")
                    .ok());
    ASSERT_TRUE(store
                    ->AddMessage(conversation, "tool", "", 4, store::MessageState::kStreaming,
                                 R"({"name":"list_dir","arguments":"{}"})")
                    .ok());
  }
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  std::string page = View(std::to_string(conversation));
  EXPECT_NE(page.find("Half an answer"), npos) << page;
  EXPECT_NE(page.find("<span class=\"badge\">incomplete</span>"), npos) << page;
  EXPECT_EQ(page.find("running…"), npos) << page;

  for (const store::Message& m : StoredMessages(std::to_string(conversation))) {
    EXPECT_NE(m.state, store::MessageState::kStreaming) << m.role << " " << m.id;
    if (m.role != "user") {
      EXPECT_EQ(m.state, store::MessageState::kPartial) << m.role;
    }
  }
}

}  // namespace
}  // namespace hearth::testing
