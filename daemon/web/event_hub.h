// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "http/response.h"

namespace hearth::web {

// Fans live updates out to every open page (one Server-Sent Events stream each), so a change in
// one window shows in the others. Thread-safe. Streams whose client went away are dropped on the
// next broadcast. The number of streams is bounded; the oldest is ended to make room.
class EventHub {
 public:
  static constexpr size_t kMaxStreams = 64;

  std::shared_ptr<http::EventStream> Subscribe();
  void Broadcast(std::string_view event, std::string_view data);
  void PingAll();   // called periodically by the daemon's loop
  void CloseAll();  // at shutdown: ends every stream and refuses new ones
  size_t size() const;

 private:
  mutable std::mutex mu_;
  // guarded by mu_
  std::vector<std::shared_ptr<http::EventStream>> streams_;
  bool closed_ = false;
};

}  // namespace hearth::web
