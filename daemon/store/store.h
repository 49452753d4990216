// SPDX-License-Identifier: Apache-2.0
// store: conversations, messages, settings, sessions and login tokens in one SQLite file.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/integrity.h"

namespace hearth::store {

class Database;
class StatementScope;

// Where a conversation's title comes from. kNone: the placeholder ("New conversation"), to be
// replaced by one made from the first exchange; kAuto: made that way; kUser: set by the user,
// never replaced.
enum class TitleSource { kNone, kAuto, kUser };

struct Conversation {
  int64_t id = 0;
  std::string title;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;  // last message or rename; the list is ordered by it, newest first
  int64_t message_count = 0;
  // The model and system prompt chosen for this conversation, as JSON owned by the agent module;
  // empty for the defaults.
  std::string agent_options;
  TitleSource title_source = TitleSource::kNone;
};

// Keyset cursor for paging the conversation list: the last row of the previous page.
struct ConversationCursor {
  int64_t updated_ms = 0;
  int64_t id = 0;
};

// Where a message stands. An answer is kStreaming while it arrives (saved as it grows), kPartial
// when it was cut short (Stop, a lost connection, a crash: the text so far is kept), kError when
// the model could not be reached at all.
enum class MessageState { kDone, kStreaming, kPartial, kError };
std::string_view MessageStateName(MessageState state);

struct Message {
  int64_t id = 0;
  int64_t conversation_id = 0;
  std::string role;  // "user", "assistant", "system", "tool"
  std::string content;
  int64_t created_ms = 0;
  MessageState state = MessageState::kDone;
  // JSON owned by the agent module: tool calls, the call a tool result answers, an error text.
  std::string meta;
  // The message this one follows in its conversation (0 for the first). Messages with the same
  // parent are versions of one another: a regenerated answer, an edited message. Versions are
  // numbered 1..version_count, oldest first; the neighbours' ids are 0 at either end.
  int64_t parent_id = 0;
  int64_t version = 1;
  int64_t version_count = 1;
  int64_t previous_version_id = 0;
  int64_t next_version_id = 0;
};

// One entry of the audit log: a tool call the sandbox, the deny-list or the user refused, a
// refusal a confined program met while it ran, or the confined start of a program (a command, an
// MCP server).
struct AuditEntry {
  int64_t id = 0;
  int64_t at_ms = 0;
  int64_t conversation_id = 0;  // 0 when not tied to one
  std::string tool;
  std::string target;
  std::string reason;
};

// Which audit entries to list, newest first: those of one tool and/or one conversation (or all),
// older than entry `before_id` (the last entry of the previous page; keyset paging, so entries
// added meanwhile neither repeat nor shift a page).
struct AuditQuery {
  std::string tool;             // empty: every tool
  int64_t conversation_id = 0;  // 0: every conversation (and entries tied to none)
  std::optional<int64_t> before_id;
  int limit = 50;  // clamped to 1..kMaxPageSize
};

// A conversation the audit log names, for its filter. `title` is empty when the conversation has
// been deleted since (its entries stay).
struct AuditConversation {
  int64_t id = 0;
  std::string title;
};

// A tool the user chose to always allow.
struct ToolGrant {
  std::string key;
  std::string label;
  int64_t created_ms = 0;
};

struct SearchHit {
  int64_t conversation_id = 0;
  std::string conversation_title;
  int64_t message_id = 0;
  // Message text around the match. Matched terms are wrapped in kMatchBegin / kMatchEnd so the
  // caller can escape the text first and then turn the markers into <mark> tags. Those two
  // control characters are never stored (AddMessage strips them).
  std::string snippet;
};
inline constexpr char kMatchBegin = '\x02';
inline constexpr char kMatchEnd = '\x03';

struct SessionRecord {
  std::string id_hash;     // hex SHA-256 of the cookie value; the cookie itself is never stored
  std::string csrf_token;  // per-session token for forms that are not sent by htmx
  int64_t created_ms = 0;
  int64_t last_seen_ms = 0;
  int64_t expires_ms = 0;  // absolute expiry
  std::string user_agent;  // for the sessions list in settings, truncated
};

struct Stats {
  int64_t conversations = 0;
  int64_t messages = 0;
  int64_t sessions = 0;
  int64_t audit_entries = 0;
  int schema_version = 0;
  int64_t file_bytes = 0;  // page_count * page_size
};

// Limits enforced by the store itself so no caller can forget them.
inline constexpr size_t kMaxTitleBytes = 200;           // longer titles are truncated (UTF-8 safe)
inline constexpr size_t kMaxMessageBytes = 256 * 1024;  // longer messages are refused
inline constexpr int kMaxPageSize = 200;                // list/search limits are clamped to it
inline constexpr size_t kMaxSettingBytes = 16 * 1024;

struct OpenOptions {
  // How long a statement waits for another connection's lock before failing with kBusy.
  int busy_timeout_ms = 2000;
  // 0 for no limit; otherwise writes that would grow the file past this many pages fail with
  // kIoError, as they would on a full disk.
  int64_t max_page_count = 0;
  // An existing file up to this size is checked for damage (PRAGMA quick_check) before anything
  // writes to it (see integrity.h).
  int64_t quick_check_max_bytes = kDefaultQuickCheckMaxBytes;
};

// Thread-safe: one connection guarded by one mutex. Every statement is prepared once and cached.
// Expected failures come back as Status: kNotFound (no such row), kInvalidArgument / kTooLarge
// (caller input), kBusy (file locked by another process past the busy timeout), kCorrupt,
// kUnsupported (schema newer than this binary), kIoError (e.g. disk full: nothing was changed).
class Store {
 public:
  // Opens or creates the database at `path` (":memory:" for tests). A new file is created 0600.
  // Sets WAL, busy_timeout, foreign_keys; then runs migrations up to kSchemaVersion, each in its
  // own transaction. An existing file that is not a database, is corrupt, is locked, or has a
  // schema newer than this binary is left untouched and reported with a message that says so.
  //
  // An existing file is first checked for damage on a read-only connection (CheckExistingFile).
  // A damaged one (its schema readable, a page of data not) opens read-only: reads work as far as
  // the damage allows, every write fails with kUnavailable, and nothing touches the file, its
  // -wal or its -shm, not even closing the store.
  static Result<std::unique_ptr<Store>> Open(const std::string& path);
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const OpenOptions& options);
  ~Store();

  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Conversations. `now_ms` comes from the caller's clock so tests can control time. A title
  // given here or by RenameConversation is the user's (TitleSource::kUser); an empty one is the
  // placeholder.
  Result<Conversation> CreateConversation(std::string_view title, int64_t now_ms);
  Result<Conversation> GetConversation(int64_t id);
  // Newest first. `after` is the last row of the previous page, or nullopt for the first page.
  Result<std::vector<Conversation>> ListConversations(std::optional<ConversationCursor> after,
                                                      int limit);
  Status RenameConversation(int64_t id, std::string_view title, int64_t now_ms);
  // Gives the conversation a title made for it (TitleSource::kAuto), only if it still has the
  // placeholder: false (and nothing changed) when the user has named it meanwhile, or it was
  // titled already. Does not move it in the list. kNotFound when it is gone.
  Result<bool> SetGeneratedTitle(int64_t id, std::string_view title);
  Status DeleteConversation(int64_t id);  // deletes its messages too (ON DELETE CASCADE)
  Status SetAgentOptions(int64_t id, std::string_view options_json);

