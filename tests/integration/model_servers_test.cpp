// SPDX-License-Identifier: Apache-2.0
// Real model servers as a user meets them (issue 12, points 1, 2 and 5): a server that refuses
// tools (llama-server without --jinja, an Ollama model without tool support, vLLM without
// --enable-auto-tool-choice) still answers, says so once, and is not sent tools again; a server
// that cannot stream with tools is asked unstreamed from then on, and the page shows the model
// working meanwhile; Test connection tells what the server can do and forgets what was learnt;
// a server with one model needs no model name.
#include <json/json.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/server_capabilities.h"
#include "fake_llm.h"
#include "harness.h"
#include "live_stream.h"
#include "store/store.h"

namespace hearth::testing {
namespace {

constexpr auto npos = std::string::npos;

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

bool HasTools(const Json::Value& request) {
  return request["body"].isMember("tools") && request["body"]["tools"].size() > 0;
}

class ModelServerTest : public ::testing::Test {
 protected:
  void TearDown() override { StopDaemon(); }

  std::string Home(const std::string& relative = "") const {
    return relative.empty() ? dirs_.root() : dirs_.root() + "/" + relative;
  }
  void StartFake(FakeLlm::Options options = {}) {
    fake_ = std::make_unique<FakeLlm>(std::move(options));
    ASSERT_TRUE(fake_->ok()) << fake_->Stderr();
  }
  std::string BaseUrl(const std::string& type) const {
    return type == "ollama" ? fake_->url() : fake_->url() + "/v1";
  }
  // config.json with one server and, unless `tools` is false, a workspace (so every request
  // offers the built-in tools).
  Json::Value Config(const std::string& model, const std::string& type = "openai",
                     bool tools = true) {
    Json::Value provider;
    provider["name"] = "fake";
    provider["type"] = type;
    provider["base_url"] = BaseUrl(type);
    if (!model.empty()) provider["default_model"] = model;
    Json::Value config;
    config["providers"].append(provider);
    if (tools) {
      std::filesystem::create_directories(Home("proj"));
      config["workspace_roots"].append(Home("proj"));
    }
    return config;
  }
  void StartDaemon(const Json::Value& config) {
    std::filesystem::create_directories(Home("config/hearth"));
    std::ofstream(Home("config/hearth/config.json")) << config.toStyledString();
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
  HttpResponse Send(const std::string& id, const std::string& text) {
    return client_->Post("/c/" + id + "/messages", "content=" + FormEncode(text));
  }
  std::unique_ptr<LiveStream> Follow(const std::string& id) {
    auto live =
        std::make_unique<LiveStream>(daemon_->port(), client_->host(), client_->cookie(), id);
    EXPECT_EQ(live->status(), 200);
    return live;
  }
  std::string RunToEnd(const std::string& id, const std::string& text) {
    HttpResponse sent = Send(id, text);
    EXPECT_EQ(sent.status, 200) << sent.body;
    auto live = Follow(id);
    EXPECT_TRUE(live->WaitFor("event: end")) << live->text();
    EXPECT_TRUE(live->WaitClosed()) << live->text();
    return live->text();
  }
  std::string View(const std::string& id) {
    HttpResponse r = client_->Get("/c/" + id);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
  // POST /settings/test with the Settings form's server fields.
  std::string TestConnection(const std::string& type, const std::string& model) {
    HttpResponse r = client_->Post("/settings/test", "provider_type=" + type +
                                                         "&base_url=" + FormEncode(BaseUrl(type)) +
                                                         "&model=" + FormEncode(model));
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
  std::vector<Json::Value> ChatsFor(const std::string& text) const {
    std::vector<Json::Value> found;
    for (const Json::Value& request : fake_->ChatRequests()) {
      if (HasMessage(request, "user", text)) found.push_back(request);
    }
    return found;
  }

  UserDirs dirs_;
  std::unique_ptr<FakeLlm> fake_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

// --- 1. A server that refuses tools ------------------------------------------------------------

struct Refuser {
  const char* model;
  const char* type;
  int status;
  const char* advice;  // what the notice tells the user to do
};

// Names the scenario in test listings (ctest shows it) instead of the struct's bytes.
void PrintTo(const Refuser& refuser, std::ostream* out) { *out << refuser.model; }

class AServerThatRefusesTools : public ModelServerTest,
                                public ::testing::WithParamInterface<Refuser> {};

TEST_P(AServerThatRefusesTools, AnswersWithoutThemAndSaysSoInTheConversation) {
  const Refuser& server = GetParam();
  ASSERT_NO_FATAL_FAILURE(StartFake());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Config(server.model, server.type)));
  std::string id = NewConversation();
  RunToEnd(id, "What is on my list?");

  std::vector<Json::Value> chats = ChatsFor("What is on my list?");
  ASSERT_EQ(chats.size(), 2u);
  EXPECT_TRUE(HasTools(chats[0]));
  EXPECT_EQ(chats[0]["status"].asInt(), server.status);
  EXPECT_FALSE(HasTools(chats[1])) << chats[1].toStyledString();
  EXPECT_EQ(chats[1]["status"].asInt(), 200);

  std::string page = View(id);
  EXPECT_NE(page.find("class=\"message assistant done\""), npos) << page;
  EXPECT_NE(page.find("without tools"), npos) << page;
  EXPECT_EQ(page.find("answer-error"), npos) << page;
  EXPECT_EQ(Count(page, "This model server cannot use tools"), 1u) << page;
  EXPECT_NE(page.find(server.advice), npos) << page;
}

INSTANTIATE_TEST_SUITE_P(
    RealServers, AServerThatRefusesTools,
    ::testing::Values(Refuser{"nojinja", "openai", 500, "Start llama-server with --jinja"},
                      Refuser{"ollama-notools", "ollama", 400,
                              "Choose a model that supports tools"},
                      Refuser{"vllm-notools", "openai", 400, "--enable-auto-tool-choice"}),
    [](const auto& info) {
      std::string name = info.param.model;
      std::erase(name, '-');
      return name;
    });

TEST_F(ModelServerTest, ARefusalOfToolsIsRememberedAcrossMessagesAndRestarts) {
  ASSERT_NO_FATAL_FAILURE(StartFake());
  Json::Value config = Config("nojinja");
  ASSERT_NO_FATAL_FAILURE(StartDaemon(config));
  std::string id = NewConversation();
  RunToEnd(id, "First question?");
  ASSERT_EQ(ChatsFor("First question?").size(), 2u);

  // The next message is asked without tools at once, and the notice is not repeated.
  RunToEnd(id, "Second question?");
  std::vector<Json::Value> second = ChatsFor("Second question?");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_FALSE(HasTools(second[0]));
  EXPECT_EQ(Count(View(id), "This model server cannot use tools"), 1u);

  // After a restart, too; a new conversation is told once why there are no tools.
  StopDaemon();
  ASSERT_NO_FATAL_FAILURE(StartDaemon(config));
  std::string other = NewConversation();
  RunToEnd(other, "After the restart?");
  std::vector<Json::Value> third = ChatsFor("After the restart?");
  ASSERT_EQ(third.size(), 1u);
  EXPECT_FALSE(HasTools(third[0]));
  std::string page = View(other);
  EXPECT_EQ(Count(page, "This model server cannot use tools"), 1u) << page;
  EXPECT_NE(page.find("--jinja"), npos) << page;
}

// --- 2. A server that cannot stream with tools ------------------------------------------------

TEST_F(ModelServerTest, ARefusalToStreamWithToolsIsAskedOnlyOnce) {
  ASSERT_NO_FATAL_FAILURE(StartFake());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Config("llamacpp-tools")));
  std::string id = NewConversation();
  RunToEnd(id, "What is on my list?");

