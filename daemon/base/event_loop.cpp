// SPDX-License-Identifier: Apache-2.0
#include "base/event_loop.h"

#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace hearth {

Result<std::unique_ptr<EventLoop>> EventLoop::Create() {
  UniqueFd epoll(epoll_create1(EPOLL_CLOEXEC));
  if (!epoll.valid()) return PosixError("epoll_create1", errno);
  UniqueFd timer(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
  if (!timer.valid()) return PosixError("timerfd_create", errno);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = timer.get();
  if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, timer.get(), &event) != 0) {
    return PosixError("epoll_ctl", errno);
  }
  return std::unique_ptr<EventLoop>(new EventLoop(std::move(epoll), std::move(timer)));
}

EventLoop::EventLoop(UniqueFd epoll, UniqueFd timer)
    : epoll_(std::move(epoll)), timer_fd_(std::move(timer)) {}

Status EventLoop::Watch(int fd, uint32_t events, FdCallback callback) {
  epoll_event event{};
  event.events = events;
  event.data.fd = fd;
  auto it = watches_.find(fd);
  int op = it == watches_.end() ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (epoll_ctl(epoll_.get(), op, fd, &event) != 0) return PosixError("epoll_ctl", errno);
  // A new callback object, so a callback that re-watches its own fd is not destroyed while it
  // runs (RunOnce holds a reference).
  watches_[fd] = std::make_shared<FdCallback>(std::move(callback));
  return Status::Ok();
}

void EventLoop::Unwatch(int fd) {
  if (watches_.erase(fd) > 0) epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
}

EventLoop::TimerId EventLoop::At(TimePoint when, TimerCallback callback) {
  TimerId id = next_timer_++;
  timers_.emplace(std::make_pair(when, id), std::move(callback));
  timer_index_.emplace(id, when);
  return id;
}

void EventLoop::Cancel(TimerId id) {
  auto it = timer_index_.find(id);
  if (it == timer_index_.end()) return;
  timers_.erase(std::make_pair(it->second, id));
  timer_index_.erase(it);
}

void EventLoop::ArmTimerFd(std::optional<TimePoint> deadline) {
  std::optional<TimePoint> next = deadline;
  if (!timers_.empty()) {
    TimePoint first = timers_.begin()->first.first;
    if (!next || first < *next) next = first;
  }
  itimerspec spec{};
  if (next) {
    // steady_clock is CLOCK_MONOTONIC on Linux.
    auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(next->time_since_epoch()).count();
    if (ns <= 0) ns = 1;  // zero would disarm
    spec.it_value.tv_sec = ns / 1'000'000'000;
    spec.it_value.tv_nsec = ns % 1'000'000'000;
  }
  timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

bool EventLoop::RunDueTimers() {
  TimePoint now = std::chrono::steady_clock::now();
  bool ran = false;
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    auto node = timers_.extract(timers_.begin());
    timer_index_.erase(node.key().second);
    node.mapped()();
    ran = true;
  }
  return ran;
}

Status EventLoop::RunOnce(std::optional<TimePoint> deadline) {
  // A timer that was already due counts as this turn's event: poll the fds without blocking, so
  // the caller acts on what the timer changed now rather than at the next event.
  bool ran = RunDueTimers();
  ArmTimerFd(deadline);
  epoll_event events[16];
  int n = epoll_wait(epoll_.get(), events, 16, ran ? 0 : -1);
  if (n < 0) {
    if (errno == EINTR) return Status::Ok();
    return PosixError("epoll_wait", errno);
  }
  for (int i = 0; i < n; ++i) {
    int fd = events[i].data.fd;
    if (fd == timer_fd_.get()) {
      uint64_t expirations;
      [[maybe_unused]] ssize_t r = read(fd, &expirations, sizeof expirations);
      continue;
    }
    auto it = watches_.find(fd);
    if (it == watches_.end()) continue;  // unwatched by an earlier callback in this round
    std::shared_ptr<FdCallback> callback = it->second;
    (*callback)(events[i].events);
  }
  RunDueTimers();
  return Status::Ok();
}

}  // namespace hearth
