// SPDX-License-Identifier: Apache-2.0
// The timing-critical half of bench/run_supervisor.sh: cold start on an activated socket and
// backend crash recovery, each next to a reference measured the same way in the same run.
//
//   hearth_supervisor_bench cold-start [--runs N] [--json PATH] [--notify] -- COMMAND [ARGS...]
//   hearth_supervisor_bench crash [--kills N] [--burst N] [--json PATH] -- HEARTHD [ARGS...]
//   hearth_supervisor_bench responder [--bind PORT]
//
// cold-start: per run, binds 127.0.0.1:0, connects to it (the connection waits in the backlog),
// writes `GET /healthz`, then forks COMMAND with the socket on fd 3 (LISTEN_FDS=1, LISTEN_PID set
// in the child, as systemd does) and times spawn -> first byte of the answer (and, with --notify,
// spawn -> READY=1 on NOTIFY_SOCKET). Runs alternate with the reference: this binary's own
// `responder`, a socket-activated server that does nothing but answer. One extra first run of
// each is reported apart (it creates the database, and warms the page cache).
//
// crash: starts HEARTHD socket-activated on a port it owns, hammers /healthz with fresh
// connections from one thread, SIGKILLs the backend (the supervisor's child) and times kill ->
// first 200 on a connection opened after the old backend was gone. Each of --kills runs on a
// fresh hearthd, so each is its first failure (restarted at once); then --burst kills in a row
// on one hearthd show the restart backoff. The reference is the naive design: the server owns
// its socket and a supervisor (this program) restarts it at once; it must bind again.
//
// Prints one line per result on stdout (the servers log on stderr), writes JSON. Not a test: fails
// only when it cannot measure (a server does not start or does not answer 200).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/fd.h"

extern char** environ;

namespace hearth::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr auto kStartDeadline = std::chrono::seconds(15);
constexpr auto kStopDeadline = std::chrono::seconds(10);
constexpr auto kRequestDeadline = std::chrono::seconds(3);
constexpr auto kServedAgainDeadline = std::chrono::seconds(10);
constexpr auto kHammerBeforeKill = milliseconds(300);
constexpr auto kHammerAfterServed = milliseconds(300);

// Every child still running, so that Die() does not leave servers behind.
std::mutex children_mu;
std::vector<pid_t> live_children;  // guarded by children_mu

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "hearth_supervisor_bench: %s\n", what.c_str());
  {
    std::lock_guard<std::mutex> lock(children_mu);
    for (pid_t pid : live_children) kill(pid, SIGKILL);
  }
  std::exit(1);
}

[[noreturn]] void DieErrno(const std::string& what) { Die(what + ": " + std::strerror(errno)); }

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// The daemon's own fd owner (header-only: the bench links nothing of Hearth's).
using Fd = hearth::UniqueFd;

struct Stats {
  double p50 = 0, p90 = 0, max = 0;
};

// Nearest-rank percentiles.
Stats Summarize(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(i, 1, v.size()) - 1];
  };
  s.p50 = rank(0.5);
  s.p90 = rank(0.9);
  s.max = v.back();
  return s;
}

std::string JsonArray(const std::vector<double>& v) {
  std::string out = "[";
  char buf[32];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%.3f", i ? "," : "", v[i]);
    out += buf;
  }
  return out + "]";
}

std::string JsonStats(const std::vector<double>& v) {
  Stats s = Summarize(v);
  char buf[160];
  std::snprintf(buf, sizeof buf, "\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"max_ms\":%.3f,\"n\":%zu", s.p50,
                s.p90, s.max, v.size());
  return buf;
}

void WriteFile(const std::string& path, const std::string& text) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) DieErrno("open " + path);
  bool ok = std::fputs(text.c_str(), f) >= 0;
  ok = std::fclose(f) == 0 && ok;
  if (!ok) Die("cannot write " + path);
}

// --- sockets ---------------------------------------------------------------------------------

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

Fd Listen(uint16_t port) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) DieErrno("socket");
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = Loopback(port);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return Fd();
  if (listen(fd.get(), SOMAXCONN) != 0) DieErrno("listen");
  return fd;
}