  // Refused streamed once; then every step, the tool call's and the answer's, unstreamed.
  std::vector<Json::Value> chats = fake_->ChatRequests();
  ASSERT_EQ(chats.size(), 3u);
  EXPECT_TRUE(chats[0]["body"]["stream"].asBool());
  EXPECT_EQ(chats[0]["status"].asInt(), 500);
  EXPECT_FALSE(chats[1]["body"]["stream"].asBool());
  EXPECT_EQ(chats[1]["file"].asString(), "llamacpp-tools.0.json");
  EXPECT_FALSE(chats[2]["body"]["stream"].asBool());
  EXPECT_EQ(chats[2]["file"].asString(), "llamacpp-tools.1.json");
  EXPECT_NE(View(id).find("The file has three items"), npos);
}

TEST_F(ModelServerTest, AnAnswerThatCannotStreamShowsTheModelWorkingWithTheTimeSoFar) {
  ASSERT_NO_FATAL_FAILURE(StartFake());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Config("llamacpp-slow")));
  std::string id = NewConversation();
  ASSERT_EQ(Send(id, "Think hard.").status, 200);
  auto live = Follow(id);
  // The server computes its whole answer (two minutes): the page counts the seconds meanwhile.
  ASSERT_TRUE(live->WaitFor("The model is working")) << live->text();
  EXPECT_TRUE(live->WaitFor("The model is working\u2026 2 s")) << live->text();
  EXPECT_EQ(client_->Post("/c/" + id + "/stop", "").status, 204);
  ASSERT_TRUE(live->WaitClosed()) << live->text();

