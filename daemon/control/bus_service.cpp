// SPDX-License-Identifier: Apache-2.0
#include "control/bus_service.h"

#include <exception>
#include <utility>

#include "auth/app_host.h"
#include "auth/authenticator.h"
#include "base/log.h"
#include "sandbox/landlock.h"

namespace hearth::control {
namespace {

constexpr const char* kErrorInvalidArgument = "org.hearth.Hearth1.Error.InvalidArgument";
constexpr const char* kErrorNotFound = "org.hearth.Hearth1.Error.NotFound";
constexpr const char* kErrorBusy = "org.hearth.Hearth1.Error.Busy";
constexpr const char* kErrorFailed = "org.hearth.Hearth1.Error.Failed";
constexpr const char* kErrorInternal = "org.hearth.Hearth1.Error.Internal";
constexpr uint32_t kMaxTtlSeconds = 600;
constexpr uint32_t kDefaultTtlSeconds = 60;

// Runs a handler body; anything it throws that is not already a D-Bus error becomes one.
template <typename F>
auto Guarded(const char* method, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const sdbus::Error&) {
    throw;
  } catch (const std::exception& e) {
    LogError(std::string(method) + ": " + e.what());
    throw sdbus::Error(kErrorInternal, std::string(method) + " failed: " + e.what());
  } catch (...) {
    LogError(std::string(method) + ": unknown exception");
    throw sdbus::Error(kErrorInternal, std::string(method) + " failed");
  }
}

// For asynchronous methods: the reply is sent at most once, from whichever path gets there.
template <typename... T>
std::shared_ptr<sdbus::Result<T...>> Share(sdbus::Result<T...>&& result) {
  return std::make_shared<sdbus::Result<T...>>(std::move(result));
}

template <typename... T>
void ReplyError(const std::shared_ptr<sdbus::Result<T...>>& result, const sdbus::Error& error) {
  try {
    result->returnError(error);
  } catch (const std::exception& e) {
    LogWarning(std::string("could not send a D-Bus error reply: ") + e.what());
  }
}

// Hearth's pages, under its own host name: never 127.0.0.1, whose cookies every local server
// receives (auth/app_host.h).
std::string Url(const std::string& app_host, uint16_t port) {
  return auth::AppOrigin(app_host, port) + "/";
}

}  // namespace

sdbus::Error ToBusError(const Status& status) {
  switch (status.code()) {
    case Status::Code::kInvalidArgument:
    case Status::Code::kTooLarge:
      return sdbus::Error(kErrorInvalidArgument, status.message());
    case Status::Code::kNotFound:
      return sdbus::Error(kErrorNotFound, status.message());
    case Status::Code::kBusy:
      return sdbus::Error(kErrorBusy, status.message());
    default:
      return sdbus::Error(kErrorFailed, status.message());
  }
}

BusService::BusService(sdbus::IConnection& connection, supervisor::Supervisor& supervisor,
                       auth::TokenDrop& tokens, const Clock& clock, std::string app_host)
    : AdaptorInterfaces(connection, kObjectPath),
      supervisor_(supervisor),
      tokens_(tokens),
      clock_(clock),
      app_host_(std::move(app_host)) {
  registerAdaptor();
}

BusService::~BusService() { unregisterAdaptor(); }

void BusService::StateChanged(supervisor::State state, const std::string& reason) {
  try {
    emitStateChanged(std::string(supervisor::StateName(state)), reason);
    emitPropertiesChangedSignal(org::hearth::Hearth1_adaptor::INTERFACE_NAME,
                                {"State", "BackendPid", "Restarts"});
  } catch (const std::exception& e) {
    LogWarning(std::string("could not emit StateChanged: ") + e.what());
  }
}

void BusService::BackendExited(pid_t pid, int status, const std::string& reason) {
  try {
    emitBackendExited(static_cast<uint32_t>(pid), status, reason);
  } catch (const std::exception& e) {
    LogWarning(std::string("could not emit BackendExited: ") + e.what());
  }
}

std::map<std::string, sdbus::Variant> BusService::Supervise() {
  return Guarded("Supervise", [&] {
    supervisor_.Start("start requested over D-Bus");
    supervisor::Snapshot s = supervisor_.snapshot();
    std::map<std::string, sdbus::Variant> status;
    status["state"] = std::string(supervisor::StateName(s.state));
    status["backend_pid"] = static_cast<uint32_t>(s.backend_pid);
    status["port"] = s.port;
    status["url"] = Url(app_host_, s.port);
    status["uptime_ms"] = static_cast<uint64_t>(s.backend_uptime_ms);
    status["supervisor_uptime_ms"] = static_cast<uint64_t>(s.supervisor_uptime_ms);
    status["restarts"] = s.restarts;
    status["last_exit_reason"] = s.last_exit_reason;
    status["last_probe_latency_us"] = static_cast<uint64_t>(s.last_probe_latency_us);
    status["version"] = std::string(HEARTH_VERSION);
    // Said plainly, as in the settings page: without Landlock, commands and MCP servers are
    // refused.
    status["sandbox"] = sandbox::LandlockSummary();
    // "damaged: <where, and what to do>" becomes database = "damaged" and the rest as detail.
    size_t colon = s.database.find(": ");
    status["database"] = s.database.empty() ? std::string("unknown") : s.database.substr(0, colon);
    status["database_detail"] =
        colon == std::string::npos ? std::string() : s.database.substr(colon + 2);
    return status;
  });
}