uint16_t PortOf(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) DieErrno("getsockname");
  return ntohs(addr.sin_port);
}

std::string HealthzRequest(uint16_t port) {
  return "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nConnection: close\r\n\r\n";
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool IsOkHealthz(const std::string& response) {
  return response.rfind("HTTP/1.1 200", 0) == 0 && response.size() >= 3 &&
         response.compare(response.size() - 3, 3, "ok\n") == 0;
}

// --- processes -------------------------------------------------------------------------------

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// A child started as systemd starts a socket-activated service: `listen_fd` on fd 3,
// LISTEN_FDS=1, LISTEN_PID=its own pid, and optionally NOTIFY_SOCKET.
class Child {
 public:
  Child(const std::vector<std::string>& argv, int listen_fd, const std::string& notify_path) {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
      std::string_view v = *e;
      if (v.starts_with("LISTEN_") || v.starts_with("NOTIFY_SOCKET=")) continue;
      env.emplace_back(v);
    }
    if (listen_fd >= 0) env.emplace_back("LISTEN_FDS=1");
    if (!notify_path.empty()) env.emplace_back("NOTIFY_SOCKET=" + notify_path);
    env.emplace_back("LISTEN_PID=" + std::string(20, '\0'));
    std::vector<char*> envp;
    for (auto& s : env) envp.push_back(s.data());
    if (listen_fd < 0) envp.pop_back();
    envp.push_back(nullptr);
    char* pid_slot = env.back().data() + std::strlen("LISTEN_PID=");
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);

    pid_ = fork();
    if (pid_ < 0) DieErrno("fork");
    if (pid_ == 0) {
      // Only async-signal-safe calls from here: the parent may have threads.
      if (listen_fd >= 0) {
        if (listen_fd == 3) {
          fcntl(3, F_SETFD, 0);
        } else if (dup2(listen_fd, 3) < 0) {
          _exit(127);
        }
        char digits[20];
        int n = 0;
        for (pid_t p = getpid(); p > 0; p /= 10) digits[n++] = static_cast<char>('0' + p % 10);
        for (int i = 0; i < n; ++i) pid_slot[i] = digits[n - 1 - i];
        pid_slot[n] = '\0';
      }
      sigset_t none;
      sigemptyset(&none);
      sigprocmask(SIG_SETMASK, &none, nullptr);
      execve(args[0], args.data(), envp.data());
      _exit(127);
    }
    {
      std::lock_guard<std::mutex> lock(children_mu);
      live_children.push_back(pid_);
    }
    pidfd_ = Fd(PidfdOpen(pid_));
    if (!pidfd_.valid()) DieErrno("pidfd_open");
  }
  ~Child() {
    if (!reaped_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      Forget();
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  int pidfd() const { return pidfd_.get(); }
  bool exited() const {
    pollfd p{pidfd_.get(), POLLIN, 0};
    return poll(&p, 1, 0) == 1;
  }

  // SIGTERM, then waits for the exit; returns the wait status (SIGKILL after the deadline).
  int Stop() {
    kill(pid_, SIGTERM);
    pollfd p{pidfd_.get(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kStopDeadline).count())) != 1) {
      std::fprintf(stderr, "hearth_supervisor_bench: pid %d ignored SIGTERM for %llds; killing\n",
                   pid_, static_cast<long long>(kStopDeadline.count()));
      kill(pid_, SIGKILL);
    }
    int status = 0;
    waitpid(pid_, &status, 0);
    reaped_ = true;
    Forget();
    return status;
  }

 private:
  void Forget() {
    std::lock_guard<std::mutex> lock(children_mu);
    std::erase(live_children, pid_);
  }

  pid_t pid_ = -1;
  Fd pidfd_;
  bool reaped_ = false;
};

std::string SelfExe() {
  std::error_code ec;
  auto path = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) Die("cannot read /proc/self/exe");
  return path.string();
}

// The children of `pid` (its backend, for hearthd).
std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> out;
  std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return out;
  int child = 0;
  while (std::fscanf(f, "%d", &child) == 1) out.push_back(child);
  std::fclose(f);
  return out;
}

// --- one HTTP request on a fresh connection --------------------------------------------------

