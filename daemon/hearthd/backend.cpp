// hearthd-backend: started only by hearthd, the supervisor, with the listening socket on fd 3 and
// the control channel on fd 4. It serves the UI and keeps the database until SIGTERM or until the
// supervisor's end of the control channel closes. It exits 78 when it cannot start on the data it
// was given, so the supervisor does not try again in a loop. A program of its own so that the
// supervisor loads none of its libraries (libmicrohttpd and gnutls, SQLite).
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <curl/curl.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "agent/agent.h"
#include "agent/config.h"
#include "agent/settings.h"
#include "auth/authenticator.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/paths.h"
#include "hearthd/hearthd.h"
#include "http/listen_socket.h"
#include "http/server.h"
#include "store/store.h"
#include "supervisor/backend_process.h"
#include "supervisor/control_channel.h"
#include "web/app.h"
#include "web/event_hub.h"
#include "web/live_runs.h"
#include "web/views.h"

namespace hearth {
namespace {

namespace sv = supervisor;

constexpr auto kShutdownGrace = std::chrono::seconds(5);
constexpr int kTickSeconds = 15;  // SSE keep-alive pings and expiry sweeps
constexpr int kControlFd = sv::kBackendControlFd;

// Logs `status`, tells the supervisor why, and returns the exit code.
int StartupFailed(const Status& status, int code = kExitFailure) {
  LogError(status.message());
  sv::SendControl(kControlFd, sv::kStatus, status.message());
  return code;
}

void AnswerControl(auth::Authenticator& authenticator, web::EventHub& hub) {
  for (;;) {
    auto message = sv::ReadControl(kControlFd);
    if (!message.ok()) return;
    if (message->name == sv::kRevokeAllSessions) {
      auto revoked = authenticator.RevokeAllSessions();
      if (revoked.ok()) {
        hub.Broadcast("signed-out", "all");
        LogInfo("revoked " + std::to_string(*revoked) + " sessions on request");
        sv::SendControl(kControlFd, sv::kRevoked, std::to_string(*revoked));
      } else {
        sv::SendControl(kControlFd, sv::kError, revoked.status().message());
      }
    } else {
      LogWarning("unknown request from the supervisor: " + message->name);
    }
  }
}

}  // namespace

int RunBackend(int argc) {
  struct stat control_stat;
  if (argc != 1 || fstat(kControlFd, &control_stat) != 0 || !S_ISSOCK(control_stat.st_mode)) {
    LogError("hearthd-backend is started by hearthd itself; run `hearthd` instead");
    return kExitUsage;
  }
  SystemClock clock;
  int64_t started_ms = clock.NowMs();
  auto paths = ResolvePaths();
  if (!paths.ok()) return StartupFailed(paths.status());
  Status dir = EnsurePrivateDir(paths->data_dir);
  if (!dir.ok()) return StartupFailed(dir, sv::kExitCannotStart);

  auto signal_fd = TerminationSignals();
  if (!signal_fd.ok()) return StartupFailed(signal_fd.status());

  auto store = store::Store::Open(paths->db);
  if (!store.ok()) {
    return StartupFailed(store.status().WithContext("cannot open " + paths->db),
                         sv::kExitCannotStart);
  }
  // A damaged database is served read-only; the supervisor (Supervise) and every page say so.
  store::Integrity integrity = (*store)->integrity();
  std::string database = store::IntegrityStateName(integrity.state);
  if (Status writable = (*store)->Writable(); !writable.ok()) {
    LogError(writable.message());
    database += ": " + writable.message();
  }
  sv::SendControl(kControlFd, sv::kDatabase, database);
  // Answers a crash cut short are marked as such, with the text they had.
  if (!(*store)->Writable().ok()) {
    // Nothing can be marked in a read-only database.
  } else if (auto settled = (*store)->SettleInterruptedMessages(); !settled.ok()) {
    LogWarning("marking interrupted answers: " + settled.status().message());
  } else if (*settled > 0) {
    LogInfo("marked " + std::to_string(*settled) + " interrupted answers as incomplete");
  }

  // The agent's configuration: config.json, then what the settings page saved.
  const char* home_env = std::getenv("HOME");
  std::string home = home_env != nullptr ? home_env : "";
  std::string config_path;
  agent::AgentConfig file_config;
  std::vector<std::string> own_dirs = {paths->data_dir, paths->runtime_dir};
  if (auto config_dir = ConfigDir(); config_dir.ok()) {
    own_dirs.push_back(*config_dir);
    config_path = *config_dir + "/config.json";
    auto loaded = agent::LoadConfigFile(config_path, home);
    if (!loaded.ok()) {
      return StartupFailed(loaded.status().WithContext("fix or remove the file, then restart"),
                           sv::kExitCannotStart);
    }
    file_config = std::move(*loaded);
  }
  agent::Settings settings(**store, std::move(file_config), config_path, std::move(own_dirs), home);
  if (Status loaded = settings.Load(); !loaded.ok()) LogWarning(loaded.message());

  auto listener = http::AcquireListenSocket();
  if (!listener.ok()) return StartupFailed(listener.status());
  auto views = web::Views::Load();
  if (!views.ok()) return StartupFailed(views.status());

  auth::TokenDrop drop(paths->token_dir);
  auth::Authenticator authenticator(**store, clock, {}, &drop);
  web::EventHub hub;
  web::AppOptions app_options;
  app_options.port = listener->port;
  app_options.socket_from_systemd = std::getenv("HEARTH_SOCKET_FROM_SYSTEMD") != nullptr;
  app_options.started_ms = started_ms;
  web::App app(**store, authenticator, hub, clock, std::move(*views), app_options);
  web::LiveRuns live(app.views());
  agent::Agent agent_runner(
      **store, clock, live, [&settings] { return settings.Current(); },
      [&settings] { return settings.Tools(); });
  app.SetAgent({.agent = &agent_runner, .settings = &settings, .live = &live});

  http::Server::Options server_options;
  server_options.listen_fd = listener->fd.get();
  server_options.handler = &app;
  server_options.common_headers = app.SecurityHeaders();
  server_options.log = [](const std::string& line) { LogWarning("http: " + line); };
  auto server = http::Server::Start(std::move(server_options));
  if (!server.ok()) return StartupFailed(server.status());

  UniqueFd timer_fd(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer_fd.valid()) return StartupFailed(PosixError("timerfd_create", errno));
  itimerspec tick{};
  tick.it_interval.tv_sec = kTickSeconds;
  tick.it_value.tv_sec = kTickSeconds;
  timerfd_settime(timer_fd.get(), 0, &tick, nullptr);

  sv::SendControl(kControlFd, sv::kReady);

  for (;;) {
    pollfd fds[3] = {
        {signal_fd->get(), POLLIN, 0}, {timer_fd.get(), POLLIN, 0}, {kControlFd, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
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
    }
    if (fds[2].revents & (POLLHUP | POLLERR)) {
      LogInfo("the supervisor has gone; shutting down");
      break;
    }
    if (fds[2].revents & POLLIN) AnswerControl(authenticator, hub);
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info;
      if (read(signal_fd->get(), &info, sizeof info) == sizeof info) {
        LogInfo(std::string("received ") + strsignal(static_cast<int>(info.ssi_signo)) +
                ", shutting down");
        break;
      }
    }
  }

  // Runs end first: their answers so far are saved and marked before the database closes.
  agent_runner.StopAll();
  live.CloseAll();
  hub.CloseAll();
  size_t unfinished = (*server)->Stop(kShutdownGrace);
  if (unfinished > 0) {
    LogWarning(std::to_string(unfinished) + " requests were still running after " +
               std::to_string(kShutdownGrace.count()) + " s and were cut off");
  }
  server->reset();
  store->reset();  // closes the database (and checkpoints the WAL) before we report success
  return 0;
}

}  // namespace hearth

int main(int argc, char**) {
  // Before any thread starts: libcurl's global state is not thread-safe to set up.
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int code;
  try {
    code = hearth::RunBackend(argc);
  } catch (const std::exception& e) {
    hearth::LogError(std::string("unexpected error: ") + e.what());
    code = hearth::kExitFailure;
  }
  // Every run has been joined by now: nothing uses libcurl any more.
  curl_global_cleanup();
  return code;
}
