// SPDX-License-Identifier: Apache-2.0
#include "agent/elapsed_ticker.h"

namespace hearth::agent {

ElapsedTicker::ElapsedTicker(std::chrono::milliseconds period, std::function<void(int64_t)> tick)
    : period_(period), tick_(std::move(tick)), started_(std::chrono::steady_clock::now()) {
  thread_ = std::thread([this] { Loop(); });
}

void ElapsedTicker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  stopped_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ElapsedTicker::Loop() {
  auto next = started_ + period_;
  std::unique_lock lock(mu_);
  while (!stopped_.wait_until(lock, next, [&] { return stop_; })) {
    lock.unlock();
    auto elapsed = std::chrono::steady_clock::now() - started_;
    tick_(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count());
    lock.lock();
    next += period_;
  }
}

}  // namespace hearth::agent
