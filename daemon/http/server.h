#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "http/request.h"
#include "http/response.h"

namespace hearth::http {

// Answers requests. Called concurrently from the server's threads, so implementations must be
// thread-safe. An exception that escapes is caught by the server and answered with a 500.
class Handler {
 public:
  virtual ~Handler() = default;
  virtual Response Handle(const Request& request) = 0;
};

// Bounds on everything a client controls at the HTTP layer.
struct Limits {
  size_t max_body_bytes = 1024 * 1024;
  // libmicrohttpd's per-connection memory: the request line and headers must fit (else 431/414).
  size_t max_header_bytes = 32 * 1024;
  unsigned max_connections = 512;
  unsigned idle_timeout_seconds = 60;  // keep-alive and slow clients; SSE streams are exempt
  unsigned threads = 2;
};

// A libmicrohttpd server in an epoll thread pool on a socket the caller already listens on.
// The socket is borrowed, never closed or shut down by the server (MHD_USE_ITC), so the same
// socket can outlive it: systemd's, or a supervisor's that hands it to the next backend.
class Server {
 public:
  struct Options {
    int listen_fd = -1;
    Handler* handler = nullptr;  // not owned; must outlive the server
    Limits limits;
    // Added to every response this server builds (security headers, for instance).
    std::vector<std::pair<std::string, std::string>> common_headers;
    // Where libmicrohttpd's own diagnostics go; may be empty.
    std::function<void(const std::string&)> log;
  };

  static Result<std::unique_ptr<Server>> Start(Options options);
  ~Server();  // Stop(0) if Stop was not called
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Stops accepting new connections, ends every event stream, waits up to `grace` for requests in
  // flight to finish, then closes every connection. Idempotent. Returns the number of requests
  // that were still in flight when the grace period ran out.
  size_t Stop(std::chrono::milliseconds grace);

  // Requests between their first byte and their completion, streams included.
  size_t in_flight() const;

  struct Impl;  // libmicrohttpd state, private to server.cpp

 private:
  explicit Server(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::http
