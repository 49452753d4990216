// SPDX-License-Identifier: Apache-2.0
#include "store/schema.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "store/store.h"

namespace hearth::store {
namespace {

using Code = Status::Code;

class AnEmptyDatabase : public testing::Test {
 protected:
  void SetUp() override {
    Result<Database> db = Database::Open(":memory:", SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::make_unique<Database>(std::move(*db));
  }

  int64_t QueryInt(const std::string& sql) {
    Result<Statement> statement = db_->Prepare(sql);
    EXPECT_TRUE(statement.ok()) << statement.status().ToString();
    if (!statement.ok()) return -1;
    Result<bool> row = statement->Step();
    EXPECT_TRUE(row.ok() && *row) << sql;
    return statement->ColumnInt64(0);
  }

  std::set<std::string> SchemaObjects() {
    std::set<std::string> names;
    Result<Statement> list = db_->Prepare("SELECT name FROM sqlite_schema");
    while (*list->Step()) names.insert(std::string(list->ColumnText(0)));
    return names;
  }

  std::unique_ptr<Database> db_;
};

TEST_F(AnEmptyDatabase, IsAtVersionZero) {
  Result<int> version = CheckSchema(*db_, Store::kSchemaVersion);
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, 0);
}

TEST_F(AnEmptyDatabase, MigratesToTheLatestVersion) {
  ASSERT_TRUE(Migrate(*db_, Store::kSchemaVersion).ok());

  EXPECT_EQ(*CheckSchema(*db_, Store::kSchemaVersion), Store::kSchemaVersion);
  EXPECT_EQ(QueryInt("PRAGMA application_id"), kApplicationId);
  std::set<std::string> objects = SchemaObjects();
  for (const char* name : {"conversations", "messages", "settings", "sessions", "login_tokens",
                           "messages_fts", "conversations_by_updated", "messages_by_conversation",
                           "messages_fts_insert", "messages_fts_delete", "messages_fts_update"}) {
    EXPECT_TRUE(objects.count(name)) << name;
  }
  EXPECT_FALSE(db_->InTransaction());
}

TEST_F(AnEmptyDatabase, ChangesNothingWhenMigratedASecondTime) {
  ASSERT_TRUE(Migrate(*db_, Store::kSchemaVersion).ok());
  int64_t objects = QueryInt("SELECT count(*) FROM sqlite_schema");
  ASSERT_TRUE(Migrate(*db_, Store::kSchemaVersion).ok());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM sqlite_schema"), objects);
  EXPECT_EQ(QueryInt("PRAGMA user_version"), Store::kSchemaVersion);
}

TEST_F(AnEmptyDatabase, CannotMigrateToAVersionWithNoMigration) {
  EXPECT_EQ(Migrate(*db_, Store::kSchemaVersion + 1).code(), Code::kInternal);
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 0);
}

TEST_F(AnEmptyDatabase, WrittenByANewerHearthIsRefusedAndLeftAsItWas) {
  ASSERT_TRUE(db_->Exec("PRAGMA user_version = 99; PRAGMA application_id = " +
                        std::to_string(kApplicationId))
                  .ok());

  Result<int> version = CheckSchema(*db_, Store::kSchemaVersion);
  EXPECT_EQ(version.status().code(), Code::kUnsupported);
  EXPECT_NE(version.status().message().find("was written by a newer Hearth (schema 99, this "
                                            "build knows " +
                                            std::to_string(Store::kSchemaVersion) +
                                            "); upgrade Hearth or move the file aside"),
            std::string::npos)
      << version.status().message();
  EXPECT_EQ(Migrate(*db_, Store::kSchemaVersion).code(), Code::kUnsupported);
  EXPECT_EQ(QueryInt("PRAGMA user_version"), 99);
  EXPECT_EQ(QueryInt("SELECT count(*) FROM sqlite_schema"), 0);
}

TEST_F(AnEmptyDatabase, HoldingAnotherProgramsTablesIsNotHearths) {
  ASSERT_TRUE(db_->Exec("CREATE TABLE photos (id)").ok());
  Result<int> version = CheckSchema(*db_, Store::kSchemaVersion);
  EXPECT_EQ(version.status().code(), Code::kCorrupt);
  EXPECT_NE(version.status().message().find("not Hearth's"), std::string::npos);
}

TEST_F(AnEmptyDatabase, MarkedByAnotherProgramIsNotHearths) {
  ASSERT_TRUE(db_->Exec("PRAGMA application_id = 1234").ok());
  EXPECT_EQ(CheckSchema(*db_, Store::kSchemaVersion).status().code(), Code::kCorrupt);
}

TEST_F(AnEmptyDatabase, WithAVersionButNoHearthMarkIsNotHearths) {
  ASSERT_TRUE(db_->Exec("PRAGMA user_version = 1; CREATE TABLE photos (id)").ok());
  EXPECT_EQ(CheckSchema(*db_, Store::kSchemaVersion).status().code(), Code::kCorrupt);
}

class AMigratedDatabase : public AnEmptyDatabase {
 protected:
  void SetUp() override {
    AnEmptyDatabase::SetUp();
    ASSERT_TRUE(db_->Exec("PRAGMA foreign_keys = ON").ok());
    ASSERT_TRUE(Migrate(*db_, Store::kSchemaVersion).ok());
    ASSERT_TRUE(db_->Exec("INSERT INTO conversations (id, title, created_ms, updated_ms)"
                          " VALUES (1, 'one', 0, 0), (2, 'two', 0, 0)")
                    .ok());
  }

