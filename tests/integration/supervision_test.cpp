// SPDX-License-Identifier: Apache-2.0
// The supervisor (hearthd) keeps a backend (hearthd-backend) serving on its socket: crashes,
// hangs, a crash loop, shutdown, and the org.hearth.Hearth1 control plane, with the real hearthd
// on a private dbus-daemon.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sdbus-c++/sdbus-c++.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "hearth1_proxy.h"
#include "http/listen_socket.h"
#include "private_bus.h"

namespace hearth::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// How long a check waits before looking again while polling for a state over D-Bus.
constexpr milliseconds kRecheck{20};

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

bool ProcessListed(pid_t pid) { return std::filesystem::exists("/proc/" + std::to_string(pid)); }

// Every hearthd process (of any parent) that runs with the HOME of `dirs`: supervisors and
// backends.
std::vector<pid_t> ProcessesOf(const UserDirs& dirs) {
  std::string needle = "HOME=" + dirs.root();
  needle.push_back('\0');
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::filesystem::path exe = std::filesystem::read_symlink(entry.path() / "exe", ec);
    if (exe != HEARTHD_PATH && exe != HEARTHD_BACKEND_PATH) continue;
    std::ifstream in(entry.path() / "environ", std::ios::binary);
    std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    env.push_back('\0');
    if (env.find(needle) != std::string::npos) found.push_back(std::stoi(name));
  }
  return found;
}

// The org.hearth.Hearth1 object, through the generated proxy; records the signals it receives.
class Hearth1 final : public sdbus::ProxyInterfaces<org::hearth::Hearth1_proxy> {
 public:
  struct Exit {
    uint32_t pid;
    int32_t status;
    std::string reason;
  };
  struct Change {
    std::string state;
    std::string reason;
  };

  explicit Hearth1(sdbus::IConnection& connection)
      : ProxyInterfaces(connection, "org.hearth.Hearth1", "/org/hearth/Hearth1") {
    registerProxy();
  }
  ~Hearth1() { unregisterProxy(); }

  const std::vector<Exit>& exits() const { return exits_; }
  const std::vector<Change>& changes() const { return changes_; }

  const Exit* ExitOf(pid_t pid) const {
    for (const auto& e : exits_) {
      if (e.pid == static_cast<uint32_t>(pid)) return &e;
    }
    return nullptr;
  }
  // The first change to `state` at or after index `from` of changes().
  const Change* ChangeTo(const std::string& state, size_t from = 0) const {
    for (size_t i = from; i < changes_.size(); ++i) {
      if (changes_[i].state == state) return &changes_[i];
    }
    return nullptr;
  }
  std::string History() const {
    std::string out;
    for (const auto& c : changes_) out += "  StateChanged(" + c.state + ", " + c.reason + ")\n";
    for (const auto& e : exits_) {
      out += "  BackendExited(" + std::to_string(e.pid) + ", " + std::to_string(e.status) + ", " +
             e.reason + ")\n";
    }
    return out;
  }

 private:
  void onStateChanged(const std::string& state, const std::string& reason) override {
    changes_.push_back({state, reason});
  }
  void onBackendExited(const uint32_t& pid, const int32_t& status,
                       const std::string& reason) override {
    exits_.push_back({pid, status, reason});
  }

  std::vector<Exit> exits_;
  std::vector<Change> changes_;
};

// A client connection to a PrivateBus, dispatched on the test's thread: signals are delivered
// only inside WaitFor, so a test reads them without locks.
class BusClient {
 public:
  explicit BusClient(const std::string& address)
      : connection_(sdbus::createSessionBusConnectionWithAddress(address)),
        hearth_(std::make_unique<Hearth1>(*connection_)) {}
  ~BusClient() { hearth_.reset(); }

  Hearth1& hearth() { return *hearth_; }
  Hearth1* operator->() { return hearth_.get(); }

