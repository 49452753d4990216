// SPDX-License-Identifier: Apache-2.0
#include "store/store.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <limits>
#include <utility>

#include "base/fd.h"
#include "store/database.h"
#include "store/schema.h"

namespace hearth::store {

enum class Store::Query : int {
  kInsertConversation,
  kGetConversation,
  kListConversations,
  kListConversationsAfter,
  kRenameConversation,
  kSetGeneratedTitle,
  kTouchConversation,
  kDeleteConversation,
  kConversationExists,
  kInsertMessage,
  kSetHead,
  kUpdateMessage,
  kSettleInterrupted,
  kSettleRun,
  kSetAgentOptions,
  kGetMessage,
  kListMessages,
  kSearch,
  kGetSetting,
  kSetSetting,
  kInsertSession,
  kFindSession,
  kTouchSession,
  kDeleteSession,
  kDeleteAllSessions,
  kDeleteExpiredSessions,
  kListSessions,
  kInsertLoginToken,
  kConsumeLoginToken,
  kDeleteExpiredLoginTokens,
  kInsertAudit,
  kTrimAudit,
  kListAudit,
  kListAuditByTool,
  kListAuditByConversation,
  kListAuditByToolAndConversation,
  kListAuditTools,
  kListAuditConversations,
  kInsertGrant,
  kHasGrant,
  kListGrants,
  kDeleteGrant,
  kStats,
  kCount,
};

#define HEARTH_CONVERSATION_COLUMNS \
  "id, title, created_ms, updated_ms, message_count, agent_options, title_source"
// Over `messages m`. A message's versions are the messages with its parent.
#define HEARTH_SIBLINGS \
  " FROM messages s WHERE s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id"
#define HEARTH_MESSAGE_COLUMNS                                                            \
  "m.id, m.conversation_id, m.role, m.content, m.created_ms, m.state, m.meta,"            \
  " coalesce(m.parent_id, 0), (SELECT count(*)" HEARTH_SIBLINGS                           \
  " AND s.id <= m.id),"                                                                   \
  " (SELECT count(*)" HEARTH_SIBLINGS "), (SELECT coalesce(max(s.id), 0)" HEARTH_SIBLINGS \
  " AND s.id < m.id), (SELECT coalesce(min(s.id), 0)" HEARTH_SIBLINGS " AND s.id > m.id)"
#define HEARTH_SESSION_COLUMNS \
  "id_hash, csrf_token, created_ms, last_seen_ms, expires_ms, user_agent"
#define HEARTH_AUDIT_COLUMNS "id, at_ms, coalesce(conversation_id, 0), tool, target, reason"

struct Store::Statements {
  struct Sql {
    Query query;
    const char* text;
  };
  static constexpr Sql kSql[] = {
      {Query::kInsertConversation,
       "INSERT INTO conversations (title, created_ms, updated_ms, title_source)"
       " VALUES (?1, ?2, ?2, ?3)"},
      {Query::kGetConversation,
       "SELECT " HEARTH_CONVERSATION_COLUMNS " FROM conversations WHERE id = ?1"},
      {Query::kListConversations, "SELECT " HEARTH_CONVERSATION_COLUMNS
                                  " FROM conversations ORDER BY updated_ms DESC, id DESC LIMIT ?1"},
      // Keyset paging (https://sqlite.org/rowvalue.html#scrolling_window_queries): the row value
      // comparison walks conversations_by_updated from the cursor, so rows that share updated_ms
      // are neither repeated nor skipped.
      {Query::kListConversationsAfter,
       "SELECT " HEARTH_CONVERSATION_COLUMNS " FROM conversations WHERE (updated_ms, id) < (?1, ?2)"
       " ORDER BY updated_ms DESC, id DESC LIMIT ?3"},
      {Query::kRenameConversation,
       "UPDATE conversations SET title = ?2, updated_ms = ?3, title_source = 'user' WHERE id = ?1"},
      {Query::kSetGeneratedTitle,
       "UPDATE conversations SET title = ?2, title_source = 'auto'"
       " WHERE id = ?1 AND title_source = 'none'"},
      {Query::kTouchConversation, "UPDATE conversations SET updated_ms = ?2 WHERE id = ?1"},
      {Query::kDeleteConversation, "DELETE FROM conversations WHERE id = ?1"},
      {Query::kConversationExists, "SELECT 1 FROM conversations WHERE id = ?1"},
      {Query::kInsertMessage,
       "INSERT INTO messages (conversation_id, role, content, created_ms, state, meta, parent_id)"
       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT head_id FROM conversations WHERE id = ?1))"},
      {Query::kSetHead, "UPDATE conversations SET head_id = ?2 WHERE id = ?1"},
      {Query::kUpdateMessage,
       "UPDATE messages SET content = ?2, state = ?3, meta = ?4 WHERE id = ?1"},
      {Query::kSettleInterrupted,
       "UPDATE messages SET state = 'partial' WHERE state = 'streaming'"},
      {Query::kSettleRun,
       "UPDATE messages SET state = 'partial'"
       " WHERE conversation_id = ?1 AND id >= ?2 AND state = 'streaming'"},
      {Query::kSetAgentOptions, "UPDATE conversations SET agent_options = ?2 WHERE id = ?1"},
      {Query::kGetMessage, "SELECT " HEARTH_MESSAGE_COLUMNS " FROM messages m WHERE m.id = ?1"},
      // Walks the thread back from the head (?2 = 0) or from the parent of message ?2, at most
      // ?3 steps. A parent always has a smaller id than its children.
      {Query::kListMessages,
       "WITH RECURSIVE thread(id, n) AS ("
       " SELECT CASE WHEN ?2 = 0 THEN (SELECT head_id FROM conversations WHERE id = ?1)"
       " ELSE (SELECT parent_id FROM messages WHERE id = ?2 AND conversation_id = ?1) END, 1"
       " UNION ALL SELECT p.parent_id, thread.n + 1 FROM thread"
       " JOIN messages p ON p.id = thread.id WHERE thread.n < ?3)"
       " SELECT " HEARTH_MESSAGE_COLUMNS
       " FROM thread JOIN messages m ON m.id = thread.id WHERE m.conversation_id = ?1"
       " ORDER BY m.id DESC"},
      {Query::kSearch,
       "SELECT m.conversation_id, c.title, m.id, snippet(messages_fts, 0, ?2, ?3, '…', 12)"
       " FROM messages_fts"
       " JOIN messages m ON m.id = messages_fts.rowid"
       " JOIN conversations c ON c.id = m.conversation_id"
       " WHERE messages_fts MATCH ?1 ORDER BY rank LIMIT ?4"},
      {Query::kGetSetting, "SELECT value FROM settings WHERE key = ?1"},
      {Query::kSetSetting,
       "INSERT INTO settings (key, value) VALUES (?1, ?2)"
       " ON CONFLICT (key) DO UPDATE SET value = excluded.value"},
      {Query::kInsertSession,
       "INSERT INTO sessions (" HEARTH_SESSION_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6)"},
      {Query::kFindSession, "SELECT " HEARTH_SESSION_COLUMNS " FROM sessions WHERE id_hash = ?1"},
      {Query::kTouchSession, "UPDATE sessions SET last_seen_ms = ?2 WHERE id_hash = ?1"},
      {Query::kDeleteSession, "DELETE FROM sessions WHERE id_hash = ?1"},
      {Query::kDeleteAllSessions, "DELETE FROM sessions"},
      {Query::kDeleteExpiredSessions,
       "DELETE FROM sessions WHERE expires_ms <= ?1 OR last_seen_ms < ?2"},
      {Query::kListSessions,
       "SELECT " HEARTH_SESSION_COLUMNS " FROM sessions ORDER BY last_seen_ms DESC, id_hash"},
      {Query::kInsertLoginToken,
       "INSERT INTO login_tokens (token_hash, expires_ms) VALUES (?1, ?2)"},
      {Query::kConsumeLoginToken,
       "DELETE FROM login_tokens WHERE token_hash = ?1 RETURNING expires_ms"},
      {Query::kDeleteExpiredLoginTokens, "DELETE FROM login_tokens WHERE expires_ms <= ?1"},
      {Query::kInsertAudit,
       "INSERT INTO audit (at_ms, conversation_id, tool, target, reason)"
       " VALUES (?1, ?2, ?3, ?4, ?5)"},
      {Query::kTrimAudit, "DELETE FROM audit WHERE id <= (SELECT max(id) FROM audit) - ?1"},
      // One statement per filter, so that each walks its own index (audit_by_tool,
      // audit_by_conversation) from the cursor down; ?1 is the cursor, ?2 the limit.
      {Query::kListAudit,
       "SELECT " HEARTH_AUDIT_COLUMNS " FROM audit WHERE id < ?1 ORDER BY id DESC LIMIT ?2"},
      {Query::kListAuditByTool,
       "SELECT " HEARTH_AUDIT_COLUMNS
       " FROM audit WHERE tool = ?3 AND id < ?1 ORDER BY id DESC LIMIT ?2"},
      {Query::kListAuditByConversation,
       "SELECT " HEARTH_AUDIT_COLUMNS
       " FROM audit WHERE conversation_id = ?3 AND id < ?1 ORDER BY id DESC LIMIT ?2"},
      {Query::kListAuditByToolAndConversation,
       "SELECT " HEARTH_AUDIT_COLUMNS
       " FROM audit WHERE tool = ?3 AND conversation_id = ?4 AND id < ?1"
       " ORDER BY id DESC LIMIT ?2"},
      {Query::kListAuditTools, "SELECT DISTINCT tool FROM audit ORDER BY tool LIMIT ?1"},
      {Query::kListAuditConversations,
       "SELECT a.conversation_id, coalesce(c.title, '') FROM"
       " (SELECT conversation_id, max(id) AS last FROM audit WHERE conversation_id IS NOT NULL"
       "  GROUP BY conversation_id) a"
       " LEFT JOIN conversations c ON c.id = a.conversation_id ORDER BY a.last DESC LIMIT ?1"},
      {Query::kInsertGrant,
       "INSERT INTO tool_grants (key, label, created_ms) VALUES (?1, ?2, ?3)"
       " ON CONFLICT (key) DO UPDATE SET label = excluded.label"},
      {Query::kHasGrant, "SELECT 1 FROM tool_grants WHERE key = ?1"},
      {Query::kListGrants,
       "SELECT key, label, created_ms FROM tool_grants ORDER BY created_ms, key"},
      {Query::kDeleteGrant, "DELETE FROM tool_grants WHERE key = ?1"},
      {Query::kStats,
       "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages),"
       " (SELECT count(*) FROM sessions), (SELECT count(*) FROM audit),"
       " (SELECT user_version FROM pragma_user_version),"
       " (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size)"},
  };

