// SPDX-License-Identifier: Apache-2.0
// The audit log as Settings browses it: a page at a time, by tool and by conversation.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/database.h"
#include "store/schema.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace hearth::store {
namespace {

class AnAuditLog : public testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    first_ = store_->CreateConversation("first", 1)->id;
    second_ = store_->CreateConversation("second", 1)->id;
  }
  void Add(int64_t at_ms, int64_t conversation, std::string tool) {
    ASSERT_TRUE(store_
                    ->AddAuditEntry({.at_ms = at_ms,
                                     .conversation_id = conversation,
                                     .tool = std::move(tool),
                                     .target = "t" + std::to_string(at_ms),
                                     .reason = "r"})
                    .ok());
  }
  // The at_ms of every entry `query` selects, walking page by page.
  std::vector<int64_t> Walk(AuditQuery query) {
    std::vector<int64_t> seen;
    for (int pages = 0; pages < 100; ++pages) {
      auto page = store_->ListAuditEntries(query);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok() || page->empty()) break;
      EXPECT_LE(static_cast<int>(page->size()), query.limit);
      for (const AuditEntry& e : *page) seen.push_back(e.at_ms);
      query.before_id = page->back().id;
    }
    return seen;
  }
  std::unique_ptr<Store> store_;
  int64_t first_ = 0;
  int64_t second_ = 0;
};

TEST_F(AnAuditLog, PagesThroughEveryEntryNewestFirstWithoutRepeatsOrGaps) {
  for (int64_t i = 1; i <= 7; ++i) Add(i, i % 2 == 0 ? first_ : 0, "run_command");
  EXPECT_EQ(Walk({.limit = 3}), (std::vector<int64_t>{7, 6, 5, 4, 3, 2, 1}));
}

TEST_F(AnAuditLog, EntriesAddedWhilePagingDoNotShiftTheNextPage) {
  for (int64_t i = 1; i <= 4; ++i) Add(i, 0, "t");
  auto page = store_->ListAuditEntries(AuditQuery{.limit = 2});
  ASSERT_EQ(page->size(), 2u);
  Add(5, 0, "t");
  auto next = store_->ListAuditEntries(AuditQuery{.before_id = page->back().id, .limit = 2});
  ASSERT_EQ(next->size(), 2u);
  EXPECT_EQ((*next)[0].at_ms, 2);
  EXPECT_EQ((*next)[1].at_ms, 1);
}

TEST_F(AnAuditLog, FiltersByToolByConversationAndByBoth) {
  Add(1, first_, "read_file");
  Add(2, first_, "run_command");
  Add(3, second_, "run_command");
  Add(4, 0, "run_command");
  Add(5, second_, "read_file");
  EXPECT_EQ(Walk({.tool = "run_command", .limit = 1}), (std::vector<int64_t>{4, 3, 2}));
  EXPECT_EQ(Walk({.conversation_id = second_, .limit = 1}), (std::vector<int64_t>{5, 3}));
  EXPECT_EQ(Walk({.tool = "read_file", .conversation_id = first_, .limit = 1}),
            (std::vector<int64_t>{1}));
  EXPECT_TRUE(Walk({.tool = "no_such_tool"}).empty());
  EXPECT_TRUE(Walk({.tool = std::string(5000, 'x')}).empty());
}

TEST_F(AnAuditLog, OffersTheToolsAndConversationsItNamesForItsFilters) {
  Add(1, first_, "run_command");
  Add(2, second_, "read_file");
  Add(3, 0, "mcp_server");
  Add(4, first_, "run_command");
  ASSERT_TRUE(store_->DeleteConversation(second_).ok());
  auto tools = store_->ListAuditTools();
  ASSERT_TRUE(tools.ok()) << tools.status().ToString();
  EXPECT_EQ(*tools, (std::vector<std::string>{"mcp_server", "read_file", "run_command"}));
  auto conversations = store_->ListAuditConversations();
  ASSERT_TRUE(conversations.ok()) << conversations.status().ToString();
  ASSERT_EQ(conversations->size(), 2u);
  EXPECT_EQ((*conversations)[0].id, first_);  // logged most recently
  EXPECT_EQ((*conversations)[0].title, "first");
  EXPECT_EQ((*conversations)[1].id, second_);
  EXPECT_EQ((*conversations)[1].title, "") << "deleted since: its entries stay, untitled";
}

TEST_F(AnAuditLog, StaysBoundedWhenFilteredPagesAreRead) {
  for (int64_t i = 0; i < Store::kMaxAuditEntries + 3; ++i) {
    Add(i, i < 3 ? first_ : second_, i < 3 ? "early" : "late");
  }
  EXPECT_EQ(store_->GetStats()->audit_entries, Store::kMaxAuditEntries);
  EXPECT_TRUE(Walk({.tool = "early"}).empty()) << "the three oldest were dropped";
  EXPECT_TRUE(Walk({.conversation_id = first_}).empty());
  EXPECT_EQ(*store_->ListAuditTools(), (std::vector<std::string>{"late"}));
}

TEST(AnAuditLogFromSchemaTwo, KeepsItsEntriesAndCanBeFilteredOnceUpgraded) {
  unit::TempDir dir;
  std::string path = dir.File("hearth.db");
  {
    auto db = Database::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(Migrate(*db, 2).ok());
    ASSERT_TRUE(db->Exec("INSERT INTO audit (at_ms, conversation_id, tool, target, reason)"
                         " VALUES (1, NULL, 'read_file', '.env', 'denied'),"
                         " (2, NULL, 'run_command', 'ls', 'denied by the user');")
                    .ok());
  }
  auto store = Store::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->GetStats()->schema_version, Store::kSchemaVersion);
  auto entries = (*store)->ListAuditEntries(AuditQuery{.tool = "read_file"});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].target, ".env");
  EXPECT_EQ((*store)->ListAuditEntries(10)->size(), 2u);
}

}  // namespace
}  // namespace hearth::store