enum class Outcome { kOk, kRefused, kReset, kEof, kTimeout, kHttpError, kOtherError };
constexpr int kOutcomes = 7;
constexpr const char* kOutcomeNames[kOutcomes] = {"ok",      "refused",    "reset",      "eof",
                                                  "timeout", "http_error", "other_error"};

Outcome Fetch(uint16_t port, const std::string& request) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Outcome::kOtherError;
  sockaddr_in addr = Loopback(port);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno == ECONNREFUSED) return Outcome::kRefused;
    if (errno == ECONNRESET) return Outcome::kReset;
    return Outcome::kOtherError;
  }
  if (!WriteAll(fd.get(), request)) {
    return errno == ECONNRESET || errno == EPIPE ? Outcome::kReset : Outcome::kOtherError;
  }
  std::string response;
  char buf[2048];
  auto deadline = Clock::now() + kRequestDeadline;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return Outcome::kTimeout;
    pollfd p{fd.get(), POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) return Outcome::kTimeout;
    ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == ECONNRESET ? Outcome::kReset : Outcome::kOtherError;
    if (n == 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  if (response.empty()) return Outcome::kEof;
  return IsOkHealthz(response) ? Outcome::kOk : Outcome::kHttpError;
}

// Polls /healthz until it answers 200, or dies at the deadline.
void WaitServing(uint16_t port, const Child& child, const char* what) {
  std::string request = HealthzRequest(port);
  auto deadline = Clock::now() + kStartDeadline;
  while (Fetch(port, request) != Outcome::kOk) {
    if (child.exited()) Die(std::string(what) + " exited during start-up");
    if (Clock::now() > deadline) Die(std::string(what) + " did not answer /healthz in time");
    std::this_thread::sleep_for(milliseconds(5));
  }
}

// --- cold start ------------------------------------------------------------------------------

struct ColdSample {
  double first_byte_ms = 0;
  double ready_ms = -1;  // -1: not asked for
  double connect_before_spawn_ms = 0;
};

ColdSample ColdStartOnce(const std::vector<std::string>& argv, bool notify,
                         const std::string& notify_path) {
  Fd listener = Listen(0);
  if (!listener.valid()) DieErrno("bind 127.0.0.1:0");
  uint16_t port = PortOf(listener.get());
  Fd client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr = Loopback(port);
  if (connect(client.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    DieErrno("connect to our own listening socket");
  }
  auto t_connect = Clock::now();
  if (!WriteAll(client.get(), HealthzRequest(port))) DieErrno("send the request");

  Fd notify_fd;
  if (notify) {
    unlink(notify_path.c_str());
    notify_fd = Fd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    if (notify_path.size() >= sizeof un.sun_path) Die("NOTIFY_SOCKET path too long");
    std::memcpy(un.sun_path, notify_path.c_str(), notify_path.size() + 1);
    if (bind(notify_fd.get(), reinterpret_cast<sockaddr*>(&un), sizeof un) != 0) {
      DieErrno("bind " + notify_path);
    }
  }

  auto t_spawn = Clock::now();
  Child child(argv, listener.get(), notify ? notify_path : "");
  listener.Reset();  // only the child holds it now, as after systemd hands it over

  ColdSample sample;
  sample.connect_before_spawn_ms = Ms(t_spawn - t_connect);
  std::string response;
  bool got_first = false, closed = false, ready = !notify;
  auto deadline = t_spawn + kStartDeadline;
  char buf[4096];
  while (!(closed && ready)) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) Die("no answer from " + argv[0] + " within the start deadline");
    pollfd fds[2] = {{closed ? -1 : client.get(), POLLIN, 0},
                     {ready ? -1 : notify_fd.get(), POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(left)) < 0) {
      if (errno == EINTR) continue;
      DieErrno("poll");
    }
    auto now = Clock::now();
    if (fds[0].revents) {
      ssize_t n = recv(client.get(), buf, sizeof buf, 0);
      if (n < 0) DieErrno("read the answer of " + argv[0]);
      if (n > 0 && !got_first) {
        got_first = true;
        sample.first_byte_ms = Ms(now - t_spawn);
      }
      if (n == 0) closed = true;
      response.append(buf, static_cast<size_t>(std::max<ssize_t>(n, 0)));
    }
    if (fds[1].revents) {
      ssize_t n = recv(notify_fd.get(), buf, sizeof buf - 1, 0);
      if (n > 0) {
        std::string_view msg(buf, static_cast<size_t>(n));
        if (msg.find("READY=1") != std::string_view::npos) {
          ready = true;
          sample.ready_ms = Ms(now - t_spawn);
        }
      }
    }
    if (child.exited() && !(closed && ready)) Die(argv[0] + " exited before answering");
  }
  if (!IsOkHealthz(response)) {
    Die(argv[0] + " answered something else than 200 ok: " + response.substr(0, 80));
  }
  child.Stop();
  if (notify) unlink(notify_path.c_str());
  return sample;
}