  // Once the refusal is remembered, the page also says why the answer does not stream.
  auto sent = Send(id, "Think again.");
  for (auto deadline = Clock::now() + kDeadline; sent.status == 503 && Clock::now() < deadline;) {
    sent = Send(id, "Think again.");
  }
  ASSERT_EQ(sent.status, 200) << sent.body;
  auto again = Follow(id);
  ASSERT_TRUE(again->WaitFor("cannot stream while tools are offered")) << again->text();
  EXPECT_EQ(client_->Post("/c/" + id + "/stop", "").status, 204);
  ASSERT_TRUE(again->WaitClosed()) << again->text();
  std::vector<Json::Value> second = ChatsFor("Think again.");
  ASSERT_EQ(second.size(), 1u);
  EXPECT_FALSE(second[0]["body"]["stream"].asBool());
}

// --- 5. Test connection tells the truth ---------------------------------------------------------

TEST_F(ModelServerTest, TestConnectionReportsToolsStreamingAndContextOfLlamaServer) {
  FakeLlm::Options options;
  options.transcripts["solo.0.sse"] = SseAnswer("solo", "OK");
  options.transcripts["props.json"] =
      R"({"default_generation_settings":{"n_ctx":8192,"params":{"n_predict":-1,"temperature":0.8}},)"
      R"("total_slots":1,"model_path":"/models/solo.gguf","chat_template":"","build_info":"b4589-a3c1f0e2"})";
  ASSERT_NO_FATAL_FAILURE(StartFake(options));
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Json::Value(Json::objectValue)));

  // No model typed: the server's only one is tested and put in the model field.
  std::string report = TestConnection("openai", "");
  EXPECT_NE(report.find("hx-get=\"/settings/model-field?model=solo\""), npos) << report;
  EXPECT_NE(report.find("id=\"provider-model\" name=\"model\" type=\"text\" value=\"solo\""), npos)
      << report;
  EXPECT_NE(report.find("hx-swap-oob=\"true\""), npos) << report;
  EXPECT_NE(report.find("<dd class=\"ability-tools\">accepted</dd>"), npos) << report;
  EXPECT_NE(report.find("<dd class=\"ability-streaming\">yes</dd>"), npos) << report;
  EXPECT_NE(report.find("<dd class=\"ability-context\">8192 tokens</dd>"), npos) << report;
  std::vector<Json::Value> chats = fake_->ChatRequests();
  ASSERT_EQ(chats.size(), 1u);
  EXPECT_EQ(chats[0]["body"]["model"].asString(), "solo");
  EXPECT_TRUE(HasTools(chats[0]));
  EXPECT_EQ(chats[0]["body"]["max_tokens"].asInt(), 1);

  // Choosing a model from the list fills the field.
  HttpResponse field = client_->Get("/settings/model-field?model=" + FormEncode("a \"b\":7b"));
  EXPECT_EQ(field.status, 200);
  EXPECT_NE(field.body.find("value=\"a &quot;b&quot;:7b\""), npos) << field.body;
}

