// SPDX-License-Identifier: Apache-2.0
#include "store/database.h"

#include "testing/temp_dir.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace hearth::store {
namespace {

using Code = Status::Code;
using hearth::unit::RawConnection;
using hearth::unit::TempDir;

TEST(DatabaseErrorMapping, SaysALockedFileIsBusyAndHowToFreeIt) {
  for (int rc : {SQLITE_BUSY, SQLITE_LOCKED, SQLITE_BUSY_SNAPSHOT}) {
    Status status = SqliteError(rc, "database is locked", "/home/u/hearth.db");
    EXPECT_EQ(status.code(), Code::kBusy);
    EXPECT_NE(status.message().find("/home/u/hearth.db is locked by another program"),
              std::string::npos)
        << status.message();
    EXPECT_NE(status.message().find("database is locked"), std::string::npos);
    EXPECT_NE(status.message().find("close the other program"), std::string::npos);
  }
}

TEST(DatabaseErrorMapping, SaysADamagedFileWillNotBeOverwritten) {
  for (int rc : {SQLITE_NOTADB, SQLITE_CORRUPT, SQLITE_CORRUPT_INDEX}) {
    Status status = SqliteError(rc, "file is not a database", "/home/u/hearth.db");
    EXPECT_EQ(status.code(), Code::kCorrupt);
    EXPECT_NE(status.message().find("/home/u/hearth.db"), std::string::npos);
    EXPECT_NE(status.message().find("will not overwrite it"), std::string::npos);
    EXPECT_NE(status.message().find("move it aside or restore a backup"), std::string::npos);
  }
}

TEST(DatabaseErrorMapping, SaysTheDiskIsFull) {
  Status status = SqliteError(SQLITE_FULL, "database or disk is full", "/d/hearth.db");
  EXPECT_EQ(status.code(), Code::kIoError);
  EXPECT_EQ(status.message().rfind("disk full while writing /d/hearth.db", 0), 0u)
      << status.message();
}

TEST(DatabaseErrorMapping, MapsTheOtherFamiliesByTheirPrimaryCode) {
  EXPECT_EQ(SqliteError(SQLITE_CANTOPEN, "", "/x").code(), Code::kIoError);
  EXPECT_EQ(SqliteError(SQLITE_IOERR_FSYNC, "", "/x").code(), Code::kIoError);
  EXPECT_EQ(SqliteError(SQLITE_READONLY_DBMOVED, "", "/x").code(), Code::kIoError);
  EXPECT_EQ(SqliteError(SQLITE_PERM, "", "/x").code(), Code::kPermissionDenied);
  EXPECT_EQ(SqliteError(SQLITE_CONSTRAINT_UNIQUE, "", "/x").code(), Code::kInvalidArgument);
  EXPECT_EQ(SqliteError(SQLITE_TOOBIG, "", "/x").code(), Code::kTooLarge);
  EXPECT_EQ(SqliteError(SQLITE_ERROR, "no such table: t", "/x").code(), Code::kInternal);
  EXPECT_EQ(SqliteError(SQLITE_MISUSE, "", "/x").code(), Code::kInternal);
}

TEST(DatabaseErrorMapping, NamesTheInMemoryDatabaseWhenThereIsNoFile) {
  Status status = SqliteError(SQLITE_CORRUPT, "", "");
  EXPECT_NE(status.message().find("the in-memory database"), std::string::npos);
}

class AnInMemoryDatabase : public testing::Test {
 protected:
  void SetUp() override {
    Result<Database> db = Database::Open(":memory:", SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::make_unique<Database>(std::move(*db));
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)").ok());
  }

  int64_t Count() {
    Result<Statement> count = db_->Prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(count.ok());
    EXPECT_TRUE(*count->Step());
    return count->ColumnInt64(0);
  }