int ColdStart(int runs, const std::string& json, bool notify, std::vector<std::string> argv) {
  std::vector<std::string> reference = {SelfExe(), "responder"};
  char dir_template[] = "/tmp/hearth-sbench-notify.XXXXXX";
  if (!mkdtemp(dir_template)) DieErrno("mkdtemp");
  std::string notify_path = std::string(dir_template) + "/notify";

  // The first run of each is apart: the subject creates its database, both warm the page cache.
  ColdSample first = ColdStartOnce(argv, notify, notify_path);
  ColdSample ref_first = ColdStartOnce(reference, false, notify_path);
  std::vector<double> first_byte, ready, ref_first_byte;
  double max_connect_lead = 0;
  for (int i = 0; i < runs; ++i) {
    // Alternate, so both see the same machine noise.
    ColdSample s = ColdStartOnce(argv, notify, notify_path);
    ColdSample r = ColdStartOnce(reference, false, notify_path);
    first_byte.push_back(s.first_byte_ms);
    if (notify) ready.push_back(s.ready_ms);
    ref_first_byte.push_back(r.first_byte_ms);
    max_connect_lead =
        std::max({max_connect_lead, s.connect_before_spawn_ms, r.connect_before_spawn_ms});
  }
  rmdir(dir_template);

  std::string cmd;
  for (const auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
  char head[512];
  std::snprintf(head, sizeof head,
                "{\"mode\":\"cold-start\",\"origin\":\"spawn\",\"runs\":%d,"
                "\"connect_before_spawn_max_ms\":%.3f,\"first_run_ms\":%.3f,"
                "\"first_run_ready_ms\":%.3f,\"reference_first_run_ms\":%.3f,",
                runs, max_connect_lead, first.first_byte_ms, first.ready_ms,
                ref_first.first_byte_ms);
  std::string out = head;
  out += "\"command\":\"" + cmd + "\",";  // paths from the build tree: no quotes or backslashes
  out +=
      "\"first_byte\":{" + JsonStats(first_byte) + ",\"samples\":" + JsonArray(first_byte) + "},";
  out += "\"ready\":" +
         (notify ? "{" + JsonStats(ready) + ",\"samples\":" + JsonArray(ready) + "}"
                 : std::string("null")) +
         ",";
  out += "\"reference\":{\"command\":\"hearth_supervisor_bench responder\"," +
         JsonStats(ref_first_byte) + ",\"samples\":" + JsonArray(ref_first_byte) + "}}\n";
  WriteFile(json, out);
  Stats s = Summarize(first_byte), r = Summarize(ref_first_byte);
  std::printf(
      "cold start %s: spawn->first byte p50 %.2f ms p90 %.2f max %.2f (first run %.2f); "
      "responder p50 %.2f ms\n",
      cmd.c_str(), s.p50, s.p90, s.max, first.first_byte_ms, r.p50);
  return 0;
}

// --- crash recovery --------------------------------------------------------------------------

// One thread opening fresh connections to /healthz in a loop, counting outcomes. Once told when
// the old backend died, it reports the first 200 on a connection opened after that.
class Hammer {
 public:
  explicit Hammer(uint16_t port) : request_(HealthzRequest(port)), port_(port) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Hammer() { Finish(); }
  Hammer(const Hammer&) = delete;
  Hammer& operator=(const Hammer&) = delete;

  // Counts from now on go into a new window.
  void StartWindow() {
    std::lock_guard<std::mutex> lock(mu_);
    window_ = {};
  }
  void SetDeadAt(Clock::time_point t) {
    std::lock_guard<std::mutex> lock(mu_);
    dead_at_ = t;
    served_at_.reset();
  }
  // Waits for the first 200 opened after SetDeadAt's time; nullopt at the deadline.
  std::optional<Clock::time_point> WaitServed(Clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return served_at_.has_value(); });
    return served_at_;
  }
  std::array<uint64_t, kOutcomes> window() {
    std::lock_guard<std::mutex> lock(mu_);
    return window_;
  }
  std::array<uint64_t, kOutcomes> Finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    return total_;
  }

 private:
  void Run() {
    while (!stop_) {
      auto started = Clock::now();
      Outcome o = Fetch(port_, request_);
      auto done = Clock::now();
      std::lock_guard<std::mutex> lock(mu_);
      ++window_[static_cast<int>(o)];
      ++total_[static_cast<int>(o)];
      if (o == Outcome::kOk && dead_at_ && !served_at_ && started >= *dead_at_) {
        served_at_ = done;
        cv_.notify_all();
      }
      // A refused connect returns at once: without a pause the loop would spin on one core
      // that the restarting server needs. 50 us keeps the count meaningful.
      if (o == Outcome::kRefused) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  const std::string request_;
  const uint16_t port_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  // guarded by mu_
  std::array<uint64_t, kOutcomes> window_{};
  std::array<uint64_t, kOutcomes> total_{};
  std::optional<Clock::time_point> dead_at_;
  std::optional<Clock::time_point> served_at_;
};

struct KillSample {
  double served_ms = -1;  // kill -> first 200 opened after the old process was gone
  double dead_ms = 0;     // kill -> the old process gone (its pidfd readable)
  std::array<uint64_t, kOutcomes> counts{};  // outcomes from the kill to served + 300 ms
};

// SIGKILLs `victim` through a pidfd and measures until the hammer is served again. `on_dead`
// runs once the victim is gone (the naive design restarts its server there).
template <typename OnDead>
KillSample KillAndTime(Hammer& hammer, pid_t victim, OnDead on_dead) {
  Fd pidfd(PidfdOpen(victim));
  if (!pidfd.valid()) DieErrno("pidfd_open of the process to kill");
  hammer.StartWindow();
  auto t_kill = Clock::now();
  if (syscall(SYS_pidfd_send_signal, pidfd.get(), SIGKILL, nullptr, 0) != 0) DieErrno("kill -9");
  pollfd p{pidfd.get(), POLLIN, 0};
  if (poll(&p, 1, 5000) != 1) Die("the killed process did not die");
  auto t_dead = Clock::now();
  on_dead();
  hammer.SetDeadAt(t_dead);
  KillSample s;
  s.dead_ms = Ms(t_dead - t_kill);
  auto served = hammer.WaitServed(t_dead + kServedAgainDeadline);
  if (served) s.served_ms = Ms(*served - t_kill);
  std::this_thread::sleep_for(kHammerAfterServed);  // a tail, to count errors after recovery
  s.counts = hammer.window();
  return s;
}

pid_t OnlyChild(pid_t parent) {
  auto deadline = Clock::now() + kStartDeadline;
  for (;;) {
    auto kids = ChildrenOf(parent);
    if (kids.size() == 1) return kids[0];
    if (Clock::now() > deadline) Die("hearthd has " + std::to_string(kids.size()) + " children");
    std::this_thread::sleep_for(milliseconds(2));
  }
}

std::string JsonKills(const std::vector<KillSample>& kills) {
  std::string out = "[";
  for (size_t i = 0; i < kills.size(); ++i) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "%s{\"served_ms\":%.3f,\"dead_ms\":%.3f", i ? "," : "",
                  kills[i].served_ms, kills[i].dead_ms);
    out += buf;
    for (int k = 0; k < kOutcomes; ++k) {
      out += ",\"" + std::string(kOutcomeNames[k]) + "\":" + std::to_string(kills[i].counts[k]);
    }
    out += "}";
  }
  return out + "]";
}

