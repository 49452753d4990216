// SPDX-License-Identifier: Apache-2.0
// The UI's fragments over HTTP: create, rename, message, search, delete, live updates, escaping.
#include <gtest/gtest.h>

#include "harness.h"

namespace hearth::testing {
namespace {

class Conversations : public SignedInDaemon {
 protected:
  // Creates a conversation and returns its id, from the HX-Push-Url header.
  std::string Create() {
    HttpResponse r = client_->Post("/conversations", "");
    EXPECT_EQ(r.status, 200);
    std::string url = r.Header("hx-push-url");
    EXPECT_TRUE(url.starts_with("/c/")) << url;
    return url.substr(3);
  }
};

TEST_F(Conversations, AreCreatedRenamedListedAndDeleted) {
  std::string id = Create();
  HttpResponse renamed = client_->Post("/c/" + id + "/rename", "title=" + FormEncode("Trip plans"));
  EXPECT_EQ(renamed.status, 200);
  EXPECT_NE(renamed.body.find("Trip plans"), std::string::npos);
  EXPECT_NE(client_->Get("/conversations").body.find("Trip plans"), std::string::npos);

  HttpResponse confirm = client_->Get("/c/" + id + "/delete");
  EXPECT_NE(confirm.body.find("cannot be undone"), std::string::npos);
  EXPECT_EQ(client_->Request("DELETE", "/c/" + id, {}, "").status, 200);
  EXPECT_EQ(client_->Get("/conversations").body.find("Trip plans"), std::string::npos);
  EXPECT_EQ(client_->Get("/c/" + id).status, 404);
}

TEST_F(Conversations, KeepTheRestOfThePageInStepWhenOpenedOrRenamed) {
  std::string id = Create();
  std::string url = client_->origin() + "/c/" + id;
  HttpResponse opened = client_->Get("/c/" + id);
  EXPECT_NE(opened.body.find("id=\"conversation-list\" hx-swap-oob"), std::string::npos);
  EXPECT_NE(opened.body.find("aria-current=\"page\""), std::string::npos);
  HttpResponse renamed =
      client_->Post("/c/" + id + "/rename", "title=Lisbon", {{"HX-Current-URL", url}});
  EXPECT_NE(renamed.body.find("<h1 id=\"conversation-title\" hx-swap-oob=\"true\">Lisbon</h1>"),
            std::string::npos)
      << renamed.body;
  EXPECT_NE(renamed.body.find("<title>Lisbon · Hearth</title>"), std::string::npos);
  // Renaming a conversation that is not open leaves the open one's heading alone.
  HttpResponse elsewhere = client_->Post("/c/" + id + "/rename", "title=Porto");
  EXPECT_EQ(elsewhere.body.find("conversation-title"), std::string::npos);
}

TEST_F(Conversations, AnEmptyTitleIsRefused) {
  std::string id = Create();
  HttpResponse r = client_->Post("/c/" + id + "/rename", "title=+++");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.Header("hx-retarget"), "#errors");
  EXPECT_NE(r.body.find("cannot be empty"), std::string::npos);
}

TEST_F(Conversations, StoreTheMessageAndSayNoModelIsConfigured) {
  std::string id = Create();
  HttpResponse r =
      client_->Post("/c/" + id + "/messages", "content=" + FormEncode("Hello\r\nthere"));
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("Hello\nthere"), std::string::npos);
  EXPECT_NE(r.body.find("No model is configured"), std::string::npos);
  HttpResponse view = client_->Get("/c/" + id);
  EXPECT_NE(view.body.find("Hello\nthere"), std::string::npos);
}

TEST_F(Conversations, ShowUserTextAsTextNeverAsMarkup) {
  const std::string payload = "<img src=x onerror=alert(1)><script>alert(2)</script>\"'&";
  std::string id = Create();
  ASSERT_EQ(client_->Post("/c/" + id + "/rename", "title=" + FormEncode(payload)).status, 200);
  ASSERT_EQ(client_->Post("/c/" + id + "/messages", "content=" + FormEncode(payload)).status, 200);
  for (const std::string& path :
       std::vector<std::string>{"/c/" + id, "/conversations", "/search?q=onerror"}) {
    HttpResponse r = client_->Get(path);
    SCOPED_TRACE(path);
    EXPECT_EQ(r.body.find("<img"), std::string::npos);
    EXPECT_EQ(r.body.find("<script>alert"), std::string::npos);
    EXPECT_NE(r.body.find("&lt;img src=x"), std::string::npos);
  }
  // A full page load escapes too.
  HttpResponse page = client_->Get("/c/" + id, {{"HX-Request", ""}});
  EXPECT_EQ(page.body.find("<img src=x"), std::string::npos);
  EXPECT_NE(page.body.find("&lt;script&gt;alert(2)&lt;/script&gt;"), std::string::npos);
}