  // org.freedesktop.DBus.ReloadConfig: the bus rereads its service directory before answering.
  void ReloadConfig() {
    auto bus = sdbus::createProxy(*connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    bus->callMethod("ReloadConfig").onInterface("org.freedesktop.DBus");
  }
  // The pid of the process that owns `name` on the bus.
  pid_t OwnerPid(const std::string& name) {
    auto bus = sdbus::createProxy(*connection_, "org.freedesktop.DBus", "/org/freedesktop/DBus");
    uint32_t pid = 0;
    bus->callMethod("GetConnectionUnixProcessID")
        .onInterface("org.freedesktop.DBus")
        .withArguments(name)
        .storeResultsTo(pid);
    return static_cast<pid_t>(pid);
  }

  // Dispatches what arrived on the bus until `done()` holds (checked after each round, so it may
  // call methods) or the deadline passes; returns whether it held.
  bool WaitFor(const std::function<bool()>& done, milliseconds timeout = kDeadline) {
    auto deadline = Clock::now() + timeout;
    for (;;) {
      while (connection_->processPendingRequest()) {
      }
      if (done()) return true;
      if (Clock::now() >= deadline) return false;
      sdbus::IConnection::PollData data = connection_->getEventLoopPollData();
      pollfd pfd = {data.fd, data.events, 0};
      poll(&pfd, 1, std::min(RemainingMs(deadline), static_cast<int>(kRecheck.count())));
    }
  }

  // Waits for a serving backend other than `not_pid`; returns its pid, or 0 at the deadline.
  pid_t WaitRunning(pid_t not_pid = 0, milliseconds timeout = kDeadline) {
    pid_t pid = 0;
    WaitFor(
        [&] {
          if (hearth_->State() != "running") return false;
          pid = static_cast<pid_t>(hearth_->BackendPid());
          return pid != 0 && pid != not_pid;
        },
        timeout);
    return pid != not_pid ? pid : 0;
  }

 private:
  std::unique_ptr<sdbus::IConnection> connection_;
  std::unique_ptr<Hearth1> hearth_;
};

template <typename T>
T Get(const std::map<std::string, sdbus::Variant>& status, const std::string& key) {
  auto it = status.find(key);
  if (it == status.end()) throw std::runtime_error("Supervise() has no key " + key);
  return it->second.get<T>();
}

// One GET /healthz on a fresh connection.
struct Attempt {
  int connect_errno = 0;  // 0: connected
  int status = 0;         // 0: no complete response
};

// Starts a GET /healthz on a new connection; returns the connected fd, or an invalid one with
// errno saying why the connection failed.
UniqueFd SendHealthz(uint16_t port) {
  UniqueFd fd = Connect(port);
  if (!fd.valid()) return fd;
  std::string request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\n\r\n";
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size())) {
    return UniqueFd();
  }
  return fd;
}

// Reads a response to EOF; returns its status, or 0 if the connection failed first.
int ReadStatus(int fd, milliseconds timeout = kDeadline) {
  auto deadline = Clock::now() + timeout;
  std::string data;
  char buf[4096];
  for (;;) {
    pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, RemainingMs(deadline)) <= 0) return 0;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) return 0;  // reset by a dying backend
    if (n == 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  if (!data.starts_with("HTTP/1.1 ") || data.size() < 12) return 0;
  return std::atoi(data.c_str() + 9);
}

Attempt Healthz(uint16_t port) {
  Attempt a;
  UniqueFd fd = SendHealthz(port);
  if (!fd.valid()) {
    a.connect_errno = errno;
    return a;
  }
  a.status = ReadStatus(fd.get());
  return a;
}

// A thread that sends GET /healthz on fresh connections back to back until stopped, and sorts
// the outcomes by whether they started before or after the test declared the backend dead.
class HealthzHammer {
 public:
  explicit HealthzHammer(uint16_t port) : thread_([this, port] { Run(port); }) {}
  ~HealthzHammer() { Stop(); }

  void MarkBackendDead() { dead_ = true; }
  size_t ok_after_death() const { return ok_after_death_; }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  // Valid after Stop().
  int refused() const { return refused_; }
  int other_failures_before_death() const { return other_before_; }
  const std::vector<Attempt>& failed_after_death() const { return failed_after_; }
  int total() const { return total_; }