  std::unique_ptr<Database> db_;
};

TEST_F(AnInMemoryDatabase, RunsOnePreparedStatementManyTimes) {
  Result<Statement> insert = db_->Prepare("INSERT INTO t (name) VALUES (?1)");
  ASSERT_TRUE(insert.ok());
  for (std::string name : {"a", "b", "c"}) {
    ASSERT_TRUE(insert->Bind(1, name).Run().ok());
    EXPECT_EQ(db_->Changes(), 1);
    insert->Reset();
  }
  EXPECT_EQ(db_->LastInsertRowId(), 3);
  EXPECT_EQ(Count(), 3);
}

TEST_F(AnInMemoryDatabase, StepsThroughRowsThenReportsDone) {
  ASSERT_TRUE(db_->Exec("INSERT INTO t (id, name) VALUES (1, 'one'), (2, NULL)").ok());
  Result<Statement> select = db_->Prepare("SELECT id, name FROM t ORDER BY id");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*select->Step());
  EXPECT_EQ(select->ColumnInt64(0), 1);
  EXPECT_EQ(select->ColumnText(1), "one");
  EXPECT_FALSE(select->ColumnIsNull(1));
  ASSERT_TRUE(*select->Step());
  EXPECT_TRUE(select->ColumnIsNull(1));
  EXPECT_EQ(select->ColumnText(1), "");
  Result<bool> done = select->Step();
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(*done);
}

TEST_F(AnInMemoryDatabase, BindsAnEmptyViewAsEmptyTextNotNull) {
  Result<Statement> select = db_->Prepare("SELECT ?1 IS NULL, typeof(?1), ?2 IS NULL");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*select->Bind(1, std::string_view()).BindNull(2).Step());
  EXPECT_EQ(select->ColumnInt64(0), 0);
  EXPECT_EQ(select->ColumnText(1), "text");
  EXPECT_EQ(select->ColumnInt64(2), 1);
}

TEST_F(AnInMemoryDatabase, ReportsABindErrorWhenTheStatementRuns) {
  Result<Statement> insert = db_->Prepare("INSERT INTO t (name) VALUES (?1)");
  ASSERT_TRUE(insert.ok());
  Status status = insert->Bind(7, "no such parameter").Bind(1, "x").Run();
  EXPECT_EQ(status.code(), Code::kInternal);
  EXPECT_EQ(Count(), 0);
  insert->Reset();
  EXPECT_TRUE(insert->Bind(1, "x").Run().ok());
}

TEST_F(AnInMemoryDatabase, RefusesToPrepareTwoStatementsAtOnce) {
  Result<Statement> two = db_->Prepare("SELECT 1; DROP TABLE t");
  EXPECT_EQ(two.status().code(), Code::kInternal);
  EXPECT_EQ(db_->Prepare("  -- nothing").status().code(), Code::kInternal);
  EXPECT_TRUE(db_->Prepare("SELECT 1;  \n").ok());
}

TEST_F(AnInMemoryDatabase, ReportsBadSqlAsABugWithSqlitesExplanation) {
  Result<Statement> bad = db_->Prepare("SELECT nope FROM t");
  EXPECT_EQ(bad.status().code(), Code::kInternal);
  EXPECT_NE(bad.status().message().find("no such column: nope"), std::string::npos);
}

TEST_F(AnInMemoryDatabase, ReportsAConstraintViolationAsInvalidArgument) {
  ASSERT_TRUE(db_->Exec("INSERT INTO t (name) VALUES ('same')").ok());
  EXPECT_EQ(db_->Exec("INSERT INTO t (name) VALUES ('same')").code(), Code::kInvalidArgument);
}

TEST_F(AnInMemoryDatabase, StatementScopeEndsTheReadItLeftOpen) {
  ASSERT_TRUE(db_->Exec("INSERT INTO t (name) VALUES ('a'), ('b')").ok());
  Result<Statement> select = db_->Prepare("SELECT name FROM t");
  ASSERT_TRUE(select.ok());
  {
    StatementScope scope(*select);
    Result<bool> row = scope->Step();
    ASSERT_TRUE(row.ok() && *row);
    EXPECT_TRUE(sqlite3_stmt_busy(select->get()));
  }
  EXPECT_FALSE(sqlite3_stmt_busy(select->get()));
}