std::string JsonSeries(const char* name, const std::vector<KillSample>& kills) {
  std::vector<double> served;
  std::array<uint64_t, kOutcomes> sum{};
  bool all_served = true;
  for (const auto& k : kills) {
    if (k.served_ms < 0)
      all_served = false;
    else
      served.push_back(k.served_ms);
    for (int i = 0; i < kOutcomes; ++i) sum[i] += k.counts[i];
  }
  std::string out = "\"" + std::string(name) + "\":{" + JsonStats(served) +
                    ",\"all_served\":" + (all_served ? "true" : "false");
  for (int i = 0; i < kOutcomes; ++i) {
    out += ",\"" + std::string(kOutcomeNames[i]) + "\":" + std::to_string(sum[i]);
  }
  out += ",\"kills\":" + JsonKills(kills) + "}";
  Stats s = Summarize(served);
  std::printf(
      "%s: kill->serving p50 %.2f ms max %.2f over %zu; refused %llu reset %llu eof %llu "
      "timeout %llu\n",
      name, s.p50, s.max, served.size(), static_cast<unsigned long long>(sum[1]),
      static_cast<unsigned long long>(sum[2]), static_cast<unsigned long long>(sum[3]),
      static_cast<unsigned long long>(sum[4]));
  return out;
}