  // Messages. A conversation is a tree of messages (see Message::parent_id); what it shows, and
  // what the model is sent, is its thread: the path from its head back to the first message.
  // AddMessage adds after the head and makes the new message the head; it also bumps the
  // conversation's updated_ms. No message is ever changed to make a version: versions are added.
  Result<Message> AddMessage(int64_t conversation_id, std::string_view role,
                             std::string_view content, int64_t now_ms);
  Result<Message> AddMessage(int64_t conversation_id, std::string_view role,
                             std::string_view content, int64_t now_ms, MessageState state,
                             std::string_view meta);
  // Replaces the text, state and metadata of a message (an answer as it streams in).
  Status UpdateMessage(int64_t id, std::string_view content, MessageState state,
                       std::string_view meta);
  // At start-up: answers left kStreaming by a crash become kPartial. Returns how many.
  Result<int64_t> SettleInterruptedMessages();
  // When a run ends: the conversation's messages from `first_id` on that are still kStreaming
  // (their final save failed) become kPartial. Returns how many.
  Result<int64_t> SettleRunMessages(int64_t conversation_id, int64_t first_id);
  Result<Message> GetMessage(int64_t id);
  // The `limit` messages of the thread just before message id `before_id` (its ancestors), or
  // the thread's last `limit` when nullopt, returned oldest first, ready to render.
  Result<std::vector<Message>> ListMessages(int64_t conversation_id,
                                            std::optional<int64_t> before_id, int limit);