TEST_F(AnInMemoryDatabase, RollsBackATransactionThatWasNotCommitted) {
  {
    Result<Transaction> transaction = Transaction::Begin(*db_);
    ASSERT_TRUE(transaction.ok());
    ASSERT_TRUE(db_->Exec("INSERT INTO t (name) VALUES ('gone')").ok());
    EXPECT_TRUE(db_->InTransaction());
  }
  EXPECT_FALSE(db_->InTransaction());
  EXPECT_EQ(Count(), 0);
}

TEST_F(AnInMemoryDatabase, KeepsACommittedTransaction) {
  {
    Result<Transaction> transaction = Transaction::Begin(*db_);
    ASSERT_TRUE(transaction.ok());
    ASSERT_TRUE(db_->Exec("INSERT INTO t (name) VALUES ('kept')").ok());
    Transaction moved = std::move(*transaction);
    ASSERT_TRUE(moved.Commit().ok());
    EXPECT_EQ(moved.Commit().code(), Code::kInternal);
  }
  EXPECT_EQ(Count(), 1);
}

TEST_F(AnInMemoryDatabase, ReportsAFullDiskAndKeepsNothingOfTheTransaction) {
  ASSERT_TRUE(db_->Exec("PRAGMA max_page_count = 8").ok());
  Status status;
  {
    Result<Transaction> transaction = Transaction::Begin(*db_);
    ASSERT_TRUE(transaction.ok());
    Result<Statement> insert = db_->Prepare("INSERT INTO t (name) VALUES (?1)");
    ASSERT_TRUE(insert.ok());
    std::string big(1000, 'x');
    for (int i = 0; i < 100 && status.ok(); ++i) {
      big[0] = static_cast<char>('a' + i % 26);
      big[1] = static_cast<char>('a' + i / 26);
      status = insert->Bind(1, big).Run();
      insert->Reset();
    }
  }
  EXPECT_EQ(status.code(), Code::kIoError);
  EXPECT_NE(status.message().find("disk full"), std::string::npos) << status.message();
  EXPECT_FALSE(db_->InTransaction());
  EXPECT_EQ(Count(), 0);
}

class ADatabaseFile : public testing::Test {
 protected:
  Database OpenOurs() {
    Result<Database> db = Database::Open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    db->SetBusyTimeout(20);
    return std::move(*db);
  }

  TempDir dir_;
  std::string path_ = dir_.File("test.db");
};

TEST_F(ADatabaseFile, IsBusyWhileAnotherProgramWritesToIt) {
  RawConnection other(path_);
  other.Exec("CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);");

  Database db = OpenOurs();
  Status read = db.Exec("SELECT count(*) FROM t");
  EXPECT_EQ(read.code(), Code::kBusy) << read.ToString();
  EXPECT_NE(read.message().find(path_ + " is locked by another program"), std::string::npos)
      << read.message();
  EXPECT_EQ(Transaction::Begin(db).status().code(), Code::kBusy);
}

TEST_F(ADatabaseFile, CannotBeWrittenWhileAnotherProgramHoldsTheWalWriteLock) {
  RawConnection other(path_);
  other.Exec("PRAGMA journal_mode = WAL; CREATE TABLE t (x); BEGIN IMMEDIATE;");

  Database db = OpenOurs();
  EXPECT_TRUE(db.Exec("SELECT count(*) FROM t").ok());
  EXPECT_EQ(Transaction::Begin(db).status().code(), Code::kBusy);
}

TEST_F(ADatabaseFile, OfRandomBytesIsReportedAsNotADatabase) {
  std::ofstream(path_) << std::string(4096, '\x5a');
  Database db = OpenOurs();
  Status status = db.Exec("PRAGMA user_version");
  EXPECT_EQ(status.code(), Code::kCorrupt) << status.ToString();
  EXPECT_NE(status.message().find(path_), std::string::npos);
}

TEST(DatabaseOpen, ReportsAMissingDirectoryAsAnIoError) {
  TempDir dir;
  Result<Database> db =
      Database::Open(dir.File("missing/test.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  EXPECT_EQ(db.status().code(), Code::kIoError);
  EXPECT_NE(db.status().message().find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace hearth::store
