// SPDX-License-Identifier: Apache-2.0
// hearthd started as systemd would start it: readiness, port publication, shutdown, restart.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "harness.h"
#include "http/listen_socket.h"

namespace hearth::testing {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(DaemonWithSystemdSocket, ServesOnThePassedSocketAndSaysReadyWithItsPort) {
  UserDirs dirs;
  Daemon daemon(dirs);
  ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
  std::string all;
  for (const auto& n : daemon.notifications()) all += n + "\n";
  EXPECT_NE(all.find("STATUS=Listening on http://127.0.0.1:" + std::to_string(daemon.port())),
            std::string::npos)
      << all;
  EXPECT_EQ(Slurp(dirs.runtime_dir() + "/port"), std::to_string(daemon.port()) + "\n");
  EXPECT_NE(daemon.Stderr().find("socket from systemd"), std::string::npos);

  Client client(daemon.port(), daemon.AppHost());
  HttpResponse health = client.Get("/healthz", {{"HX-Request", ""}});
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, "ok\n");
  ExitStatus exit = daemon.Terminate();
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 0);
  EXPECT_FALSE(std::filesystem::exists(dirs.runtime_dir() + "/port"));
}

TEST(DaemonWithSystemdSocket, LeavesTheSocketUsableForTheNextDaemon) {
  // systemd keeps its socket across restarts: hearthd must not shut it down when it stops
  // (libmicrohttpd would, without MHD_USE_ITC), or the next start would serve nothing.
  UserDirs dirs;
  auto socket = http::BindLoopback();
  ASSERT_TRUE(socket.ok());
  for (int round = 0; round < 2; ++round) {
    Daemon daemon(dirs, {.pass_socket = true, .args = {}, .listen_fd = socket->fd.get()});
    ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
    EXPECT_EQ(daemon.port(), socket->port);
    EXPECT_EQ(Client(daemon.port(), daemon.AppHost()).Get("/healthz").status, 200)
        << "round " << round;
    EXPECT_EQ(daemon.Terminate().code, 0);
  }
}

TEST(DaemonWithoutSystemd, BindsALoopbackPortItselfAndPublishesIt) {
  UserDirs dirs;
  Daemon daemon(dirs, {.pass_socket = false, .args = {}, .listen_fd = -1});
  ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
  ASSERT_NE(daemon.port(), 0);
  EXPECT_NE(daemon.Stderr().find("listening on http://127.0.0.1:" + std::to_string(daemon.port())),
            std::string::npos);
  EXPECT_EQ(Client(daemon.port(), daemon.AppHost()).Get("/healthz").status, 200);
  EXPECT_EQ(daemon.Terminate().code, 0);
}

