// SPDX-License-Identifier: Apache-2.0
#include "store/store.h"

#include "testing/temp_dir.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <thread>

namespace hearth::store {
namespace {

using Code = Status::Code;
using hearth::unit::RawConnection;
using hearth::unit::TempDir;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

mode_t FileMode(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

bool ValidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (size_t j = 1; j < length; ++j) {
      if ((static_cast<unsigned char>(text[i + j]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Opening files.

class AStoreFile : public testing::Test {
 protected:
  Result<std::unique_ptr<Store>> Open() {
    return Store::Open(path_, OpenOptions{.busy_timeout_ms = 50});
  }
  std::unique_ptr<Store> OpenOrFail() {
    Result<std::unique_ptr<Store>> store = Open();
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  TempDir dir_;
  std::string path_ = dir_.File("hearth.db");
};

TEST_F(AStoreFile, IsCreatedReadableByItsOwnerOnly) {
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateConversation("first", 1).ok());
  EXPECT_EQ(FileMode(path_), 0600u);
  EXPECT_EQ(FileMode(path_ + "-wal"), 0600u);
}

TEST_F(AStoreFile, IsHeldExclusivelyWhileOpen) {
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->CreateConversation("first", 1).ok());
  // Exclusive locking keeps the WAL index in memory: no -shm file for others to map.
  struct stat st;
  EXPECT_NE(stat((path_ + "-shm").c_str(), &st), 0);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &other, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  EXPECT_NE(sqlite3_exec(other, "SELECT count(*) FROM conversations", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(other);
}

TEST_F(AStoreFile, KeepsItsDataWhenReopened) {
  int64_t conversation_id = 0;
  {
    std::unique_ptr<Store> store = OpenOrFail();
    ASSERT_TRUE(store);
    Result<Conversation> conversation = store->CreateConversation("kept", 10);
    ASSERT_TRUE(conversation.ok());
    conversation_id = conversation->id;
    ASSERT_TRUE(store->AddMessage(conversation_id, "user", "still here", 11).ok());
    ASSERT_TRUE(store->SetSetting("model", "llama").ok());
  }
  std::unique_ptr<Store> store = OpenOrFail();
  ASSERT_TRUE(store);
  Result<Conversation> conversation = store->GetConversation(conversation_id);
  ASSERT_TRUE(conversation.ok());
  EXPECT_EQ(conversation->title, "kept");
  EXPECT_EQ(conversation->message_count, 1);
  EXPECT_EQ(store->Search("still", 10)->size(), 1u);
  EXPECT_EQ(**store->GetSetting("model"), "llama");
  EXPECT_EQ(store->GetStats()->schema_version, Store::kSchemaVersion);
}

TEST_F(AStoreFile, WrittenByANewerHearthIsRefusedAndLeftUnchanged) {
  {
    std::unique_ptr<Store> store = OpenOrFail();
    ASSERT_TRUE(store && store->CreateConversation("from the future", 1).ok());
  }
  RawConnection(path_).Exec("PRAGMA user_version = 99");
  std::string before = ReadBytes(path_);

  Result<std::unique_ptr<Store>> store = Open();
  EXPECT_EQ(store.status().code(), Code::kUnsupported);
  EXPECT_NE(store.status().message().find(path_ + " was written by a newer Hearth (schema 99, " +
                                          "this build knows " +
                                          std::to_string(Store::kSchemaVersion) + ")"),
            std::string::npos)
      << store.status().message();
  EXPECT_EQ(ReadBytes(path_), before);
}

TEST_F(AStoreFile, WithAVersionFromAnotherProgramIsRefusedAndLeftUnchanged) {
  RawConnection(path_).Exec(
      "PRAGMA user_version = 99; CREATE TABLE t (x); INSERT INTO t VALUES (1)");
  std::string before = ReadBytes(path_);

  Result<std::unique_ptr<Store>> store = Open();
  EXPECT_EQ(store.status().code(), Code::kUnsupported);
  EXPECT_EQ(ReadBytes(path_), before);
}

TEST_F(AStoreFile, OfRandomBytesIsRefusedAsCorruptAndLeftUnchanged) {
  std::mt19937 random(42);
  std::string garbage(64 * 1024, '\0');
  for (char& c : garbage) c = static_cast<char>(random());
  WriteBytes(path_, garbage);

  Result<std::unique_ptr<Store>> store = Open();
  EXPECT_EQ(store.status().code(), Code::kCorrupt);
  EXPECT_NE(store.status().message().find("Hearth will not overwrite it"), std::string::npos)
      << store.status().message();
  EXPECT_EQ(ReadBytes(path_), garbage);
  EXPECT_FALSE(std::filesystem::exists(path_ + "-wal"));
}

TEST_F(AStoreFile, WithADamagedSchemaPageIsRefusedAsCorruptAndLeftUnchanged) {
  {
    std::unique_ptr<Store> store = OpenOrFail();
    ASSERT_TRUE(store && store->CreateConversation("soon damaged", 1).ok());
  }
  std::string bytes = ReadBytes(path_);
  ASSERT_GT(bytes.size(), 4096u);
  // Keep the 100-byte header, scribble over the rest of page 1, where sqlite_schema starts.
  for (size_t i = 100; i < 4096; ++i) bytes[i] = static_cast<char>(i * 7);
  WriteBytes(path_, bytes);

  Result<std::unique_ptr<Store>> store = Open();
  EXPECT_EQ(store.status().code(), Code::kCorrupt) << store.status().ToString();
  EXPECT_EQ(ReadBytes(path_), bytes);
}

TEST_F(AStoreFile, BelongingToAnotherProgramIsRefusedAndLeftUnchanged) {
  RawConnection(path_).Exec("CREATE TABLE photos (id, path); INSERT INTO photos VALUES (1, 'a')");
  std::string before = ReadBytes(path_);

  Result<std::unique_ptr<Store>> store = Open();
  EXPECT_EQ(store.status().code(), Code::kCorrupt);
  EXPECT_NE(store.status().message().find("not Hearth's"), std::string::npos);
  EXPECT_EQ(ReadBytes(path_), before);
}

TEST_F(AStoreFile, IsBusyWhileAnotherProgramWritesToIt) {
  {
    std::unique_ptr<Store> store = OpenOrFail();
    ASSERT_TRUE(store);
  }
  RawConnection other(path_);
  // Rollback-journal mode with a pending write: even reading has to wait.
  other.Exec("PRAGMA journal_mode = DELETE; BEGIN EXCLUSIVE; DELETE FROM settings;");

  Result<std::unique_ptr<Store>> store = Open();
  EXPECT_EQ(store.status().code(), Code::kBusy);
  EXPECT_NE(store.status().message().find("is locked by another program"), std::string::npos)
      << store.status().message();
}

TEST_F(AStoreFile, IsBusyWhileAnotherProgramHoldsItsWriteLock) {
  {
    std::unique_ptr<Store> store = OpenOrFail();
    ASSERT_TRUE(store);
  }
  RawConnection other(path_);
  other.Exec("BEGIN EXCLUSIVE; DELETE FROM settings;");

  Result<std::unique_ptr<Store>> store = Open();
  EXPECT_EQ(store.status().code(), Code::kBusy) << store.status().ToString();
}

TEST_F(AStoreFile, IsBusyWhileAnotherProgramKeepsItExclusively) {
  {
    std::unique_ptr<Store> store = OpenOrFail();
    ASSERT_TRUE(store);
  }
  {
    RawConnection other(path_);
    other.Exec("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;");
    Result<std::unique_ptr<Store>> store = Open();
    EXPECT_EQ(store.status().code(), Code::kBusy) << store.status().ToString();
  }
  Result<std::unique_ptr<Store>> store = Open();
  EXPECT_TRUE(store.ok()) << store.status().ToString();
}

TEST_F(AStoreFile, InAMissingDirectoryIsNotCreated) {
  Result<std::unique_ptr<Store>> store = Store::Open(dir_.File("missing/hearth.db"));
  EXPECT_EQ(store.status().code(), Code::kNotFound);
  EXPECT_NE(store.status().message().find("missing/hearth.db"), std::string::npos);
}

TEST_F(AStoreFile, ThatIsFullRefusesAMessageAndKeepsEverythingElse) {
  std::unique_ptr<Store> store;
  {
    Result<std::unique_ptr<Store>> opened =
        Store::Open(path_, OpenOptions{.busy_timeout_ms = 50, .max_page_count = 200});
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store = std::move(*opened);
  }
  Result<Conversation> conversation = store->CreateConversation("filling up", 1);
  ASSERT_TRUE(conversation.ok());
  std::string words;
  for (int i = 0; words.size() < 100 * 1024; ++i) words += "word" + std::to_string(i) + " ";

  Status status;
  Stats before;
  int64_t now_ms = 2;
  for (; now_ms < 100 && status.ok(); ++now_ms) {
    before = *store->GetStats();
    status = store->AddMessage(conversation->id, "user", words, now_ms).status();
  }
  ASSERT_EQ(status.code(), Code::kIoError) << status.ToString();
  EXPECT_NE(status.message().find("disk full"), std::string::npos) << status.message();

  Result<Stats> after = store->GetStats();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->messages, before.messages);
  EXPECT_EQ(store->GetConversation(conversation->id)->updated_ms, now_ms - 2);
  EXPECT_EQ(store->ListMessages(conversation->id, std::nullopt, kMaxPageSize)->size(),
            static_cast<size_t>(before.messages));
  EXPECT_TRUE(store->Search("word1", 1).ok());
}

TEST(StoreOpen, RefusesAnEmptyPath) {
  EXPECT_EQ(Store::Open("").status().code(), Code::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Behaviour, on an in-memory store.

class AStore : public testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<Store>> store = Store::Open(":memory:");
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  int64_t NewConversation(std::string_view title = "a conversation", int64_t now_ms = 1) {
    Result<Conversation> conversation = store_->CreateConversation(title, now_ms);
    EXPECT_TRUE(conversation.ok()) << conversation.status().ToString();
    return conversation->id;
  }

  int64_t NewMessage(int64_t conversation_id, std::string_view content, int64_t now_ms = 2) {
    Result<Message> message = store_->AddMessage(conversation_id, "user", content, now_ms);
    EXPECT_TRUE(message.ok()) << message.status().ToString();
    return message.ok() ? message->id : 0;
  }

  std::unique_ptr<Store> store_;
};

TEST_F(AStore, CreatesAConversationWithATrimmedTitle) {
  Result<Conversation> created = store_->CreateConversation("  \t Trip plans\n ", 5);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->title, "Trip plans");
  EXPECT_EQ(created->created_ms, 5);
  EXPECT_EQ(created->updated_ms, 5);

  Result<Conversation> read = store_->GetConversation(created->id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->title, "Trip plans");
  EXPECT_EQ(read->message_count, 0);
}

TEST_F(AStore, NamesAConversationWithoutATitle) {
  EXPECT_EQ(store_->CreateConversation("", 1)->title, "New conversation");
  EXPECT_EQ(store_->CreateConversation(" \n\t ", 1)->title, "New conversation");
}

TEST_F(AStore, PutsATitleOnOneLine) {
  EXPECT_EQ(store_->CreateConversation("two\nlines\x02", 1)->title, "two lines");
}

TEST_F(AStore, TruncatesALongTitleAtACharacterBoundary) {
  // 199 bytes, then a 2-byte "é" that would straddle the 200-byte limit.
  std::string title = std::string(199, 'a') + "\xC3\xA9" + "tail";
  Result<Conversation> conversation = store_->CreateConversation(title, 1);
  ASSERT_TRUE(conversation.ok());
  EXPECT_EQ(conversation->title, std::string(199, 'a'));

  // Four-byte characters all the way: 50 fit exactly.
  std::string emoji;
  for (int i = 0; i < 60; ++i) emoji += "\xF0\x9F\x94\xA5";
  std::string stored = store_->CreateConversation(emoji, 1)->title;
  EXPECT_EQ(stored.size(), 200u);
  EXPECT_TRUE(ValidUtf8(stored));

  std::string shifted = "x" + emoji;
  stored = store_->CreateConversation(shifted, 1)->title;
  EXPECT_EQ(stored.size(), 197u);
  EXPECT_TRUE(ValidUtf8(stored));
  EXPECT_EQ(store_->GetConversation(NewConversation(shifted))->title, stored);
}

TEST_F(AStore, RenamesAConversation) {
  int64_t id = NewConversation("old", 1);
  ASSERT_TRUE(store_->RenameConversation(id, " new ", 7).ok());
  Result<Conversation> conversation = store_->GetConversation(id);
  EXPECT_EQ(conversation->title, "new");
  EXPECT_EQ(conversation->updated_ms, 7);
  EXPECT_EQ(conversation->created_ms, 1);
}

TEST_F(AStore, ReportsAnUnknownConversation) {
  EXPECT_EQ(store_->GetConversation(404).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->RenameConversation(404, "x", 1).code(), Code::kNotFound);
  EXPECT_EQ(store_->DeleteConversation(404).code(), Code::kNotFound);
  EXPECT_EQ(store_->ListMessages(404, std::nullopt, 10).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->AddMessage(404, "user", "hi", 1).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetStats()->messages, 0);
}

TEST_F(AStore, AddsAMessageAndBumpsItsConversation) {
  int64_t conversation_id = NewConversation("chat", 1);
  Result<Message> added = store_->AddMessage(conversation_id, "assistant", "Hello there", 42);
  ASSERT_TRUE(added.ok());
  EXPECT_GT(added->id, 0);
  EXPECT_EQ(added->conversation_id, conversation_id);
  EXPECT_EQ(added->role, "assistant");
  EXPECT_EQ(added->content, "Hello there");
  EXPECT_EQ(added->created_ms, 42);

  Result<Message> read = store_->GetMessage(added->id);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->content, "Hello there");
  EXPECT_EQ(read->role, "assistant");
  Result<Conversation> conversation = store_->GetConversation(conversation_id);
  EXPECT_EQ(conversation->updated_ms, 42);
  EXPECT_EQ(conversation->message_count, 1);
}

TEST_F(AStore, RefusesAnUnknownRole) {
  int64_t conversation_id = NewConversation();
  for (std::string_view role : {"", "robot", "User", "user "}) {
    EXPECT_EQ(store_->AddMessage(conversation_id, role, "x", 1).status().code(),
              Code::kInvalidArgument)
        << role;
  }
  for (std::string_view role : {"user", "assistant", "system", "tool"}) {
    EXPECT_TRUE(store_->AddMessage(conversation_id, role, "x", 1).ok()) << role;
  }
}

TEST_F(AStore, RefusesAMessageOverTheSizeLimit) {
  int64_t conversation_id = NewConversation("c", 1);
  EXPECT_TRUE(
      store_->AddMessage(conversation_id, "user", std::string(kMaxMessageBytes, 'a'), 2).ok());
  Result<Message> too_big =
      store_->AddMessage(conversation_id, "user", std::string(kMaxMessageBytes + 1, 'a'), 3);
  EXPECT_EQ(too_big.status().code(), Code::kTooLarge);
  EXPECT_EQ(store_->GetConversation(conversation_id)->message_count, 1);
  EXPECT_EQ(store_->GetConversation(conversation_id)->updated_ms, 2);
}

TEST_F(AStore, StripsTheMatchMarkersFromMessages) {
  int64_t conversation_id = NewConversation();
  std::string content = std::string("a") + kMatchBegin + "b" + kMatchEnd + "c";
  Result<Message> added = store_->AddMessage(conversation_id, "user", content, 1);
  EXPECT_EQ(added->content, "abc");
  EXPECT_EQ(store_->GetMessage(added->id)->content, "abc");
}

TEST_F(AStore, ReportsAnUnknownMessage) {
  EXPECT_EQ(store_->GetMessage(12345).status().code(), Code::kNotFound);
}

TEST_F(AStore, ListsMessagesOldestFirstAndPagesBackwards) {
  int64_t conversation_id = NewConversation();
  int64_t other_id = NewConversation();
  std::vector<int64_t> ids;
  for (int i = 0; i < 10; ++i) {
    ids.push_back(NewMessage(conversation_id, "message " + std::to_string(i), i));
    NewMessage(other_id, "noise", i);
  }

  Result<std::vector<Message>> newest = store_->ListMessages(conversation_id, std::nullopt, 4);
  ASSERT_TRUE(newest.ok());
  ASSERT_EQ(newest->size(), 4u);
  EXPECT_EQ((*newest)[0].content, "message 6");
  EXPECT_EQ((*newest)[3].content, "message 9");

  Result<std::vector<Message>> older = store_->ListMessages(conversation_id, (*newest)[0].id, 4);
  ASSERT_EQ(older->size(), 4u);
  EXPECT_EQ((*older)[0].content, "message 2");
  EXPECT_EQ((*older)[3].content, "message 5");

  Result<std::vector<Message>> oldest = store_->ListMessages(conversation_id, (*older)[0].id, 4);
  ASSERT_EQ(oldest->size(), 2u);
  EXPECT_EQ((*oldest)[0].id, ids[0]);
  EXPECT_TRUE(store_->ListMessages(conversation_id, ids[0], 4)->empty());
}

TEST_F(AStore, ClampsMessageListLimits) {
  int64_t conversation_id = NewConversation();
  for (int i = 0; i < kMaxPageSize + 5; ++i) NewMessage(conversation_id, "m");
  EXPECT_EQ(store_->ListMessages(conversation_id, std::nullopt, 0)->size(), 1u);
  EXPECT_EQ(store_->ListMessages(conversation_id, std::nullopt, -3)->size(), 1u);
  EXPECT_EQ(store_->ListMessages(conversation_id, std::nullopt, 100000)->size(),
            static_cast<size_t>(kMaxPageSize));
}

TEST_F(AStore, ListsAnEmptyConversationAsEmpty) {
  Result<std::vector<Message>> messages = store_->ListMessages(NewConversation(), std::nullopt, 5);
  ASSERT_TRUE(messages.ok());
  EXPECT_TRUE(messages->empty());
}

TEST_F(AStore, ListsConversationsNewestFirstWithMessageCounts) {
  int64_t old_id = NewConversation("old", 1);
  int64_t new_id = NewConversation("new", 2);
  NewMessage(old_id, "hi", 3);
  NewMessage(old_id, "again", 4);

  Result<std::vector<Conversation>> list = store_->ListConversations(std::nullopt, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, old_id);
  EXPECT_EQ((*list)[0].message_count, 2);
  EXPECT_EQ((*list)[0].updated_ms, 4);
  EXPECT_EQ((*list)[1].id, new_id);
  EXPECT_EQ((*list)[1].message_count, 0);
}

TEST_F(AStore, PagesConversationsWithoutGapsOrRepeatsWhenTimesAreEqual) {
  std::vector<int64_t> expected;  // newest first: updated_ms descending, then id descending
  for (int i = 0; i < 23; ++i) NewConversation("t", i < 9 ? 100 : i < 20 ? 200 : 50);
  Result<std::vector<Conversation>> all = store_->ListConversations(std::nullopt, kMaxPageSize);
  ASSERT_EQ(all->size(), 23u);
  for (const Conversation& conversation : *all) expected.push_back(conversation.id);
  for (size_t i = 1; i < all->size(); ++i) {
    const Conversation& a = (*all)[i - 1];
    const Conversation& b = (*all)[i];
    EXPECT_TRUE(a.updated_ms > b.updated_ms || (a.updated_ms == b.updated_ms && a.id > b.id));
  }

  for (int page_size : {1, 4, 5, 9, 11}) {
    std::vector<int64_t> seen;
    std::optional<ConversationCursor> cursor;
    for (int pages = 0; pages < 100; ++pages) {
      Result<std::vector<Conversation>> page = store_->ListConversations(cursor, page_size);
      ASSERT_TRUE(page.ok());
      ASSERT_LE(page->size(), static_cast<size_t>(page_size));
      if (page->empty()) break;
      for (const Conversation& conversation : *page) seen.push_back(conversation.id);
      cursor = ConversationCursor{page->back().updated_ms, page->back().id};
    }
    EXPECT_EQ(seen, expected) << "page size " << page_size;
  }
}

TEST_F(AStore, ClampsConversationListLimits) {
  for (int i = 0; i < kMaxPageSize + 3; ++i) NewConversation();
  EXPECT_EQ(store_->ListConversations(std::nullopt, 0)->size(), 1u);
  EXPECT_EQ(store_->ListConversations(std::nullopt, 1 << 30)->size(),
            static_cast<size_t>(kMaxPageSize));
}

TEST_F(AStore, DeletesAConversationWithItsMessagesAndSearchHits) {
  int64_t doomed = NewConversation("doomed", 1);
  int64_t kept = NewConversation("kept", 1);
  int64_t doomed_message = NewMessage(doomed, "pineapple pizza");
  NewMessage(kept, "pineapple juice");
  ASSERT_EQ(store_->Search("pineapple", 10)->size(), 2u);

  ASSERT_TRUE(store_->DeleteConversation(doomed).ok());
  EXPECT_EQ(store_->GetConversation(doomed).status().code(), Code::kNotFound);
  EXPECT_EQ(store_->GetMessage(doomed_message).status().code(), Code::kNotFound);
  Result<std::vector<SearchHit>> hits = store_->Search("pineapple", 10);
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].conversation_id, kept);
  EXPECT_TRUE(store_->Search("pizza", 10)->empty());
  EXPECT_EQ(store_->GetStats()->messages, 1);
}

TEST_F(AStore, FindsMessagesByEveryWordAndByThePrefixOfTheLast) {
  int64_t conversation_id = NewConversation("Recipes", 1);
  int64_t soup = NewMessage(conversation_id, "Tomato soup needs basil and garlic");
  NewMessage(conversation_id, "Garlic bread is quick");

  Result<std::vector<SearchHit>> hits = store_->Search("tomato garlic", 10);
  ASSERT_TRUE(hits.ok());
  ASSERT_EQ(hits->size(), 1u);
  EXPECT_EQ((*hits)[0].message_id, soup);
  EXPECT_EQ((*hits)[0].conversation_id, conversation_id);
  EXPECT_EQ((*hits)[0].conversation_title, "Recipes");

  EXPECT_EQ(store_->Search("bas", 10)->size(), 1u);       // prefix of the last term
  EXPECT_EQ(store_->Search("bas soup", 10)->size(), 0u);  // but only of the last
  EXPECT_EQ(store_->Search("GARLIC", 10)->size(), 2u);
  EXPECT_EQ(store_->Search("garlic", 1)->size(), 1u);
}

TEST_F(AStore, FindsWordsWhateverTheirAccents) {
  int64_t conversation_id = NewConversation();
  NewMessage(conversation_id, "Rendez-vous au café à Montréal");
  EXPECT_EQ(store_->Search("cafe montreal", 10)->size(), 1u);
  EXPECT_EQ(store_->Search("CAFÉ", 10)->size(), 1u);
}

TEST_F(AStore, MarksTheMatchedWordsInTheSnippet) {
  int64_t conversation_id = NewConversation();
  NewMessage(conversation_id, "The quick brown fox jumps over the lazy dog");
  Result<std::vector<SearchHit>> hits = store_->Search("fox", 10);
  ASSERT_EQ(hits->size(), 1u);
  std::string snippet = (*hits)[0].snippet;
  EXPECT_NE(snippet.find(std::string(1, kMatchBegin) + "fox" + kMatchEnd), std::string::npos)
      << snippet;
  EXPECT_EQ(std::count(snippet.begin(), snippet.end(), kMatchBegin), 1);
  EXPECT_EQ(std::count(snippet.begin(), snippet.end(), kMatchEnd), 1);
}

TEST_F(AStore, ShortensALongSnippetWithAnEllipsis) {
  int64_t conversation_id = NewConversation();
  std::string content;
  for (int i = 0; i < 50; ++i) content += "filler" + std::to_string(i) + " ";
  content += "needle";
  for (int i = 0; i < 50; ++i) content += " more" + std::to_string(i);
  NewMessage(conversation_id, content);

  std::string snippet = (*store_->Search("needle", 10))[0].snippet;
  EXPECT_EQ(snippet.rfind("…", 0), 0u) << snippet;
  EXPECT_NE(snippet.find(std::string(1, kMatchBegin) + "needle" + kMatchEnd), std::string::npos);
  EXPECT_LT(snippet.size(), 200u);
}

TEST_F(AStore, RanksTheBestMatchFirst) {
  int64_t conversation_id = NewConversation();
  NewMessage(conversation_id, "rust is mentioned once in a long message about many other things");
  int64_t best = NewMessage(conversation_id, "rust rust rust");
  Result<std::vector<SearchHit>> hits = store_->Search("rust", 10);
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0].message_id, best);
}

TEST_F(AStore, FindsNothingForAnEmptyQuery) {
  NewMessage(NewConversation(), "something");
  for (std::string_view query : {"", "   ", "\t\n", "\"", "\"\" \"\""}) {
    Result<std::vector<SearchHit>> hits = store_->Search(query, 10);
    ASSERT_TRUE(hits.ok()) << query;
    EXPECT_TRUE(hits->empty()) << query;
  }
}

TEST_F(AStore, TreatsSearchSyntaxAsPlainText) {
  int64_t conversation_id = NewConversation();
  NewMessage(conversation_id, "cats or dogs, near the river - content: yes");
  for (std::string_view query : {"\"",
                                 "a\"b",
                                 "\"cats",
                                 "cats\"",
                                 "*",
                                 "cats*",
                                 "**",
                                 "OR",
                                 "cats OR",
                                 "OR dogs",
                                 "AND",
                                 "NOT",
                                 "NOT cats",
                                 "NEAR(",
                                 "NEAR(cats dogs)",
                                 "NEAR(cats",
                                 "-",
                                 "-cats",
                                 "cats -dogs",
                                 ":",
                                 "content:",
                                 "content:cats",
                                 "messages_fts:cats",
                                 "^cats",
                                 "(",
                                 ")",
                                 "(cats",
                                 "{content}",
                                 "+",
                                 "cats + dogs",
                                 "'",
                                 "\\",
                                 "%",
                                 "_",
                                 "\x01",
                                 "rank:",
                                 "\"cats\" OR \"x\""}) {
    Result<std::vector<SearchHit>> hits = store_->Search(query, 10);
    EXPECT_TRUE(hits.ok()) << query << ": " << hits.status().ToString();
  }
  // The operator words are searched for as words.
  EXPECT_EQ(store_->Search("or", 10)->size(), 1u);
  EXPECT_EQ(store_->Search("OR", 10)->size(), 1u);
  EXPECT_EQ(store_->Search("NEAR(the", 10)->size(), 1u);
  EXPECT_EQ(store_->Search("content:yes", 10)->size(), 1u);
  EXPECT_EQ(store_->Search("cats -", 10)->size(), 1u);
  EXPECT_EQ(store_->Search("NOT birds", 10)->size(), 0u);
}

TEST_F(AStore, ClampsSearchLimits) {
  int64_t conversation_id = NewConversation();
  for (int i = 0; i < kMaxPageSize + 5; ++i) NewMessage(conversation_id, "same words");
  EXPECT_EQ(store_->Search("same", 0)->size(), 1u);
  EXPECT_EQ(store_->Search("same", 100000)->size(), static_cast<size_t>(kMaxPageSize));
}

TEST_F(AStore, StoresSettings) {
  EXPECT_FALSE(store_->GetSetting("model")->has_value());
  ASSERT_TRUE(store_->SetSetting("model", "qwen").ok());
  EXPECT_EQ(**store_->GetSetting("model"), "qwen");
  ASSERT_TRUE(store_->SetSetting("model", "").ok());
  EXPECT_EQ(**store_->GetSetting("model"), "");
}

TEST_F(AStore, RefusesBadSettings) {
  EXPECT_EQ(store_->SetSetting("", "x").code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->GetSetting("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->SetSetting(std::string(1000, 'k'), "x").code(), Code::kInvalidArgument);
  EXPECT_TRUE(store_->SetSetting("big", std::string(kMaxSettingBytes, 'v')).ok());
  EXPECT_EQ(store_->SetSetting("big", std::string(kMaxSettingBytes + 1, 'v')).code(),
            Code::kTooLarge);
  EXPECT_EQ((*store_->GetSetting("big"))->size(), kMaxSettingBytes);
}

SessionRecord Session(std::string id_hash, int64_t last_seen_ms, int64_t expires_ms) {
  return SessionRecord{.id_hash = std::move(id_hash),
                       .csrf_token = "csrf",
                       .created_ms = 1,
                       .last_seen_ms = last_seen_ms,
                       .expires_ms = expires_ms,
                       .user_agent = "Firefox"};
}

TEST_F(AStore, InsertsFindsAndTouchesASession) {
  ASSERT_TRUE(store_->InsertSession(Session("abc", 10, 1000)).ok());
  Result<std::optional<SessionRecord>> found = store_->FindSession("abc");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->csrf_token, "csrf");
  EXPECT_EQ((*found)->created_ms, 1);
  EXPECT_EQ((*found)->last_seen_ms, 10);
  EXPECT_EQ((*found)->expires_ms, 1000);
  EXPECT_EQ((*found)->user_agent, "Firefox");

  ASSERT_TRUE(store_->TouchSession("abc", 20).ok());
  EXPECT_EQ((*store_->FindSession("abc"))->last_seen_ms, 20);
  EXPECT_FALSE(store_->FindSession("nope")->has_value());
  EXPECT_EQ(store_->TouchSession("nope", 20).code(), Code::kNotFound);
}

TEST_F(AStore, RefusesASecondSessionWithTheSameId) {
  ASSERT_TRUE(store_->InsertSession(Session("abc", 10, 1000)).ok());
  EXPECT_EQ(store_->InsertSession(Session("abc", 10, 1000)).code(), Code::kInvalidArgument);
  EXPECT_EQ(store_->InsertSession(Session("", 10, 1000)).code(), Code::kInvalidArgument);
}

TEST_F(AStore, TruncatesASessionsUserAgent) {
  SessionRecord session = Session("abc", 10, 1000);
  session.user_agent = std::string(255, 'u') + "\xC3\xA9" + std::string(1000, 'u');
  ASSERT_TRUE(store_->InsertSession(session).ok());
  EXPECT_EQ((*store_->FindSession("abc"))->user_agent, std::string(255, 'u'));
}

TEST_F(AStore, DeletesExpiredAndIdleSessions) {
  ASSERT_TRUE(store_->InsertSession(Session("expired", 900, 1000)).ok());
  ASSERT_TRUE(store_->InsertSession(Session("idle", 100, 5000)).ok());
  ASSERT_TRUE(store_->InsertSession(Session("fresh", 900, 5000)).ok());

  Result<int64_t> deleted = store_->DeleteExpiredSessions(/*now_ms=*/1000, /*idle_cutoff_ms=*/500);
  ASSERT_TRUE(deleted.ok());
  EXPECT_EQ(*deleted, 2);
  Result<std::vector<SessionRecord>> left = store_->ListSessions();
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].id_hash, "fresh");
}

TEST_F(AStore, ListsSessionsMostRecentlySeenFirst) {
  ASSERT_TRUE(store_->InsertSession(Session("a", 10, 1000)).ok());
  ASSERT_TRUE(store_->InsertSession(Session("b", 30, 1000)).ok());
  ASSERT_TRUE(store_->InsertSession(Session("c", 20, 1000)).ok());
  Result<std::vector<SessionRecord>> sessions = store_->ListSessions();
  ASSERT_EQ(sessions->size(), 3u);
  EXPECT_EQ((*sessions)[0].id_hash, "b");
  EXPECT_EQ((*sessions)[1].id_hash, "c");
  EXPECT_EQ((*sessions)[2].id_hash, "a");
  EXPECT_EQ(store_->GetStats()->sessions, 3);
}

TEST_F(AStore, DeletesOneSessionOrAll) {
  ASSERT_TRUE(store_->InsertSession(Session("a", 10, 1000)).ok());
  ASSERT_TRUE(store_->InsertSession(Session("b", 10, 1000)).ok());
  ASSERT_TRUE(store_->InsertSession(Session("c", 10, 1000)).ok());
  ASSERT_TRUE(store_->DeleteSession("a").ok());
  EXPECT_EQ(store_->DeleteSession("a").code(), Code::kNotFound);
  EXPECT_FALSE(store_->FindSession("a")->has_value());
  EXPECT_TRUE(store_->FindSession("b")->has_value());

  Result<int64_t> removed = store_->DeleteAllSessions();
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 2);
  EXPECT_TRUE(store_->ListSessions()->empty());
}

