// SPDX-License-Identifier: Apache-2.0
#include <cstring>

#include "http/response.h"

namespace hearth::http {

void EventStream::Send(std::string_view event, std::string_view data, std::string_view id) {
  std::string frame;
  frame.reserve(data.size() + event.size() + 32);
  if (!event.empty()) frame.append("event: ").append(event).append("\n");
  if (!id.empty()) frame.append("id: ").append(id).append("\n");
  // Every line of the payload needs its own "data:" prefix; a bare CR would also end a line.
  size_t start = 0;
  for (;;) {
    size_t end = data.find_first_of("\r\n", start);
    frame.append("data: ").append(data.substr(start, end - start)).append("\n");
    if (end == std::string_view::npos) break;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
  frame.append("\n");
  Append(frame);
}

void EventStream::Ping() { Append(": ping\n\n"); }

void EventStream::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  if (parked_ && wake_) {
    parked_ = false;
    wake_();
  }
}

bool EventStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void EventStream::Append(std::string_view bytes) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  if (buffer_.size() - sent_ + bytes.size() > kMaxBufferedBytes) {
    // The client stopped reading. Ending the stream is better than growing without bound; the
    // browser's EventSource reconnects and the page reloads what it missed.
    buffer_.clear();
    sent_ = 0;
    closed_ = true;
  } else {
    buffer_.append(bytes);
  }
  if (parked_ && wake_) {
    parked_ = false;
    wake_();
  }
}

long EventStream::Pull(char* out, size_t max, const std::function<void()>& suspend) {
  std::lock_guard lock(mu_);
  size_t pending = buffer_.size() - sent_;
  if (pending > 0) {
    size_t n = pending < max ? pending : max;
    std::memcpy(out, buffer_.data() + sent_, n);
    sent_ += n;
    if (sent_ == buffer_.size()) {
      buffer_.clear();
      sent_ = 0;
    }
    return static_cast<long>(n);
  }
  if (closed_) return -1;
  parked_ = true;
  suspend();
  return 0;
}

void EventStream::Attach(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

void EventStream::Detach() {
  std::lock_guard lock(mu_);
  wake_ = nullptr;
  parked_ = false;
  closed_ = true;
}

}  // namespace hearth::http