 private:
  void Run(uint16_t port) {
    while (!stop_) {
      bool after = dead_;
      Attempt a = Healthz(port);
      ++total_;
      if (a.connect_errno == ECONNREFUSED) ++refused_;
      bool ok = a.connect_errno == 0 && a.status == 200;
      if (after && ok) ++ok_after_death_;
      if (after && !ok) failed_after_.push_back(a);
      if (!after && !ok) ++other_before_;
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<bool> dead_{false};
  std::atomic<size_t> ok_after_death_{0};
  int refused_ = 0;
  int other_before_ = 0;
  int total_ = 0;
  std::vector<Attempt> failed_after_;
  std::thread thread_;  // last: starts once the fields above exist
};

// hearthd on a private session bus, with the socket passed the way systemd passes it, ready, a
// browser signed in, and a D-Bus client. hearthd must exit 0 at the end.
class SupervisedDaemon : public ::testing::Test {
 protected:
  void SetUp() override {
    bus_ = std::make_unique<PrivateBus>();
    Daemon::Options options;
    options.bus_address = bus_->address();
    daemon_ = std::make_unique<Daemon>(dirs_, options);
    ASSERT_TRUE(daemon_->WaitReady()) << daemon_->Stderr();
    port_ = daemon_->port();
    client_ = std::make_unique<Client>(port_, daemon_->AppHost());
    ASSERT_EQ(client_->Login(daemon_->LoginPath()).status, 303);
    dbus_ = std::make_unique<BusClient>(bus_->address());
    backend_ = static_cast<pid_t>((*dbus_)->BackendPid());
    ASSERT_GT(backend_, 0);
    ASSERT_EQ((*dbus_)->State(), "running");
  }
  void TearDown() override {
    if (daemon_ && daemon_->WaitExit(milliseconds(0)).code == -1) {
      EXPECT_EQ(daemon_->Terminate().code, 0) << daemon_->Stderr();
    }
    if (HasFailure() && daemon_) {
      std::cerr << "--- hearthd stderr\n" << daemon_->Stderr();
      if (dbus_) std::cerr << "--- signals\n" << dbus_->hearth().History();
    }
  }

  Hearth1& hearth() { return dbus_->hearth(); }

  UserDirs dirs_;
  std::unique_ptr<PrivateBus> bus_;  // outlives the daemon that uses it
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<BusClient> dbus_;
  uint16_t port_ = 0;
  pid_t backend_ = 0;  // the first backend
};

class ABackendKilledWhileIdle : public SupervisedDaemon {};

TEST_F(ABackendKilledWhileIdle, IsReplacedOnTheSamePortAndKeepsTheSessions) {
  ASSERT_EQ(kill(backend_, SIGKILL), 0);

  ASSERT_TRUE(dbus_->WaitFor([&] { return hearth().ExitOf(backend_) != nullptr; }));
  const Hearth1::Exit& exit = *hearth().ExitOf(backend_);
  EXPECT_EQ(exit.status, -SIGKILL);
  EXPECT_NE(exit.reason.find("signal 9"), std::string::npos) << exit.reason;
  // The supervisor reaped it before it said so.
  EXPECT_FALSE(ProcessListed(backend_)) << "pid " << backend_ << " is still listed (a zombie?)";

  pid_t replacement = dbus_->WaitRunning(backend_);
  ASSERT_NE(replacement, 0) << "state " << hearth().State();
  EXPECT_EQ(hearth().Restarts(), 1u);
  EXPECT_EQ(hearth().Port(), port_);
  ASSERT_TRUE(dbus_->WaitFor([&] { return hearth().ChangeTo("running") != nullptr; }));
  const Hearth1::Change* restarting = hearth().ChangeTo("starting");
  ASSERT_NE(restarting, nullptr);
  EXPECT_NE(restarting->reason.find("signal 9"), std::string::npos) << restarting->reason;

  EXPECT_EQ(Healthz(port_).status, 200);
  // The session lives in the database, not in the process that was killed.
  HttpResponse home = client_->Get("/", {{"HX-Request", ""}});
  EXPECT_EQ(home.status, 200) << home.body;
  EXPECT_EQ(static_cast<pid_t>(hearth().BackendPid()), replacement);
}

class ABackendKilledDuringAnEventStream : public SupervisedDaemon {};

TEST_F(ABackendKilledDuringAnEventStream, EndsTheStreamButNoConnectionIsRefused) {
  EventReader events(port_, client_->cookie(), client_->host());
  ASSERT_TRUE(events.ok());
  ASSERT_TRUE(events.WaitFor("event: hello"));
  HealthzHammer hammer(port_);

  ASSERT_EQ(kill(backend_, SIGKILL), 0);
  ASSERT_TRUE(WaitProcessExit(backend_));
  hammer.MarkBackendDead();
  EXPECT_TRUE(events.WaitClosed()) << "the stream outlived its backend";

  // Connections made while no backend runs wait on the supervisor's socket for the next one.
  bool served = dbus_->WaitFor([&] { return hammer.ok_after_death() >= 20; });
  hammer.Stop();
  EXPECT_TRUE(served) << hammer.ok_after_death() << " answered after the kill";
  EXPECT_EQ(hammer.refused(), 0) << "of " << hammer.total();
  for (const Attempt& a : hammer.failed_after_death()) {
    ADD_FAILURE() << "after the kill: connect errno " << a.connect_errno << " ("
                  << std::strerror(a.connect_errno) << "), status " << a.status;
  }
  // Only a request the dying backend had already taken may have been cut off.
  EXPECT_LE(hammer.other_failures_before_death(), 1);

  pid_t replacement = dbus_->WaitRunning(backend_);
  ASSERT_NE(replacement, 0);
  EventReader again(port_, client_->cookie(), client_->host());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again.WaitFor("event: hello"));
}

class AHungBackend : public SupervisedDaemon {};

TEST_F(AHungBackend, IsFoundByTheHealthProbeAndReplaced) {
  // Probe every 3 s, 2 s to answer: found within 5 s; the rest is the restart.
  constexpr milliseconds kFound{15000};
  ASSERT_EQ(kill(backend_, SIGSTOP), 0);

  ASSERT_TRUE(dbus_->WaitFor([&] { return hearth().ExitOf(backend_) != nullptr; }, kFound))
      << "no BackendExited for the stopped backend";
  const Hearth1::Exit& exit = *hearth().ExitOf(backend_);
  EXPECT_EQ(exit.status, -SIGKILL);
  EXPECT_NE(exit.reason.find("/healthz"), std::string::npos) << exit.reason;
  EXPECT_FALSE(ProcessListed(backend_)) << "the hung backend was not reaped";

  pid_t replacement = dbus_->WaitRunning(backend_, kFound);
  ASSERT_NE(replacement, 0);
  auto status = hearth().Supervise();
  EXPECT_EQ(Get<uint32_t>(status, "backend_pid"), static_cast<uint32_t>(replacement));
  std::string reason = Get<std::string>(status, "last_exit_reason");
  EXPECT_NE(reason.find("did not answer its health check"), std::string::npos) << reason;
  EXPECT_EQ(Healthz(port_).status, 200);
}

class AThousandIdleConnections : public SupervisedDaemon {};

// A local process opens 1,000 connections and holds them: a third send nothing, a third half a
// request head, a third a whole request and then keep the connection open unread. Before the front
// door and the private health check, about 600 such connections made /healthz time out, and the
// supervisor killed the healthy backend every round until it gave up for good.
TEST_F(AThousandIdleConnections, NeitherHangTheBackendNorKeepThePageWaiting) {
  rlimit files{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &files), 0);
  files.rlim_cur = std::min<rlim_t>(files.rlim_max, 8192);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &files), 0);
  ASSERT_GE(files.rlim_cur, 1100u) << "the test needs 1,100 descriptors";

  const std::string host = "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  const std::string half = "GET / HTTP/1.1\r\n" + host + "User-Agent: slow";
  const std::string whole = "GET /healthz HTTP/1.1\r\n" + host + "\r\n";
  size_t changes_before = hearth().changes().size();
  int pages = 0;
  for (int round = 0; round < 3; ++round) {
    std::vector<UniqueFd> held;
    for (int i = 0; i < 1000; ++i) {
      UniqueFd fd = Connect(port_);
      ASSERT_TRUE(fd.valid()) << "connection " << i << " of round " << round << ": "
                              << std::strerror(errno);
      const std::string* bytes = i % 3 == 1 ? &half : i % 3 == 2 ? &whole : nullptr;
      if (bytes != nullptr) send(fd.get(), bytes->data(), bytes->size(), MSG_NOSIGNAL);
      held.push_back(std::move(fd));
    }
    auto until = Clock::now() + seconds(30);
    while (Clock::now() < until) {
      HttpResponse page = client_->Get("/");
      ASSERT_EQ(page.status, 200) << "round " << round << ": the page was not answered";
      ++pages;
      // Dispatches the bus for a while: state changes would arrive here.
      dbus_->WaitFor([] { return false; }, milliseconds(500));
    }
  }
  EXPECT_EQ(hearth().State(), "running");
  EXPECT_EQ(static_cast<pid_t>(hearth().BackendPid()), backend_) << "the backend was replaced";
  EXPECT_EQ(hearth().changes().size(), changes_before) << hearth().History();
  EXPECT_GT(pages, 3);
}