TEST_F(AStore, AcceptsALoginTokenOnlyOnce) {
  ASSERT_TRUE(store_->InsertLoginToken("token", 1000).ok());
  Result<bool> first = store_->ConsumeLoginToken("token", 999);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  EXPECT_FALSE(*store_->ConsumeLoginToken("token", 999));
}

TEST_F(AStore, RefusesAnExpiredLoginTokenAndForgetsIt) {
  ASSERT_TRUE(store_->InsertLoginToken("late", 1000).ok());
  ASSERT_TRUE(store_->InsertLoginToken("exact", 1000).ok());
  EXPECT_FALSE(*store_->ConsumeLoginToken("late", 1001));
  EXPECT_FALSE(*store_->ConsumeLoginToken("exact", 1000));
  EXPECT_EQ(*store_->DeleteExpiredLoginTokens(0), 0);
  ASSERT_TRUE(store_->InsertLoginToken("late", 5000).ok());  // the expired one is gone
}

TEST_F(AStore, RefusesAnUnknownLoginToken) {
  Result<bool> consumed = store_->ConsumeLoginToken("never issued", 1);
  ASSERT_TRUE(consumed.ok());
  EXPECT_FALSE(*consumed);
}

TEST_F(AStore, DeletesExpiredLoginTokens) {
  ASSERT_TRUE(store_->InsertLoginToken("a", 100).ok());
  ASSERT_TRUE(store_->InsertLoginToken("b", 200).ok());
  ASSERT_TRUE(store_->InsertLoginToken("c", 300).ok());
  EXPECT_EQ(*store_->DeleteExpiredLoginTokens(200), 2);
  EXPECT_TRUE(*store_->ConsumeLoginToken("c", 200));
}