TEST_F(Conversations, AreFoundByFullTextSearchWithHighlightedSnippets) {
  std::string a = Create(), b = Create();
  ASSERT_EQ(
      client_->Post("/c/" + a + "/messages", "content=" + FormEncode("the quick brown fox")).status,
      200);
  ASSERT_EQ(
      client_->Post("/c/" + b + "/messages", "content=" + FormEncode("a lazy dog sleeps")).status,
      200);
  HttpResponse hits = client_->Get("/search?q=bro");
  EXPECT_EQ(hits.status, 200);
  EXPECT_NE(hits.body.find("<mark>brown</mark>"), std::string::npos) << hits.body;
  EXPECT_NE(hits.body.find("/c/" + a + "#msg-"), std::string::npos);
  EXPECT_EQ(hits.body.find("lazy"), std::string::npos);
  // Search syntax in user text is just text.
  EXPECT_EQ(client_->Get("/search?q=" + FormEncode("\"unbalanced NEAR( OR * -x:")).status, 200);
  // Deleting a conversation removes it from the index.
  ASSERT_EQ(client_->Request("DELETE", "/c/" + a, {}, "").status, 200);
  EXPECT_EQ(client_->Get("/search?q=brown").body.find("<mark>"), std::string::npos);
}

TEST_F(Conversations, ArePagedWithoutGapsOrDuplicates) {
  for (int i = 0; i < 60; ++i) Create();
  HttpResponse first = client_->Get("/conversations");
  size_t more = first.body.find("/conversations?after=");
  ASSERT_NE(more, std::string::npos);
  std::string cursor = first.body.substr(more + 21, first.body.find('"', more) - more - 21);
  HttpResponse second = client_->Get("/conversations?after=" + cursor);
  std::string all = first.body + second.body;
  for (int i = 1; i <= 60; ++i) {
    std::string item = "id=\"conv-" + std::to_string(i) + "\"";
    size_t at = all.find(item);
    EXPECT_NE(at, std::string::npos) << i;
    EXPECT_EQ(all.find(item, at + 1), std::string::npos) << "duplicate " << i;
  }
}

TEST_F(Conversations, ChangesAreStreamedToOtherOpenPages) {
  EventReader other_tab(daemon_->port(), client_->cookie(), client_->host());
  ASSERT_TRUE(other_tab.ok());
  ASSERT_TRUE(other_tab.WaitFor("event: hello"));
  Create();
  EXPECT_TRUE(other_tab.WaitFor("event: conversations"));
}

TEST_F(Conversations, SettingsShowStatusAndSaveTheTheme) {
  HttpResponse page = client_->Get("/settings", {{"HX-Request", ""}});
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find(dirs_.db_path()), std::string::npos);
  EXPECT_NE(page.body.find("after 12 hours unused or 7 days in any case"), std::string::npos);
  EXPECT_NE(page.body.find("http://" + daemon_->AppHost() + "/"), std::string::npos);
  EXPECT_EQ(client_->Post("/settings", "theme=dark").status, 200);
  EXPECT_NE(client_->Get("/", {{"HX-Request", ""}}).body.find("data-theme=\"dark\""),
            std::string::npos);
  EXPECT_EQ(client_->Post("/settings", "theme=%3Cscript%3E").status, 400);
}

TEST_F(Conversations, SignOutEverywhereEndsEverySession) {
  Client second(daemon_->port(), daemon_->AppHost());
  ASSERT_EQ(second.Login(daemon_->LoginPath()).status, 303);
  EXPECT_EQ(client_->Post("/sessions/revoke-all", "").status, 200);
  EXPECT_EQ(client_->Get("/conversations").status, 401);
  EXPECT_EQ(second.Get("/conversations").status, 401);
}

}  // namespace
}  // namespace hearth::testing