// kills == 1 per hearthd for the first-failure series; `count` kills in a row for the burst.
std::vector<KillSample> HearthdKills(const std::vector<std::string>& argv, int hearthds,
                                     int kills_each) {
  std::vector<KillSample> out;
  for (int h = 0; h < hearthds; ++h) {
    Fd listener = Listen(0);
    if (!listener.valid()) DieErrno("bind 127.0.0.1:0");
    uint16_t port = PortOf(listener.get());
    Child hearthd(argv, listener.get(), "");
    listener.Reset();
    WaitServing(port, hearthd, "hearthd");
    {
      Hammer hammer(port);
      for (int k = 0; k < kills_each; ++k) {
        std::this_thread::sleep_for(kHammerBeforeKill);
        pid_t backend = OnlyChild(hearthd.pid());
        KillSample s = KillAndTime(hammer, backend, [] {});
        if (s.served_ms < 0) {
          std::fprintf(stderr,
                       "hearth_supervisor_bench: hearthd did not serve again within %llds\n",
                       static_cast<long long>(kServedAgainDeadline.count()));
        }
        out.push_back(s);
        if (OnlyChild(hearthd.pid()) == backend) Die("the backend pid did not change");
      }
      hammer.Finish();
    }
    int status = hearthd.Stop();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "hearth_supervisor_bench: warning: hearthd's exit status was %d\n",
                   status);
    }
  }
  return out;
}

// The reference: a server that binds its own port, restarted at once by its supervisor (this
// function) when it dies. Between the death and the new bind, connections are refused.
std::vector<KillSample> NaiveKills(int kills) {
  std::vector<KillSample> out;
  std::string self = SelfExe();
  for (int i = 0; i < kills; ++i) {
    uint16_t port = 0;
    {
      Fd probe = Listen(0);
      if (!probe.valid()) DieErrno("bind 127.0.0.1:0");
      port = PortOf(probe.get());
    }  // closed: the responder binds this port itself (SO_REUSEADDR)
    std::vector<std::string> argv = {self, "responder", "--bind", std::to_string(port)};
    auto server = std::make_unique<Child>(argv, -1, "");
    WaitServing(port, *server, "the responder");
    {
      Hammer hammer(port);
      std::this_thread::sleep_for(kHammerBeforeKill);
      KillSample s = KillAndTime(hammer, server->pid(), [&] {
        server->Stop();  // reaps the dead one
        server = std::make_unique<Child>(argv, -1, "");
      });
      if (s.served_ms < 0) Die("the restarted responder did not serve again");
      out.push_back(s);
      hammer.Finish();
    }
    server->Stop();
  }
  return out;
}