class ABackendThatKeepsCrashing : public SupervisedDaemon {};

TEST_F(ABackendThatKeepsCrashing, FailsAfterTheRestartLimitUntilSuperviseStartsItAgain) {
  // More than 5 failures within 60 s: the sixth is not restarted. Each backend is killed as
  // soon as it serves; the backoff (0, 100, 200, 400, 800 ms) keeps this under 2 s plus starts.
  pid_t last = 0;
  int kills = 0;
  for (; kills < 10; ++kills) {
    pid_t running = 0;
    ASSERT_TRUE(dbus_->WaitFor([&] {
      if (hearth().State() == "failed") return true;
      running = dbus_->WaitRunning(last, milliseconds(0));
      return running != 0;
    })) << "state "
        << hearth().State();
    if (running == 0) break;  // failed
    ASSERT_EQ(kill(running, SIGKILL), 0);
    last = running;
  }
  EXPECT_EQ(kills, 6);
  ASSERT_EQ(hearth().State(), "failed");
  EXPECT_EQ(hearth().BackendPid(), 0u);
  ASSERT_TRUE(dbus_->WaitFor([&] { return hearth().ChangeTo("failed") != nullptr; }));
  std::string why = hearth().ChangeTo("failed")->reason;
  EXPECT_NE(why.find("failed 6 times within 60 s"), std::string::npos) << why;
  EXPECT_NE(why.find("signal 9"), std::string::npos) << why;
  EXPECT_EQ(hearth().Restarts(), 5u);
  // Nothing is listening for a failed backend, but the port stays (requests wait, not refused).
  UniqueFd waiting = SendHealthz(port_);
  EXPECT_TRUE(waiting.valid()) << std::strerror(errno);

  // Supervise() starts it again; its snapshot says why the supervisor had given up.
  size_t before = hearth().changes().size();
  auto status = hearth().Supervise();
  std::string state = Get<std::string>(status, "state");
  EXPECT_TRUE(state == "starting" || state == "running") << state;
  std::string last_exit = Get<std::string>(status, "last_exit_reason");
  EXPECT_NE(last_exit.find("failed 6 times within 60 s"), std::string::npos) << last_exit;
  EXPECT_NE(last_exit.find("signal 9"), std::string::npos) << last_exit;
  pid_t revived = dbus_->WaitRunning(last);
  ASSERT_NE(revived, 0) << "state " << hearth().State();
  EXPECT_TRUE(dbus_->WaitFor([&] { return hearth().ChangeTo("running", before) != nullptr; }));
  if (waiting.valid()) {
    EXPECT_EQ(ReadStatus(waiting.get()), 200);
  }
  EXPECT_EQ(Healthz(port_).status, 200);
}

