// SPDX-License-Identifier: Apache-2.0
// A conversation's thread: which of its versions it shows (see Store in store.h).
#include <string>

#include "store/database.h"
#include "store/store.h"

namespace hearth::store {
namespace {

Status NoSuchMessage(int64_t conversation_id, int64_t message_id) {
  return Status::NotFound("conversation " + std::to_string(conversation_id) + " has no message " +
                          std::to_string(message_id) +
                          ": reload the conversation to see its messages as they are now");
}

// Runs a one-off statement (these are rare: a click on a version or an edit) that sets the head.
Status SetHead(Database& db, std::string_view sql, int64_t conversation_id, int64_t message_id) {
  Result<Statement> statement = db.Prepare(sql);
  if (!statement.ok()) return statement.status();
  statement->Bind(1, conversation_id).Bind(2, message_id);
  if (Status status = statement->Run(); !status.ok()) return status;
  if (db.Changes() == 0) return NoSuchMessage(conversation_id, message_id);
  return Status::Ok();
}

}  // namespace

Status Store::SetThreadEnd(int64_t conversation_id, int64_t message_id) {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  if (message_id == 0) {
    return SetHead(*db_, "UPDATE conversations SET head_id = NULL WHERE id = ?1 AND ?2 = 0",
                   conversation_id, message_id);
  }
  return SetHead(*db_,
                 "UPDATE conversations SET head_id = ?2 WHERE id = ?1 AND EXISTS"
                 " (SELECT 1 FROM messages WHERE id = ?2 AND conversation_id = ?1)",
                 conversation_id, message_id);
}

Status Store::ShowVersion(int64_t conversation_id, int64_t message_id) {
  std::lock_guard lock(mu_);
  if (!write_refusal_.ok()) return write_refusal_;
  // Down from the version, always to the newest child: the branch as it was left last. Children
  // have larger ids than their parent, so the largest id met is the end.
  return SetHead(*db_,
                 "WITH RECURSIVE down(id) AS (SELECT ?2 UNION ALL"
                 " SELECT (SELECT max(c.id) FROM messages c WHERE c.parent_id = down.id"
                 " AND c.conversation_id = ?1) FROM down WHERE down.id IS NOT NULL)"
                 " UPDATE conversations SET head_id = (SELECT max(id) FROM down)"
                 " WHERE id = ?1 AND EXISTS"
                 " (SELECT 1 FROM messages WHERE id = ?2 AND conversation_id = ?1)",
                 conversation_id, message_id);
}

Result<int64_t> Store::ThreadEnd(int64_t conversation_id) {
  std::lock_guard lock(mu_);
  Result<Statement> statement =
      db_->Prepare("SELECT coalesce(head_id, 0) FROM conversations WHERE id = ?1");
  if (!statement.ok()) return statement.status();
  Result<bool> row = statement->Bind(1, conversation_id).Step();
  if (!row.ok()) return row.status();
  if (!*row) {
    return Status::NotFound("there is no conversation " + std::to_string(conversation_id));
  }
  return statement->ColumnInt64(0);
}

}  // namespace hearth::store
