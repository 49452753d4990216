// SPDX-License-Identifier: Apache-2.0
// Test harness: runs the real hearthd the way systemd does (socket activation, NOTIFY_SOCKET) and
// talks HTTP to it over raw sockets, so tests control every byte a browser or an attacker sends.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "base/fd.h"

namespace hearth::testing {

using Clock = std::chrono::steady_clock;
inline constexpr std::chrono::seconds kDeadline{20};

// A private directory tree standing in for one user's XDG directories.
class UserDirs {
 public:
  UserDirs();
  ~UserDirs();
  const std::string& root() const { return root_; }
  std::string data_dir() const { return root_ + "/data/hearth"; }
  std::string db_path() const { return data_dir() + "/hearth.db"; }
  std::string runtime_dir() const { return root_ + "/run/hearth"; }
  std::vector<std::string> Env() const;  // XDG_* and HOME

 private:
  std::string root_;
};

struct ExitStatus {
  bool exited = false;  // false: killed by a signal (or still running at the deadline)
  int code = -1;        // exit code, or the signal number
};

// One hearthd process. Destruction kills it (SIGKILL) if a test left it running.
//
// Like systemd, a Daemon reads the notify socket all the time (on a thread of its own): hearthd
// sends a STATUS= on every change of its backend, and a reader that stops reading would block
// it in sd_notify once the socket's queue is full. Use from one test thread.
class Daemon {
 public:
  struct Options {
    bool pass_socket = true;  // emulate systemd socket activation on fd 3
    std::vector<std::string> args;
    // With pass_socket: hand over this listening socket (borrowed; stays open here, as systemd's
    // does) instead of binding a new one.
    int listen_fd = -1;
    // DBUS_SESSION_BUS_ADDRESS for hearthd (a PrivateBus's address). Empty: hearthd gets no
    // session bus at all (the test's own is never passed on) and runs without D-Bus.
    std::string bus_address = {};
  };

  // Starts hearthd for `dirs`; does not wait for readiness.
  Daemon(const UserDirs& dirs, Options options);
  Daemon(const UserDirs& dirs) : Daemon(dirs, Options{}) {}
  ~Daemon();

  // Waits for READY=1 on the notify socket. Returns false if the process exited first or the
  // deadline passed. Every datagram received is kept in notifications().
  bool WaitReady();
  // Waits for a datagram containing `needle`, received at any time; false at the deadline.
  bool WaitNotification(const std::string& needle, std::chrono::milliseconds timeout = kDeadline);
  // Waits for the process to exit (without signalling it).
  ExitStatus WaitExit(std::chrono::milliseconds timeout = kDeadline);
  // SIGTERM, then waits for the exit.
  ExitStatus Terminate();
  void Signal(int sig);

  pid_t pid() const { return pid_; }
  // The backend hearthd supervises (its child, from /proc), or 0 while it has none.
  pid_t BackendPid() const;
  uint16_t port() const { return port_; }
  std::vector<std::string> notifications() const;
  std::string Stderr() const;  // everything the daemon logged so far

  // Runs `hearthd --login-url` against this daemon and returns the URL's path and query; throws
  // unless the URL is on AppHost().
  std::string LoginPath();
  // "h-….localhost:PORT": Hearth's own host name (from the data directory) and port, where its
  // pages and cookie live. Empty before the daemon has made it.
  std::string AppHost() const;

 private:
  void ReadNotifications();  // the reader thread
  void StopReader();

  const UserDirs& dirs_;
  pid_t pid_ = -1;
  UniqueFd pidfd_;
  UniqueFd notify_;
  UniqueFd stop_reader_;  // an eventfd: the reader thread ends when it is written
  std::string notify_path_;
  std::string stderr_path_;
  uint16_t port_ = 0;
  std::optional<ExitStatus> exit_;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  // Guarded by mu_:
  std::vector<std::string> notifications_;
  bool process_ended_ = false;  // its pidfd said so (not yet reaped, perhaps)

