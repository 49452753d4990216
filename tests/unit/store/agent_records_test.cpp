// SPDX-License-Identifier: Apache-2.0
// What the agent keeps in the store: answers as they stream, the audit log, tool grants.
#include <gtest/gtest.h>

#include <string>

#include "store/database.h"
#include "store/schema.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace hearth::store {
namespace {

using Code = Status::Code;

class AnAgentStore : public testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    conversation_ = store_->CreateConversation("c", 1)->id;
  }
  std::unique_ptr<Store> store_;
  int64_t conversation_ = 0;
};

TEST_F(AnAgentStore, KeepsAMessagesStateAndMetadata) {
  auto added = store_->AddMessage(conversation_, "assistant", "", 2, MessageState::kStreaming,
                                  R"({"model":"m"})");
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  auto read = store_->GetMessage(added->id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->state, MessageState::kStreaming);
  EXPECT_EQ(read->meta, R"({"model":"m"})");
  // A plain message is done and has no metadata.
  auto plain = store_->GetMessage(store_->AddMessage(conversation_, "user", "hi", 3)->id);
  EXPECT_EQ(plain->state, MessageState::kDone);
  EXPECT_EQ(plain->meta, "");
}

TEST_F(AnAgentStore, UpdatesAStreamingAnswerAndSearchFindsTheNewText) {
  auto added =
      store_->AddMessage(conversation_, "assistant", "first", 2, MessageState::kStreaming, "");
  ASSERT_TRUE(added.ok());
  ASSERT_TRUE(
      store_->UpdateMessage(added->id, "first words, then zebras", MessageState::kDone, "{}").ok());
  auto read = store_->GetMessage(added->id);
  EXPECT_EQ(read->content, "first words, then zebras");
  EXPECT_EQ(read->state, MessageState::kDone);
  auto hits = store_->Search("zebras", 10);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].message_id, added->id);
}

TEST_F(AnAgentStore, RefusesToUpdateAnUnknownMessageOrPastTheSizeLimit) {
  EXPECT_EQ(store_->UpdateMessage(999, "x", MessageState::kDone, "").code(), Code::kNotFound);
  auto added = store_->AddMessage(conversation_, "assistant", "kept", 2);
  std::string huge(kMaxMessageBytes + 1, 'a');
  EXPECT_EQ(store_->UpdateMessage(added->id, huge, MessageState::kDone, "").code(),
            Code::kTooLarge);
  EXPECT_EQ(store_->GetMessage(added->id)->content, "kept");
}

TEST_F(AnAgentStore, MarksAnswersLeftStreamingByACrashAsPartial) {
  auto streaming = store_->AddMessage(conversation_, "assistant", "half an ans", 2,
                                      MessageState::kStreaming, "");
  auto done = store_->AddMessage(conversation_, "assistant", "whole", 3);
  auto settled = store_->SettleInterruptedMessages();
  ASSERT_TRUE(settled.ok());
  EXPECT_EQ(*settled, 1);
  EXPECT_EQ(store_->GetMessage(streaming->id)->state, MessageState::kPartial);
  EXPECT_EQ(store_->GetMessage(streaming->id)->content, "half an ans");
  EXPECT_EQ(store_->GetMessage(done->id)->state, MessageState::kDone);
}

TEST_F(AnAgentStore, SettlesOnlyTheEndedRunsStreamingMessages) {
  auto before = store_->AddMessage(conversation_, "assistant", "an older run's", 1,
                                   MessageState::kStreaming, "");
  auto first = store_->AddMessage(conversation_, "assistant", "the run's answer", 2,
                                  MessageState::kStreaming, "");
  auto tool = store_->AddMessage(conversation_, "tool", "", 3, MessageState::kStreaming, "{}");
  auto done = store_->AddMessage(conversation_, "tool", "ok", 4, MessageState::kDone, "{}");
  auto other = store_->CreateConversation("other", 5);
  ASSERT_TRUE(other.ok());
  auto elsewhere = store_->AddMessage(other->id, "assistant", "", 6, MessageState::kStreaming, "");

  auto settled = store_->SettleRunMessages(conversation_, first->id);
  ASSERT_TRUE(settled.ok());
  EXPECT_EQ(*settled, 2);
  EXPECT_EQ(store_->GetMessage(first->id)->state, MessageState::kPartial);
  EXPECT_EQ(store_->GetMessage(first->id)->content, "the run's answer");
  EXPECT_EQ(store_->GetMessage(tool->id)->state, MessageState::kPartial);
  EXPECT_EQ(store_->GetMessage(done->id)->state, MessageState::kDone);
  EXPECT_EQ(store_->GetMessage(before->id)->state, MessageState::kStreaming);
  EXPECT_EQ(store_->GetMessage(elsewhere->id)->state, MessageState::kStreaming);
}

