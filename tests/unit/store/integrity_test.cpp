// SPDX-License-Identifier: Apache-2.0
#include "store/integrity.h"

#include "store/database.h"
#include "store/store.h"
#include "testing/damage.h"
#include "testing/files.h"
#include "testing/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

namespace hearth::store {
namespace {

using Code = Status::Code;
using hearth::unit::DamageLeafPage;
using hearth::unit::ReadFile;
using hearth::unit::TempDir;

struct timespec Mtime(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mtim;
}

bool SameTime(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

bool Exists(const std::string& path) { return std::filesystem::exists(path); }

class AStoreFileWithADamagedDataPage : public testing::Test {
 protected:
  void SetUp() override {
    {
      Result<std::unique_ptr<Store>> store = Store::Open(path_);
      ASSERT_TRUE(store.ok()) << store.status().ToString();
      Result<Conversation> c = (*store)->CreateConversation("kept", 1);
      ASSERT_TRUE(c.ok());
      conversation_id_ = c->id;
      ASSERT_TRUE((*store)->SetSetting("theme", "dark").ok());
      // Enough text for the messages table to span many leaf pages.
      for (int i = 0; i < 200; ++i) {
        ASSERT_TRUE(
            (*store)->AddMessage(c->id, "user", std::string(1500, 'a' + i % 26), 2 + i).ok());
      }
    }
    ASSERT_FALSE(Exists(path_ + "-wal"));
    ASSERT_NE(DamageLeafPage(path_, "messages", 10), 0);
    before_ = ReadFile(path_);
    mtime_ = Mtime(path_);
  }

  void ExpectUntouched() {
    EXPECT_TRUE(ReadFile(path_) == before_) << "the damaged file was written to";
    EXPECT_TRUE(SameTime(Mtime(path_), mtime_));
    EXPECT_FALSE(Exists(path_ + "-wal"));
    EXPECT_FALSE(Exists(path_ + "-shm"));
    EXPECT_FALSE(Exists(path_ + "-journal"));
  }

  TempDir dir_;
  std::string path_ = dir_.File("hearth.db");
  int64_t conversation_id_ = 0;
  std::string before_;
  struct timespec mtime_ {};
};

TEST_F(AStoreFileWithADamagedDataPage, OpensReadOnlyAndSaysItIsDamaged) {
  Result<std::unique_ptr<Store>> store = Store::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Integrity integrity = (*store)->integrity();
  EXPECT_EQ(integrity.state, Integrity::State::kDamaged);
  ASSERT_FALSE(integrity.findings.empty());
  EXPECT_EQ(std::string(IntegrityStateName(integrity.state)), "damaged");

  Status writable = (*store)->Writable();
  EXPECT_EQ(writable.code(), Code::kUnavailable);
  EXPECT_NE(writable.message().find(path_ + " is damaged"), std::string::npos)
      << writable.message();
  EXPECT_NE(writable.message().find("read-only"), std::string::npos);
  EXPECT_NE(writable.message().find(".recover"), std::string::npos);
  store->reset();
  ExpectUntouched();
}

TEST_F(AStoreFileWithADamagedDataPage, RefusesEveryWriteWithTheSameClearStatus) {
  Result<std::unique_ptr<Store>> opened = Store::Open(path_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  Status refusal = store.Writable();
  auto expect_refused = [&](const Status& status, const char* what) {
    EXPECT_EQ(status.code(), Code::kUnavailable) << what << ": " << status.ToString();
    EXPECT_EQ(status.message(), refusal.message()) << what;
  };
  expect_refused(store.CreateConversation("new", 9).status(), "CreateConversation");
  expect_refused(store.RenameConversation(conversation_id_, "x", 9), "RenameConversation");
  expect_refused(store.DeleteConversation(conversation_id_), "DeleteConversation");
  expect_refused(store.SetAgentOptions(conversation_id_, "{}"), "SetAgentOptions");
  expect_refused(store.AddMessage(conversation_id_, "user", "hi", 9).status(), "AddMessage");
  expect_refused(store.UpdateMessage(1, "x", MessageState::kDone, ""), "UpdateMessage");
  expect_refused(store.SettleInterruptedMessages().status(), "SettleInterruptedMessages");
  expect_refused(store.SetSetting("theme", "light"), "SetSetting");
  expect_refused(store.InsertSession({.id_hash = "ab", .csrf_token = "c"}), "InsertSession");
  expect_refused(store.TouchSession("ab", 9), "TouchSession");
  expect_refused(store.DeleteSession("ab"), "DeleteSession");
  expect_refused(store.DeleteAllSessions().status(), "DeleteAllSessions");
  expect_refused(store.DeleteExpiredSessions(9, 9).status(), "DeleteExpiredSessions");
  expect_refused(store.InsertLoginToken("ab", 9), "InsertLoginToken");
  expect_refused(store.ConsumeLoginToken("ab", 9).status(), "ConsumeLoginToken");
  expect_refused(store.DeleteExpiredLoginTokens(9).status(), "DeleteExpiredLoginTokens");
  expect_refused(store.AddAuditEntry({.tool = "t", .target = "x", .reason = "r"}), "AddAuditEntry");
  expect_refused(store.AddToolGrant("k", "l", 9), "AddToolGrant");
  expect_refused(store.DeleteToolGrant("k"), "DeleteToolGrant");
  opened->reset();
  ExpectUntouched();
}

TEST_F(AStoreFileWithADamagedDataPage, StillReadsWhatIsIntact) {
  Result<std::unique_ptr<Store>> store = Store::Open(path_);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  Result<std::vector<Conversation>> list = (*store)->ListConversations(std::nullopt, 10);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].title, "kept");
  EXPECT_EQ(**(*store)->GetSetting("theme"), "dark");
  // The damaged page itself reads as damage, not as a crash or as silently missing rows.
  Result<std::vector<Message>> messages =
      (*store)->ListMessages(conversation_id_, std::nullopt, kMaxPageSize);
  EXPECT_EQ(messages.status().code(), Code::kCorrupt) << messages.status().ToString();
  store->reset();
  ExpectUntouched();
}

TEST(AWholeStoreFile, IsCheckedAndWritable) {
  TempDir dir;
  std::string path = dir.File("hearth.db");
  { ASSERT_TRUE(Store::Open(path).ok()); }
  Result<std::unique_ptr<Store>> store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->integrity().state, Integrity::State::kOk);
  EXPECT_TRUE((*store)->integrity().findings.empty());
  EXPECT_TRUE((*store)->Writable().ok());
  EXPECT_TRUE((*store)->CreateConversation("new", 1).ok());
}

TEST(ANewStoreFile, IsNotCheckedAndIsWritable) {
  TempDir dir;
  Result<std::unique_ptr<Store>> store = Store::Open(dir.File("hearth.db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->integrity().state, Integrity::State::kUnchecked);
  EXPECT_TRUE((*store)->Writable().ok());
}

TEST(OpenForCheck, CreatesNothingBesideAWalModeFile) {
  TempDir dir;
  std::string path = dir.File("hearth.db");
  { ASSERT_TRUE(Store::Open(path).ok()); }
  ASSERT_FALSE(Exists(path + "-wal"));
  std::string before = ReadFile(path);
  {
    Result<Database> db = OpenForCheck(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    EXPECT_EQ(db->path(), path);
    Result<std::vector<std::string>> findings = QuickCheck(*db);
    ASSERT_TRUE(findings.ok()) << findings.status().ToString();
    EXPECT_TRUE(findings->empty());
    EXPECT_NE(db->Exec("INSERT INTO settings (key, value) VALUES ('a', 'b')").code(), Code::kOk);
  }
  EXPECT_FALSE(Exists(path + "-wal"));
  EXPECT_FALSE(Exists(path + "-shm"));
  EXPECT_EQ(ReadFile(path), before);
}

}  // namespace
}  // namespace hearth::store
