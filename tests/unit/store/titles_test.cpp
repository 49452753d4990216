// SPDX-License-Identifier: Apache-2.0
// Where a conversation's title comes from, and that a title the user set is never replaced.
#include <sqlite3.h>

#include <string>

#include <gtest/gtest.h>

#include "store/database.h"
#include "store/schema.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace hearth::store {
namespace {

class ATitle : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  Conversation Get(int64_t id) { return *store_->GetConversation(id); }

  std::unique_ptr<Store> store_;
};

TEST_F(ATitle, StartsAsThePlaceholderAndIsMadeOnce) {
  int64_t id = store_->CreateConversation("", 1)->id;
  EXPECT_EQ(Get(id).title, "New conversation");
  EXPECT_EQ(Get(id).title_source, TitleSource::kNone);
  int64_t updated = Get(id).updated_ms;

  EXPECT_TRUE(*store_->SetGeneratedTitle(id, "Trip to Lisbon"));
  EXPECT_EQ(Get(id).title, "Trip to Lisbon");
  EXPECT_EQ(Get(id).title_source, TitleSource::kAuto);
  EXPECT_EQ(Get(id).updated_ms, updated) << "a made title does not move it in the list";

  EXPECT_FALSE(*store_->SetGeneratedTitle(id, "Something else"));
  EXPECT_EQ(Get(id).title, "Trip to Lisbon");
}

TEST_F(ATitle, SetByTheUserIsNeverReplaced) {
  int64_t renamed = store_->CreateConversation("", 1)->id;
  ASSERT_TRUE(store_->RenameConversation(renamed, "Mine", 2).ok());
  EXPECT_EQ(Get(renamed).title_source, TitleSource::kUser);
  EXPECT_FALSE(*store_->SetGeneratedTitle(renamed, "Made"));
  EXPECT_EQ(Get(renamed).title, "Mine");

  int64_t named = store_->CreateConversation("Named at once", 1)->id;
  EXPECT_EQ(Get(named).title_source, TitleSource::kUser);
  EXPECT_FALSE(*store_->SetGeneratedTitle(named, "Made"));
  EXPECT_EQ(Get(named).title, "Named at once");

  // A title made first can still be renamed by the user, and then stays theirs.
  int64_t made = store_->CreateConversation("", 1)->id;
  ASSERT_TRUE(*store_->SetGeneratedTitle(made, "Made"));
  ASSERT_TRUE(store_->RenameConversation(made, "Better", 3).ok());
  EXPECT_EQ(Get(made).title_source, TitleSource::kUser);
}

TEST_F(ATitle, MadeIsCleanedLikeAnyTitle) {
  int64_t id = store_->CreateConversation("", 1)->id;
  ASSERT_TRUE(*store_->SetGeneratedTitle(id, "  two\nlines\x02 "));
  EXPECT_EQ(Get(id).title, "two lines");
}

TEST_F(ATitle, ForAConversationThatIsGoneIsNotFound) {
  EXPECT_EQ(store_->SetGeneratedTitle(42, "x").status().code(), Status::Code::kNotFound);
}

TEST(TitlesFromSchemaThree, AreTheUsersUnlessThePlaceholder) {
  unit::TempDir dir;
  std::string path = dir.File("hearth.db");
  {
    auto db = Database::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(Migrate(*db, 3).ok());
    ASSERT_TRUE(db->Exec("INSERT INTO conversations (title, created_ms, updated_ms)"
                         " VALUES ('New conversation', 1, 1), ('Renamed once', 2, 2);")
                    .ok());
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->GetConversation(1)->title_source, TitleSource::kNone);
  EXPECT_EQ((*store)->GetConversation(2)->title_source, TitleSource::kUser);
  EXPECT_TRUE(*(*store)->SetGeneratedTitle(1, "Made"));
  EXPECT_FALSE(*(*store)->SetGeneratedTitle(2, "Made"));
}

}  // namespace
}  // namespace hearth::store
