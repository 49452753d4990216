// SPDX-License-Identifier: Apache-2.0
#include "store/schema.h"

#include <iterator>
#include <string>

namespace hearth::store {
namespace {

// kMigrations[i] takes the schema from version i to version i + 1. Never edit one that has
// shipped: add the next.
constexpr const char* kMigrations[] = {
    // 1: conversations, messages with full-text search, settings, sessions, login tokens.
    R"sql(
CREATE TABLE conversations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a stale tab must not reach a new one
  title TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL,
  message_count INTEGER NOT NULL DEFAULT 0  -- kept by triggers: the list shows it on every row
);
CREATE INDEX conversations_by_updated ON conversations (updated_ms DESC, id DESC);

CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
  content TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX messages_by_conversation ON messages (conversation_id, id);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  csrf_token TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  user_agent TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE login_tokens (
  token_hash TEXT PRIMARY KEY,
  expires_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- External content: the text lives once, in messages; the index is kept in step by the triggers
-- below (https://sqlite.org/fts5.html#external_content_tables).
CREATE VIRTUAL TABLE messages_fts USING fts5 (
  content,
  content = 'messages',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
  UPDATE conversations SET message_count = message_count + 1 WHERE id = new.conversation_id;
END;
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
  UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
END;
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
  INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
)sql",
    // 2: the agent. A message's state (an answer being streamed, or cut short) and its metadata
    // (tool calls, the call a tool result answers, errors) as JSON; per-conversation model and
    // system prompt; the audit log of refused tool calls; tools the user always allows.
    R"sql(
ALTER TABLE messages ADD COLUMN state TEXT NOT NULL DEFAULT 'done'
  CHECK (state IN ('done', 'streaming', 'partial', 'error'));
ALTER TABLE messages ADD COLUMN meta TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN agent_options TEXT NOT NULL DEFAULT '';

CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  at_ms INTEGER NOT NULL,
  conversation_id INTEGER,  -- kept when the conversation is deleted: the log outlives it
  tool TEXT NOT NULL,
  target TEXT NOT NULL,
  reason TEXT NOT NULL
);

CREATE TABLE tool_grants (
  key TEXT PRIMARY KEY,  -- the tool's name, or for an MCP tool its name and server hash
  label TEXT NOT NULL,
  created_ms INTEGER NOT NULL
) WITHOUT ROWID;
)sql",
    // 3: the audit log is browsed a page at a time, filtered by tool or by conversation.
    R"sql(
CREATE INDEX audit_by_tool ON audit (tool, id);
CREATE INDEX audit_by_conversation ON audit (conversation_id, id);
)sql",
    // 4: where a conversation's title comes from: none yet (the placeholder), the model's summary
    // of the first exchange, or the user. A title the user set is never replaced. Before this
    // version only the user could set one, so any title but the placeholder is theirs.
    R"sql(
ALTER TABLE conversations ADD COLUMN title_source TEXT NOT NULL DEFAULT 'none'
  CHECK (title_source IN ('none', 'auto', 'user'));
UPDATE conversations SET title_source = 'user' WHERE title <> 'New conversation';
)sql",
    // 5: versions. A regenerated answer or an edited message is a new message beside the old one
    // (the same parent), never a change to it: a conversation is a tree, and what it shows (and
    // sends to the model) is the path from its head back to the root. Existing conversations
    // become single paths: each message follows the one before it, the head is the newest.
    R"sql(
ALTER TABLE messages ADD COLUMN parent_id INTEGER;  -- NULL: the conversation's first message
ALTER TABLE conversations ADD COLUMN head_id INTEGER;  -- NULL: no message shown yet
-- The index follows the text only: linking the messages must not re-index every one of them.
DROP TRIGGER messages_fts_update;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
  INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
UPDATE messages SET parent_id = (
  SELECT max(p.id) FROM messages p WHERE p.conversation_id = messages.conversation_id AND p.id < messages.id);
UPDATE conversations SET head_id = (SELECT max(id) FROM messages WHERE conversation_id = conversations.id);
CREATE INDEX messages_by_parent ON messages (conversation_id, parent_id, id);
)sql",
};
constexpr int kKnownVersions = static_cast<int>(std::size(kMigrations));

Status NotHearths(const Database& db) {
  return Status::Corrupt(db.path() +
                         " is an SQLite database but not Hearth's; Hearth will not overwrite it: "
                         "move it aside or choose another file, then start Hearth again");
}

Status Newer(const Database& db, int version, int known_version) {
  return Status::Unsupported(db.path() + " was written by a newer Hearth (schema " +
                             std::to_string(version) + ", this build knows " +
                             std::to_string(known_version) +
                             "); upgrade Hearth or move the file aside");
}

Result<int> ReadVersion(Database& db) {
  Result<Statement> statement = db.Prepare("PRAGMA user_version");
  if (!statement.ok()) return statement.status();
  Result<bool> row = statement->Step();
  if (!row.ok()) return row.status();
  return static_cast<int>(statement->ColumnInt64(0));
}

}  // namespace

Result<int> CheckSchema(Database& db, int known_version) {
  // Reading sqlite_schema parses every table definition, which is where a damaged file that
  // still has a valid header shows up.
  Result<Statement> statement = db.Prepare(
      "SELECT (SELECT user_version FROM pragma_user_version),"
      " (SELECT application_id FROM pragma_application_id),"
      " (SELECT count(*) FROM sqlite_schema)");
  if (!statement.ok()) return statement.status();
  Result<bool> row = statement->Step();
  if (!row.ok()) return row.status();
  int version = static_cast<int>(statement->ColumnInt64(0));
  int64_t application_id = statement->ColumnInt64(1);
  int64_t objects = statement->ColumnInt64(2);

  if (application_id != 0 && application_id != kApplicationId) return NotHearths(db);
  if (version > known_version) return Newer(db, version, known_version);
  if (version == 0 && objects > 0) return NotHearths(db);
  if (version > 0 && application_id != kApplicationId) return NotHearths(db);
  return version;
}

Status Migrate(Database& db, int target_version) {
  if (target_version > kKnownVersions) {
    return Status::Internal("no migration to schema " + std::to_string(target_version));
  }
  for (;;) {
    Result<Transaction> transaction = Transaction::Begin(db);
    if (!transaction.ok()) return transaction.status();
    Result<int> version = ReadVersion(db);
    if (!version.ok()) return version.status();
    if (*version > target_version) return Newer(db, *version, target_version);
    if (*version == target_version) return transaction->Commit();

    int next = *version + 1;
    Status status = db.Exec(kMigrations[*version]);
    if (status.ok()) {
      status = db.Exec("PRAGMA user_version = " + std::to_string(next) +
                       "; PRAGMA application_id = " + std::to_string(kApplicationId));
    }
    if (status.ok()) status = transaction->Commit();
    if (!status.ok()) {
      return status.WithContext("upgrade the schema of " + db.path() + " to version " +
                                std::to_string(next));
    }
  }
}

}  // namespace hearth::store
