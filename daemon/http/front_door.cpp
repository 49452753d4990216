// SPDX-License-Identifier: Apache-2.0
#include "http/front_door.h"

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <thread>
#include <unordered_map>

#include "base/fd.h"

namespace hearth::http {
namespace {

using Clock = std::chrono::steady_clock;

// How long a refused client has to read Hearth's answer before the socket is closed. Closing
// with unread request bytes would send a reset that can destroy the answer in flight.
constexpr auto kLingerDeadline = std::chrono::seconds(2);

std::string_view StatusText(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Error";
  }
}

}  // namespace

std::string RefusalResponse(
    int status, const std::string& reason,
    const std::vector<std::pair<std::string, std::string>>& common_headers) {
  std::string body = reason + "\n";
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(StatusText(status)) +
                    "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                    std::to_string(body.size()) +
                    "\r\nConnection: close\r\nCache-Control: no-store\r\n";
  for (const auto& [name, value] : common_headers) out += name + ": " + value + "\r\n";
  out += "\r\n";
  out += body;
  return out;
}

struct FrontDoor::Impl {
  struct Pending {
    UniqueFd fd;
    sockaddr_storage addr{};
    socklen_t addrlen = 0;
    Clock::time_point deadline;
    bool lingering = false;  // answered and half-closed; reading what is left until EOF
    bool sent_something = false;
  };

  Options options;
  UniqueFd epoll;
  UniqueFd wake;  // eventfd: Stop()
  std::thread thread;
  bool stopped = false;

  // Touched only by the thread.
  std::unordered_map<int, Pending> pending;
  // Every head deadline is as long as every other, and every linger deadline too, so each queue
  // is in order. Entries whose connection has gone or moved on are skipped.
  std::deque<std::pair<Clock::time_point, int>> head_deadlines;
  std::deque<std::pair<Clock::time_point, int>> linger_deadlines;
  bool accepting = false;
  std::vector<char> buffer;

  void Run();
  void SetAccepting(bool on);
  void Accept();
  void OnReadable(int fd);
  void Refuse(Pending& p, int status, const std::string& reason);
  void Close(int fd);
  int NextTimeoutMs();
  void ExpireDeadlines();
  void Log(const std::string& line) {
    if (!options.log) return;
    try {
      options.log(line);
    } catch (...) {
    }
  }
};

FrontDoor::FrontDoor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FrontDoor::~FrontDoor() { Stop(); }

Result<std::unique_ptr<FrontDoor>> FrontDoor::Start(Options options) {
  if (options.listen_fd < 0 || !options.hand_over) {
    return Status::InvalidArgument("the front door needs a listening socket and a hand-over");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->buffer.resize(impl->options.head_limits.max_head + 1);
  impl->epoll = UniqueFd(epoll_create1(EPOLL_CLOEXEC));
  if (!impl->epoll.valid()) return PosixError("epoll_create1", errno);
  impl->wake = UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!impl->wake.valid()) return PosixError("eventfd", errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = impl->wake.get();
  if (epoll_ctl(impl->epoll.get(), EPOLL_CTL_ADD, impl->wake.get(), &ev) != 0) {
    return PosixError("epoll_ctl", errno);
  }
  impl->SetAccepting(true);
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<FrontDoor>(new FrontDoor(std::move(impl)));
}

void FrontDoor::Stop() {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(s.wake.get(), &one, sizeof one);
  if (s.thread.joinable()) s.thread.join();
  s.pending.clear();  // closes every connection still waiting
}

void FrontDoor::Impl::SetAccepting(bool on) {
  if (on == accepting) return;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = options.listen_fd;
  epoll_ctl(epoll.get(), on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, options.listen_fd, &ev);
  accepting = on;
}

void FrontDoor::Impl::Run() {
  epoll_event events[64];
  for (;;) {
    int n = epoll_wait(epoll.get(), events, 64, NextTimeoutMs());
    if (n < 0) {
      if (errno == EINTR) continue;
      Log(std::string("epoll_wait: ") + std::strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      int fd = events[i].data.fd;
      if (fd == wake.get()) return;
      if (fd == options.listen_fd) {
        Accept();
      } else {
        OnReadable(fd);
      }
    }
    ExpireDeadlines();
    SetAccepting(pending.size() < options.max_pending);
  }
}

void FrontDoor::Impl::Accept() {
  while (pending.size() < options.max_pending) {
    Pending p;
    p.addrlen = sizeof p.addr;
    int fd = accept4(options.listen_fd, reinterpret_cast<sockaddr*>(&p.addr), &p.addrlen,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // EAGAIN: nothing waiting. EMFILE/ENFILE: out of descriptors; the client waits in the
      // kernel's queue until a connection here closes.
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        Log(std::string("accept: ") + std::strerror(errno));
        SetAccepting(false);
      }
      return;
    }
    p.fd = UniqueFd(fd);
    p.deadline = Clock::now() + options.head_deadline;
    // Edge-triggered: peeking leaves the bytes in the socket, so a level-triggered watch would
    // report the same bytes again and again.
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.fd = fd;
    if (epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fd, &ev) != 0) continue;  // closes it
    head_deadlines.emplace_back(p.deadline, fd);
    pending.emplace(fd, std::move(p));
    // The head often arrives with the connection.
    OnReadable(fd);
  }
}