  static constexpr size_t kCount = static_cast<size_t>(Query::kCount);

  static constexpr bool InEnumOrder() {
    if (std::size(kSql) != kCount) return false;
    for (size_t i = 0; i < kCount; ++i) {
      if (static_cast<size_t>(kSql[i].query) != i) return false;
    }
    return true;
  }

  std::array<Statement, kCount> by_query;
};

#undef HEARTH_CONVERSATION_COLUMNS
#undef HEARTH_MESSAGE_COLUMNS
#undef HEARTH_SESSION_COLUMNS
#undef HEARTH_AUDIT_COLUMNS

namespace {

constexpr std::string_view kDefaultTitle = "New conversation";
constexpr std::string_view kWhitespace = " \t\n\r\f\v";
constexpr std::string_view kRoles[] = {"user", "assistant", "system", "tool"};
constexpr size_t kMaxKeyBytes = 256;
constexpr size_t kMaxAuditFieldBytes = 1024;
constexpr size_t kMaxUserAgentBytes = 256;
constexpr size_t kMaxSearchTerms = 16;

std::string_view Trim(std::string_view text) {
  size_t begin = text.find_first_not_of(kWhitespace);
  if (begin == std::string_view::npos) return {};
  size_t end = text.find_last_not_of(kWhitespace);
  return text.substr(begin, end - begin + 1);
}

// The longest prefix of at most `max_bytes` that does not end inside a UTF-8 sequence.
std::string_view TruncateUtf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

std::string NormalizeTitle(std::string_view title) {
  // A title is shown on one line: control characters (newlines, the match markers) become spaces.
  std::string clean(TruncateUtf8(Trim(title), kMaxTitleBytes));
  for (char& c : clean) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  std::string_view trimmed = Trim(clean);
  if (trimmed.empty()) return std::string(kDefaultTitle);
  return std::string(trimmed);
}

constexpr std::string_view kStateNames[] = {"done", "streaming", "partial", "error"};

MessageState ParseMessageState(std::string_view name) {
  for (size_t i = 0; i < std::size(kStateNames); ++i) {
    if (kStateNames[i] == name) return static_cast<MessageState>(i);
  }
  return MessageState::kDone;  // the schema's CHECK allows nothing else
}

Status CheckMessageSize(std::string_view what, size_t bytes) {
  if (bytes <= kMaxMessageBytes) return Status::Ok();
  return Status::TooLarge(std::string(what) + " of " + std::to_string(bytes) +
                          " bytes is over the limit of " + std::to_string(kMaxMessageBytes));
}

bool IsMatchMarker(char c) { return c == kMatchBegin || c == kMatchEnd; }

std::string WithoutMatchMarkers(std::string_view content) {
  std::string out(content);
  out.erase(std::remove_if(out.begin(), out.end(), IsMatchMarker), out.end());
  return out;
}

bool IsRole(std::string_view role) {
  return std::find(std::begin(kRoles), std::end(kRoles), role) != std::end(kRoles);
}

int ClampLimit(int limit) { return std::clamp(limit, 1, kMaxPageSize); }

// User text to an FTS5 query that matches messages containing every term, the last one also as a
// prefix (for search as you type): `say "hi" to` -> `"say" "hi" "to"*`. Each term is quoted, so
// FTS5 operators in the text (OR, NOT, NEAR(, -, :, ^, *) are searched for as plain words; double
// quotes and control characters are dropped so no term can end its quoting early. Empty when there
// is nothing to search.
std::string ToFtsQuery(std::string_view text) {
  std::string query;
  size_t terms = 0;
  size_t pos = 0;
  while (terms < kMaxSearchTerms) {
    size_t begin = text.find_first_not_of(kWhitespace, pos);
    if (begin == std::string_view::npos) break;
    size_t end = std::min(text.find_first_of(kWhitespace, begin), text.size());
    pos = end;
    std::string term;
    for (char c : text.substr(begin, end - begin)) {
      // FTS5 reads its query as a C string: a NUL would cut the quoting short. Other control
      // characters cannot be part of an indexed token either.
      if (c != '"' && static_cast<unsigned char>(c) >= 0x20) term += c;
    }
    if (term.empty()) continue;
    if (!query.empty()) query += ' ';
    query += '"' + term + '"';
    ++terms;
  }
  if (!query.empty()) query += '*';
  return query;
}

TitleSource ParseTitleSource(std::string_view name) {
  if (name == "auto") return TitleSource::kAuto;
  if (name == "user") return TitleSource::kUser;
  return TitleSource::kNone;
}

Conversation ReadConversation(const Statement& statement) {
  return Conversation{
      .id = statement.ColumnInt64(0),
      .title = std::string(statement.ColumnText(1)),
      .created_ms = statement.ColumnInt64(2),
      .updated_ms = statement.ColumnInt64(3),
      .message_count = statement.ColumnInt64(4),
      .agent_options = std::string(statement.ColumnText(5)),
      .title_source = ParseTitleSource(statement.ColumnText(6)),
  };
}

Message ReadMessage(const Statement& statement) {
  return Message{
      .id = statement.ColumnInt64(0),
      .conversation_id = statement.ColumnInt64(1),
      .role = std::string(statement.ColumnText(2)),
      .content = std::string(statement.ColumnText(3)),
      .created_ms = statement.ColumnInt64(4),
      .state = ParseMessageState(statement.ColumnText(5)),
      .meta = std::string(statement.ColumnText(6)),
      .parent_id = statement.ColumnInt64(7),
      .version = statement.ColumnInt64(8),
      .version_count = statement.ColumnInt64(9),
      .previous_version_id = statement.ColumnInt64(10),
      .next_version_id = statement.ColumnInt64(11),
  };
}

SessionRecord ReadSession(const Statement& statement) {
  return SessionRecord{
      .id_hash = std::string(statement.ColumnText(0)),
      .csrf_token = std::string(statement.ColumnText(1)),
      .created_ms = statement.ColumnInt64(2),
      .last_seen_ms = statement.ColumnInt64(3),
      .expires_ms = statement.ColumnInt64(4),
      .user_agent = std::string(statement.ColumnText(5)),
  };
}

Result<std::vector<Conversation>> ReadConversations(Statement& statement) {
  std::vector<Conversation> conversations;
  for (;;) {
    Result<bool> row = statement.Step();
    if (!row.ok()) return row.status();
    if (!*row) return conversations;
    conversations.push_back(ReadConversation(statement));
  }
}

Status ConversationNotFound(int64_t id) {
  return Status::NotFound("conversation " + std::to_string(id) + " does not exist");
}

Status SessionNotFound() { return Status::NotFound("no such session"); }

Status CheckKey(std::string_view key) {
  if (key.empty()) return Status::InvalidArgument("empty key");
  if (key.size() > kMaxKeyBytes) {
    return Status::InvalidArgument("key longer than " + std::to_string(kMaxKeyBytes) + " bytes");
  }
  return Status::Ok();
}

}  // namespace

