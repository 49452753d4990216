// SPDX-License-Identifier: Apache-2.0
// Supervisor: keeps one backend process serving on the shared listening socket.
//
// It starts the backend, watches it through its pidfd (a crash is seen at once) and with a
// health check every few seconds over the control channel (a hang is seen too; the backend
// answers after a GET /healthz to its own server over a private connection, so clients holding
// every public connection cannot make a healthy backend look hung), and replaces it when either
// fails: the first time at once, then with exponential backoff, and after too many failures in a
// window it gives up (state failed) until asked again. Restart and Stop drain the backend: SIGTERM,
// which makes it finish the requests in flight, then SIGKILL at a deadline. Everything runs on one
// EventLoop; callbacks passed in are called on it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/event_loop.h"
#include "base/status.h"
#include "supervisor/backend_process.h"
#include "supervisor/control_channel.h"

namespace hearth::supervisor {

enum class State { kStarting, kRunning, kRestarting, kBackingOff, kFailed, kStopped };

// "starting", "running", "restarting", "backing-off", "failed", "stopped".
std::string_view StateName(State state);

struct SupervisorOptions {
  SpawnOptions spawn;
  uint16_t port = 0;
  std::chrono::milliseconds probe_interval{3000};
  std::chrono::milliseconds probe_deadline{2000};
  std::chrono::milliseconds ready_deadline{15000};  // from start to READY
  std::chrono::milliseconds drain_deadline{7000};   // from SIGTERM to SIGKILL
  std::chrono::milliseconds backoff_first{100};     // the first restart after a crash is at once
  std::chrono::milliseconds backoff_max{5000};
  size_t restart_limit = 5;  // failures within restart_window that are still restarted
  std::chrono::milliseconds restart_window{60000};
};

struct Snapshot {
  State state = State::kStopped;
  pid_t backend_pid = 0;
  uint16_t port = 0;
  int64_t backend_uptime_ms = 0;  // since it became ready; 0 when not running
  int64_t supervisor_uptime_ms = 0;
  uint32_t restarts = 0;
  std::string last_exit_reason;
  int64_t last_probe_latency_us = 0;
  // What the backend found when it checked its database: "ok", "unchecked", or "damaged: ..."
  // (DATABASE on the control channel); empty before it said.
  std::string database;
};

class Supervisor {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void OnStateChanged(State state, const std::string& reason) = 0;
    // `status` is the exit code, or minus the signal that killed it.
    virtual void OnBackendExited(pid_t pid, int status, const std::string& reason) = 0;
  };

  using PidCallback = std::function<void(Result<pid_t>)>;
  using DoneCallback = std::function<void(Status)>;
  using CountCallback = std::function<void(Result<int64_t>)>;

  Supervisor(EventLoop& loop, SupervisorOptions options, Observer* observer);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Starts the backend if it is stopped or has failed (forgetting earlier failures).
  void Start(const std::string& reason);
  // Drains and replaces the backend (or starts one); `done` gets the new pid once it serves.
  void Restart(PidCallback done);
  // Drains and stops the backend; it stays stopped until Start or Restart.
  void Stop(DoneCallback done);
  // Asks the backend to end every session, starting it first if it is stopped.
  void RevokeAllSessions(CountCallback done);
  // Stops the backend for good (SIGTERM of hearthd); `done` runs once it has exited.
  void Shutdown(std::function<void()> done);

  State state() const { return state_; }
  Snapshot snapshot() const;

 private:
  enum class Intent { kNone, kRestart, kStop, kShutdown };
  using SteadyTime = std::chrono::steady_clock::time_point;

  void Spawn(const std::string& reason);
  void SetState(State state, const std::string& reason);
  void OnControl();
  void OnReady();
  void OnExit();
  void AfterFailure(const std::string& reason, bool cannot_start);
  void Fail(const std::string& reason);
  void Terminate();
  void Kill(const std::string& reason);
  void ScheduleProbe();
  void StartProbe();
  void OnProbeAnswer(const ControlMessage& message);
  void CancelTimer(EventLoop::TimerId& id);
  // Cancels every timer and the probe that belong to one backend's life.
  void ForgetBackendTimers();
  void FailWaiters(const std::string& why);
  void SendQueuedRevokes();

  EventLoop& loop_;
  SupervisorOptions options_;
  Observer* observer_;
  SteadyTime created_;

  State state_ = State::kStopped;
  std::unique_ptr<BackendProcess> backend_;
  bool ready_ = false;
  SteadyTime ready_at_{};
  Intent intent_ = Intent::kNone;
  std::string kill_reason_;     // why we killed the backend, if we did
  std::string backend_status_;  // the last STATUS the backend sent
  std::string database_;        // the last DATABASE the backend sent
  uint32_t restarts_ = 0;
  std::string last_exit_reason_;
  int64_t last_probe_latency_us_ = 0;
  std::deque<SteadyTime> failures_;

  uint64_t probes_sent_ = 0;
  uint64_t probe_sequence_ = 0;  // the PING awaiting its answer, 0 when none
  SteadyTime probe_started_{};
  EventLoop::TimerId probe_timer_ = 0;
  EventLoop::TimerId probe_deadline_timer_ = 0;
  EventLoop::TimerId ready_timer_ = 0;
  EventLoop::TimerId kill_timer_ = 0;
  EventLoop::TimerId backoff_timer_ = 0;

  std::vector<PidCallback> restart_waiters_;
  std::vector<DoneCallback> stop_waiters_;
  std::vector<CountCallback> revokes_queued_;  // waiting for a ready backend
  std::deque<CountCallback> revokes_sent_;     // answered in order by REVOKED
  std::function<void()> shutdown_done_;
};

}  // namespace hearth::supervisor