  // Versions (store/threads.cpp). Both refuse a message of another conversation (kNotFound).
  // The next message added follows `message_id` (0: starts the conversation again): how an edit
  // (a new version of a message follows that message's parent) and a regeneration (a new answer
  // follows the question) begin. The messages after it stay, out of the thread.
  Status SetThreadEnd(int64_t conversation_id, int64_t message_id);
  // Shows the version `message_id`: the thread runs through it to its newest descendant.
  Status ShowVersion(int64_t conversation_id, int64_t message_id);
  // The conversation's head (the thread's last message), 0 when it has none.
  Result<int64_t> ThreadEnd(int64_t conversation_id);

  // Full-text search (FTS5) over message text. `query` is user text, not FTS syntax: it is split
  // into terms that are each quoted, and the last one also matches as a prefix. Best match first.
  Result<std::vector<SearchHit>> Search(std::string_view query, int limit);

  // Settings: small string values by key.
  Result<std::optional<std::string>> GetSetting(std::string_view key);
  Status SetSetting(std::string_view key, std::string_view value);
  // Rewrites the file so that no deleted or replaced value survives in it: VACUUM (a fresh copy
  // without free pages or the free space inside pages, built in memory, not in a temporary file),
  // then a checkpoint that empties the WAL. For a value that must not stay on disk (an API key
  // moved out of an older database); it costs a rewrite of the whole file.
  Status ScrubDeletedData();

  // Sessions, keyed by the hash of the cookie value.
  Status InsertSession(const SessionRecord& session);
  Result<std::optional<SessionRecord>> FindSession(std::string_view id_hash);
  Status TouchSession(std::string_view id_hash, int64_t now_ms);
  Status DeleteSession(std::string_view id_hash);
  // Removes every session; returns how many there were.
  Result<int64_t> DeleteAllSessions();
  // Removes sessions idle since before `idle_cutoff_ms` or past their absolute expiry at `now_ms`.
  Result<int64_t> DeleteExpiredSessions(int64_t now_ms, int64_t idle_cutoff_ms);
  Result<std::vector<SessionRecord>> ListSessions();

  // Login tokens, keyed by the hash of the token. Consuming deletes the row in the same statement,
  // so a token works at most once even under concurrent requests; it returns false if the token
  // is unknown, already used, or expired at `now_ms`.
  Status InsertLoginToken(std::string_view token_hash, int64_t expires_ms);
  Result<bool> ConsumeLoginToken(std::string_view token_hash, int64_t now_ms);
  Result<int64_t> DeleteExpiredLoginTokens(int64_t now_ms);

  // The audit log. Entries past kMaxAuditEntries are dropped, oldest first, so a model that
  // keeps trying cannot grow the file without bound; tool, target and reason are cut to 1 KiB.
  Status AddAuditEntry(const AuditEntry& entry);
  // Newest first: the `limit` newest, or one page of those `query` selects.
  Result<std::vector<AuditEntry>> ListAuditEntries(int limit);
  Result<std::vector<AuditEntry>> ListAuditEntries(const AuditQuery& query);
  // What the log's filters offer: the tools it names (by name), and the conversations it names
  // (the most recently logged first). At most kMaxPageSize of each.
  Result<std::vector<std::string>> ListAuditTools();
  Result<std::vector<AuditConversation>> ListAuditConversations();

  // Tools the user always allows.
  Status AddToolGrant(std::string_view key, std::string_view label, int64_t now_ms);
  Result<bool> HasToolGrant(std::string_view key);
  Result<std::vector<ToolGrant>> ListToolGrants();
  Status DeleteToolGrant(std::string_view key);

  Result<Stats> GetStats();
  const std::string& path() const { return path_; }

  // What the check at open found.
  Integrity integrity() const;
  // Ok when the store takes writes; otherwise the kUnavailable every write returns, which says
  // why (the file is damaged) and what to do.
  Status Writable() const;

  static constexpr int kSchemaVersion = 5;
  static constexpr int64_t kMaxAuditEntries = 10000;

 private:
  enum class Query : int;
  struct Statements;

  Store(std::string path, std::unique_ptr<Database> db, std::unique_ptr<Statements> statements,
        Integrity integrity);
  static Result<std::unique_ptr<Store>> OpenWritable(const std::string& path,
                                                     const OpenOptions& options);
  static Result<std::unique_ptr<Store>> OpenDamaged(const std::string& path,
                                                    std::unique_ptr<Database> reader, int version,
                                                    Integrity integrity);
  static Result<std::unique_ptr<Statements>> PrepareAll(Database& db);
  StatementScope Use(Query query);  // requires mu_

  std::string path_;
  mutable std::mutex mu_;
  // guarded by mu_
  std::unique_ptr<Database> db_;
  std::unique_ptr<Statements> statements_;  // prepared by Open, one per Query
  Integrity integrity_;
  Status write_refusal_;  // ok while writes are allowed
};

}  // namespace hearth::store