std::string_view MessageStateName(MessageState state) {
  return kStateNames[static_cast<size_t>(state)];
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path) {
  return Open(path, OpenOptions());
}

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const OpenOptions& options) {
  if (path.empty()) return Status::InvalidArgument("empty database path");
  if (path != ":memory:") {
    struct stat st;
    if (stat(path.c_str(), &st) == 0 && st.st_size > 0) {
      // Nothing writes to an existing file before it is known to be a Hearth database this build
      // understands, and whole.
      Result<FileCheck> check =
          CheckExistingFile(path, kSchemaVersion, options.quick_check_max_bytes);
      if (!check.ok()) return check.status();
      if (check->integrity.state == Integrity::State::kDamaged) {
        return OpenDamaged(path, std::move(check->reader), check->schema_version,
                           std::move(check->integrity));
      }
      // The reader closes here, before the connection that writes takes the file exclusively
      // (after a crash the WAL is not empty, and the reader holds a shared lock on it).
      check->reader.reset();
      Result<std::unique_ptr<Store>> store = OpenWritable(path, options);
      if (store.ok()) (*store)->integrity_ = std::move(check->integrity);
      return store;
    }
    // Created here rather than by sqlite so the file is private from its first byte; sqlite gives
    // the -wal and -shm files the mode of the database file.
    UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) return PosixError("open the database file " + path, errno);
  }
  return OpenWritable(path, options);
}