  std::thread reader_;
};

// Hearth's own host name for `dirs` ("h-….localhost", without a port), as hearthd keeps it in
// the data directory; empty while there is none.
std::string AppHostName(const UserDirs& dirs);

// Waits until `pid` (any process, not only a child of ours) has exited; true if it did within
// `timeout`, or was gone already. An exited process may still wait to be reaped by its parent.
bool WaitProcessExit(pid_t pid, std::chrono::milliseconds timeout = kDeadline);

// Runs hearthd with `args` to completion and captures stdout and the exit status.
struct RunResult {
  ExitStatus status;
  std::string out;
  std::string err;
};
RunResult RunHearthd(const UserDirs& dirs, const std::vector<std::string>& args);

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lowercased; repeated headers joined by "\n"
  std::string body;
  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// A TCP connection to 127.0.0.1:port; invalid, with errno saying why, when connect() fails.
UniqueFd Connect(uint16_t port);

// Sends `raw` (a complete HTTP request) on a new connection and reads the response to EOF.
// Returns status 0 if the connection failed or closed without a response. With `half_close`,
// the sending side is shut down afterwards, as a client that has nothing more to say.
HttpResponse SendRaw(uint16_t port, const std::string& raw, bool half_close = false);
// The same, returning every byte received until the server closed (several responses, say).
std::string SendRawAll(uint16_t port, const std::string& raw, bool half_close = false);

// A browser-like client: correct Host and Origin, htmx headers, the session cookie. `host` is the
// authority it names (Daemon::AppHost() for Hearth's pages; default 127.0.0.1:PORT); it always
// connects to 127.0.0.1, since glibc does not resolve .localhost names as browsers do.
class Client {
 public:
  explicit Client(uint16_t port, std::string host = {})
      : port_(port), host_(host.empty() ? "127.0.0.1:" + std::to_string(port) : std::move(host)) {}

  // Exchanges a login path ("/login?token=...") for a session cookie; returns the response.
  HttpResponse Login(const std::string& login_path);
  bool signed_in() const { return !cookie_.empty(); }
  const std::string& cookie() const { return cookie_; }

  HttpResponse Get(const std::string& path, std::map<std::string, std::string> headers = {});
  HttpResponse Post(const std::string& path, const std::string& form_body,
                    std::map<std::string, std::string> headers = {});
  HttpResponse Request(const std::string& method, const std::string& path,
                       std::map<std::string, std::string> headers, const std::string& body);
  std::string origin() const { return "http://" + host_; }
  const std::string& host() const { return host_; }

 private:
  uint16_t port_;
  std::string host_;
  std::string cookie_;
};

// Percent-encodes form values.
std::string FormEncode(const std::string& text);

// An open Server-Sent Events connection, read incrementally.
class EventReader {
 public:
  // `host` as for Client.
  EventReader(uint16_t port, const std::string& cookie, const std::string& host);
  bool ok() const { return fd_.valid() && status_ == 200; }
  // Reads until `needle` appears in the stream or the deadline passes.
  bool WaitFor(const std::string& needle, std::chrono::milliseconds timeout = kDeadline);
  // Reads until the server closes the stream; true if it did before the deadline.
  bool WaitClosed(std::chrono::milliseconds timeout = kDeadline);
  const std::string& received() const { return received_; }

 private:
  bool ReadSome(Clock::time_point deadline);
  UniqueFd fd_;
  int status_ = 0;
  std::string received_;
  bool closed_ = false;
};

// A fixture with a ready daemon and a client signed in to it; the daemon must exit 0 at the end.
class SignedInDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon_ = std::make_unique<Daemon>(dirs_);
    ASSERT_TRUE(daemon_->WaitReady()) << daemon_->Stderr();
    port_ = daemon_->port();
    client_ = std::make_unique<Client>(port_, daemon_->AppHost());
    ASSERT_EQ(client_->Login(daemon_->LoginPath()).status, 303);
  }
  void TearDown() override {
    if (daemon_) {
      EXPECT_EQ(daemon_->Terminate().code, 0) << daemon_->Stderr();
    }
  }

  UserDirs dirs_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
  uint16_t port_ = 0;
};

}  // namespace hearth::testing
