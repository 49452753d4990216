// SPDX-License-Identifier: Apache-2.0
// The approval form of the tools that change files shows the change as a diff: edit_file's
// replacement within the file, write_file's new content against the file it replaces; escaped,
// each line marked for its colour; and nothing is written before the user answers.
#include <json/json.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "fake_llm.h"
#include "harness.h"
#include "live_stream.h"

namespace hearth::testing {
namespace {

constexpr auto npos = std::string::npos;

std::string ReadAll(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

class AnApprovalForm : public ::testing::Test {
 protected:
  void TearDown() override {
    if (live_) {
      // Stopped, so that the run ends before the daemon stops (a denied call can be asked again).
      HttpResponse stopped = client_->Post("/c/" + id_ + "/stop", "");
      EXPECT_LT(stopped.status, 300) << stopped.body;
      EXPECT_TRUE(live_->WaitFor("event: end")) << live_->text().substr(0, 2000);
    }
    if (daemon_) {
      ExitStatus exit = daemon_->Terminate();
      EXPECT_TRUE(exit.exited && exit.code == 0) << daemon_->Stderr();
    }
  }

  std::string Home(const std::string& relative) const { return dirs_.root() + "/" + relative; }
  void WriteHomeFile(const std::string& relative, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(Home(relative)).parent_path());
    std::ofstream(Home(relative), std::ios::binary) << text;
  }

  // Starts the daemon with `call` as the model's tool call, the workspace ~/proj, and shows the
  // approval form the call gets; returns the live stream up to the end of that form.
  std::string FormFor(const std::string& tool, const Json::Value& args) {
    FakeLlm::Options options;
    options.transcripts["change.0.sse"] = SseToolCalls("change", {FakeToolCall{"c1", tool, args}});
    options.transcripts["change.1.sse"] = SseAnswer("change", "Done.");
    fake_ = std::make_unique<FakeLlm>(std::move(options));
    EXPECT_TRUE(fake_->ok()) << fake_->Stderr();
    Json::Value provider;
    provider["name"] = "fake";
    provider["type"] = "openai";
    provider["base_url"] = fake_->url() + "/v1";
    provider["default_model"] = "change";
    Json::Value config;
    config["providers"].append(provider);
    config["workspace_roots"].append(Home("proj"));
    std::filesystem::create_directories(Home("config/hearth"));
    std::ofstream(Home("config/hearth/config.json")) << config.toStyledString();
    daemon_ = std::make_unique<Daemon>(dirs_);
    EXPECT_TRUE(daemon_->WaitReady()) << daemon_->Stderr();
    client_ = std::make_unique<Client>(daemon_->port(), daemon_->AppHost());
    EXPECT_EQ(client_->Login(daemon_->LoginPath()).status, 303);

    HttpResponse r = client_->Post("/conversations", "");
    std::string url = r.Header("hx-push-url");
    id_ = url.substr(std::min<size_t>(3, url.size()));
    EXPECT_EQ(client_->Post("/c/" + id_ + "/messages", "content=Change+it").status, 200);
    live_ = std::make_unique<LiveStream>(daemon_->port(), client_->host(), client_->cookie(), id_);
    EXPECT_TRUE(live_->WaitFor("class=\"approval\"")) << live_->text();
    EXPECT_TRUE(live_->WaitFor("</form>")) << live_->text();
    std::string text = live_->text();
    size_t form = text.find("<form class=\"approval\"");
    return form == npos ? text : text.substr(form, text.find("</form>", form) - form);
  }

  UserDirs dirs_;
  std::unique_ptr<FakeLlm> fake_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<LiveStream> live_;
  std::string id_;
};

TEST_F(AnApprovalForm, OfEditFileShowsTheChangeAsADiffOfTheFileWithLineNumbers) {
  WriteHomeFile("proj/notes.md", "# Notes\n\n- one\n- two <b>\n- three\n");
  Json::Value args(Json::objectValue);
  args["path"] = "notes.md";
  args["old_text"] = "- two <b>\n";
  args["new_text"] = "- TWO <i>\n";
  std::string form = FormFor("edit_file", args);

  EXPECT_NE(form.find("Changes to notes.md: 1 line added, 1 line removed."), npos) << form;
  EXPECT_NE(form.find("<span class=\"diff-hunk\">@@ -1,5 +1,5 @@</span>"), npos) << form;
  EXPECT_NE(form.find("<span class=\"diff-same\"> - one</span>"), npos) << form;
  EXPECT_NE(form.find("<span class=\"diff-del\">-- two &lt;b&gt;</span>"), npos) << form;
  EXPECT_NE(form.find("<span class=\"diff-add\">+- TWO &lt;i&gt;</span>"), npos) << form;
  EXPECT_EQ(form.find("<i>"), npos) << "escaped: " << form;
  EXPECT_EQ(ReadAll(Home("proj/notes.md")), "# Notes\n\n- one\n- two <b>\n- three\n")
      << "nothing is written before the answer";
}

TEST_F(AnApprovalForm, OfEditFileWhoseOldTextIsNotInTheFileShowsOldAgainstNewAndSaysSo) {
  WriteHomeFile("proj/notes.md", "# Notes\n");
  Json::Value args(Json::objectValue);
  args["path"] = "notes.md";
  args["old_text"] = "gone\n";
  args["new_text"] = "here\n";
  std::string form = FormFor("edit_file", args);
  EXPECT_NE(form.find("old_text is not in notes.md as it is now, so the call will fail"), npos)
      << form;
  EXPECT_NE(form.find("<span class=\"diff-del\">-gone</span>"), npos) << form;
  EXPECT_NE(form.find("<span class=\"diff-add\">+here</span>"), npos) << form;
}

TEST_F(AnApprovalForm, OfWriteFileOverAnExistingFileShowsTheDiffAgainstIt) {
  WriteHomeFile("proj/app.conf", "port = 80\nhost = local\nmode = safe\n");
  Json::Value args(Json::objectValue);
  args["path"] = "app.conf";
  args["content"] = "port = 8080\nhost = local\nmode = safe\n";
  std::string form = FormFor("write_file", args);
  EXPECT_NE(form.find("Changes to the existing app.conf: 1 line added, 1 line removed."), npos)
      << form;
  EXPECT_NE(form.find("<span class=\"diff-del\">-port = 80</span>"), npos) << form;
  EXPECT_NE(form.find("<span class=\"diff-add\">+port = 8080</span>"), npos) << form;
  EXPECT_NE(form.find("<span class=\"diff-same\"> host = local</span>"), npos) << form;
}

// Arguments full of quotes nearly fill the store's bound once escaped twice (in the answer, then
// in the tool message); the whole diff beside them would pass it, and the run would stop with
// no form. The form shows the diff's start instead, and says so.
TEST_F(AnApprovalForm, BesideArgumentsNearTheStoresBoundShowsTheStartOfTheDiff) {
  WriteHomeFile("proj/quotes.txt", "old\n");
  std::string content;
  for (int i = 0; i < 600; ++i) content += std::string(100, '"') + "\n";
  Json::Value args(Json::objectValue);
  args["path"] = "quotes.txt";
  args["content"] = content;
  std::string form = FormFor("write_file", args);
  EXPECT_NE(form.find("Only the diff&#39;s start is shown, beside arguments this long."), npos)
      << form.substr(0, 2000);
  EXPECT_NE(form.find("<span class=\"diff-add\">+&quot;&quot;"), npos) << form.substr(0, 2000);
}

TEST_F(AnApprovalForm, OfWriteFileCreatingAFileHasNoDiff) {
  std::filesystem::create_directories(Home("proj"));
  Json::Value args(Json::objectValue);
  args["path"] = "new.txt";
  args["content"] = "hello\n";
  std::string form = FormFor("write_file", args);
  EXPECT_EQ(form.find("approval-diff"), npos) << form;
  EXPECT_NE(form.find("hello"), npos) << "the content is in the arguments: " << form;
}

TEST_F(AnApprovalForm, OfWriteFileOverADeniedFileReadsNothingOfIt) {
  // ~/.ssh is on the deny-list: the form says the write will be refused and shows no diff,
  // so nothing of the file reaches the page.
  WriteHomeFile(".ssh/id_ed25519", "SECRET KEY\n");
  std::filesystem::create_directories(Home("proj"));
  Json::Value args(Json::objectValue);
  args["path"] = "../.ssh/id_ed25519";
  args["content"] = "replaced\n";
  std::string form = FormFor("write_file", args);
  EXPECT_EQ(form.find("SECRET KEY"), npos) << form;
  EXPECT_EQ(form.find("approval-diff"), npos) << form;
}

}  // namespace
}  // namespace hearth::testing