void BusService::Restart(sdbus::Result<uint32_t>&& result) {
  auto reply = Share(std::move(result));
  try {
    supervisor_.Restart([reply](Result<pid_t> pid) {
      if (!pid.ok()) return ReplyError(reply, ToBusError(pid.status()));
      try {
        reply->returnResults(static_cast<uint32_t>(*pid));
      } catch (const std::exception& e) {
        LogWarning(std::string("could not answer Restart: ") + e.what());
      }
    });
  } catch (const std::exception& e) {
    ReplyError(reply, sdbus::Error(kErrorInternal, std::string("Restart failed: ") + e.what()));
  }
}

void BusService::Stop(sdbus::Result<>&& result) {
  auto reply = Share(std::move(result));
  try {
    supervisor_.Stop([reply](Status status) {
      if (!status.ok()) return ReplyError(reply, ToBusError(status));
      try {
        reply->returnResults();
      } catch (const std::exception& e) {
        LogWarning(std::string("could not answer Stop: ") + e.what());
      }
    });
  } catch (const std::exception& e) {
    ReplyError(reply, sdbus::Error(kErrorInternal, std::string("Stop failed: ") + e.what()));
  }
}

std::tuple<std::string, uint64_t> BusService::IssueToken(const uint32_t& ttl_seconds) {
  return Guarded("IssueToken", [&] {
    if (ttl_seconds > kMaxTtlSeconds) {
      throw sdbus::Error(kErrorInvalidArgument,
                         "ttl_seconds must be from 1 to 600 (or 0 for the default, 60); got " +
                             std::to_string(ttl_seconds));
    }
    uint32_t ttl = ttl_seconds == 0 ? kDefaultTtlSeconds : ttl_seconds;
    int64_t now = clock_.NowMs();
    auto token = auth::Authenticator::IssueDroppedLoginToken(tokens_, now, int64_t{ttl} * 1000);
    if (!token.ok()) throw ToBusError(token.status());
    return std::make_tuple(*token, static_cast<uint64_t>(now + int64_t{ttl} * 1000));
  });
}

void BusService::RevokeToken(const std::string& token) {
  Guarded("RevokeToken", [&] {
    Status s = auth::Authenticator::RevokeDroppedLoginToken(tokens_, token, clock_.NowMs());
    if (!s.ok()) throw ToBusError(s);
  });
}

void BusService::RevokeAllSessions(sdbus::Result<uint32_t>&& result) {
  auto reply = Share(std::move(result));
  try {
    supervisor_.RevokeAllSessions([reply](Result<int64_t> count) {
      if (!count.ok()) return ReplyError(reply, ToBusError(count.status()));
      try {
        reply->returnResults(static_cast<uint32_t>(*count));
      } catch (const std::exception& e) {
        LogWarning(std::string("could not answer RevokeAllSessions: ") + e.what());
      }
    });
  } catch (const std::exception& e) {
    ReplyError(reply,
               sdbus::Error(kErrorInternal, std::string("RevokeAllSessions failed: ") + e.what()));
  }
}

std::string BusService::LoginUrl() {
  return Guarded("LoginUrl", [&] {
    supervisor_.Start("a login URL was asked for");
    if (supervisor_.state() == supervisor::State::kFailed) {
      throw sdbus::Error(kErrorFailed,
                         "the backend has failed: " + supervisor_.snapshot().last_exit_reason);
    }
    auto token = auth::Authenticator::IssueDroppedLoginToken(tokens_, clock_.NowMs(),
                                                             int64_t{kDefaultTtlSeconds} * 1000);
    if (!token.ok()) throw ToBusError(token.status());
    return Url(app_host_, supervisor_.snapshot().port) + "login?token=" + *token;
  });
}

std::string BusService::State() {
  return Guarded("State", [&] { return std::string(supervisor::StateName(supervisor_.state())); });
}
uint16_t BusService::Port() {
  return Guarded("Port", [&] { return supervisor_.snapshot().port; });
}
uint32_t BusService::BackendPid() {
  return Guarded("BackendPid",
                 [&] { return static_cast<uint32_t>(supervisor_.snapshot().backend_pid); });
}
uint32_t BusService::Restarts() {
  return Guarded("Restarts", [&] { return supervisor_.snapshot().restarts; });
}
std::string BusService::Version() { return HEARTH_VERSION; }

}  // namespace hearth::control
