// SPDX-License-Identifier: Apache-2.0
// agent/elapsed_ticker: tells, every period, how long something has been going on, so that a
// page can show the model is working while its answer cannot stream.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

namespace hearth::agent {

// Calls `tick(elapsed_ms)` on a thread of its own once per `period` from construction, until
// Stop(). Once Stop() has returned no tick is running or will run, so the caller may then change
// what `tick` reads. Stop() may be called more than once; the destructor calls it. Not to be
// called from `tick` itself.
class ElapsedTicker {
 public:
  ElapsedTicker(std::chrono::milliseconds period, std::function<void(int64_t)> tick);
  ~ElapsedTicker() { Stop(); }
  ElapsedTicker(const ElapsedTicker&) = delete;
  ElapsedTicker& operator=(const ElapsedTicker&) = delete;

  void Stop();

 private:
  void Loop();

  const std::chrono::milliseconds period_;
  const std::function<void(int64_t)> tick_;
  const std::chrono::steady_clock::time_point started_;
  std::mutex mu_;
  std::condition_variable stopped_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hearth::agent
