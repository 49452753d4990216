// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::http {

class EventStream;

// What a handler answers. Exactly one of `body`, `static_body` or `stream` carries the content.
// The server adds the security headers every response must carry (see server.h).
struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  // Bytes that live as long as the process (embedded assets): sent without a copy.
  std::string_view static_body;
  // A Server-Sent Events stream: the connection stays open and receives what is pushed into it.
  std::shared_ptr<EventStream> stream;
  std::vector<std::pair<std::string, std::string>> headers;

  Response& Header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  static Response Html(int status, std::string html) {
    Response r;
    r.status = status;
    r.body = std::move(html);
    return r;
  }
  static Response Text(int status, std::string text) {
    Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(text);
    return r;
  }
  static Response Redirect(std::string location) {
    Response r;
    r.status = 303;
    r.content_type = "text/plain; charset=utf-8";
    r.Header("Location", std::move(location));
    return r;
  }
};

// The producer side of one Server-Sent Events connection. Thread-safe: any thread may push; the
// server's connection thread drains. Pushed bytes are buffered up to a cap; a client that does
// not read and lets the buffer overflow is disconnected rather than letting memory grow.
class EventStream {
 public:
  static constexpr size_t kMaxBufferedBytes = 1 << 20;

  // Queues one event. `data` may span lines; each becomes a "data:" line.
  void Send(std::string_view event, std::string_view data, std::string_view id = {});
  // Queues an SSE comment (": ...") that keeps proxies and dead-peer detection honest.
  void Ping();
  // Ends the stream after what is already queued has been sent.
  void Close();
  // True once the client went away or the stream was closed; producers may drop it.
  bool closed() const;

  // --- server side ---
  // Called on the connection's thread when it can send. Moves up to `max` queued bytes into
  // `out` and returns their count; returns -1 once the stream has ended and everything queued was
  // sent. With nothing queued it calls `suspend` (which must park the connection) under the
  // stream's lock, so a concurrent push cannot slip between the check and the suspension, and
  // returns 0.
  long Pull(char* out, size_t max, const std::function<void()>& suspend);
  // `wake` resumes a parked connection. It is called under the stream's lock, at most once per
  // suspension. Detach() drops it when the connection is gone.
  void Attach(std::function<void()> wake);
  void Detach();

 private:
  void Append(std::string_view bytes);

  mutable std::mutex mu_;
  // guarded by mu_
  std::string buffer_;
  size_t sent_ = 0;  // bytes of buffer_ already drained
  bool closed_ = false;
  bool parked_ = false;
  std::function<void()> wake_;
};

}  // namespace hearth::http
