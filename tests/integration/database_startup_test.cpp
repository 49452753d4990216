// A database hearthd cannot use stops start-up with a clear message and is never overwritten.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "harness.h"

namespace hearth::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& data) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << data;
}

// Starts hearthd on `dirs`, expects it to fail before READY=1, and returns its log.
std::string ExpectStartupFailure(const UserDirs& dirs) {
  Daemon daemon(dirs);
  EXPECT_FALSE(daemon.WaitReady()) << "hearthd became ready on a database it should refuse";
  ExitStatus exit = daemon.WaitExit();
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 1);
  std::string status;
  for (const auto& n : daemon.notifications()) status += n;
  EXPECT_NE(status.find("STATUS=Failed to start"), std::string::npos) << status;
  return daemon.Stderr();
}

TEST(DatabaseAtStartup, ThatIsNotADatabaseIsRefusedAndLeftAlone) {
  UserDirs dirs;
  std::string garbage(8192, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 7919) % 251);
  WriteFile(dirs.db_path(), garbage);
  std::string log = ExpectStartupFailure(dirs);
  EXPECT_NE(log.find(dirs.db_path()), std::string::npos) << log;
  EXPECT_NE(log.find("overwrite"), std::string::npos) << log;
  EXPECT_EQ(Slurp(dirs.db_path()), garbage);
}

TEST(DatabaseAtStartup, FromANewerHearthIsRefusedAndLeftAlone) {
  UserDirs dirs;
  std::filesystem::create_directories(dirs.data_dir());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dirs.db_path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE future(x); PRAGMA user_version = 99;", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  std::string before = Slurp(dirs.db_path());
  std::string log = ExpectStartupFailure(dirs);
  EXPECT_NE(log.find("newer"), std::string::npos) << log;
  EXPECT_EQ(Slurp(dirs.db_path()), before);
}

TEST(DatabaseAtStartup, LockedByAnotherProgramIsReportedNotBrokenInto) {
  UserDirs dirs;
  {
    Daemon daemon(dirs);  // create a valid database first
    ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
    ASSERT_EQ(daemon.Terminate().code, 0);
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dirs.db_path().c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  std::string log = ExpectStartupFailure(dirs);
  EXPECT_NE(log.find("lock"), std::string::npos) << log;
  sqlite3_exec(db, "ROLLBACK;", nullptr, nullptr, nullptr);
  sqlite3_close(db);

  // Once the other program lets go, Hearth starts on the same data.
  Daemon daemon(dirs);
  EXPECT_TRUE(daemon.WaitReady()) << daemon.Stderr();
  EXPECT_EQ(daemon.Terminate().code, 0);
}

}  // namespace
}  // namespace hearth::testing