class RestartOverDBus : public SupervisedDaemon {};

TEST_F(RestartOverDBus, AnswersWithTheNewPidWhichServesOnTheSamePort) {
  auto pid = static_cast<pid_t>(hearth().Restart());
  EXPECT_NE(pid, 0);
  EXPECT_NE(pid, backend_);
  EXPECT_EQ(hearth().State(), "running");
  EXPECT_EQ(static_cast<pid_t>(hearth().BackendPid()), pid);
  EXPECT_EQ(hearth().Port(), port_);
  EXPECT_EQ(hearth().Restarts(), 1u);
  EXPECT_EQ(Healthz(port_).status, 200);
  EXPECT_EQ(client_->Get("/", {{"HX-Request", ""}}).status, 200);
  // The old backend was drained, not killed: it exited 0, and was reaped.
  ASSERT_TRUE(dbus_->WaitFor([&] { return hearth().ExitOf(backend_) != nullptr; }));
  EXPECT_EQ(hearth().ExitOf(backend_)->status, 0) << hearth().ExitOf(backend_)->reason;
  EXPECT_FALSE(ProcessListed(backend_));
}

class StopOverDBus : public SupervisedDaemon {};

TEST_F(StopOverDBus, KeepsConnectionsWaitingUntilSuperviseStartsTheBackend) {
  hearth().Stop();
  EXPECT_EQ(hearth().State(), "stopped");
  EXPECT_EQ(hearth().BackendPid(), 0u);
  EXPECT_FALSE(ProcessListed(backend_));
  ASSERT_TRUE(dbus_->WaitFor([&] { return hearth().ExitOf(backend_) != nullptr; }));
  EXPECT_EQ(hearth().ExitOf(backend_)->status, 0);

  // The supervisor keeps the socket: a connection is accepted by the kernel and waits.
  UniqueFd waiting = SendHealthz(port_);
  ASSERT_TRUE(waiting.valid()) << "connecting while stopped: " << std::strerror(errno);
  pollfd pfd = {waiting.get(), POLLIN, 0};
  EXPECT_EQ(poll(&pfd, 1, 0), 0) << "something answered while the backend was stopped";
  EXPECT_EQ(hearth().State(), "stopped");

  auto status = hearth().Supervise();
  EXPECT_EQ(Get<std::string>(status, "last_exit_reason"), "stopped on request");
  EXPECT_EQ(ReadStatus(waiting.get()), 200);
  pid_t started = dbus_->WaitRunning(backend_);
  EXPECT_NE(started, 0);
  EXPECT_EQ(Get<uint16_t>(hearth().Supervise(), "port"), port_);
}