TEST_F(AnAgentStore, KeepsAConversationsAgentOptions) {
  ASSERT_TRUE(store_->SetAgentOptions(conversation_, R"({"model":"llama3"})").ok());
  EXPECT_EQ(store_->GetConversation(conversation_)->agent_options, R"({"model":"llama3"})");
  EXPECT_EQ(store_->SetAgentOptions(12345, "{}").code(), Code::kNotFound);
}

TEST_F(AnAgentStore, ListsTheAuditLogNewestFirst) {
  ASSERT_TRUE(store_
                  ->AddAuditEntry({.at_ms = 5,
                                   .conversation_id = conversation_,
                                   .tool = "read_file",
                                   .target = ".ssh/id_rsa",
                                   .reason = "on the deny-list"})
                  .ok());
  ASSERT_TRUE(store_
                  ->AddAuditEntry({.at_ms = 6,
                                   .conversation_id = 0,
                                   .tool = "run_command",
                                   .target = "cat x",
                                   .reason = "outside"})
                  .ok());
  auto entries = store_->ListAuditEntries(10);
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].tool, "run_command");
  EXPECT_EQ((*entries)[0].conversation_id, 0);
  EXPECT_EQ((*entries)[1].target, ".ssh/id_rsa");
  EXPECT_EQ((*entries)[1].conversation_id, conversation_);
}

TEST_F(AnAgentStore, KeepsTheAuditLogAfterItsConversationIsDeleted) {
  ASSERT_TRUE(store_
                  ->AddAuditEntry({.at_ms = 5,
                                   .conversation_id = conversation_,
                                   .tool = "t",
                                   .target = "",
                                   .reason = ""})
                  .ok());
  ASSERT_TRUE(store_->DeleteConversation(conversation_).ok());
  EXPECT_EQ(store_->ListAuditEntries(10)->size(), 1u);
}

TEST_F(AnAgentStore, BoundsTheAuditLogByDroppingTheOldestEntries) {
  for (int64_t i = 0; i < Store::kMaxAuditEntries + 5; ++i) {
    ASSERT_TRUE(store_->AddAuditEntry({.at_ms = i, .tool = "t", .target = "", .reason = ""}).ok());
  }
  EXPECT_EQ(store_->GetStats()->audit_entries, Store::kMaxAuditEntries);
  auto newest = store_->ListAuditEntries(1);
  ASSERT_EQ(newest->size(), 1u);
  EXPECT_EQ((*newest)[0].at_ms, Store::kMaxAuditEntries + 4);
}

TEST_F(AnAgentStore, GrantsListsAndRevokesATool) {
  EXPECT_FALSE(*store_->HasToolGrant("run_command"));
  ASSERT_TRUE(store_->AddToolGrant("run_command", "run_command", 7).ok());
  ASSERT_TRUE(store_->AddToolGrant("run_command", "run_command (again)", 8).ok());
  EXPECT_TRUE(*store_->HasToolGrant("run_command"));
  auto grants = store_->ListToolGrants();
  ASSERT_EQ(grants->size(), 1u);
  EXPECT_EQ((*grants)[0].label, "run_command (again)");
  ASSERT_TRUE(store_->DeleteToolGrant("run_command").ok());
  EXPECT_FALSE(*store_->HasToolGrant("run_command"));
  EXPECT_EQ(store_->DeleteToolGrant("run_command").code(), Code::kNotFound);
}

TEST(AStoreFromTheFirstSchema, KeepsItsMessagesAsDoneWhenUpgraded) {
  unit::TempDir dir;
  std::string path = dir.File("hearth.db");
  {
    auto db = Database::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(Migrate(*db, 1).ok());
    ASSERT_TRUE(db->Exec("INSERT INTO conversations (title, created_ms, updated_ms)"
                         " VALUES ('old', 1, 1);"
                         "INSERT INTO messages (conversation_id, role, content, created_ms)"
                         " VALUES (1, 'user', 'from version one', 2);")
                    .ok());
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto messages = (*store)->ListMessages(1, std::nullopt, 10);
  ASSERT_TRUE(messages.ok());
  ASSERT_EQ(messages->size(), 1u);
  EXPECT_EQ((*messages)[0].content, "from version one");
  EXPECT_EQ((*messages)[0].state, MessageState::kDone);
  EXPECT_EQ((*store)->GetStats()->schema_version, Store::kSchemaVersion);
}

}  // namespace
}  // namespace hearth::store