TEST_F(AStore, CountsWhatItHolds) {
  int64_t conversation_id = NewConversation();
  NewConversation();
  NewMessage(conversation_id, "one");
  NewMessage(conversation_id, "two");
  ASSERT_TRUE(store_->InsertSession(Session("s", 1, 2)).ok());

  Result<Stats> stats = store_->GetStats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->conversations, 2);
  EXPECT_EQ(stats->messages, 2);
  EXPECT_EQ(stats->sessions, 1);
  EXPECT_EQ(stats->schema_version, Store::kSchemaVersion);
  EXPECT_GT(stats->file_bytes, 0);
}

TEST_F(AStore, CanBeUsedFromSeveralThreadsAtOnce) {
  int64_t conversation_id = NewConversation();
  constexpr int kThreads = 4;
  constexpr int kMessagesEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kMessagesEach; ++i) {
        Result<Message> added =
            store_->AddMessage(conversation_id, "user", "thread " + std::to_string(t), i);
        ASSERT_TRUE(added.ok());
        EXPECT_TRUE(store_->GetMessage(added->id).ok());
        EXPECT_TRUE(store_->Search("thread", 5).ok());
        EXPECT_TRUE(store_->ListConversations(std::nullopt, 5).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(store_->GetConversation(conversation_id)->message_count, kThreads * kMessagesEach);
}

}  // namespace
}  // namespace hearth::store