TEST_F(ModelServerTest, TestConnectionReadsOllamasContextSize) {
  FakeLlm::Options options;
  options.transcripts["solo.0.ndjson"] = NdjsonAnswer("solo", "OK");
  options.transcripts["solo.show.json"] =
      R"({"license":"","modelfile":"FROM solo","parameters":"num_ctx                        4096\nstop                           \"<|eot_id|>\"",)"
      R"("template":"{{ .Prompt }}","details":{"format":"gguf","family":"llama"},)"
      R"("model_info":{"general.architecture":"llama","llama.context_length":131072},)"
      R"("capabilities":["completion","tools"]})";
  ASSERT_NO_FATAL_FAILURE(StartFake(options));
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Json::Value(Json::objectValue)));
  std::string report = TestConnection("ollama", "solo");
  EXPECT_NE(report.find("<dd class=\"ability-tools\">accepted</dd>"), npos) << report;
  EXPECT_NE(report.find("4096 tokens (the model allows up to 131072)"), npos) << report;
}

TEST_F(ModelServerTest, TestConnectionSaysWhichServersRefuseToolsOrStreaming) {
  ASSERT_NO_FATAL_FAILURE(StartFake());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Json::Value(Json::objectValue)));
  std::string report = TestConnection("openai", "nojinja");
  EXPECT_NE(report.find("<dd class=\"ability-tools\">refused"), npos) << report;
  EXPECT_NE(report.find("tools param requires --jinja flag"), npos) << report;
  EXPECT_NE(report.find("Start llama-server with --jinja"), npos) << report;
  EXPECT_NE(report.find("<dd class=\"ability-context\">not said by this server</dd>"), npos)
      << report;

  report = TestConnection("openai", "llamacpp-tools");
  EXPECT_NE(report.find("<dd class=\"ability-tools\">accepted</dd>"), npos) << report;
  EXPECT_NE(report.find("<dd class=\"ability-streaming\">no:"), npos) << report;
}

TEST_F(ModelServerTest, TestConnectionForgetsWhatWasRememberedAboutTheServer) {
  ASSERT_NO_FATAL_FAILURE(StartFake());
  // What an earlier Hearth learnt when this server still ran without --jinja.
  {
    std::filesystem::create_directories(dirs_.data_dir());
    auto store = store::Store::Open(dirs_.db_path());
    ASSERT_TRUE(store.ok()) << store.status().message();
    agent::ServerCapabilities stale;
    stale.tools = agent::Ability::kNo;
    llm::Endpoint endpoint{.wire = llm::Wire::kOpenAi, .base_url = BaseUrl("openai")};
    ASSERT_TRUE(agent::SaveCapabilities(**store, endpoint, "hello", stale).ok());
  }
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Config("hello")));
  std::string id = NewConversation();
  RunToEnd(id, "Before the test?");
  std::vector<Json::Value> before = ChatsFor("Before the test?");
  ASSERT_EQ(before.size(), 1u);
  EXPECT_FALSE(HasTools(before[0]));  // remembered: not offered

  std::string report = TestConnection("openai", "hello");
  EXPECT_NE(report.find("<dd class=\"ability-tools\">accepted</dd>"), npos) << report;
  RunToEnd(id, "After the test?");
  std::vector<Json::Value> after = ChatsFor("After the test?");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_TRUE(HasTools(after[0]));
}

TEST_F(ModelServerTest, AServerWithOneModelIsUsedWithoutItsName) {
  FakeLlm::Options options;
  options.transcripts["solo.0.sse"] = SseAnswer("solo", "The only model answers.");
  ASSERT_NO_FATAL_FAILURE(StartFake(options));
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Config("", "openai", false)));
  std::string id = NewConversation();
  RunToEnd(id, "Who answers?");
  std::vector<Json::Value> chats = ChatsFor("Who answers?");
  ASSERT_EQ(chats.size(), 1u);
  EXPECT_EQ(chats[0]["body"]["model"].asString(), "solo");
  std::string page = View(id);
  EXPECT_NE(page.find("The only model answers."), npos) << page;
}

TEST_F(ModelServerTest, AServerWithSeveralModelsAndNoneChosenNamesThem) {
  ASSERT_NO_FATAL_FAILURE(StartFake());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(Config("", "openai", false)));
  std::string id = NewConversation();
  RunToEnd(id, "Who answers?");
  EXPECT_TRUE(ChatsFor("Who answers?").empty());
  std::string page = View(id);
  EXPECT_NE(page.find("No model is chosen for fake and its server offers"), npos) << page;
  EXPECT_NE(page.find("Pick one in Settings"), npos) << page;
}

}  // namespace
}  // namespace hearth::testing