TEST(DaemonFiles, AreCreatedPrivate) {
  UserDirs dirs;
  Daemon daemon(dirs);
  ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
  struct stat st;
  ASSERT_EQ(stat(dirs.data_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat(dirs.db_path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(dirs.runtime_dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(daemon.Terminate().code, 0);
}

TEST(SecondDaemon, RefusesToStartAndNamesTheRunningOne) {
  UserDirs dirs;
  Daemon first(dirs);
  ASSERT_TRUE(first.WaitReady()) << first.Stderr();
  Daemon second(dirs);
  EXPECT_FALSE(second.WaitReady());
  ExitStatus exit = second.WaitExit();
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 1);
  EXPECT_NE(second.Stderr().find("already running"), std::string::npos) << second.Stderr();
  // The first one is unharmed.
  EXPECT_EQ(Client(first.port()).Get("/healthz").status, 200);
  EXPECT_EQ(first.Terminate().code, 0);
}

TEST(LoginUrlCommand, SaysClearlyWhenTheDaemonIsNotRunning) {
  UserDirs dirs;
  RunResult r = RunHearthd(dirs, {"--login-url"});
  EXPECT_TRUE(r.status.exited);
  EXPECT_EQ(r.status.code, 3);
  EXPECT_NE(r.err.find("not running"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(LoginUrlCommand, RefusesABadTtl) {
  UserDirs dirs;
  RunResult r = RunHearthd(dirs, {"--login-url", "--ttl", "100000"});
  EXPECT_EQ(r.status.code, 2);
  EXPECT_NE(r.err.find("--ttl"), std::string::npos);
}

TEST(Sigterm, EndsAnOpenEventStreamAndExitsCleanly) {
  UserDirs dirs;
  Daemon daemon(dirs);
  ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
  Client client(daemon.port(), daemon.AppHost());
  ASSERT_EQ(client.Login(daemon.LoginPath()).status, 303);
  EventReader events(daemon.port(), client.cookie(), client.host());
  ASSERT_TRUE(events.ok());
  ASSERT_TRUE(events.WaitFor("event: hello"));

  daemon.Signal(SIGTERM);
  EXPECT_TRUE(events.WaitClosed()) << "the stream stayed open after SIGTERM";
  ExitStatus exit = daemon.WaitExit();
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 0) << daemon.Stderr();
  EXPECT_NE(daemon.Stderr().find("stopped"), std::string::npos);
}

TEST(Restart, KeepsConversationsSessionsAndTheHostName) {
  UserDirs dirs;
  std::string cookie, host;
  {
    Daemon daemon(dirs);
    ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
    Client client(daemon.port(), daemon.AppHost());
    ASSERT_EQ(client.Login(daemon.LoginPath()).status, 303);
    ASSERT_EQ(client.Post("/conversations", "").status, 200);
    ASSERT_EQ(
        client.Post("/c/1/messages", "content=" + FormEncode("remember the lighthouse")).status,
        200);
    cookie = client.cookie();
    host = daemon.AppHost();
    ASSERT_EQ(daemon.Terminate().code, 0);
  }
  Daemon daemon(dirs);
  ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
  // Open tabs and bookmarks name the host: it must not change.
  EXPECT_EQ(daemon.AppHost().substr(0, daemon.AppHost().find(':')), host.substr(0, host.find(':')));
  HttpResponse page =
      Client(daemon.port(), daemon.AppHost()).Get("/c/1", {{"Cookie", cookie}, {"HX-Request", ""}});
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("remember the lighthouse"), std::string::npos);
  EXPECT_EQ(daemon.Terminate().code, 0);
}

// Posts 20 messages, each acknowledged with a 200, and returns the session cookie.
std::string PostTwentyNotes(Daemon& daemon) {
  Client client(daemon.port(), daemon.AppHost());
  EXPECT_EQ(client.Login(daemon.LoginPath()).status, 303);
  EXPECT_EQ(client.Post("/conversations", "").status, 200);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(client.Post("/c/1/messages", "content=note+" + std::to_string(i)).status, 200);
  }
  return client.cookie();
}

void ExpectTwentyNotes(Daemon& daemon, const std::string& cookie) {
  HttpResponse page = Client(daemon.port(), daemon.AppHost()).Get("/c/1", {{"Cookie", cookie}});
  EXPECT_EQ(page.status, 200);
  for (int i = 0; i < 20; ++i) {
    EXPECT_NE(page.body.find("note " + std::to_string(i) + "<"), std::string::npos) << i;
  }
}

TEST(Crash, LosesNoMessageThatWasAcknowledged) {
  // The backend is the process that holds the database: SIGKILL it, and the backend the
  // supervisor starts in its place recovers the WAL.
  UserDirs dirs;
  Daemon daemon(dirs);
  ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
  std::string cookie = PostTwentyNotes(daemon);
  pid_t backend = daemon.BackendPid();
  ASSERT_GT(backend, 0);
  ASSERT_EQ(kill(backend, SIGKILL), 0);
  ASSERT_TRUE(WaitProcessExit(backend));
  // Requests wait on the supervisor's socket until the new backend serves.
  ExpectTwentyNotes(daemon, cookie);
  EXPECT_NE(daemon.BackendPid(), backend);
  EXPECT_NE(daemon.Stderr().find("killed by signal 9"), std::string::npos) << daemon.Stderr();
  EXPECT_EQ(daemon.Terminate().code, 0) << daemon.Stderr();
}

TEST(Crash, OfBothProcessesLosesNoMessageThatWasAcknowledged) {
  // Everything dies at once (the OOM killer, a power cut): the supervisor is frozen so it can
  // neither restart the backend nor drain it, then both are killed.
  UserDirs dirs;
  std::string cookie;
  {
    Daemon daemon(dirs);
    ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
    cookie = PostTwentyNotes(daemon);
    pid_t backend = daemon.BackendPid();
    ASSERT_GT(backend, 0);
    daemon.Signal(SIGSTOP);
    ASSERT_EQ(kill(backend, SIGKILL), 0);
    ASSERT_TRUE(WaitProcessExit(backend));
    daemon.Signal(SIGKILL);
    ExitStatus exit = daemon.WaitExit();
    ASSERT_FALSE(exit.exited);
    EXPECT_EQ(exit.code, SIGKILL);
  }
  Daemon daemon(dirs);  // the instance lock died with both processes; the WAL is recovered
  ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
  ExpectTwentyNotes(daemon, cookie);
  EXPECT_EQ(daemon.Terminate().code, 0);
}

}  // namespace
}  // namespace hearth::testing
