// SPDX-License-Identifier: Apache-2.0
#include "supervisor/supervisor.h"

#include <signal.h>
#include <sys/epoll.h>

#include <algorithm>
#include <cstdlib>

#include "base/log.h"
#include "supervisor/control_channel.h"

namespace hearth::supervisor {
namespace {

using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

std::string Seconds(milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + " s";
  return std::to_string(d.count()) + " ms";
}

}  // namespace

std::string_view StateName(State state) {
  switch (state) {
    case State::kStarting:
      return "starting";
    case State::kRunning:
      return "running";
    case State::kRestarting:
      return "restarting";
    case State::kBackingOff:
      return "backing-off";
    case State::kFailed:
      return "failed";
    case State::kStopped:
      return "stopped";
  }
  return "unknown";
}

Supervisor::Supervisor(EventLoop& loop, SupervisorOptions options, Observer* observer)
    : loop_(loop),
      options_(std::move(options)),
      observer_(observer),
      created_(steady_clock::now()) {}

Supervisor::~Supervisor() {
  ForgetBackendTimers();
  CancelTimer(backoff_timer_);
  if (backend_) {
    loop_.Unwatch(backend_->pidfd());
    loop_.Unwatch(backend_->control_fd());
  }
  // ~BackendProcess kills and reaps a backend that is still there.
}

void Supervisor::CancelTimer(EventLoop::TimerId& id) {
  loop_.Cancel(id);
  id = 0;
}

void Supervisor::ForgetBackendTimers() {
  for (EventLoop::TimerId* id :
       {&probe_timer_, &probe_deadline_timer_, &ready_timer_, &kill_timer_}) {
    CancelTimer(*id);
  }
  probe_sequence_ = 0;
}

void Supervisor::SetState(State state, const std::string& reason) {
  if (state == state_) return;
  state_ = state;
  LogInfo("backend " + std::string(StateName(state)) + (reason.empty() ? "" : ": " + reason));
  if (observer_) observer_->OnStateChanged(state, reason);
}

Snapshot Supervisor::snapshot() const {
  auto now = steady_clock::now();
  Snapshot s;
  s.state = state_;
  s.backend_pid = backend_ ? backend_->pid() : 0;
  s.port = options_.port;
  if (backend_ && ready_)
    s.backend_uptime_ms = duration_cast<milliseconds>(now - ready_at_).count();
  s.supervisor_uptime_ms = duration_cast<milliseconds>(now - created_).count();
  s.restarts = restarts_;
  s.last_exit_reason = last_exit_reason_;
  s.last_probe_latency_us = last_probe_latency_us_;
  s.database = database_;
  return s;
}

void Supervisor::Spawn(const std::string& reason) {
  auto process = BackendProcess::Spawn(options_.spawn);
  if (!process.ok()) {
    last_exit_reason_ = "could not start the backend: " + process.status().message();
    AfterFailure(last_exit_reason_, /*cannot_start=*/false);
    return;
  }
  backend_ = std::move(*process);
  ready_ = false;
  intent_ = Intent::kNone;
  kill_reason_.clear();
  backend_status_.clear();
  database_.clear();
  loop_.Watch(backend_->pidfd(), EPOLLIN, [this](uint32_t) { OnExit(); });
  loop_.Watch(backend_->control_fd(), EPOLLIN, [this](uint32_t) { OnControl(); });
  ready_timer_ = loop_.After(options_.ready_deadline, [this] {
    ready_timer_ = 0;
    Kill("the backend did not become ready within " + Seconds(options_.ready_deadline));
  });
  SetState(State::kStarting, reason + " (pid " + std::to_string(backend_->pid()) + ")");
}

void Supervisor::OnControl() {
  for (;;) {
    auto message = ReadControl(backend_->control_fd());
    if (!message.ok()) {
      if (message.status().code() != Status::Code::kBusy) {
        // Closed: the backend is exiting, and its pidfd will say so.
        loop_.Unwatch(backend_->control_fd());
      }
      return;
    }
    if (message->name == kReady) {
      OnReady();
    } else if (message->name == kStatus) {
      backend_status_ = message->value;
    } else if (message->name == kPong || message->name == kUnhealthy) {
      OnProbeAnswer(*message);
    } else if (message->name == kDatabase) {
      database_ = message->value;
    } else if (message->name == kRevoked || message->name == kError) {
      if (revokes_sent_.empty()) continue;
      CountCallback done = std::move(revokes_sent_.front());
      revokes_sent_.pop_front();
      if (message->name == kError) {
        done(Status::Internal("the backend could not revoke sessions: " + message->value));
      } else {
        done(static_cast<int64_t>(std::strtoll(message->value.c_str(), nullptr, 10)));
      }
    } else {
      LogWarning("unknown message from the backend: " + message->name);
    }
  }
}

void Supervisor::OnReady() {
  if (ready_ || !backend_) return;
  CancelTimer(ready_timer_);
  ready_ = true;
  ready_at_ = steady_clock::now();
  pid_t pid = backend_->pid();
  SetState(State::kRunning, "serving (pid " + std::to_string(pid) + ")");
  ScheduleProbe();
  auto waiters = std::move(restart_waiters_);
  restart_waiters_.clear();
  for (auto& done : waiters) done(pid);
  SendQueuedRevokes();
}

void Supervisor::SendQueuedRevokes() {
  auto queued = std::move(revokes_queued_);
  revokes_queued_.clear();
  for (auto& done : queued) {
    Status sent = SendControl(backend_->control_fd(), kRevokeAllSessions);
    if (sent.ok()) {
      revokes_sent_.push_back(std::move(done));
    } else {
      done(sent);
    }
  }
}

void Supervisor::OnExit() {
  auto exit = backend_->Reap();
  if (!exit.ok()) {
    if (exit.status().code() != Status::Code::kBusy) LogError(exit.status().message());
    return;
  }
  pid_t pid = backend_->pid();
  bool was_ready = ready_;
  loop_.Unwatch(backend_->pidfd());
  loop_.Unwatch(backend_->control_fd());
  ForgetBackendTimers();
  // A last message (a STATUS before exiting) may still be waiting.
  for (;;) {
    auto message = ReadControl(backend_->control_fd());
    if (!message.ok()) break;
    if (message->name == kStatus) backend_status_ = message->value;
  }
  backend_.reset();
  ready_ = false;

  std::string reason;
  if (!kill_reason_.empty()) {
    reason = kill_reason_;
  } else {
    reason = "the backend " + exit->description;
    if (!backend_status_.empty() && !exit->clean()) reason += ": " + backend_status_;
  }
  auto revokes = std::move(revokes_sent_);
  revokes_sent_.clear();
  for (auto& done : revokes) done(Status::Internal("the backend exited before answering"));
  if (observer_) observer_->OnBackendExited(pid, exit->status, reason);

  Intent intent = intent_;
  intent_ = Intent::kNone;
  switch (intent) {
    case Intent::kShutdown: {
      last_exit_reason_ = "stopped with hearthd";
      SetState(State::kStopped, last_exit_reason_);
      auto done = std::move(shutdown_done_);
      shutdown_done_ = nullptr;
      if (done) done();
      return;
    }
    case Intent::kStop: {
      last_exit_reason_ = "stopped on request";
      FailWaiters("the backend was stopped");
      SetState(State::kStopped, last_exit_reason_);
      auto waiters = std::move(stop_waiters_);
      stop_waiters_.clear();
      for (auto& done : waiters) done(Status::Ok());
      return;
    }
    case Intent::kRestart: {
      // A Stop that a Restart overtook is answered too: the backend did stop.
      auto stops = std::move(stop_waiters_);
      stop_waiters_.clear();
      for (auto& done : stops) done(Status::Ok());
      last_exit_reason_ = "restarted on request";
      ++restarts_;
      Spawn("restart requested");
      return;
    }
    case Intent::kNone:
      last_exit_reason_ = reason;
      LogWarning(reason);
      AfterFailure(reason, !was_ready && exit->status == kExitCannotStart);
      return;
  }
}

void Supervisor::AfterFailure(const std::string& reason, bool cannot_start) {
  auto now = steady_clock::now();
  failures_.push_back(now);
  while (!failures_.empty() && now - failures_.front() > options_.restart_window) {
    failures_.pop_front();
  }
  if (cannot_start) {
    Fail(reason);
    return;
  }
  if (failures_.size() > options_.restart_limit) {
    Fail("the backend failed " + std::to_string(failures_.size()) + " times within " +
         Seconds(options_.restart_window) + "; last: " + reason);
    return;
  }
  // The first failure in the window is restarted at once, later ones after 100 ms, 200 ms...
  milliseconds delay{0};
  if (failures_.size() > 1) {
    delay = options_.backoff_first * (1LL << std::min<size_t>(failures_.size() - 2, 16));
    delay = std::min(delay, options_.backoff_max);
  }
  if (delay.count() == 0) {
    ++restarts_;
    Spawn("restarting after: " + reason);
    return;
  }
  SetState(State::kBackingOff, reason + "; restarting in " + Seconds(delay));
  backoff_timer_ = loop_.After(delay, [this, reason] {
    backoff_timer_ = 0;
    ++restarts_;
    Spawn("restarting after: " + reason);
  });
}

void Supervisor::Fail(const std::string& reason) {
  // Kept after a later Start, so Supervise (which starts a failed backend) still says why it gave
  // up.
  last_exit_reason_ = reason;
  FailWaiters(reason);
  SetState(State::kFailed, reason);
}

void Supervisor::FailWaiters(const std::string& why) {
  auto restarts = std::move(restart_waiters_);
  restart_waiters_.clear();
  for (auto& done : restarts) done(Status::Internal(why));
  auto revokes = std::move(revokes_queued_);
  revokes_queued_.clear();
  for (auto& done : revokes) done(Status::Internal(why));
}

void Supervisor::Terminate() {
  CancelTimer(probe_timer_);
  CancelTimer(probe_deadline_timer_);
  probe_sequence_ = 0;
  if (kill_timer_ != 0) return;  // already draining
  Status s = backend_->Signal(SIGTERM);
  if (!s.ok()) LogWarning("stopping the backend: " + s.message());
  kill_timer_ = loop_.After(options_.drain_deadline, [this] {
    kill_timer_ = 0;
    LogWarning("the backend did not stop within " + Seconds(options_.drain_deadline) +
               "; killing it");
    if (backend_) backend_->Signal(SIGKILL);
  });
}

void Supervisor::Kill(const std::string& reason) {
  if (!backend_) return;
  kill_reason_ = reason + "; killed it";
  LogWarning(kill_reason_);
  backend_->Signal(SIGKILL);
}

void Supervisor::Start(const std::string& reason) {
  if (intent_ == Intent::kShutdown) return;
  if (state_ != State::kStopped && state_ != State::kFailed) return;
  failures_.clear();
  Spawn(reason);
}

void Supervisor::Restart(PidCallback done) {
  if (intent_ == Intent::kShutdown) {
    done(Status::Busy("hearthd is shutting down"));
    return;
  }
  restart_waiters_.push_back(std::move(done));
  if (!backend_) {
    CancelTimer(backoff_timer_);
    failures_.clear();
    ++restarts_;
    Spawn("restart requested");
    return;
  }
  if (intent_ == Intent::kRestart) return;  // one drain serves every caller
  intent_ = Intent::kRestart;
  SetState(State::kRestarting, "restart requested");
  Terminate();
}

void Supervisor::Stop(DoneCallback done) {
  if (!backend_) {
    CancelTimer(backoff_timer_);
    FailWaiters("the backend was stopped");
    last_exit_reason_ = state_ == State::kFailed ? last_exit_reason_ : "stopped on request";
    SetState(State::kStopped, "stopped on request");
    done(Status::Ok());
    return;
  }
  stop_waiters_.push_back(std::move(done));
  if (intent_ == Intent::kStop || intent_ == Intent::kShutdown) return;
  if (intent_ == Intent::kRestart) FailWaiters("a Stop came before the restart finished");
  intent_ = Intent::kStop;
  Terminate();
}

void Supervisor::RevokeAllSessions(CountCallback done) {
  if (intent_ == Intent::kShutdown) {
    done(Status::Busy("hearthd is shutting down"));
    return;
  }
  if (state_ == State::kFailed) {
    done(Status::Internal("the backend has failed (" + last_exit_reason_ +
                          "); sessions cannot be revoked until it runs"));
    return;
  }
  revokes_queued_.push_back(std::move(done));
  if (backend_ && ready_ && intent_ == Intent::kNone) {
    SendQueuedRevokes();
  } else if (state_ == State::kStopped) {
    Start("starting to revoke sessions");
  }
  // Otherwise it is starting, restarting or backing off: sent once a backend is ready.
}

void Supervisor::Shutdown(std::function<void()> done) {
  FailWaiters("hearthd is shutting down");
  auto stops = std::move(stop_waiters_);
  stop_waiters_.clear();
  for (auto& stop : stops) stop(Status::Ok());
  CancelTimer(backoff_timer_);
  if (!backend_) {
    intent_ = Intent::kShutdown;
    SetState(State::kStopped, "stopped with hearthd");
    done();
    return;
  }
  intent_ = Intent::kShutdown;
  shutdown_done_ = std::move(done);
  Terminate();
}

void Supervisor::ScheduleProbe() {
  probe_timer_ = loop_.After(options_.probe_interval, [this] {
    probe_timer_ = 0;
    StartProbe();
  });
}

void Supervisor::StartProbe() {
  if (!backend_) return;
  probe_sequence_ = ++probes_sent_;
  probe_started_ = steady_clock::now();
  Status sent = SendControl(backend_->control_fd(), kPing, std::to_string(probe_sequence_));
  if (!sent.ok()) {
    probe_sequence_ = 0;
    Kill("the backend could not be asked for its health: " + sent.message());
    return;
  }
  probe_deadline_timer_ = loop_.After(options_.probe_deadline, [this] {
    probe_deadline_timer_ = 0;
    probe_sequence_ = 0;
    Kill("the backend did not answer its health check (GET /healthz) within " +
         Seconds(options_.probe_deadline));
  });
}

void Supervisor::OnProbeAnswer(const ControlMessage& message) {
  // PONG=<n>, or UNHEALTHY=<n>:<why>. An answer to an earlier check that timed out is ignored.
  std::string_view value = message.value;
  std::string_view why;
  if (size_t colon = value.find(':'); colon != std::string_view::npos) {
    why = value.substr(colon + 1);
    value = value.substr(0, colon);
  }
  if (probe_sequence_ == 0 || value != std::to_string(probe_sequence_)) return;
  probe_sequence_ = 0;
  CancelTimer(probe_deadline_timer_);
  if (message.name == kUnhealthy) {
    Kill("the backend failed its health check: " + std::string(why));
    return;
  }
  last_probe_latency_us_ =
      duration_cast<microseconds>(steady_clock::now() - probe_started_).count();
  ScheduleProbe();
}

}  // namespace hearth::supervisor