Result<std::unique_ptr<Store>> Store::OpenWritable(const std::string& path,
                                                   const OpenOptions& options) {
  // NOMUTEX: mu_ already serialises every use of the connection.
  Result<Database> db = Database::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX);
  if (!db.ok()) return db.status();
  db->SetBusyTimeout(options.busy_timeout_ms);

  // Nothing is written before the file is known to be a Hearth database this build understands
  // (checked again: a new or empty file has not been through CheckExistingFile).
  Result<int> version = CheckSchema(*db, kSchemaVersion);
  if (!version.ok()) return version.status();
  std::string pragmas =
      // Exclusive: hearthd is the only process that opens the file, and holding the lock saves
      // the two fcntl() calls each transaction would otherwise make (a point read goes from
      // ~7 us to ~1.5 us here). Other processes hand over login tokens through files instead.
      "PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
      " PRAGMA foreign_keys = ON;";
  if (options.max_page_count > 0) {
    pragmas += " PRAGMA max_page_count = " + std::to_string(options.max_page_count) + ";";
  }
  if (Status status = db->Exec(pragmas); !status.ok()) return status;
  if (Status status = Migrate(*db, kSchemaVersion); !status.ok()) return status;

  Result<std::unique_ptr<Statements>> statements = PrepareAll(*db);
  if (!statements.ok()) return statements.status();
  return std::unique_ptr<Store>(new Store(path, std::make_unique<Database>(std::move(*db)),
                                          std::move(*statements), Integrity{}));
}

