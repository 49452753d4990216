// SPDX-License-Identifier: Apache-2.0
#include "store/database.h"

#include <string>
#include <utility>

namespace hearth::store {
namespace {

std::string Quote(std::string_view detail) {
  if (detail.empty()) return "";
  return " (sqlite: " + std::string(detail) + ")";
}

const char* FileName(sqlite3* db) {
  const char* name = db != nullptr ? sqlite3_db_filename(db, "main") : nullptr;
  return name != nullptr ? name : "";
}

}  // namespace

Status SqliteError(int rc, std::string_view detail, std::string_view path) {
  std::string file = path.empty() ? "the in-memory database" : std::string(path);
  std::string why = Quote(detail);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(file + " is locked by another program" + why +
                          "; close the other program that has it open (or the other running "
                          "Hearth) and try again");
    case SQLITE_NOTADB:
    case SQLITE_CORRUPT:
      return Status::Corrupt(file + " is not a Hearth database or is damaged" + why +
                             "; Hearth will not overwrite it: move it aside or restore a backup, "
                             "then start Hearth again");
    case SQLITE_FULL:
      return Status::IoError("disk full while writing " + file + why +
                             "; the change was not saved: free some disk space and try again");
    case SQLITE_CANTOPEN:
      return Status::IoError("cannot open " + file + why +
                             "; check that its directory exists and that you can read and write "
                             "both");
    case SQLITE_READONLY:
      return Status::IoError(file + " cannot be written" + why +
                             "; check the permissions of the file and of its directory");
    case SQLITE_IOERR:
      return Status::IoError("I/O error on " + file + why + "; check the disk and the system log");
    case SQLITE_NOMEM:
      return Status::IoError("out of memory while using " + file + why);
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return Status::PermissionDenied("access to " + file + " was denied" + why);
    case SQLITE_CONSTRAINT:
      return Status::InvalidArgument("the change would break a rule of " + file + why);
    case SQLITE_TOOBIG:
      return Status::TooLarge("a value is too large for " + file + why);
    default:
      return Status::Internal("unexpected sqlite error on " + file + why);
  }
}

Status SqliteError(sqlite3* db, int rc) {
  return SqliteError(rc, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc), FileName(db));
}

Statement& Statement::Bind(int index, int64_t value) {
  NoteBindResult(sqlite3_bind_int64(stmt_.get(), index, value));
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  // An empty view may have a null data(), which sqlite would bind as NULL rather than ''.
  const char* data = text.data() != nullptr ? text.data() : "";
  NoteBindResult(
      sqlite3_bind_text64(stmt_.get(), index, data, text.size(), SQLITE_STATIC, SQLITE_UTF8));
  return *this;
}

Statement& Statement::BindNull(int index) {
  NoteBindResult(sqlite3_bind_null(stmt_.get(), index));
  return *this;
}

void Statement::NoteBindResult(int rc) {
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Result<bool> Statement::Step() {
  sqlite3* db = sqlite3_db_handle(stmt_.get());
  if (bind_rc_ != SQLITE_OK) return SqliteError(bind_rc_, sqlite3_errstr(bind_rc_), FileName(db));
  int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteError(db, rc);
}

Status Statement::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

int64_t Statement::ColumnInt64(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}

std::string_view Statement::ColumnText(int column) const {
  // sqlite3_column_bytes must come after sqlite3_column_text, which may convert the value.
  const unsigned char* text = sqlite3_column_text(stmt_.get(), column);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<size_t>(sqlite3_column_bytes(stmt_.get(), column))};
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

void Statement::Reset() {
  if (!stmt_) return;
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
  bind_rc_ = SQLITE_OK;
}

Result<Database> Database::Open(const std::string& path, int flags) {
#ifdef SQLITE_OPEN_EXRESCODE
  flags |= SQLITE_OPEN_EXRESCODE;
#endif
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Database db(raw, path);  // sqlite hands out a handle to close even when opening fails
  if (rc != SQLITE_OK) {
    return SqliteError(rc, raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc), path);
  }
  // Opened by URI: messages name the file, not the URI.
  if ((flags & SQLITE_OPEN_URI) != 0) db.path_ = FileName(raw);
  sqlite3_extended_result_codes(raw, 1);
  for (auto [statement, sql] :
       {std::pair{&db.begin_, "BEGIN IMMEDIATE"}, std::pair{&db.commit_, "COMMIT"},
        std::pair{&db.rollback_, "ROLLBACK"}}) {
    Result<Statement> prepared = db.Prepare(sql);
    if (!prepared.ok()) return prepared.status();
    *statement = std::move(*prepared);
  }
  return db;
}

Status Database::Exec(const std::string& sql) {
  int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteError(db_.get(), rc);
  return Status::Ok();
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, &tail);
  Statement statement(raw);
  if (rc != SQLITE_OK) return SqliteError(db_.get(), rc);
  if (raw == nullptr) return Status::Internal("no SQL statement in \"" + std::string(sql) + "\"");
  if (std::string_view(tail).find_first_not_of(" \t\r\n") != std::string_view::npos) {
    return Status::Internal("more than one SQL statement in \"" + std::string(sql) + "\"");
  }
  return statement;
}

void Database::SetBusyTimeout(int milliseconds) { sqlite3_busy_timeout(db_.get(), milliseconds); }

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_.get()); }

int64_t Database::Changes() const { return sqlite3_changes64(db_.get()); }

bool Database::InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

Result<Transaction> Transaction::Begin(Database& db) {
  Status status = db.begin_.Run();
  db.begin_.Reset();
  if (!status.ok()) return status;
  return Transaction(&db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  // sqlite may already have rolled back by itself (e.g. after SQLITE_FULL); a second ROLLBACK
  // would only fail.
  if (db_ == nullptr || !db_->InTransaction()) return;
  db_->rollback_.Run();
  db_->rollback_.Reset();
}

Status Transaction::Commit() {
  if (db_ == nullptr) return Status::Internal("commit of a transaction that is already over");
  Status status = db_->commit_.Run();
  db_->commit_.Reset();
  if (status.ok()) db_ = nullptr;
  return status;
}

}  // namespace hearth::store
