// SPDX-License-Identifier: Apache-2.0
#include "web/event_hub.h"

#include <algorithm>

namespace hearth::web {

std::shared_ptr<http::EventStream> EventHub::Subscribe() {
  auto stream = std::make_shared<http::EventStream>();
  std::lock_guard lock(mu_);
  if (closed_) {
    stream->Close();
    return stream;
  }
  std::erase_if(streams_, [](const auto& s) { return s->closed(); });
  if (streams_.size() >= kMaxStreams) {
    streams_.front()->Close();
    streams_.erase(streams_.begin());
  }
  streams_.push_back(stream);
  return stream;
}

void EventHub::Broadcast(std::string_view event, std::string_view data) {
  std::lock_guard lock(mu_);
  std::erase_if(streams_, [](const auto& s) { return s->closed(); });
  for (const auto& s : streams_) s->Send(event, data);
}

void EventHub::PingAll() {
  std::lock_guard lock(mu_);
  std::erase_if(streams_, [](const auto& s) { return s->closed(); });
  for (const auto& s : streams_) s->Ping();
}

void EventHub::CloseAll() {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (const auto& s : streams_) s->Close();
  streams_.clear();
}

size_t EventHub::size() const {
  std::lock_guard lock(mu_);
  return streams_.size();
}

}  // namespace hearth::web
