// SPDX-License-Identifier: Apache-2.0
// A run's live stream (GET /c/ID/live) for the agent's integration tests.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/fd.h"
#include "harness.h"

namespace hearth::testing {

// A run's live stream (GET /c/ID/live), read as it arrives, without the chunked framing: a chunk
// boundary can fall anywhere in an event, and must not hide what a test looks for.
class LiveStream {
 public:
  LiveStream(uint16_t port, const std::string& host, const std::string& cookie,
             const std::string& conversation_id) {
    fd_ = Connect(port);
    if (!fd_.valid()) return;
    std::string request = "GET /c/" + conversation_id + "/live HTTP/1.1\r\nHost: " + host +
                          "\r\nAccept: text/event-stream\r\nCookie: " + cookie + "\r\n\r\n";
    if (send(fd_.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
      fd_.Reset();
      return;
    }
    auto deadline = Clock::now() + kDeadline;
    while (status_ == 0 && ReadSome(deadline)) {
    }
  }

  int status() const { return status_; }
  // The event-stream text received so far.
  const std::string& text() const { return text_; }

  // Reads until `needle` appears or the deadline passes.
  bool WaitFor(const std::string& needle, std::chrono::milliseconds timeout = kDeadline) {
    auto deadline = Clock::now() + timeout;
    while (text_.find(needle) == std::string::npos) {
      if (!ReadSome(deadline)) return text_.find(needle) != std::string::npos;
    }
    return true;
  }
  // Reads until the server ends the response; true if it did before the deadline.
  bool WaitClosed(std::chrono::milliseconds timeout = kDeadline) {
    auto deadline = Clock::now() + timeout;
    while (!closed_ && ReadSome(deadline)) {
    }
    return closed_;
  }

 private:
  bool ReadSome(Clock::time_point deadline) {
    if (closed_ || !fd_.valid()) return false;
    pollfd pfd = {fd_.get(), POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (poll(&pfd, 1, left.count() < 0 ? 0 : static_cast<int>(left.count())) <= 0) return false;
    char buf[16384];
    ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    raw_.append(buf, static_cast<size_t>(n));
    Decode();
    return true;
  }

  void Decode() {
    if (status_ == 0) {
      size_t end = raw_.find("\r\n\r\n");
      if (end == std::string::npos) return;
      std::string head = raw_.substr(0, end);
      if (head.size() >= 12) status_ = std::atoi(head.c_str() + 9);
      std::transform(head.begin(), head.end(), head.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      chunked_ = head.find("transfer-encoding: chunked") != std::string::npos;
      raw_.erase(0, end + 4);
    }
    if (!chunked_) {
      text_ += raw_;
      raw_.clear();
      return;
    }
    for (;;) {
      size_t eol = raw_.find("\r\n");
      if (eol == std::string::npos) return;
      size_t size = std::strtoul(raw_.substr(0, eol).c_str(), nullptr, 16);
      if (raw_.size() < eol + 2 + size + 2) return;
      text_.append(raw_, eol + 2, size);
      raw_.erase(0, eol + 2 + size + 2);
      if (size == 0) {
        closed_ = true;  // the last chunk: the response is complete (the connection may stay)
        return;
      }
    }
  }

  UniqueFd fd_;
  int status_ = 0;
  bool chunked_ = false;
  bool closed_ = false;
  std::string raw_;  // received, not yet decoded
  std::string text_;
};

}  // namespace hearth::testing