  int64_t Hits(const std::string& fts_query) {
    Result<Statement> search =
        db_->Prepare("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?1");
    EXPECT_TRUE(search.ok());
    EXPECT_TRUE(*search->Bind(1, fts_query).Step());
    return search->ColumnInt64(0);
  }

  // FTS5 compares its index with the content table
  // (https://sqlite.org/fts5.html#the_integrity_check_command).
  Status IndexMatchesMessages() {
    return db_->Exec("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)");
  }
};

TEST_F(AMigratedDatabase, IndexesNewMessages) {
  ASSERT_TRUE(db_->Exec("INSERT INTO messages (conversation_id, role, content, created_ms)"
                        " VALUES (1, 'user', 'the quick brown fox', 0)")
                  .ok());
  EXPECT_EQ(Hits("quick"), 1);
  EXPECT_EQ(Hits("slow"), 0);
  EXPECT_TRUE(IndexMatchesMessages().ok());
}

TEST_F(AMigratedDatabase, ReindexesAnEditedMessage) {
  ASSERT_TRUE(db_->Exec("INSERT INTO messages (id, conversation_id, role, content, created_ms)"
                        " VALUES (10, 1, 'user', 'the quick brown fox', 0)")
                  .ok());
  ASSERT_TRUE(db_->Exec("UPDATE messages SET content = 'a lazy dog' WHERE id = 10").ok());
  EXPECT_EQ(Hits("quick"), 0);
  EXPECT_EQ(Hits("lazy"), 1);
  EXPECT_TRUE(IndexMatchesMessages().ok());
}

TEST_F(AMigratedDatabase, ForgetsADeletedMessage) {
  ASSERT_TRUE(db_->Exec("INSERT INTO messages (id, conversation_id, role, content, created_ms)"
                        " VALUES (10, 1, 'user', 'the quick brown fox', 0)")
                  .ok());
  ASSERT_TRUE(db_->Exec("DELETE FROM messages WHERE id = 10").ok());
  EXPECT_EQ(Hits("quick"), 0);
  EXPECT_TRUE(IndexMatchesMessages().ok());
}

TEST_F(AMigratedDatabase, DeletesAConversationsMessagesAndTheirIndexEntries) {
  ASSERT_TRUE(db_->Exec("INSERT INTO messages (conversation_id, role, content, created_ms) VALUES"
                        " (1, 'user', 'apples', 0), (1, 'assistant', 'more apples', 0),"
                        " (2, 'user', 'apples elsewhere', 0)")
                  .ok());
  ASSERT_TRUE(db_->Exec("DELETE FROM conversations WHERE id = 1").ok());
  EXPECT_EQ(QueryInt("SELECT count(*) FROM messages"), 1);
  EXPECT_EQ(Hits("apples"), 1);
  EXPECT_TRUE(IndexMatchesMessages().ok());
}

TEST_F(AMigratedDatabase, FoldsDiacriticsWhenMatching) {
  ASSERT_TRUE(db_->Exec("INSERT INTO messages (conversation_id, role, content, created_ms)"
                        " VALUES (1, 'user', 'un café près de là', 0)")
                  .ok());
  EXPECT_EQ(Hits("cafe"), 1);
  EXPECT_EQ(Hits("pres"), 1);
}

TEST_F(AMigratedDatabase, RefusesAnUnknownRole) {
  Status status = db_->Exec(
      "INSERT INTO messages (conversation_id, role, content, created_ms)"
      " VALUES (1, 'robot', 'beep', 0)");
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
}

TEST_F(AMigratedDatabase, RefusesAMessageForAnUnknownConversation) {
  Status status = db_->Exec(
      "INSERT INTO messages (conversation_id, role, content, created_ms)"
      " VALUES (3, 'user', 'orphan', 0)");
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace hearth::store
