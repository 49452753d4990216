// SPDX-License-Identifier: Apache-2.0
// Versions: regenerated answers and edited messages are new messages beside the old; the thread
// shown (and sent to the model) is one path through them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/database.h"
#include "store/schema.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace hearth::store {
namespace {

using Code = Status::Code;

class AConversationWithVersions : public testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    conversation_ = store_->CreateConversation("c", 1)->id;
  }
  int64_t Add(std::string_view role, std::string_view text) {
    auto added = store_->AddMessage(conversation_, role, text, 2);
    EXPECT_TRUE(added.ok()) << added.status().ToString();
    return added.ok() ? added->id : 0;
  }
  std::vector<std::string> Thread() {
    std::vector<std::string> texts;
    auto messages = store_->ListMessages(conversation_, std::nullopt, kMaxPageSize);
    EXPECT_TRUE(messages.ok()) << messages.status().ToString();
    if (messages.ok()) {
      for (const Message& m : *messages) texts.push_back(m.content);
    }
    return texts;
  }
  std::unique_ptr<Store> store_;
  int64_t conversation_ = 0;
};

using Texts = std::vector<std::string>;

TEST_F(AConversationWithVersions, ChainsEachMessageAfterTheOneBefore) {
  int64_t question = Add("user", "q");
  int64_t answer = Add("assistant", "a");
  auto read = store_->GetMessage(answer);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->parent_id, question);
  EXPECT_EQ(store_->GetMessage(question)->parent_id, 0);
  EXPECT_EQ(read->version_count, 1);
  EXPECT_EQ(*store_->ThreadEnd(conversation_), answer);
}

TEST_F(AConversationWithVersions, KeepsTheEarlierAnswerWhenOneIsRegenerated) {
  int64_t question = Add("user", "q");
  int64_t first = Add("assistant", "a1");
  ASSERT_TRUE(store_->SetThreadEnd(conversation_, question).ok());
  int64_t second = Add("assistant", "a2");
  EXPECT_EQ(Thread(), (Texts{"q", "a2"}));

  auto messages = store_->ListMessages(conversation_, std::nullopt, 10);
  const Message& shown = messages->back();
  EXPECT_EQ(shown.version, 2);
  EXPECT_EQ(shown.version_count, 2);
  EXPECT_EQ(shown.previous_version_id, first);
  EXPECT_EQ(shown.next_version_id, 0);
  // The earlier answer is untouched.
  auto earlier = store_->GetMessage(first);
  EXPECT_EQ(earlier->content, "a1");
  EXPECT_EQ(earlier->version, 1);
  EXPECT_EQ(earlier->next_version_id, second);
}

TEST_F(AConversationWithVersions, StepsBetweenVersionsWithTheRestOfTheirBranch) {
  Add("user", "q1");
  int64_t a1 = Add("assistant", "a1");
  int64_t q2 = Add("user", "q2 (after a1)");
  Add("assistant", "a2 (after a1)");
  // Edit q2: the new version follows q2's parent; q2's answer stays in the old branch.
  ASSERT_TRUE(store_->SetThreadEnd(conversation_, a1).ok());
  int64_t q2b = Add("user", "q2 edited");
  Add("assistant", "a2 (edited)");
  EXPECT_EQ(Thread(), (Texts{"q1", "a1", "q2 edited", "a2 (edited)"}));

  ASSERT_TRUE(store_->ShowVersion(conversation_, q2).ok());
  EXPECT_EQ(Thread(), (Texts{"q1", "a1", "q2 (after a1)", "a2 (after a1)"}));
  ASSERT_TRUE(store_->ShowVersion(conversation_, q2b).ok());
  EXPECT_EQ(Thread(), (Texts{"q1", "a1", "q2 edited", "a2 (edited)"}));
}

TEST_F(AConversationWithVersions, EditsTheFirstMessageAsANewStart) {
  int64_t q = Add("user", "q");
  Add("assistant", "a");
  ASSERT_TRUE(store_->SetThreadEnd(conversation_, 0).ok());
  EXPECT_EQ(Thread(), Texts{});
  int64_t edited = Add("user", "q edited");
  EXPECT_EQ(Thread(), (Texts{"q edited"}));
  EXPECT_EQ(store_->GetMessage(edited)->previous_version_id, q);
  ASSERT_TRUE(store_->ShowVersion(conversation_, q).ok());
  EXPECT_EQ(Thread(), (Texts{"q", "a"}));
}

TEST_F(AConversationWithVersions, PagesBackAlongTheThreadOnly) {
  int64_t q = Add("user", "q");
  Add("assistant", "old answer");
  ASSERT_TRUE(store_->SetThreadEnd(conversation_, q).ok());
  int64_t answer = Add("assistant", "new answer");
  auto page = store_->ListMessages(conversation_, answer, 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ((*page)[0].content, "q");
  auto last = store_->ListMessages(conversation_, std::nullopt, 1);
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ((*last)[0].content, "new answer");
}

TEST_F(AConversationWithVersions, RefusesAMessageOfAnotherConversation) {
  int64_t other = store_->CreateConversation("other", 1)->id;
  int64_t foreign = store_->AddMessage(other, "user", "elsewhere", 2)->id;
  Add("user", "q");
  EXPECT_EQ(store_->SetThreadEnd(conversation_, foreign).code(), Code::kNotFound);
  EXPECT_EQ(store_->ShowVersion(conversation_, foreign).code(), Code::kNotFound);
  EXPECT_EQ(store_->ShowVersion(conversation_, 9999).code(), Code::kNotFound);
  EXPECT_EQ(Thread(), (Texts{"q"}));
}

TEST(AStoreFromSchemaFour, ShowsItsConversationsAsTheyWereWhenUpgraded) {
  unit::TempDir dir;
  std::string path = dir.File("hearth.db");
  {
    auto db = Database::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(Migrate(*db, 4).ok());
    ASSERT_TRUE(db->Exec("INSERT INTO conversations (title, created_ms, updated_ms)"
                         " VALUES ('one', 1, 1), ('two', 1, 1);"
                         "INSERT INTO messages (conversation_id, role, content, created_ms) VALUES"
                         " (1, 'user', 'q1', 2), (2, 'user', 'other', 2),"
                         " (1, 'assistant', 'a1', 3), (1, 'user', 'q2', 4);")
                    .ok());
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto messages = (*store)->ListMessages(1, std::nullopt, 10);
  ASSERT_TRUE(messages.ok()) << messages.status().ToString();
  ASSERT_EQ(messages->size(), 3u);
  EXPECT_EQ((*messages)[0].content, "q1");
  EXPECT_EQ((*messages)[1].content, "a1");
  EXPECT_EQ((*messages)[2].content, "q2");
  EXPECT_EQ((*messages)[1].parent_id, (*messages)[0].id);
  // A message added after the upgrade follows the last one; search still finds the old text.
  auto added = (*store)->AddMessage(1, "assistant", "a2", 5);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->parent_id, (*messages)[2].id);
  EXPECT_EQ((*store)->Search("q1", 10)->size(), 1u);
  EXPECT_EQ((*store)->ListMessages(2, std::nullopt, 10)->size(), 1u);
}

}  // namespace
}  // namespace hearth::store