class SigtermToTheSupervisor : public SupervisedDaemon {};

TEST_F(SigtermToTheSupervisor, StopsTheBackendCleanlyAndLeavesNoProcessBehind) {
  EXPECT_EQ(ProcessesOf(dirs_).size(), 2u);  // hearthd and its backend
  ExitStatus exit = daemon_->Terminate();
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.code, 0) << daemon_->Stderr();
  // hearthd waited for its backend before it exited: nothing is left, not even a zombie.
  EXPECT_TRUE(WaitProcessExit(backend_, milliseconds(0)));
  EXPECT_FALSE(ProcessListed(backend_));
  EXPECT_TRUE(ProcessesOf(dirs_).empty());
  // The backend drained and exited 0: hearthd said so on the bus before it left.
  ASSERT_TRUE(dbus_->WaitFor([&] { return hearth().ExitOf(backend_) != nullptr; }));
  EXPECT_EQ(hearth().ExitOf(backend_)->status, 0) << hearth().ExitOf(backend_)->reason;
  EXPECT_NE(hearth().ChangeTo("stopped"), nullptr);
  EXPECT_EQ(daemon_->Stderr().find("killing it"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dirs_.runtime_dir() + "/port"));
}

TEST(AHearthdActivatedByTheBus, StartsItsBackendForTheFirstSupervise) {
  // The way a launcher finds Hearth when nothing has started it: a call to org.hearth.Hearth1.
  UserDirs dirs;
  PrivateBus bus(dirs.Env());
  bus.AddService("org.hearth.Hearth1", HEARTHD_PATH);
  BusClient client(bus.address());
  client.ReloadConfig();
  ASSERT_TRUE(ProcessesOf(dirs).empty());

  auto status = client->Supervise();
  std::string state = Get<std::string>(status, "state");
  EXPECT_TRUE(state == "starting" || state == "running") << state;
  auto port = Get<uint16_t>(status, "port");
  ASSERT_NE(port, 0);
  EXPECT_EQ(Get<std::string>(status, "url"),
            "http://" + AppHostName(dirs) + ":" + std::to_string(port) + "/");
  ASSERT_NE(client.WaitRunning(), 0) << bus.Log();
  EXPECT_EQ(Healthz(port).status, 200);

  pid_t hearthd = client.OwnerPid("org.hearth.Hearth1");
  pid_t backend = static_cast<pid_t>(client->BackendPid());
  EXPECT_EQ(ProcessesOf(dirs).size(), 2u);
  ASSERT_EQ(kill(hearthd, SIGTERM), 0);
  EXPECT_TRUE(WaitProcessExit(hearthd)) << bus.Log();
  EXPECT_TRUE(WaitProcessExit(backend));
  ASSERT_TRUE(client.WaitFor([&] { return client->ExitOf(backend) != nullptr; }));
  EXPECT_EQ(client->ExitOf(backend)->status, 0);
}

