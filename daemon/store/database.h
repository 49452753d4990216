// SPDX-License-Identifier: Apache-2.0
// store: a thin RAII layer over the sqlite3 C API: one owner per handle, failures as Status.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"

namespace hearth::store {

// The one place an sqlite result code becomes a Status. `rc` may be a primary or an extended
// code; `detail` is sqlite's own text (sqlite3_errmsg) and `path` the database file, both quoted
// in the message, which also says what the user can do:
//   SQLITE_BUSY, SQLITE_LOCKED     -> kBusy     (another program holds the file locked)
//   SQLITE_NOTADB, SQLITE_CORRUPT  -> kCorrupt  (Hearth will not overwrite the file)
//   SQLITE_FULL                    -> kIoError  (disk full, the change was not saved)
//   SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_READONLY, SQLITE_NOMEM -> kIoError
//   SQLITE_PERM, SQLITE_AUTH       -> kPermissionDenied
//   SQLITE_CONSTRAINT              -> kInvalidArgument
//   SQLITE_TOOBIG                  -> kTooLarge
//   anything else                  -> kInternal (a bug: bad SQL, misuse)
Status SqliteError(int rc, std::string_view detail, std::string_view path);
// The same, taking the detail and the file name from the connection.
Status SqliteError(sqlite3* db, int rc);

// A prepared statement; sole owner of its sqlite3_stmt. Move-only. Not thread-safe: the caller
// serialises use together with the owning Database.
//
// Bind errors are kept and returned by the next Step() or Run(), so a call site can bind several
// parameters and check once. Text is bound without copying: the bytes must stay valid until the
// statement is reset or rebound.
class Statement {
 public:
  Statement() = default;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindNull(int index);

  // True when a row is ready to read, false when the statement has finished.
  Result<bool> Step();
  // Steps until the statement has finished, ignoring any rows.
  Status Run();

  // Valid while a row is ready (after Step() returned true). Text views end at the next Step()
  // or Reset(). NULL reads as 0 or "".
  int64_t ColumnInt64(int column) const;
  std::string_view ColumnText(int column) const;
  bool ColumnIsNull(int column) const;

  // Ready to run again: ends any read in progress and clears the bindings.
  void Reset();

  sqlite3_stmt* get() const { return stmt_.get(); }

 private:
  friend class Database;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  void NoteBindResult(int rc);

  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
  };
  std::unique_ptr<sqlite3_stmt, Finalizer> stmt_;
  int bind_rc_ = SQLITE_OK;
};

// Resets a statement when the scope ends, so a cached statement never keeps a read snapshot open
// or points at bound bytes that no longer exist.
class StatementScope {
 public:
  explicit StatementScope(Statement& statement) : statement_(statement) {}
  ~StatementScope() { statement_.Reset(); }
  StatementScope(const StatementScope&) = delete;
  StatementScope& operator=(const StatementScope&) = delete;

  Statement* operator->() const { return &statement_; }
  Statement& operator*() const { return statement_; }

 private:
  Statement& statement_;
};

// One SQLite connection; sole owner of its sqlite3 handle, closed with sqlite3_close_v2. Move-only.
// Not thread-safe (it is opened with SQLITE_OPEN_NOMUTEX): the owner serialises all use of the
// connection and of its statements.
class Database {
 public:
  // Opens `path` with sqlite3_open_v2(`flags`), with extended result codes on. Opening does not
  // read the file: a file that is not a database is only noticed by the first statement. With
  // SQLITE_OPEN_URI, `path` is a file: URI and path() the file name it names.
  static Result<Database> Open(const std::string& path, int flags);

  Database(Database&&) noexcept = default;
  Database& operator=(Database&&) noexcept = default;
  ~Database() = default;

  // Runs one or more statements, discarding rows. Prepares every time: for setup and migrations,
  // not for hot paths.
  Status Exec(const std::string& sql);
  // Prepares one statement meant to be kept and reused.
  Result<Statement> Prepare(std::string_view sql);

  void SetBusyTimeout(int milliseconds);
  int64_t LastInsertRowId() const;
  // Rows changed by the last INSERT, UPDATE or DELETE (not counting cascades and triggers).
  int64_t Changes() const;
  bool InTransaction() const;

  sqlite3* get() const { return db_.get(); }
  const std::string& path() const { return path_; }

 private:
  friend class Transaction;
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  struct Closer {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
  std::string path_;
  // For Transaction; prepared by Open, finalized before the connection closes (declared after db_).
  Statement begin_;
  Statement commit_;
  Statement rollback_;
};

// BEGIN IMMEDIATE ... COMMIT. Rolls back when destroyed unless Commit() succeeded, so an early
// return leaves nothing half-written. Move-only; must not outlive its Database.
class Transaction {
 public:
  // Takes the write lock now (kBusy if another connection keeps it past the busy timeout), so a
  // later statement never fails halfway for lack of it.
  static Result<Transaction> Begin(Database& db);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  ~Transaction();

  // On failure (e.g. disk full) nothing was written and the destructor rolls back.
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}

  Database* db_;  // null once committed or moved from
};

}  // namespace hearth::store
