// SPDX-License-Identifier: Apache-2.0
// A database hearthd cannot use stops start-up with a clear message and is never overwritten; a
// damaged one is served read-only, says so everywhere, and is never written to either.
#include <gtest/gtest.h>
#include <sdbus-c++/sdbus-c++.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "../unit/testing/damage.h"
#include "harness.h"
#include "private_bus.h"
#include "store/store.h"

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

// Supervise() over the private bus, as `hearthctl status` calls it.
std::map<std::string, sdbus::Variant> Supervise(const PrivateBus& bus) {
  auto connection = sdbus::createSessionBusConnectionWithAddress(bus.address());
  auto proxy = sdbus::createProxy(*connection, "org.hearth.Hearth1", "/org/hearth/Hearth1");
  std::map<std::string, sdbus::Variant> status;
  proxy->callMethod("Supervise").onInterface("org.hearth.Hearth1").storeResultsTo(status);
  return status;
}

TEST(DatabaseAtStartup, WithADamagedDataPageIsServedReadOnlyAndNeverWritten) {
  UserDirs dirs;
  std::filesystem::create_directories(dirs.data_dir());
  std::filesystem::permissions(dirs.data_dir(), std::filesystem::perms::owner_all);
  int64_t conversation_id = 0;
  {
    auto store = store::Store::Open(dirs.db_path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto c = (*store)->CreateConversation("still listed", 1);
    ASSERT_TRUE(c.ok());
    conversation_id = c->id;
    for (int i = 0; i < 200; ++i) {
      ASSERT_TRUE((*store)->AddMessage(c->id, "user", std::string(1500, 'a' + i % 26), 2 + i).ok());
    }
  }
  ASSERT_NE(unit::DamageLeafPage(dirs.db_path(), "messages", 10), 0);
  std::string before = Slurp(dirs.db_path());
  struct stat st_before {};
  ASSERT_EQ(stat(dirs.db_path().c_str(), &st_before), 0);

  PrivateBus bus;
  Daemon::Options options;
  options.bus_address = bus.address();
  {
    Daemon daemon(dirs, options);
    ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
    Client client(daemon.port(), daemon.AppHost());
    // Sessions live in memory while the database takes no writes: signing in still works.
    ASSERT_EQ(client.Login(daemon.LoginPath()).status, 303) << daemon.Stderr();
    ASSERT_TRUE(client.signed_in());

    for (const std::string path : {"/", "/settings"}) {
      HttpResponse page = client.Get(path, {{"HX-Request", ""}});
      EXPECT_EQ(page.status, 200) << path << ": " << page.body;
      EXPECT_NE(page.body.find("Hearth's database is damaged"), std::string::npos) << path;
      EXPECT_NE(page.body.find(dirs.db_path()), std::string::npos) << path;
      EXPECT_NE(page.body.find("sqlite3 hearth.db .dump"), std::string::npos) << path;
    }
    HttpResponse list = client.Get("/conversations", {{"HX-Request", "true"}});
    EXPECT_EQ(list.status, 200);
    EXPECT_NE(list.body.find("still listed"), std::string::npos);

    // A write is refused with a message that says why and what to do; nothing is lost.
    HttpResponse created = client.Post("/conversations", "");
    EXPECT_EQ(created.status, 503) << created.body;
    EXPECT_NE(created.body.find("is damaged"), std::string::npos) << created.body;
    HttpResponse sent = client.Post("/c/" + std::to_string(conversation_id) + "/messages",
                                    "content=" + FormEncode("hello"));
    EXPECT_EQ(sent.status, 503) << sent.body;
    EXPECT_NE(sent.body.find("was not saved"), std::string::npos) << sent.body;

    // A browser without a session sees the banner on the sign-in page too.
    HttpResponse anonymous = Client(daemon.port(), daemon.AppHost()).Get("/", {{"HX-Request", ""}});
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_NE(anonymous.body.find("database is damaged"), std::string::npos);

    auto status = Supervise(bus);
    EXPECT_EQ(status.at("database").get<std::string>(), "damaged");
    std::string detail = status.at("database_detail").get<std::string>();
    EXPECT_NE(detail.find(dirs.db_path() + " is damaged"), std::string::npos) << detail;

    EXPECT_EQ(client.Post("/logout", "").status, 200);
    EXPECT_EQ(daemon.Terminate().code, 0) << daemon.Stderr();
  }
  EXPECT_TRUE(Slurp(dirs.db_path()) == before) << "the damaged file was written to";
  struct stat st_after {};
  ASSERT_EQ(stat(dirs.db_path().c_str(), &st_after), 0);
  EXPECT_EQ(st_after.st_mtim.tv_sec, st_before.st_mtim.tv_sec);
  EXPECT_EQ(st_after.st_mtim.tv_nsec, st_before.st_mtim.tv_nsec);
  EXPECT_FALSE(std::filesystem::exists(dirs.db_path() + "-wal"));
  EXPECT_FALSE(std::filesystem::exists(dirs.db_path() + "-shm"));
}

TEST(DatabaseAtStartup, ThatIsWholeSaysSoInSupervise) {
  UserDirs dirs;
  PrivateBus bus;
  Daemon::Options options;
  options.bus_address = bus.address();
  {
    Daemon daemon(dirs, options);  // creates the file
    ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
    EXPECT_EQ(Supervise(bus).at("database").get<std::string>(), "unchecked");
    ASSERT_EQ(daemon.Terminate().code, 0);
  }
  Daemon daemon(dirs, options);
  ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
  auto status = Supervise(bus);
  EXPECT_EQ(status.at("database").get<std::string>(), "ok");
  EXPECT_EQ(status.at("database_detail").get<std::string>(), "");
  Client client(daemon.port(), daemon.AppHost());
  ASSERT_EQ(client.Login(daemon.LoginPath()).status, 303);
  HttpResponse page = client.Get("/", {{"HX-Request", ""}});
  EXPECT_EQ(page.body.find("database is damaged"), std::string::npos);
  EXPECT_EQ(client.Post("/conversations", "").status, 200);
  EXPECT_EQ(daemon.Terminate().code, 0);
}

}  // namespace
}  // namespace hearth::testing