Result<std::unique_ptr<Store>> Store::OpenDamaged(const std::string& path,
                                                  std::unique_ptr<Database> reader, int version,
                                                  Integrity integrity) {
  std::string found = integrity.findings.empty() ? "" : " (sqlite: " + integrity.findings[0] + ")";
  if (version != kSchemaVersion) {
    // The statements need the current schema, and a migration would write.
    return Status::Corrupt(path + " is damaged" + found + " and needs an upgrade, which would " +
                           "write to it; Hearth will not: recover it or restore a backup (see " +
                           "Troubleshooting in Hearth's README), then start Hearth again");
  }
  Result<std::unique_ptr<Statements>> statements = PrepareAll(*reader);
  if (!statements.ok()) return statements.status();
  auto store = std::unique_ptr<Store>(
      new Store(path, std::move(reader), std::move(*statements), std::move(integrity)));
  store->write_refusal_ = Status::Unavailable(
      path + " is damaged" + found + ", so Hearth opened it read-only and saves nothing: this " +
      "change was not saved. Stop Hearth, recover the file with sqlite3's .recover or restore a " +
      "backup (see Troubleshooting in Hearth's README), then start Hearth again");
  return store;
}

Result<std::unique_ptr<Store::Statements>> Store::PrepareAll(Database& db) {
  static_assert(Statements::InEnumOrder(), "kSql must list every Query once, in enum order");
  auto statements = std::make_unique<Statements>();
  for (const Statements::Sql& sql : Statements::kSql) {
    Result<Statement> statement = db.Prepare(sql.text);
    if (!statement.ok()) return statement.status();
    statements->by_query[static_cast<size_t>(sql.query)] = std::move(*statement);
  }
  return statements;
}

Store::Store(std::string path, std::unique_ptr<Database> db, std::unique_ptr<Statements> statements,
             Integrity integrity)
    : path_(std::move(path)),
      db_(std::move(db)),
      statements_(std::move(statements)),
      integrity_(std::move(integrity)) {}

Store::~Store() = default;

Integrity Store::integrity() const {
  std::lock_guard lock(mu_);
  return integrity_;
}

Status Store::Writable() const {
  std::lock_guard lock(mu_);
  return write_refusal_;
}

StatementScope Store::Use(Query query) {
  return StatementScope(statements_->by_query[static_cast<size_t>(query)]);
}

Result<Conversation> Store::CreateConversation(std::string_view title, int64_t now_ms) {
  std::string clean_title = NormalizeTitle(title);
  const TitleSource source = Trim(title).empty() ? TitleSource::kNone : TitleSource::kUser;
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope insert = Use(Query::kInsertConversation);
  if (Status status = insert->Bind(1, clean_title)
                          .Bind(2, now_ms)
                          .Bind(3, source == TitleSource::kUser ? "user" : "none")
                          .Run();
      !status.ok()) {
    return status;
  }
  return Conversation{.id = db_->LastInsertRowId(),
                      .title = std::move(clean_title),
                      .created_ms = now_ms,
                      .updated_ms = now_ms,
                      .message_count = 0,
                      .agent_options = {},
                      .title_source = source};
}

