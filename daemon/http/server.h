// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/fd.h"
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
  // The request line and header fields of one request (else 414 or 431, written by the front
  // door). libmicrohttpd gets twice this per connection, so it never writes those answers itself.
  size_t max_header_bytes = 32 * 1024;
  // Connections with a request under way or kept alive, and connections still sending their first
  // request's head (the front door's): each is one file descriptor, see SuggestedLimits().
  unsigned max_connections = 512;
  unsigned max_pending = 512;
  unsigned head_deadline_seconds = 10;  // from accept to the first request's complete head
  unsigned idle_timeout_seconds = 60;   // keep-alive and slow clients; SSE streams are exempt
  unsigned threads = 2;
};

// Limits sized to the process's file descriptor limit (RLIMIT_NOFILE soft), which the caller may
// first raise to the hard limit: up to 4,096 connections and 4,096 waiting heads, with room left
// for the database, the agent's children and libraries.
Limits SuggestedLimits(uint64_t open_files);

// A libmicrohttpd server in an epoll thread pool, fed by a FrontDoor that accepts on a socket the
// caller already listens on. The socket is borrowed, never closed or shut down by the server, so
// the same socket can outlive it: systemd's, or a supervisor's that hands it to the next backend.
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

  // A connection to this server that bypasses the listening socket and the front door (one end of
  // a socket pair; the server has the other): for the backend's health check, which must work
  // while every public slot is taken. Two connections are reserved for it.
  Result<UniqueFd> ConnectPrivately();

  struct Impl;  // libmicrohttpd state, private to server.cpp

 private:
  explicit Server(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::http
