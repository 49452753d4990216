// SPDX-License-Identifier: Apache-2.0
// hearthd-backend: started only by hearthd, the supervisor, with the listening socket on fd 3 and
// the control channel on fd 4. It serves the UI and keeps the database until SIGTERM or until the
// supervisor's end of the control channel closes. It exits 78 when it cannot start on the data it
// was given, so the supervisor does not try again in a loop. A program of its own so that the
// supervisor loads none of its libraries (libmicrohttpd and gnutls, SQLite).
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <curl/curl.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <optional>

#include "agent/agent.h"
#include "agent/config.h"
#include "agent/local_servers.h"
#include "agent/settings.h"
#include "auth/app_host.h"
#include "auth/authenticator.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/paths.h"
#include "hearthd/hearthd.h"
#include "http/health_check.h"
#include "http/listen_socket.h"
#include "http/server.h"
#include "secrets/secret_store.h"
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

// The supervisor's health check in progress: PING=<n> is answered once the server has answered a
// GET /healthz over a private connection.
struct PendingCheck {
  std::string sequence;
  std::optional<http::HealthCheck> check;
};

void StartHealthCheck(http::Server& server, const std::string& host, PendingCheck& pending,
                      std::string sequence) {
  pending.sequence = std::move(sequence);
  pending.check.reset();  // a newer PING replaces an unanswered one
  auto check = http::HealthCheck::Start(server, host);
  if (!check.ok()) {
    sv::SendControl(kControlFd, sv::kUnhealthy, pending.sequence + ":" + check.status().message());
    return;
  }
  pending.check = std::move(*check);
}

void ContinueHealthCheck(PendingCheck& pending) {
  Status s = pending.check->OnReady();
  if (s.code() == Status::Code::kBusy) return;
  if (s.ok()) {
    sv::SendControl(kControlFd, sv::kPong, pending.sequence);
  } else {
    sv::SendControl(kControlFd, sv::kUnhealthy, pending.sequence + ":" + s.message());
  }
  pending.check.reset();
}

// Raises the soft limit on open files to the hard one (systemd's default for services is 1,024
// soft, 524,288 hard): each connection is a descriptor. Returns the limit now in force.
uint64_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  rlim_t wanted = std::min<rlim_t>(limit.rlim_max, 65536);
  if (limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur = wanted;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

void AnswerControl(auth::Authenticator& authenticator, web::EventHub& hub, http::Server& server,
                   const std::string& host, PendingCheck& check) {
  for (;;) {
    auto message = sv::ReadControl(kControlFd);
    if (!message.ok()) return;
    if (message->name == sv::kPing) {
      StartHealthCheck(server, host, check, message->value);
    } else if (message->name == sv::kRevokeAllSessions) {
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
  // The backend's memory holds API keys and session secrets: no core dumps, and no /proc/<pid>/
  // files (environ, mem, fd) readable by its children, even those that run as the same user.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  uint64_t open_files = RaiseOpenFileLimit();
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
  secrets::SelectOptions secret_options;
  if (auto config_dir = ConfigDir(); config_dir.ok()) {
    secret_options.config_dir = *config_dir;
    own_dirs.push_back(*config_dir);
    config_path = *config_dir + "/config.json";
    auto loaded = agent::LoadConfigFile(config_path, home);
    if (!loaded.ok()) {
      return StartupFailed(loaded.status().WithContext("fix or remove the file, then restart"),
                           sv::kExitCannotStart);
    }
    file_config = std::move(*loaded);
  }
  // API keys and MCP environment values: the keyring when the session has one, else a file.
  secret_options.home = home;
  const char* secret_store_env = std::getenv("HEARTH_SECRET_STORE");
  secret_options.force_file =
      secret_store_env != nullptr && std::string_view(secret_store_env) == "file";
  std::unique_ptr<secrets::SecretStore> secret_store = secrets::SelectSecretStore(secret_options);
  LogInfo("API keys are kept in " + secret_store->Where());
  agent::Settings settings(**store, *secret_store, std::move(file_config), config_path,
                           std::move(own_dirs), home);
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
  auto app_host = auth::LoadOrCreateAppHost(paths->host_file);
  if (!app_host.ok()) return StartupFailed(app_host.status(), sv::kExitCannotStart);
  app_options.app_host = *app_host;
  app_options.socket_from_systemd = std::getenv("HEARTH_SOCKET_FROM_SYSTEMD") != nullptr;
  app_options.started_ms = started_ms;
  // HEARTH_TEST_PROBE_PORTS is for tests only: it points the first run's probe at a fake server.
  auto local_servers = agent::UsualServers(std::getenv("HEARTH_TEST_PROBE_PORTS"));
  if (local_servers.ok()) {
    app_options.local_servers = std::move(*local_servers);
  } else {
    LogWarning(local_servers.status().message());
  }
  web::App app(**store, authenticator, hub, clock, std::move(*views), app_options);
  web::LiveRuns live(app.views());
  agent::AgentOptions agent_options;
  // A title made for a conversation: the list, and the heading of every page showing it.
  agent_options.title_made = [&hub, &app](int64_t conversation_id, const std::string& title) {
    hub.Broadcast("title-" + std::to_string(conversation_id), app.views().TitleUpdate(title).html);
    hub.Broadcast("conversations", "titled");
  };
  agent::Agent agent_runner(
      **store, clock, live, [&settings] { return settings.Current(); },
      [&settings] { return settings.Tools(); }, std::move(agent_options));
  app.SetAgent({.agent = &agent_runner, .settings = &settings, .live = &live});

  http::Server::Options server_options;
  server_options.listen_fd = listener->fd.get();
  server_options.handler = &app;
  server_options.limits = http::SuggestedLimits(open_files);
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

  const std::string own_host = "127.0.0.1:" + std::to_string(listener->port);
  PendingCheck health;
  for (;;) {
    pollfd fds[4] = {{signal_fd->get(), POLLIN, 0},
                     {timer_fd.get(), POLLIN, 0},
                     {kControlFd, POLLIN, 0},
                     {-1, 0, 0}};
    if (health.check) {
      fds[3].fd = health.check->fd();
      fds[3].events = health.check->sending() ? POLLOUT : POLLIN;
    }
    if (poll(fds, 4, -1) < 0) {
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
    if (fds[2].revents & POLLIN) AnswerControl(authenticator, hub, **server, own_host, health);
    if (fds[3].revents != 0 && health.check) ContinueHealthCheck(health);
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
