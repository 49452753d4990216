// hearthd: the Hearth daemon. Serves the UI on a loopback port (passed by systemd, or bound here),
// keeps conversations in SQLite, and mints login links for the running instance.
#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "auth/authenticator.h"
#include "base/clock.h"
#include "base/fd.h"
#include "base/log.h"
#include "base/paths.h"
#include "http/listen_socket.h"
#include "http/server.h"
#include "store/store.h"
#include "web/app.h"
#include "web/event_hub.h"
#include "web/views.h"

namespace hearth {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotRunning = 3;
constexpr auto kShutdownGrace = std::chrono::seconds(5);
constexpr int kTickSeconds = 15;  // SSE keep-alive pings and expiry sweeps

constexpr std::string_view kUsage =
    "Usage: hearthd [--print-login-url] [--open]\n"
    "       hearthd --login-url [--ttl SECONDS]\n"
    "       hearthd --version | --help\n"
    "\n"
    "Without arguments, runs the Hearth daemon: serves the UI on a loopback port (the socket\n"
    "systemd passes, or 127.0.0.1 with a port the kernel picks) until SIGTERM.\n"
    "  --print-login-url  once serving, print a login URL on stdout\n"
    "  --open             once serving, open a login URL in the browser (xdg-open)\n"
    "  --login-url        print a fresh single-use login URL for the running daemon and exit\n"
    "  --ttl SECONDS      how long that URL stays valid (default 60, at most 600)\n"
    "\n"
    "Files: $XDG_DATA_HOME/hearth/hearth.db, $XDG_RUNTIME_DIR/hearth/{port,hearthd.lock}\n";

struct Paths {
  std::string data_dir, runtime_dir, db, port_file, lock_file, token_dir;
};

Result<Paths> ResolvePaths() {
  auto data = DataDir();
  if (!data.ok()) return data.status();
  auto runtime = RuntimeDir();
  if (!runtime.ok()) return runtime.status();
  Paths p;
  p.data_dir = *data;
  p.runtime_dir = *runtime;
  p.db = *data + "/hearth.db";
  p.port_file = *runtime + "/port";
  p.lock_file = *runtime + "/hearthd.lock";
  p.token_dir = *runtime + "/login-tokens";
  return p;
}

// The instance lock: held by the running daemon for its whole life.
Result<UniqueFd> TryLock(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return PosixError("open " + path, errno);
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return PosixError("lock " + path, errno);
  return fd;
}

std::string LoginUrl(uint16_t port, const std::string& token) {
  return "http://127.0.0.1:" + std::to_string(port) + "/login?token=" + token;
}

void OpenInBrowser(const std::string& url) {
  if (std::getenv("DISPLAY") == nullptr && std::getenv("WAYLAND_DISPLAY") == nullptr) {
    LogInfo("no display: open the login URL printed above in a browser");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    execlp("xdg-open", "xdg-open", url.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pid < 0) LogWarning("could not start xdg-open: " + std::string(std::strerror(errno)));
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
  SystemClock clock;
  auth::TokenDrop drop(paths->token_dir);
  auto token = auth::Authenticator::IssueDroppedLoginToken(drop, clock.NowMs(), ttl_seconds * 1000);
  if (!token.ok()) {
    std::fprintf(stderr, "hearthd: %s\n", token.status().message().c_str());
    return kExitFailure;
  }
  std::printf("%s\n", LoginUrl(static_cast<uint16_t>(port), *token).c_str());
  return std::fflush(stdout) == 0 ? 0 : kExitFailure;
}

// Logs `status` and tells systemd why start-up failed; returns the exit code.
int StartupFailed(const Status& status) {
  LogError(status.message());
  sd_notifyf(0, "STATUS=Failed to start: %s", status.message().c_str());
  return kExitFailure;
}

int RunDaemon(bool print_login_url, bool open_browser) {
  SystemClock clock;
  int64_t started_ms = clock.NowMs();
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
          Status::Busy("another hearthd is already running for this user (it "
                       "holds " +
                       paths->lock_file +
                       "); use `hearthd "
                       "--login-url` to open it"));
    }
    return StartupFailed(lock.status());
  }

  // Signals are handled by the loop below through a signalfd; block them before any thread
  // starts so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  UniqueFd signal_fd(signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd.valid()) return StartupFailed(PosixError("signalfd", errno));

  auto store = store::Store::Open(paths->db);
  if (!store.ok()) return StartupFailed(store.status().WithContext("cannot open " + paths->db));

  auto listener = http::AcquireListenSocket();
  if (!listener.ok()) return StartupFailed(listener.status());

  auto views = web::Views::Load();
  if (!views.ok()) return StartupFailed(views.status());
  auth::TokenDrop drop(paths->token_dir);
  auth::Authenticator authenticator(**store, clock, {}, &drop);
  web::EventHub hub;
  web::AppOptions app_options;
  app_options.port = listener->port;
  app_options.socket_from_systemd = listener->from_systemd;
  app_options.started_ms = started_ms;
  web::App app(**store, authenticator, hub, clock, std::move(*views), app_options);

  http::Server::Options server_options;
  server_options.listen_fd = listener->fd.get();
  server_options.handler = &app;
  server_options.common_headers = app.SecurityHeaders();
  server_options.log = [](const std::string& line) { LogWarning("http: " + line); };
  auto server = http::Server::Start(std::move(server_options));
  if (!server.ok()) return StartupFailed(server.status());

  Status s = WriteFileAtomic(paths->port_file, std::to_string(listener->port) + "\n");
  if (!s.ok()) return StartupFailed(s);

  UniqueFd timer_fd(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer_fd.valid()) return StartupFailed(PosixError("timerfd_create", errno));
  itimerspec tick{};
  tick.it_interval.tv_sec = kTickSeconds;
  tick.it_value.tv_sec = kTickSeconds;
  timerfd_settime(timer_fd.get(), 0, &tick, nullptr);

  std::string url = "http://127.0.0.1:" + std::to_string(listener->port) + "/";
  LogInfo("listening on " + url + (listener->from_systemd ? " (socket from systemd)" : ""));
  sd_notifyf(0, "READY=1\nSTATUS=Listening on %s\nMAINPID=%d", url.c_str(), getpid());

  if (print_login_url || open_browser) {
    auto token = authenticator.IssueLoginToken();
    if (token.ok()) {
      std::string login = LoginUrl(listener->port, *token);
      if (print_login_url) {
        std::printf("%s\n", login.c_str());
        std::fflush(stdout);
      }
      if (open_browser) OpenInBrowser(login);
    } else {
      LogWarning("could not mint a login URL: " + token.status().message());
    }
  }

  for (;;) {
    pollfd fds[2] = {{signal_fd.get(), POLLIN, 0}, {timer_fd.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      LogError("poll: " + std::string(std::strerror(errno)));
      break;
    }
    if (fds[1].revents & POLLIN) {
      uint64_t expirations;
      [[maybe_unused]] ssize_t n = read(timer_fd.get(), &expirations, sizeof expirations);
      hub.PingAll();
      auto swept = authenticator.Sweep();
      if (!swept.ok()) LogWarning("expiring old sessions: " + swept.status().message());
      // Reap xdg-open.
      while (waitpid(-1, nullptr, WNOHANG) > 0) {
      }
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (read(signal_fd.get(), &info, sizeof info) == sizeof info) {
        LogInfo(std::string("received ") + strsignal(static_cast<int>(info.ssi_signo)) +
                ", shutting down");
        break;
      }
    }
  }

  sd_notify(0, "STOPPING=1\nSTATUS=Shutting down");
  hub.CloseAll();
  size_t unfinished = (*server)->Stop(kShutdownGrace);
  if (unfinished > 0) {
    LogWarning(std::to_string(unfinished) + " requests were still running after " +
               std::to_string(kShutdownGrace.count()) + " s and were cut off");
  }
  server->reset();
  unlink(paths->port_file.c_str());
  store->reset();  // closes the database (and checkpoints the WAL) before we report success
  LogInfo("stopped");
  return 0;
}

int Main(int argc, char** argv) {
  bool login_url = false, print_login_url = false, open_browser = false;
  int64_t ttl_seconds = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--login-url") {
      login_url = true;
    } else if (arg == "--print-login-url") {
      print_login_url = true;
    } else if (arg == "--open") {
      open_browser = true;
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
  return RunDaemon(print_login_url, open_browser);
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
