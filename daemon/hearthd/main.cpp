// SPDX-License-Identifier: Apache-2.0
// hearthd: the Hearth daemon, the supervisor and control plane. It owns the loopback listening
// socket (passed by systemd, or bound here), runs the backend (`hearthd-backend`, backend.cpp) as
// a child on that socket, restarts it when it crashes or hangs, and serves org.hearth.Hearth1 on
// the session bus.
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/app_host.h"
#include "auth/authenticator.h"
#include "base/clock.h"
#include "base/event_loop.h"
#include "base/log.h"
#include "base/paths.h"
#include "control/bus_service.h"
#include "hearthd/hearthd.h"
#include "http/listen_socket.h"
#include "supervisor/supervisor.h"

namespace hearth {

namespace {

namespace sv = supervisor;

constexpr std::string_view kUsage =
    "Usage: hearthd [--print-login-url] [--open] [--no-bus]\n"
    "       hearthd --login-url [--ttl SECONDS]\n"
    "       hearthd --version | --help\n"
    "\n"
    "Without arguments, runs the Hearth daemon until SIGTERM: a supervisor that owns a loopback\n"
    "port (the socket systemd passes, or 127.0.0.1 with a port the kernel picks), runs the\n"
    "backend that serves the UI on it (restarting it if it crashes or hangs), and answers\n"
    "org.hearth.Hearth1 on the session bus (see `hearthctl`).\n"
    "  --print-login-url  once serving, print a login URL on stdout\n"
    "  --open             once serving, open a login URL in the browser (xdg-open)\n"
    "  --no-bus           do not use D-Bus (without a session bus, hearthd runs without it "
    "anyway)\n"
    "  --login-url        print a fresh single-use login URL for the running daemon and exit\n"
    "  --ttl SECONDS      how long that URL stays valid (default 60, at most 600)\n"
    "\n"
    "Files: $XDG_DATA_HOME/hearth/hearth.db, $XDG_RUNTIME_DIR/hearth/{port,hearthd.lock}\n";

void OpenInBrowser(const std::string& url) {
  if (std::getenv("DISPLAY") == nullptr && std::getenv("WAYLAND_DISPLAY") == nullptr) {
    LogInfo("no display: open the login URL printed above in a browser");
    return;
  }
  // Forked twice, so xdg-open is never our child: the supervisor reaps only its backends.
  pid_t pid = fork();
  if (pid == 0) {
    if (fork() == 0) {
      execlp("xdg-open", "xdg-open", url.c_str(), static_cast<char*>(nullptr));
    }
    _exit(0);
  }
  if (pid < 0) {
    LogWarning("could not start xdg-open: " + std::string(std::strerror(errno)));
    return;
  }
  waitpid(pid, nullptr, 0);
}

int PrintLoginUrl(int64_t ttl_seconds) {
  auto paths = ResolvePaths();
  if (!paths.ok()) {
    std::fprintf(stderr, "hearthd: %s\n", paths.status().message().c_str());
    return kExitFailure;
  }
  auto lock = TryLock(paths->lock_file);
  if (lock.ok() || lock.status().code() == Status::Code::kNotFound) {
    std::fprintf(stderr,
                 "hearthd: Hearth is not running (no daemon holds %s). Start it with `hearthd`, "
                 "or `systemctl --user start hearth.socket`.\n",
                 paths->lock_file.c_str());
    return kExitNotRunning;
  }
  auto port_text = ReadSmallFile(paths->port_file, 16);
  int port = port_text.ok() ? std::atoi(port_text->c_str()) : 0;
  if (port <= 0 || port > 65535) {
    std::fprintf(stderr, "hearthd: cannot read the daemon's port from %s\n",
                 paths->port_file.c_str());
    return kExitFailure;
  }
  auto app_host = auth::LoadOrCreateAppHost(paths->host_file);
  if (!app_host.ok()) {
    std::fprintf(stderr, "hearthd: %s\n", app_host.status().message().c_str());
    return kExitFailure;
  }
  SystemClock clock;
  auth::TokenDrop drop(paths->token_dir);
  auto token = auth::Authenticator::IssueDroppedLoginToken(drop, clock.NowMs(), ttl_seconds * 1000);
  if (!token.ok()) {
    std::fprintf(stderr, "hearthd: %s\n", token.status().message().c_str());
    return kExitFailure;
  }
  std::printf("%s\n", LoginUrl(*app_host, static_cast<uint16_t>(port), *token).c_str());
  return std::fflush(stdout) == 0 ? 0 : kExitFailure;
}

// Logs `status` and tells systemd why start-up failed; returns the exit code.
int StartupFailed(const Status& status) {
  LogError(status.message());
  sd_notifyf(0, "STATUS=Failed to start: %s", status.message().c_str());
  return kExitFailure;
}

struct DaemonOptions {
  bool print_login_url = false;
  bool open_browser = false;
  bool use_bus = true;
};

// What the supervisor's state changes mean outside it: systemd's view (READY, STATUS) and the
// D-Bus signals.
class Reporter final : public sv::Supervisor::Observer {
 public:
  Reporter(const DaemonOptions& options, const std::string& url, const std::string& app_url,
           bool from_systemd, const Paths& paths)
      : options_(options),
        url_(url),
        app_url_(app_url),
        from_systemd_(from_systemd),
        paths_(paths) {}

