// SPDX-License-Identifier: Apache-2.0
// EventLoop: one thread waiting on file descriptors and deadlines with epoll and a timerfd.
//
// Callbacks run on the loop's thread, one at a time. A callback may watch or unwatch any fd,
// including its own, and add or cancel timers.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "base/fd.h"
#include "base/status.h"

namespace hearth {

class EventLoop {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  using FdCallback = std::function<void(uint32_t events)>;  // EPOLLIN, EPOLLOUT, EPOLLHUP...
  using TimerCallback = std::function<void()>;
  using TimerId = uint64_t;

  static Result<std::unique_ptr<EventLoop>> Create();

  // Starts watching `fd` for `events`, or changes the events and callback of a watched fd.
  Status Watch(int fd, uint32_t events, FdCallback callback);
  void Unwatch(int fd);

  // Runs `callback` once at `when` (at once if it has passed). Ids are never reused.
  TimerId At(TimePoint when, TimerCallback callback);
  TimerId After(std::chrono::milliseconds delay, TimerCallback callback) {
    return At(std::chrono::steady_clock::now() + delay, std::move(callback));
  }
  // Cancels a timer that has not run yet; does nothing otherwise. Id 0 is never a timer.
  void Cancel(TimerId id);

  // Waits until an fd is ready, a timer is due or `deadline` passes, and runs what is due.
  Status RunOnce(std::optional<TimePoint> deadline = std::nullopt);

 private:
  EventLoop(UniqueFd epoll, UniqueFd timer);
  void ArmTimerFd(std::optional<TimePoint> deadline);
  bool RunDueTimers();  // true if it ran any

  UniqueFd epoll_;
  UniqueFd timer_fd_;
  std::map<int, std::shared_ptr<FdCallback>> watches_;
  std::map<std::pair<TimePoint, TimerId>, TimerCallback> timers_;
  std::map<TimerId, TimePoint> timer_index_;
  TimerId next_timer_ = 1;
};

}  // namespace hearth