TEST(SigtermToASupervisorWithASystemdSocket, LeavesTheSocketToTheNextHearthd) {
  UserDirs dirs;
  auto socket = http::BindLoopback();
  ASSERT_TRUE(socket.ok());
  Daemon::Options options;
  options.listen_fd = socket->fd.get();
  {
    Daemon first(dirs, options);
    ASSERT_TRUE(first.WaitReady()) << first.Stderr();
    pid_t backend = first.BackendPid();
    ASSERT_GT(backend, 0);
    EXPECT_EQ(first.Terminate().code, 0) << first.Stderr();
    EXPECT_FALSE(ProcessListed(backend));
  }
  // systemd still holds the socket: a connection made between the two daemons waits.
  UniqueFd waiting = SendHealthz(socket->port);
  ASSERT_TRUE(waiting.valid()) << std::strerror(errno);
  Daemon second(dirs, options);
  ASSERT_TRUE(second.WaitReady()) << second.Stderr();
  EXPECT_EQ(ReadStatus(waiting.get()), 200);
  EXPECT_EQ(Healthz(socket->port).status, 200);
  EXPECT_EQ(second.Terminate().code, 0);
}

TEST(SigtermToASupervisorThatBoundItsOwnPort, ClosesThePort) {
  UserDirs dirs;
  Daemon::Options options;
  options.pass_socket = false;
  Daemon daemon(dirs, options);
  ASSERT_TRUE(daemon.WaitReady()) << daemon.Stderr();
  pid_t backend = daemon.BackendPid();
  ASSERT_GT(backend, 0);
  ASSERT_EQ(Healthz(daemon.port()).status, 200);
  EXPECT_EQ(daemon.Terminate().code, 0) << daemon.Stderr();
  EXPECT_FALSE(ProcessListed(backend));
  EXPECT_TRUE(ProcessesOf(dirs).empty());
  Attempt after = Healthz(daemon.port());
  EXPECT_EQ(after.connect_errno, ECONNREFUSED) << std::strerror(after.connect_errno);
}

}  // namespace
}  // namespace hearth::testing