  void set_bus(control::BusService* bus) { bus_ = bus; }
  bool announced() const { return announced_; }
  bool failed_before_ready() const { return failed_before_ready_; }
  const std::string& failure() const { return failure_; }

  void OnStateChanged(sv::State state, const std::string& reason) override {
    if (bus_) bus_->StateChanged(state, reason);
    if (state == sv::State::kRunning) {
      if (!announced_) Announce();
      sd_notifyf(0, "STATUS=Listening on %s", url_.c_str());
    } else if (state == sv::State::kFailed) {
      failure_ = reason;
      if (!announced_) failed_before_ready_ = true;
      sd_notifyf(0, "%sSTATUS=Failed to start the backend: %s",
                 announced_ || !bus_ ? "" : "READY=1\n", reason.c_str());
      announced_ = announced_ || bus_ != nullptr;
    } else {
      sd_notifyf(0, "STATUS=Backend %s: %s", std::string(sv::StateName(state)).c_str(),
                 reason.c_str());
    }
  }

  void OnBackendExited(pid_t pid, int status, const std::string& reason) override {
    if (bus_) bus_->BackendExited(pid, status, reason);
  }

 private:
  void Announce() {
    announced_ = true;
    LogInfo("listening on " + url_ + (from_systemd_ ? " (socket from systemd)" : ""));
    sd_notifyf(0, "READY=1\nSTATUS=Listening on %s\nMAINPID=%d", url_.c_str(), getpid());
    if (!options_.print_login_url && !options_.open_browser) return;
    SystemClock clock;
    auth::TokenDrop drop(paths_.token_dir);
    auto token = auth::Authenticator::IssueDroppedLoginToken(drop, clock.NowMs(), 60'000);
    if (!token.ok()) {
      LogWarning("could not mint a login URL: " + token.status().message());
      return;
    }
    std::string login = app_url_ + "login?token=" + *token;
    if (options_.print_login_url) {
      std::printf("%s\n", login.c_str());
      std::fflush(stdout);
    }
    if (options_.open_browser) OpenInBrowser(login);
  }

  const DaemonOptions& options_;
  std::string url_;      // the listening address, for logs and STATUS=
  std::string app_url_;  // where the browser goes (auth/app_host.h)
  bool from_systemd_;
  const Paths& paths_;
  control::BusService* bus_ = nullptr;
  bool announced_ = false;
  bool failed_before_ready_ = false;
  std::string failure_;
};

// The backend program, opened once at start-up and run from that descriptor ever after: a
// package upgrade that replaces the file while hearthd runs does not mix an old supervisor with a
// new backend. It sits beside hearthd in a build tree, and in HEARTH_BACKEND_PATH when installed.
Result<UniqueFd> OpenBackendExecutable() {
  std::vector<std::string> candidates;
  std::error_code error;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) candidates.push_back(self.parent_path() / "hearthd-backend");
  candidates.push_back(HEARTH_BACKEND_PATH);
  for (const std::string& path : candidates) {
    UniqueFd fd(open(path.c_str(), O_PATH | O_CLOEXEC));
    if (fd.valid() && access(path.c_str(), X_OK) == 0) return fd;
  }
  std::string looked;
  for (const std::string& path : candidates) looked += (looked.empty() ? "" : ", ") + path;
  return Status::NotFound("cannot find the backend program hearthd-backend (looked for " + looked +
                          "); reinstall Hearth");
}

// The session bus, or null when there is none (hearthd then runs without its control plane).
std::unique_ptr<sdbus::IConnection> ConnectToSessionBus() {
  try {
    return sdbus::createSessionBusConnection();
  } catch (const sdbus::Error& e) {
    LogWarning("no D-Bus session bus (" + e.getMessage() +
               "); running without the org.hearth.Hearth1 control plane");
    return nullptr;
  }
}

int RunDaemon(const DaemonOptions& options) {
  // Its environment may hold API keys (config.json's api_key_env): no core dumps, and its /proc
  // files stay closed to every other process of the user.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  SystemClock clock;
  auto paths = ResolvePaths();
  if (!paths.ok()) return StartupFailed(paths.status());
  for (const std::string* dir : {&paths->data_dir, &paths->runtime_dir}) {
    Status s = EnsurePrivateDir(*dir);
    if (!s.ok()) return StartupFailed(s);
  }
  auto lock = TryLock(paths->lock_file);
  if (!lock.ok()) {
    if (lock.status().code() == Status::Code::kBusy) {
      return StartupFailed(
          Status::Busy("another hearthd is already running for this user (it holds " +
                       paths->lock_file + "); use `hearthctl open` to open it"));
    }
    return StartupFailed(lock.status());
  }

  // Signals are read from a signalfd by the loop; block them before anything else starts.
  auto signal_fd = TerminationSignals();
  if (!signal_fd.ok()) return StartupFailed(signal_fd.status());

  auto listener = http::AcquireListenSocket();
  if (!listener.ok()) return StartupFailed(listener.status());
  if (listener->from_systemd) setenv("HEARTH_SOCKET_FROM_SYSTEMD", "1", 1);
  Status written = WriteFileAtomic(paths->port_file, std::to_string(listener->port) + "\n");
  if (!written.ok()) return StartupFailed(written);
  std::string url = "http://127.0.0.1:" + std::to_string(listener->port) + "/";
  // Made before the first backend starts, which reads it: every process agrees on the name.
  auto app_host = auth::LoadOrCreateAppHost(paths->host_file);
  if (!app_host.ok()) return StartupFailed(app_host.status());

  auto loop = EventLoop::Create();
  if (!loop.ok()) return StartupFailed(loop.status());

  sv::SupervisorOptions supervisor_options;
  supervisor_options.port = listener->port;
  auto backend = OpenBackendExecutable();
  if (!backend.ok()) return StartupFailed(backend.status());
  supervisor_options.spawn.executable_fd = backend->get();
  supervisor_options.spawn.argv = {"hearthd-backend"};
  supervisor_options.spawn.listen_fd = listener->fd.get();
  // The backend holds the instance lock too: a new hearthd cannot start while an old backend
  // is still draining and holds the database.
  supervisor_options.spawn.inherit_fd = lock->get();
  Reporter reporter(options, url, AppUrl(*app_host, listener->port), listener->from_systemd,
                    *paths);
  sv::Supervisor supervisor(**loop, supervisor_options, &reporter);

  auth::TokenDrop tokens(paths->token_dir);
  std::unique_ptr<sdbus::IConnection> bus = options.use_bus ? ConnectToSessionBus() : nullptr;
  std::unique_ptr<control::BusService> service;
  if (bus) {
    try {
      service = std::make_unique<control::BusService>(*bus, supervisor, tokens, clock, *app_host);
      bus->requestName(control::kBusName);
    } catch (const sdbus::Error& e) {
      return StartupFailed(Status::Busy(std::string("cannot own ") + control::kBusName +
                                        " on the session bus: " + e.getMessage()));
    }
    reporter.set_bus(service.get());
  }

  bool quit = false;
  (*loop)->Watch(signal_fd->get(), EPOLLIN, [&](uint32_t) {
    signalfd_siginfo info;
    while (read(signal_fd->get(), &info, sizeof info) == sizeof info) {
      LogInfo(std::string("received ") + strsignal(static_cast<int>(info.ssi_signo)) +
              ", shutting down");
      supervisor.Shutdown([&] { quit = true; });
    }
  });

  // WATCHDOG=1 comes from the loop itself, so systemd hears it only while the loop turns.
  uint64_t watchdog_usec = 0;
  std::function<void()> watchdog;
  if (sd_watchdog_enabled(0, &watchdog_usec) > 0) {
    auto interval = std::chrono::milliseconds(watchdog_usec / 2000);
    watchdog = [&, interval] {
      sd_notify(0, "WATCHDOG=1");
      (*loop)->After(interval, watchdog);
    };
    watchdog();
  }

  supervisor.Start("hearthd started");

  // The bus can go away under us (dbus-daemon stopped, the session ended): hearthd then carries on
  // serving HTTP without its control plane, as when it started without a bus.
  int bus_fd = -1;
  bool bus_lost = false;
  auto process_bus = [&] {
    try {
      while (bus->processPendingRequest()) {
      }
    } catch (const std::exception& e) {
      LogError(std::string("lost the session bus (") + e.what() +
               "); running without the control plane");
      bus_lost = true;
    }
  };
  auto drop_bus = [&] {
    if (bus_fd >= 0) (*loop)->Unwatch(bus_fd);
    reporter.set_bus(nullptr);
    service.reset();
    bus.reset();
  };

  while (!quit) {
    std::optional<EventLoop::TimePoint> bus_deadline;
    if (bus && !bus_lost) {
      try {
        sdbus::IConnection::PollData poll = bus->getEventLoopPollData();
        uint32_t events = 0;
        if (poll.events & POLLIN) events |= EPOLLIN;
        if (poll.events & POLLOUT) events |= EPOLLOUT;
        bus_fd = poll.fd;
        (*loop)->Watch(poll.fd, events, [&](uint32_t) { process_bus(); });
        if (poll.timeout_usec != UINT64_MAX) {
          bus_deadline = EventLoop::TimePoint(std::chrono::microseconds(poll.timeout_usec));
        }
      } catch (const std::exception& e) {
        LogError(std::string("lost the session bus (") + e.what() +
                 "); running without the control plane");
        bus_lost = true;
      }
    }
    if (bus && bus_lost) drop_bus();
    Status s = (*loop)->RunOnce(bus_deadline);
    if (!s.ok()) {
      LogError(s.message());
      break;
    }
    if (bus && !bus_lost && bus_deadline && EventLoop::TimePoint::clock::now() >= *bus_deadline) {
      process_bus();
    }
    if (bus && bus_lost) drop_bus();
    // Without a bus nobody can ask for another try: a backend that cannot start ends hearthd.
    if (!bus && supervisor.state() == sv::State::kFailed && reporter.failed_before_ready()) {
      LogError("the backend cannot start: " + reporter.failure());
      sd_notifyf(0, "STATUS=Failed to start: %s", reporter.failure().c_str());
      unlink(paths->port_file.c_str());
      return kExitFailure;
    }
  }

  sd_notify(0, "STOPPING=1\nSTATUS=Shutting down");
  if (service) {
    try {
      bus->releaseName(control::kBusName);
    } catch (const std::exception&) {
    }
  }
  unlink(paths->port_file.c_str());
  LogInfo("stopped");
  return 0;
}

int Main(int argc, char** argv) {
  bool login_url = false;
  DaemonOptions options;
  int64_t ttl_seconds = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--login-url") {
      login_url = true;
    } else if (arg == "--print-login-url") {
      options.print_login_url = true;
    } else if (arg == "--open") {
      options.open_browser = true;
    } else if (arg == "--no-bus") {
      options.use_bus = false;
    } else if (arg == "--ttl" && i + 1 < argc) {
      char* end = nullptr;
      ttl_seconds = std::strtoll(argv[++i], &end, 10);
      if (*end != '\0' || ttl_seconds <= 0 || ttl_seconds > 600) {
        std::fprintf(stderr, "hearthd: --ttl takes a number of seconds from 1 to 600\n");
        return kExitUsage;
      }
    } else if (arg == "--version") {
      std::printf("hearthd %s\n", HEARTH_VERSION);
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage.data(), stdout);
      return 0;
    } else {
      std::fprintf(stderr, "hearthd: unknown argument '%s'\n\n%s", argv[i], kUsage.data());
      return kExitUsage;
    }
  }
  if (login_url) return PrintLoginUrl(ttl_seconds);
  return RunDaemon(options);
}

}  // namespace
}  // namespace hearth

int main(int argc, char** argv) {
  try {
    return hearth::Main(argc, argv);
  } catch (const std::exception& e) {
    hearth::LogError(std::string("unexpected error: ") + e.what());
    return 1;
  }
}