Result<Conversation> Store::GetConversation(int64_t id) {
  std::lock_guard lock(mu_);
  StatementScope get = Use(Query::kGetConversation);
  Result<bool> row = get->Bind(1, id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return ConversationNotFound(id);
  return ReadConversation(*get);
}

Result<std::vector<Conversation>> Store::ListConversations(std::optional<ConversationCursor> after,
                                                           int limit) {
  std::lock_guard lock(mu_);
  if (!after) {
    StatementScope list = Use(Query::kListConversations);
    return ReadConversations(list->Bind(1, ClampLimit(limit)));
  }
  StatementScope list = Use(Query::kListConversationsAfter);
  return ReadConversations(
      list->Bind(1, after->updated_ms).Bind(2, after->id).Bind(3, ClampLimit(limit)));
}

Status Store::RenameConversation(int64_t id, std::string_view title, int64_t now_ms) {
  std::string clean_title = NormalizeTitle(title);
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope rename = Use(Query::kRenameConversation);
  if (Status status = rename->Bind(1, id).Bind(2, clean_title).Bind(3, now_ms).Run();
      !status.ok()) {
    return status;
  }
  if (db_->Changes() == 0) return ConversationNotFound(id);
  return Status::Ok();
}

Result<bool> Store::SetGeneratedTitle(int64_t id, std::string_view title) {
  std::string clean_title = NormalizeTitle(title);
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope set = Use(Query::kSetGeneratedTitle);
  if (Status status = set->Bind(1, id).Bind(2, clean_title).Run(); !status.ok()) return status;
  if (db_->Changes() > 0) return true;
  StatementScope exists = Use(Query::kConversationExists);
  Result<bool> row = exists->Bind(1, id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return ConversationNotFound(id);
  return false;
}

Status Store::DeleteConversation(int64_t id) {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope remove = Use(Query::kDeleteConversation);
  if (Status status = remove->Bind(1, id).Run(); !status.ok()) return status;
  if (db_->Changes() == 0) return ConversationNotFound(id);
  return Status::Ok();
}

Result<Message> Store::AddMessage(int64_t conversation_id, std::string_view role,
                                  std::string_view content, int64_t now_ms) {
  return AddMessage(conversation_id, role, content, now_ms, MessageState::kDone, {});
}

Result<Message> Store::AddMessage(int64_t conversation_id, std::string_view role,
                                  std::string_view content, int64_t now_ms, MessageState state,
                                  std::string_view meta) {
  if (!IsRole(role)) {
    return Status::InvalidArgument("unknown message role \"" + std::string(TruncateUtf8(role, 32)) +
                                   "\": expected user, assistant, system or tool");
  }
  if (Status status = CheckMessageSize("message", content.size()); !status.ok()) return status;
  if (Status status = CheckMessageSize("message metadata", meta.size()); !status.ok()) {
    return status;
  }
  Message message{.conversation_id = conversation_id,
                  .role = std::string(role),
                  .content = WithoutMatchMarkers(content),
                  .created_ms = now_ms,
                  .state = state,
                  .meta = std::string(meta)};

  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  Result<Transaction> transaction = Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  {
    StatementScope touch = Use(Query::kTouchConversation);
    if (Status status = touch->Bind(1, conversation_id).Bind(2, now_ms).Run(); !status.ok()) {
      return status;
    }
    if (db_->Changes() == 0) return ConversationNotFound(conversation_id);
  }
  {
    StatementScope insert = Use(Query::kInsertMessage);
    insert->Bind(1, conversation_id).Bind(2, message.role).Bind(3, message.content);
    insert->Bind(4, now_ms).Bind(5, MessageStateName(state)).Bind(6, message.meta);
    if (Status status = insert->Run(); !status.ok()) return status;
    message.id = db_->LastInsertRowId();
  }
  {
    StatementScope head = Use(Query::kSetHead);
    if (Status status = head->Bind(1, conversation_id).Bind(2, message.id).Run(); !status.ok()) {
      return status;
    }
  }
  if (Status status = transaction->Commit(); !status.ok()) return status;
  // Read back for the fields the store fills in (its parent, its versions).
  StatementScope get = Use(Query::kGetMessage);
  if (Result<bool> row = get->Bind(1, message.id).Step(); row.ok() && *row) {
    return ReadMessage(*get);
  }
  return message;
}

Status Store::UpdateMessage(int64_t id, std::string_view content, MessageState state,
                            std::string_view meta) {
  if (Status status = CheckMessageSize("message", content.size()); !status.ok()) return status;
  if (Status status = CheckMessageSize("message metadata", meta.size()); !status.ok()) {
    return status;
  }
  std::string clean = WithoutMatchMarkers(content);
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope update = Use(Query::kUpdateMessage);
  update->Bind(1, id).Bind(2, clean).Bind(3, MessageStateName(state)).Bind(4, meta);
  if (Status status = update->Run(); !status.ok()) return status;
  if (db_->Changes() == 0)
    return Status::NotFound("message " + std::to_string(id) + " does not exist");
  return Status::Ok();
}

Result<int64_t> Store::SettleInterruptedMessages() {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope settle = Use(Query::kSettleInterrupted);
  if (Status status = settle->Run(); !status.ok()) return status;
  return db_->Changes();
}

Result<int64_t> Store::SettleRunMessages(int64_t conversation_id, int64_t first_id) {
  std::lock_guard lock(mu_);
  StatementScope settle = Use(Query::kSettleRun);
  settle->Bind(1, conversation_id).Bind(2, first_id);
  if (Status status = settle->Run(); !status.ok()) return status;
  return db_->Changes();
}

Status Store::SetAgentOptions(int64_t id, std::string_view options_json) {
  if (options_json.size() > kMaxSettingBytes) {
    return Status::TooLarge("conversation options over " + std::to_string(kMaxSettingBytes) +
                            " bytes");
  }
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope set = Use(Query::kSetAgentOptions);
  if (Status status = set->Bind(1, id).Bind(2, options_json).Run(); !status.ok()) return status;
  if (db_->Changes() == 0) return ConversationNotFound(id);
  return Status::Ok();
}

Result<Message> Store::GetMessage(int64_t id) {
  std::lock_guard lock(mu_);
  StatementScope get = Use(Query::kGetMessage);
  Result<bool> row = get->Bind(1, id).Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("message " + std::to_string(id) + " does not exist");
  return ReadMessage(*get);
}

Result<std::vector<Message>> Store::ListMessages(int64_t conversation_id,
                                                 std::optional<int64_t> before_id, int limit) {
  std::lock_guard lock(mu_);
  std::vector<Message> messages;
  {
    StatementScope list = Use(Query::kListMessages);
    list->Bind(1, conversation_id).Bind(2, before_id.value_or(0)).Bind(3, ClampLimit(limit));
    for (;;) {
      Result<bool> row = list->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      messages.push_back(ReadMessage(*list));
    }
  }
  if (messages.empty()) {
    StatementScope exists = Use(Query::kConversationExists);
    Result<bool> row = exists->Bind(1, conversation_id).Step();
    if (!row.ok()) return row.status();
    if (!*row) return ConversationNotFound(conversation_id);
  }
  std::reverse(messages.begin(), messages.end());
  return messages;
}

Result<std::vector<SearchHit>> Store::Search(std::string_view query, int limit) {
  std::string fts_query = ToFtsQuery(query);
  if (fts_query.empty()) return std::vector<SearchHit>();
  static constexpr char kBegin[] = {kMatchBegin, '\0'};
  static constexpr char kEnd[] = {kMatchEnd, '\0'};

  std::lock_guard lock(mu_);
  StatementScope search = Use(Query::kSearch);
  search->Bind(1, fts_query).Bind(2, kBegin).Bind(3, kEnd).Bind(4, ClampLimit(limit));
  std::vector<SearchHit> hits;
  for (;;) {
    Result<bool> row = search->Step();
    if (!row.ok()) return row.status();
    if (!*row) return hits;
    hits.push_back(SearchHit{
        .conversation_id = search->ColumnInt64(0),
        .conversation_title = std::string(search->ColumnText(1)),
        .message_id = search->ColumnInt64(2),
        .snippet = std::string(search->ColumnText(3)),
    });
  }
}

Result<std::optional<std::string>> Store::GetSetting(std::string_view key) {
  if (Status status = CheckKey(key); !status.ok()) return status;
  std::lock_guard lock(mu_);
  StatementScope get = Use(Query::kGetSetting);
  Result<bool> row = get->Bind(1, key).Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(get->ColumnText(0));
}

Status Store::SetSetting(std::string_view key, std::string_view value) {
  if (Status status = CheckKey(key); !status.ok()) return status;
  if (value.size() > kMaxSettingBytes) {
    return Status::TooLarge("value of setting \"" + std::string(key) + "\" is over " +
                            std::to_string(kMaxSettingBytes) + " bytes");
  }
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope set = Use(Query::kSetSetting);
  return set->Bind(1, key).Bind(2, value).Run();
}

Status Store::ScrubDeletedData() {
  std::lock_guard lock(mu_);
  // TRUNCATE: the WAL's old frames hold old page images, and a checkpoint alone leaves them in
  // the file to be overwritten later.
  return db_->Exec(
      "PRAGMA temp_store = MEMORY; VACUUM; PRAGMA wal_checkpoint(TRUNCATE); "
      "PRAGMA temp_store = DEFAULT;");
}

Status Store::InsertSession(const SessionRecord& session) {
  if (Status status = CheckKey(session.id_hash); !status.ok()) return status;
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope insert = Use(Query::kInsertSession);
  return insert->Bind(1, session.id_hash)
      .Bind(2, session.csrf_token)
      .Bind(3, session.created_ms)
      .Bind(4, session.last_seen_ms)
      .Bind(5, session.expires_ms)
      .Bind(6, TruncateUtf8(session.user_agent, kMaxUserAgentBytes))
      .Run();
}

Result<std::optional<SessionRecord>> Store::FindSession(std::string_view id_hash) {
  std::lock_guard lock(mu_);
  StatementScope find = Use(Query::kFindSession);
  Result<bool> row = find->Bind(1, id_hash).Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<SessionRecord>();
  return std::optional<SessionRecord>(ReadSession(*find));
}

Status Store::TouchSession(std::string_view id_hash, int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope touch = Use(Query::kTouchSession);
  if (Status status = touch->Bind(1, id_hash).Bind(2, now_ms).Run(); !status.ok()) return status;
  if (db_->Changes() == 0) return SessionNotFound();
  return Status::Ok();
}

Status Store::DeleteSession(std::string_view id_hash) {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope remove = Use(Query::kDeleteSession);
  if (Status status = remove->Bind(1, id_hash).Run(); !status.ok()) return status;
  if (db_->Changes() == 0) return SessionNotFound();
  return Status::Ok();
}

Result<int64_t> Store::DeleteAllSessions() {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope remove = Use(Query::kDeleteAllSessions);
  if (Status status = remove->Run(); !status.ok()) return status;
  return db_->Changes();
}

Result<int64_t> Store::DeleteExpiredSessions(int64_t now_ms, int64_t idle_cutoff_ms) {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope remove = Use(Query::kDeleteExpiredSessions);
  if (Status status = remove->Bind(1, now_ms).Bind(2, idle_cutoff_ms).Run(); !status.ok()) {
    return status;
  }
  return db_->Changes();
}

Result<std::vector<SessionRecord>> Store::ListSessions() {
  std::lock_guard lock(mu_);
  StatementScope list = Use(Query::kListSessions);
  std::vector<SessionRecord> sessions;
  for (;;) {
    Result<bool> row = list->Step();
    if (!row.ok()) return row.status();
    if (!*row) return sessions;
    sessions.push_back(ReadSession(*list));
  }
}

Status Store::InsertLoginToken(std::string_view token_hash, int64_t expires_ms) {
  if (Status status = CheckKey(token_hash); !status.ok()) return status;
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope insert = Use(Query::kInsertLoginToken);
  return insert->Bind(1, token_hash).Bind(2, expires_ms).Run();
}

Result<bool> Store::ConsumeLoginToken(std::string_view token_hash, int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope consume = Use(Query::kConsumeLoginToken);
  Result<bool> row = consume->Bind(1, token_hash).Step();
  if (!row.ok()) return row.status();
  if (!*row) return false;
  int64_t expires_ms = consume->ColumnInt64(0);
  // The row is already gone (RETURNING rows come after the change); finishing the statement ends
  // its implicit transaction.
  if (Status status = consume->Run(); !status.ok()) return status;
  return expires_ms > now_ms;
}

Result<int64_t> Store::DeleteExpiredLoginTokens(int64_t now_ms) {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope remove = Use(Query::kDeleteExpiredLoginTokens);
  if (Status status = remove->Bind(1, now_ms).Run(); !status.ok()) return status;
  return db_->Changes();
}

Status Store::AddAuditEntry(const AuditEntry& entry) {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  Result<Transaction> transaction = Transaction::Begin(*db_);
  if (!transaction.ok()) return transaction.status();
  {
    StatementScope insert = Use(Query::kInsertAudit);
    insert->Bind(1, entry.at_ms);
    if (entry.conversation_id > 0) {
      insert->Bind(2, entry.conversation_id);
    } else {
      insert->BindNull(2);
    }
    insert->Bind(3, TruncateUtf8(entry.tool, kMaxAuditFieldBytes))
        .Bind(4, TruncateUtf8(entry.target, kMaxAuditFieldBytes))
        .Bind(5, TruncateUtf8(entry.reason, kMaxAuditFieldBytes));
    if (Status status = insert->Run(); !status.ok()) return status;
  }
  {
    StatementScope trim = Use(Query::kTrimAudit);
    if (Status status = trim->Bind(1, kMaxAuditEntries).Run(); !status.ok()) return status;
  }
  return transaction->Commit();
}

Result<std::vector<AuditEntry>> Store::ListAuditEntries(int limit) {
  return ListAuditEntries(AuditQuery{.limit = limit});
}

Result<std::vector<AuditEntry>> Store::ListAuditEntries(const AuditQuery& query) {
  if (query.tool.size() > kMaxAuditFieldBytes) return std::vector<AuditEntry>{};  // none so long
  const bool by_tool = !query.tool.empty();
  const bool by_conversation = query.conversation_id > 0;
  Query which = by_tool && by_conversation ? Query::kListAuditByToolAndConversation
                : by_tool                  ? Query::kListAuditByTool
                : by_conversation          ? Query::kListAuditByConversation
                                           : Query::kListAudit;
  std::lock_guard lock(mu_);
  StatementScope list = Use(which);
  list->Bind(1, query.before_id.value_or(std::numeric_limits<int64_t>::max()))
      .Bind(2, ClampLimit(query.limit));
  int next = 3;
  if (by_tool) list->Bind(next++, query.tool);
  if (by_conversation) list->Bind(next++, query.conversation_id);
  std::vector<AuditEntry> entries;
  for (;;) {
    Result<bool> row = list->Step();
    if (!row.ok()) return row.status();
    if (!*row) return entries;
    entries.push_back(AuditEntry{
        .id = list->ColumnInt64(0),
        .at_ms = list->ColumnInt64(1),
        .conversation_id = list->ColumnInt64(2),
        .tool = std::string(list->ColumnText(3)),
        .target = std::string(list->ColumnText(4)),
        .reason = std::string(list->ColumnText(5)),
    });
  }
}

Result<std::vector<std::string>> Store::ListAuditTools() {
  std::lock_guard lock(mu_);
  StatementScope list = Use(Query::kListAuditTools);
  list->Bind(1, kMaxPageSize);
  std::vector<std::string> tools;
  for (;;) {
    Result<bool> row = list->Step();
    if (!row.ok()) return row.status();
    if (!*row) return tools;
    tools.emplace_back(list->ColumnText(0));
  }
}

Result<std::vector<AuditConversation>> Store::ListAuditConversations() {
  std::lock_guard lock(mu_);
  StatementScope list = Use(Query::kListAuditConversations);
  list->Bind(1, kMaxPageSize);
  std::vector<AuditConversation> conversations;
  for (;;) {
    Result<bool> row = list->Step();
    if (!row.ok()) return row.status();
    if (!*row) return conversations;
    conversations.push_back(
        {.id = list->ColumnInt64(0), .title = std::string(list->ColumnText(1))});
  }
}

Status Store::AddToolGrant(std::string_view key, std::string_view label, int64_t now_ms) {
  if (Status status = CheckKey(key); !status.ok()) return status;
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope insert = Use(Query::kInsertGrant);
  return insert->Bind(1, key).Bind(2, TruncateUtf8(label, kMaxKeyBytes)).Bind(3, now_ms).Run();
}

Result<bool> Store::HasToolGrant(std::string_view key) {
  std::lock_guard lock(mu_);
  StatementScope has = Use(Query::kHasGrant);
  Result<bool> row = has->Bind(1, key).Step();
  if (!row.ok()) return row.status();
  return *row;
}

Result<std::vector<ToolGrant>> Store::ListToolGrants() {
  std::lock_guard lock(mu_);
  StatementScope list = Use(Query::kListGrants);
  std::vector<ToolGrant> grants;
  for (;;) {
    Result<bool> row = list->Step();
    if (!row.ok()) return row.status();
    if (!*row) return grants;
    grants.push_back(ToolGrant{.key = std::string(list->ColumnText(0)),
                               .label = std::string(list->ColumnText(1)),
                               .created_ms = list->ColumnInt64(2)});
  }
}

Status Store::DeleteToolGrant(std::string_view key) {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  StatementScope remove = Use(Query::kDeleteGrant);
  if (Status status = remove->Bind(1, key).Run(); !status.ok()) return status;
  if (db_->Changes() == 0) return Status::NotFound("no such tool grant");
  return Status::Ok();
}

Result<Stats> Store::GetStats() {
  std::lock_guard lock(mu_);
  StatementScope stats = Use(Query::kStats);
  Result<bool> row = stats->Step();
  if (!row.ok()) return row.status();
  return Stats{
      .conversations = stats->ColumnInt64(0),
      .messages = stats->ColumnInt64(1),
      .sessions = stats->ColumnInt64(2),
      .audit_entries = stats->ColumnInt64(3),
      .schema_version = static_cast<int>(stats->ColumnInt64(4)),
      .file_bytes = stats->ColumnInt64(5),
  };
}

}  // namespace hearth::store