int Crash(int kills, int burst, const std::string& json, std::vector<std::string> argv) {
  auto fresh = HearthdKills(argv, kills, 1);
  auto in_a_row = HearthdKills(argv, 1, burst);
  auto naive = NaiveKills(kills);
  std::string out = "{\"mode\":\"crash\",";
  out += JsonSeries("hearthd_first_failure", fresh) + ",";
  out += JsonSeries("hearthd_in_a_row", in_a_row) + ",";
  out += JsonSeries("naive_rebind", naive) + "}\n";
  WriteFile(json, out);
  return 0;
}

// --- the reference server --------------------------------------------------------------------

// Answers every request with 200 "ok\n" and closes, one connection at a time. The socket comes
// from LISTEN_FDS (socket activation) or, with --bind PORT, is bound here.
int Responder(std::optional<uint16_t> bind_port) {
  int fd = 3;
  Fd own;
  if (bind_port) {
    for (auto deadline = Clock::now() + kStartDeadline;;) {
      own = Listen(*bind_port);  // the port may still be held by the process just killed
      if (own.valid()) break;
      if (Clock::now() > deadline) DieErrno("bind 127.0.0.1:" + std::to_string(*bind_port));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    fd = own.get();
  } else {
    const char* pid = std::getenv("LISTEN_PID");
    const char* fds = std::getenv("LISTEN_FDS");
    if (!pid || !fds || std::atoi(pid) != getpid() || std::string_view(fds) != "1") {
      Die("responder: no socket passed (LISTEN_FDS=1 with LISTEN_PID), and no --bind");
    }
  }
  static constexpr std::string_view kAnswer =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n"
      "Connection: close\r\n\r\nok\n";
  char buf[4096];
  for (;;) {
    Fd conn(accept4(fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (!conn.valid()) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      DieErrno("accept");
    }
    std::string request;
    while (request.find("\r\n\r\n") == std::string::npos && request.size() < sizeof buf) {
      ssize_t n = recv(conn.get(), buf, sizeof buf, 0);
      if (n <= 0) break;
      request.append(buf, static_cast<size_t>(n));
    }
    if (request.find("\r\n\r\n") != std::string::npos) WriteAll(conn.get(), kAnswer);
  }
}

int Usage() {
  std::fputs(
      "usage: hearth_supervisor_bench cold-start [--runs N] [--json PATH] [--notify] -- CMD...\n"
      "       hearth_supervisor_bench crash [--kills N] [--burst N] [--json PATH] -- HEARTHD...\n"
      "       hearth_supervisor_bench responder [--bind PORT]\n",
      stderr);
  return 2;
}

int PositiveInt(const char* text) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v <= 0 || v > 100000) Die(std::string("not a positive number: ") + text);
  return static_cast<int>(v);
}

int Main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string_view mode = argv[1];
  int runs = 20, kills = 10, burst = 5;
  bool notify = false;
  std::string json;
  std::optional<uint16_t> bind_port;
  std::vector<std::string> command;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--") {
      command.assign(argv + i + 1, argv + argc);
      break;
    } else if (arg == "--runs" && has_value) {
      runs = PositiveInt(argv[++i]);
    } else if (arg == "--kills" && has_value) {
      kills = PositiveInt(argv[++i]);
    } else if (arg == "--burst" && has_value) {
      burst = PositiveInt(argv[++i]);
      if (burst > 5) Die("--burst above 5 would hit hearthd's restart limit (5 in 60 s)");
    } else if (arg == "--json" && has_value) {
      json = argv[++i];
    } else if (arg == "--bind" && has_value) {
      bind_port = static_cast<uint16_t>(PositiveInt(argv[++i]));
    } else if (arg == "--notify") {
      notify = true;
    } else {
      return Usage();
    }
  }
  signal(SIGPIPE, SIG_IGN);
  if (mode == "responder") return Responder(bind_port);
  if (command.empty() || command[0].empty() || command[0][0] != '/') {
    Die("give the command to start after --, with an absolute path");
  }
  if (mode == "cold-start")
    return ColdStart(runs, json.empty() ? "cold_start.json" : json, notify, command);
  if (mode == "crash") return Crash(kills, burst, json.empty() ? "crash.json" : json, command);
  return Usage();
}

}  // namespace
}  // namespace hearth::bench

int main(int argc, char** argv) { return hearth::bench::Main(argc, argv); }