void FrontDoor::Impl::OnReadable(int fd) {
  auto it = pending.find(fd);
  if (it == pending.end()) return;
  Pending& p = it->second;
  if (p.lingering) {
    char sink[4096];
    for (;;) {
      ssize_t n = recv(fd, sink, sizeof sink, 0);
      if (n > 0) continue;
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
      Close(fd);  // EOF or error: the client has what it will read
      return;
    }
  }
  ssize_t n = recv(fd, buffer.data(), buffer.size(), MSG_PEEK);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    Close(fd);
    return;
  }
  if (n == 0) {  // the client left before completing a request
    Close(fd);
    return;
  }
  p.sent_something = true;
  HeadVerdict verdict = CheckRequestHead(std::string_view(buffer.data(), static_cast<size_t>(n)),
                                         options.head_limits);
  switch (verdict.kind) {
    case HeadVerdict::Kind::kIncomplete:
      return;
    case HeadVerdict::Kind::kRejected:
      Refuse(p, verdict.status, verdict.reason);
      return;
    case HeadVerdict::Kind::kAccepted:
      break;
  }
  epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
  Pending taken = std::move(p);
  pending.erase(it);
  try {
    options.hand_over(taken.fd.Release(), reinterpret_cast<const sockaddr*>(&taken.addr),
                      taken.addrlen);
  } catch (...) {
    Log("handing a connection to the server failed");
  }
}

void FrontDoor::Impl::Refuse(Pending& p, int status, const std::string& reason) {
  std::string answer = RefusalResponse(status, reason, options.common_headers);
  // The answer is small and the socket new, so it fits the send buffer; a client that does not
  // read it loses it.
  [[maybe_unused]] ssize_t sent = send(p.fd.get(), answer.data(), answer.size(), MSG_NOSIGNAL);
  shutdown(p.fd.get(), SHUT_WR);
  p.lingering = true;
  p.deadline = Clock::now() + kLingerDeadline;
  linger_deadlines.emplace_back(p.deadline, p.fd.get());
  OnReadable(p.fd.get());  // drain what was peeked
}

void FrontDoor::Impl::Close(int fd) {
  epoll_ctl(epoll.get(), EPOLL_CTL_DEL, fd, nullptr);
  pending.erase(fd);
}

int FrontDoor::Impl::NextTimeoutMs() {
  std::optional<Clock::time_point> next;
  for (auto* queue : {&head_deadlines, &linger_deadlines}) {
    if (!queue->empty() && (!next || queue->front().first < *next)) next = queue->front().first;
  }
  if (!next) return -1;
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(*next - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, wait.count() + 1));
}

void FrontDoor::Impl::ExpireDeadlines() {
  auto now = Clock::now();
  for (auto* queue : {&head_deadlines, &linger_deadlines}) {
    while (!queue->empty() && queue->front().first <= now) {
      auto [when, fd] = queue->front();
      queue->pop_front();
      auto it = pending.find(fd);
      if (it == pending.end() || it->second.deadline != when) continue;
      if (it->second.lingering || !it->second.sent_something) {
        Close(fd);  // an idle connection is closed without a word, as nginx does
      } else {
        Refuse(it->second, 408, "The request did not arrive in time.");
      }
    }
  }
}

}  // namespace hearth::http