namespace hearth::store {
namespace {

// Found by fuzz_search: a NUL inside a term ended the FTS5 query string mid-quote.
TEST(SearchRegression, AQueryWithANulByteIsPlainText) {
  auto store = Store::Open(":memory:");
  ASSERT_TRUE(store.ok());
  auto c = (*store)->CreateConversation("t", 1);
  ASSERT_TRUE((*store)->AddMessage(c->id, "user", "needle in a haystack", 2).ok());
  auto hits = (*store)->Search(std::string("need\0le", 7), 10);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  auto control = (*store)->Search("hay\x01stack", 10);
  ASSERT_TRUE(control.ok()) << control.status().ToString();
}

}  // namespace
}  // namespace hearth::store

namespace hearth::store {
namespace {

TEST(ConversationCounters, FollowMessagesInAndOut) {
  auto store = Store::Open(":memory:");
  ASSERT_TRUE(store.ok());
  auto a = (*store)->CreateConversation("a", 1);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE((*store)->AddMessage(a->id, "user", "m", 2 + i).ok());
  EXPECT_EQ((*store)->GetConversation(a->id)->message_count, 3);
  auto list = (*store)->ListConversations(std::nullopt, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].message_count, 3);
}

TEST(ConversationIds, AreNeverReusedAfterADelete) {
  auto store = Store::Open(":memory:");
  ASSERT_TRUE(store.ok());
  auto first = (*store)->CreateConversation("first", 1);
  ASSERT_TRUE((*store)->DeleteConversation(first->id).ok());
  auto second = (*store)->CreateConversation("second", 2);
  EXPECT_GT(second->id, first->id);
}

}  // namespace
}  // namespace hearth::store
