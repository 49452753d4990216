// SPDX-License-Identifier: Apache-2.0
// The agent benchmark (bench/run_agent.sh drives it): what Hearth adds between a model server
// streaming an answer and the page that shows it, what an answer in progress costs in memory, and
// how fast Stop reaches the model server. Every figure sits beside a reference measured in the
// same run, because the machine is shared: read the ratios.
//
//   hearth_agent_bench [--json PATH] [--chunks N] [--interval-ms N] [--streams N] [--rounds N]
//                      [--stops N] [--hold N] HEARTHD
//
// The program runs its own model server (an OpenAI-compatible `POST /v1/chat/completions`
// answering Server-Sent Events) on a thread, starts HEARTHD --no-bus in a private temporary
// directory configured to use it, signs in as a user does (`hearthd --login-url`, then the URL),
// and drives conversations through the same HTTP requests the page sends.
//
// 1. Latency. Each chunk the model server sends carries a unique marker word (w00042) and its
//    CLOCK_MONOTONIC send time is recorded; the bench reads the conversation's live stream
//    (`GET /c/ID/live`) on raw sockets and timestamps the first `update` event that contains each
//    marker. chunk -> page = that time minus the send time. With 1 stream, then with --streams
//    conversations answered at once (as many as Hearth accepts). Reference: the same server
//    streamed straight to a bench socket (send -> recv over loopback, parsed by the same code),
//    with as many streams at once, in a round of its own after each Hearth round; and the canary,
//    one such direct stream running beside every Hearth round, which tells a stall of the machine
//    (it sees it too) from one of Hearth's. Added by Hearth = Hearth's percentile minus the
//    quieter of the two references' (on a busy machine either can catch a stall the other missed).
// 2. Memory. PSS of the backend (the supervisor's child) idle, then with --streams answers held
//    open mid-answer (the model server stops sending after --hold chunks); per active stream =
//    (with - idle) / streams answered. Reference: the idle backend itself.
// 3. Stop. With an answer held open, `POST /c/ID/stop` -> the model server sees its connection
//    closed. Reference: a client closing its own socket to the same server -> the server sees it.
//
// Prints a table and writes JSON (default: bench/agent_bench.json next to HEARTHD). Not a test:
// fails only when it cannot measure.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "base/fd.h"

extern char** environ;

namespace hearth::bench {
namespace {

constexpr int64_t kMs = 1'000'000;  // in ns
constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kStartDeadline = 15 * kSec;
constexpr int64_t kRequestDeadline = 10 * kSec;
constexpr int64_t kStopDeadline = 10 * kSec;
constexpr int64_t kHoldDeadline = 60 * kSec;  // a held answer ends by itself after this
constexpr int64_t kLeadIn = 30 * kMs;         // from "go" to the first chunk
constexpr int64_t kAfterLastChunk = 20 * kSec;
constexpr int kParagraphChunks = 25;  // a blank line every so many chunks, as prose has
constexpr std::string_view kTagPrefix = "bench-tag-";

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kSec + ts.tv_nsec;
}

int RemainingMs(int64_t deadline) {
  int64_t left = deadline - NowNs();
  return left <= 0 ? 0 : static_cast<int>((left + kMs - 1) / kMs);
}

double ToMs(int64_t ns) { return static_cast<double>(ns) / kMs; }

// What Die() must clean up: set by the main thread before other threads exist, or atomically.
std::atomic<pid_t> g_hearthd{0};
std::string g_root;

std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> out;
  std::string path = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children";
  if (FILE* f = std::fopen(path.c_str(), "r")) {
    int child = 0;
    while (std::fscanf(f, "%d", &child) == 1) out.push_back(child);
    std::fclose(f);
  }
  return out;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "hearth_agent_bench: %s\n", what.c_str());
  if (pid_t pid = g_hearthd.exchange(0); pid > 0) {
    for (pid_t child : ChildrenOf(pid)) kill(child, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  if (!g_root.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(g_root, ec);
  }
  std::fflush(nullptr);
  _exit(1);  // other threads are still running: no static destructors
}

[[noreturn]] void DieErrno(const std::string& what) { Die(what + ": " + std::strerror(errno)); }

// The daemon's own fd owner (header-only: the bench links nothing of Hearth's).
using Fd = hearth::UniqueFd;

// --- statistics ------------------------------------------------------------------------------

struct Stats {
  double p50 = 0, p90 = 0, p99 = 0, max = 0, mean = 0;
  size_t n = 0;
};

// Nearest-rank percentiles.
Stats Summarize(std::vector<double> v) {
  Stats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto rank = [&](double q) {
    size_t i = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::clamp<size_t>(i, 1, v.size()) - 1];
  };
  s.p50 = rank(0.5);
  s.p90 = rank(0.9);
  s.p99 = rank(0.99);
  s.max = v.back();
  double sum = 0;
  for (double x : v) sum += x;
  s.mean = sum / static_cast<double>(v.size());
  return s;
}

std::string Fmt(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Fmt(const char* format, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, format);
  std::vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  return buf;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += Fmt("\\u%04x", c);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string JsonStats(const Stats& s) {
  return Fmt(
      "{\"p50_ms\":%.4f,\"p90_ms\":%.4f,\"p99_ms\":%.4f,\"max_ms\":%.4f,\"mean_ms\":%.4f,"
      "\"n\":%zu}",
      s.p50, s.p90, s.p99, s.max, s.mean, s.n);
}

std::string JsonArray(const std::vector<double>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += Fmt("%s%.4f", i ? "," : "", v[i]);
  return out + "]";
}

// --- sockets and HTTP ------------------------------------------------------------------------

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  return addr;
}

void NoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Fd Connect(uint16_t port) {
  Fd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) DieErrno("socket");
  sockaddr_in addr = Loopback(port);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    DieErrno("connect to 127.0.0.1:" + std::to_string(port));
  }
  NoDelay(fd.get());  // as browsers do
  return fd;
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// A header's value from an HTTP head (case-insensitive name), or "".
std::string HeaderValue(std::string_view head, std::string_view name) {
  size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    std::string_view line = head.substr(start, end - start);
    size_t colon = line.find(':');
    if (colon == name.size() &&
        std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) ==
                 std::tolower(static_cast<unsigned char>(b));
        })) {
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      return std::string(value);
    }
    pos = end;
  }
  return "";
}

int StatusOf(std::string_view head) {
  if (head.size() < 12 || !head.starts_with("HTTP/1.")) return 0;
  return std::atoi(std::string(head.substr(9, 3)).c_str());
}

struct HttpResponse {
  int status = 0;
  std::string head;
  std::string body;
};

// Reads a whole response (the request said Connection: close) from `fd`.
HttpResponse ReadResponse(int fd, int64_t deadline, const std::string& what) {
  std::string all;
  char buf[16384];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int r = poll(&p, 1, RemainingMs(deadline));
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) Die("no complete answer to " + what + " in time");
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) DieErrno("reading the answer to " + what);
    if (n == 0) break;
    all.append(buf, static_cast<size_t>(n));
  }
  size_t end = all.find("\r\n\r\n");
  if (end == std::string::npos) Die("malformed answer to " + what);
  HttpResponse response;
  response.head = all.substr(0, end + 2);
  response.body = all.substr(end + 4);
  response.status = StatusOf(response.head);
  return response;
}

HttpResponse Exchange(uint16_t port, const std::string& request, const std::string& what) {
  Fd fd = Connect(port);
  if (!SendAll(fd.get(), request)) DieErrno("sending " + what);
  return ReadResponse(fd.get(), NowNs() + kRequestDeadline, what);
}

// Decodes `Transfer-Encoding: chunked`.
class ChunkedDecoder {
 public:
  // Appends the body bytes in `in` to `out`; false on a malformed stream.
  bool Feed(std::string_view in, std::string& out) {
    buf_.append(in);
    size_t pos = 0;
    for (;;) {
      if (state_ == State::kSize) {
        size_t eol = buf_.find("\r\n", pos);
        if (eol == std::string::npos) break;
        char* end = nullptr;
        std::string line = buf_.substr(pos, eol - pos);
        unsigned long size = std::strtoul(line.c_str(), &end, 16);
        if (end == line.c_str()) return false;
        pos = eol + 2;
        left_ = size;
        state_ = size == 0 ? State::kDone : State::kData;
      } else if (state_ == State::kData) {
        size_t n = std::min(left_, buf_.size() - pos);
        out.append(buf_, pos, n);
        pos += n;
        left_ -= n;
        if (left_ > 0) break;
        state_ = State::kCrlf;
      } else if (state_ == State::kCrlf) {
        if (buf_.size() - pos < 2) break;
        if (buf_.compare(pos, 2, "\r\n") != 0) return false;
        pos += 2;
        state_ = State::kSize;
      } else {
        pos = buf_.size();  // the trailer: ignored
        break;
      }
    }
    buf_.erase(0, pos);
    return true;
  }

 private:
  enum class State { kSize, kData, kCrlf, kDone };
  State state_ = State::kSize;
  size_t left_ = 0;
  std::string buf_;
};

struct SseEvent {
  std::string type;  // "" for the default "message" type
  std::string data;
};

// Splits a Server-Sent Events byte stream into events.
class SseParser {
 public:
  void Feed(std::string_view bytes, std::vector<SseEvent>& out) {
    buf_.append(bytes);
    size_t pos = 0;
    for (size_t eol; (eol = buf_.find('\n', pos)) != std::string::npos; pos = eol + 1) {
      std::string_view line(buf_.data() + pos, eol - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) {
        if (has_data_ || !current_.type.empty()) out.push_back(std::move(current_));
        current_ = {};
        has_data_ = false;
      } else if (line.starts_with("event:")) {
        current_.type = Value(line.substr(6));
      } else if (line.starts_with("data:")) {
        if (has_data_) current_.data += '\n';
        current_.data += Value(line.substr(5));
        has_data_ = true;
      }  // comments (": ping") and other fields: ignored
    }
    buf_.erase(0, pos);
  }

 private:
  static std::string_view Value(std::string_view v) {
    if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return v;
  }
  std::string buf_;
  SseEvent current_;
  bool has_data_ = false;
};

// Calls `found(k)` for each marker word "wNNNNN" in `text`.
template <typename F>
void ScanMarkers(std::string_view text, F&& found) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  for (size_t i = text.find('w'); i != std::string_view::npos; i = text.find('w', i + 1)) {
    if (i + 6 > text.size()) break;
    if (i > 0 && alnum(text[i - 1])) continue;
    if (i + 6 < text.size() && alnum(text[i + 6])) continue;
    int k = 0;
    bool digits = true;
    for (size_t j = i + 1; j < i + 6 && digits; ++j) {
      digits = text[j] >= '0' && text[j] <= '9';
      k = k * 10 + (text[j] - '0');
    }
    if (digits) found(k);
  }
}

// --- the model server ------------------------------------------------------------------------

// What the model server does with the request whose user message carries a tag.
struct Plan {
  int chunks = 0;           // content chunks to send, one marker each
  int64_t interval_ns = 0;  // between chunks
  bool hold = false;        // after the chunks: keep the stream open, send nothing more
};

struct UpstreamResult {
  std::vector<int64_t> sent_ns;  // per chunk: CLOCK_MONOTONIC just before send()
  int64_t closed_ns = 0;         // held: when the client's close was seen
  std::string error;
};

// An OpenAI-compatible streaming model server on 127.0.0.1:0. Each request is matched to a plan
// by the tag in its body; the response headers go out at once, the chunks only after Go().
// Thread-safe.
class Upstream {
 public:
  Upstream() {
    listen_ = Fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr = Loopback(0);
    if (!listen_.valid() || bind(listen_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) ||
        listen(listen_.get(), SOMAXCONN)) {
      DieErrno("model server: bind 127.0.0.1:0");
    }
    socklen_t len = sizeof addr;
    getsockname(listen_.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    wake_ = Fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!wake_.valid()) DieErrno("eventfd");
    accept_thread_ = std::thread([this] { AcceptLoop(); });
  }
  ~Upstream() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_.get(), &one, sizeof one);
    accept_thread_.join();
    for (auto& w : workers_) w.thread.join();
  }
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  uint16_t port() const { return port_; }

  int Expect(Plan plan) {
    std::lock_guard lock(mu_);
    int tag = next_tag_++;
    slots_[tag].plan = plan;
    return tag;
  }
  void Forget(int tag) {
    std::lock_guard lock(mu_);
    slots_.erase(tag);
  }
  // Waits until every tag's request has arrived.
  void WaitConnected(const std::vector<int>& tags, int64_t deadline, const char* what) {
    std::unique_lock lock(mu_);
    for (int tag : tags) {
      if (!cv_.wait_for(lock, std::chrono::nanoseconds(deadline - NowNs()),
                        [&] { return slots_.at(tag).connected; })) {
        Die(std::string("the model server got no request for ") + what + " in time");
      }
    }
  }
  // The first chunk of tags[i] goes out at start_ns + i * stagger_ns.
  void Go(const std::vector<int>& tags, int64_t start_ns, int64_t stagger_ns) {
    {
      std::lock_guard lock(mu_);
      for (size_t i = 0; i < tags.size(); ++i) {
        slots_.at(tags[i]).start_ns = start_ns + static_cast<int64_t>(i) * stagger_ns;
      }
    }
    cv_.notify_all();
  }
  // Waits until the exchange for `tag` is over (all sent, or the held stream was closed).
  UpstreamResult Wait(int tag, int64_t deadline, const char* what) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::nanoseconds(deadline - NowNs()),
                      [&] { return slots_.at(tag).done; })) {
      Die(std::string("the model server's exchange for ") + what + " did not end in time");
    }
    UpstreamResult result = std::move(slots_.at(tag).result);
    slots_.erase(tag);
    return result;
  }

 private:
  struct Slot {
    Plan plan;
    bool connected = false;
    int64_t start_ns = 0;
    bool done = false;
    UpstreamResult result;
  };
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> finished;
  };

  void AcceptLoop() {
    for (;;) {
      pollfd fds[2] = {{listen_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        DieErrno("model server: poll");
      }
      if (fds[1].revents) return;
      Fd conn(accept4(listen_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn.valid()) continue;
      NoDelay(conn.get());
      // Threads whose exchange ended are joined here, so they do not pile up.
      std::erase_if(workers_, [](Worker& w) {
        if (!w.finished->load()) return false;
        w.thread.join();
        return true;
      });
      auto finished = std::make_shared<std::atomic<bool>>(false);
      workers_.push_back(Worker{std::thread([this, finished, c = std::move(conn)]() mutable {
                                  Serve(std::move(c));
                                  finished->store(true);
                                }),
                                finished});
    }
  }

  void Finish(int tag, UpstreamResult result) {
    {
      std::lock_guard lock(mu_);
      Slot& slot = slots_.at(tag);
      slot.result = std::move(result);
      slot.done = true;
    }
    cv_.notify_all();
  }

  void Serve(Fd conn) {
    // The request: head, then a body of Content-Length bytes.
    std::string request;
    int64_t deadline = NowNs() + kRequestDeadline;
    size_t head_end = std::string::npos, want = 0;
    char buf[16384];
    while (head_end == std::string::npos || request.size() < want) {
      pollfd p{conn.get(), POLLIN, 0};
      if (poll(&p, 1, RemainingMs(deadline)) <= 0) return;
      ssize_t n = recv(conn.get(), buf, sizeof buf, 0);
      if (n <= 0) return;
      request.append(buf, static_cast<size_t>(n));
      if (head_end == std::string::npos &&
          (head_end = request.find("\r\n\r\n")) != std::string::npos) {
        want = head_end + 4 +
               std::strtoul(HeaderValue(request.substr(0, head_end + 2), "Content-Length").c_str(),
                            nullptr, 10);
      }
    }
    size_t at = request.find(kTagPrefix, head_end);
    int tag = at == std::string::npos ? -1 : std::atoi(request.c_str() + at + kTagPrefix.size());
    Plan plan;
    {
      std::lock_guard lock(mu_);
      auto it = slots_.find(tag);
      if (!request.starts_with("POST /v1/chat/completions ") || it == slots_.end() ||
          it->second.connected) {
        SendAll(conn.get(),
                "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
      }
      it->second.connected = true;
      plan = it->second.plan;
    }
    cv_.notify_all();
    UpstreamResult result;
    auto fail = [&](std::string why) {
      result.error = std::move(why);
      Finish(tag, std::move(result));
    };
    // As OpenAI does: the head, then a first chunk naming the role. The body ends when the
    // connection closes.
    if (!SendAll(conn.get(),
                 "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                 "Connection: close\r\n\r\n"
                 "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\n")) {
      return fail("the client went away before the answer started");
    }
    int64_t start = 0;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::nanoseconds(kHoldDeadline),
                   [&] { return stopping_ || slots_.at(tag).start_ns != 0; });
      start = slots_.at(tag).start_ns;
    }
    if (start == 0) return fail("never told to start");
    result.sent_ns.reserve(static_cast<size_t>(plan.chunks));
    for (int k = 0; k < plan.chunks; ++k) {
      // The simulated model produces a token every interval: sleeping until each absolute time
      // on the schedule is the thing being simulated, not a wait for an event.
      int64_t due = start + k * plan.interval_ns;
      timespec ts{static_cast<time_t>(due / kSec), static_cast<long>(due % kSec)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
      }
      // " w00042", and a blank line after every kParagraphChunks-th (after the marker, so that
      // the JSON escape "\n" never touches the next marker).
      std::string chunk =
          Fmt("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%sw%05d%s\"}}]}\n\n",
              k == 0 ? "" : " ", k, (k + 1) % kParagraphChunks == 0 ? "\\n\\n" : "");
      int64_t t = NowNs();
      if (!SendAll(conn.get(), chunk)) return fail(Fmt("the client went away at chunk %d", k));
      result.sent_ns.push_back(t);
    }
    if (!plan.hold) {
      SendAll(conn.get(),
              "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
              "data: [DONE]\n\n");
      return Finish(tag, std::move(result));
    }
    // Held: nothing more until the client closes (or the hold deadline passes).
    int64_t hold_deadline = NowNs() + kHoldDeadline;
    for (;;) {
      pollfd fds[2] = {{conn.get(), POLLIN | POLLRDHUP, 0}, {wake_.get(), POLLIN, 0}};
      int r = poll(fds, 2, RemainingMs(hold_deadline));
      int64_t t = NowNs();
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0 || fds[1].revents) return fail("held stream was never closed by the client");
      ssize_t n = recv(conn.get(), buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR) || (fds[0].revents & POLLRDHUP)) {
        result.closed_ns = t;
        return Finish(tag, std::move(result));
      }
    }
  }

  Fd listen_;
  Fd wake_;
  uint16_t port_ = 0;
  std::thread accept_thread_;
  std::vector<Worker> workers_;  // owned by the accept thread until the destructor
  std::mutex mu_;
  std::condition_variable cv_;
  // guarded by mu_
  std::map<int, Slot> slots_;
  int next_tag_ = 1;
  bool stopping_ = false;
};

std::string DirectRequest(uint16_t port, int tag) {
  std::string body =
      "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"" +
      std::string(kTagPrefix) + std::to_string(tag) + "\"}]}";
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
         "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// --- reading an event stream -----------------------------------------------------------------

// Reads one event stream and records when each marker is first seen: Hearth's live stream
// (chunked; markers count in `update` events; it finishes with `end`), or the model server's
// answer read directly (markers in data lines; it finishes with [DONE] or EOF). Open() and
// PumpUntilSeen() run on the caller's thread; Start() reads on a thread of its own until the
// stream finishes. The Wait functions and the results are thread-safe.
class StreamReader {
 public:
  enum class Source { kHearth, kDirect };

  StreamReader(Fd fd, Source source, int chunks)
      : fd_(std::move(fd)), source_(source), seen_ns_(static_cast<size_t>(chunks), -1) {}
  ~StreamReader() {
    if (thread_.joinable()) thread_.join();
  }
  StreamReader(const StreamReader&) = delete;
  StreamReader& operator=(const StreamReader&) = delete;

  // Reads the response head (must be 200) and, from Hearth, the first event: the snapshot.
  void Open(int64_t deadline, const std::string& what) {
    while (!head_done_ || (source_ == Source::kHearth && events_read_ == 0)) {
      if (!ReadOnce(deadline)) Die(what + ": " + Error());
    }
  }
  bool PumpUntilSeen(int n, int64_t deadline) {
    while (Seen() < n) {
      if (!ReadOnce(deadline)) return false;
    }
    return true;
  }
  void Start(int64_t deadline) {
    thread_ = std::thread([this, deadline] {
      while (ReadOnce(deadline)) {
      }
    });
  }
  bool WaitSeen(int n, int64_t deadline) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::nanoseconds(deadline - NowNs()), [&] {
      return seen_ >= n || finished_;
    }) && seen_ >= n;
  }
  // Joins the reading thread; false if the stream did not finish cleanly.
  bool Join() {
    if (thread_.joinable()) thread_.join();
    std::lock_guard lock(mu_);
    return finished_ && error_.empty();
  }
  void CloseSocket() { fd_.Reset(); }  // only when no thread reads

  int Seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }
  std::string Error() {
    std::lock_guard lock(mu_);
    return error_;
  }
  int64_t finished_ns() {
    std::lock_guard lock(mu_);
    return finished_ns_;
  }
  std::vector<int64_t> seen_ns() {
    std::lock_guard lock(mu_);
    return seen_ns_;
  }

 private:
  // One recv; false once the stream has finished (or failed).
  bool ReadOnce(int64_t deadline) {
    pollfd p{fd_.get(), POLLIN, 0};
    int r = poll(&p, 1, RemainingMs(deadline));
    if (r < 0 && errno == EINTR) return true;
    if (r == 0) return Finish("nothing more arrived before the deadline", NowNs());
    char buf[65536];
    ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
    int64_t t = NowNs();
    if (n < 0 && errno == EINTR) return true;
    if (n < 0) return Finish(std::string("recv: ") + std::strerror(errno), t);
    if (n == 0) {
      return Finish(source_ == Source::kDirect ? "" : "the stream closed before its end event", t);
    }
    std::string_view bytes(buf, static_cast<size_t>(n));
    std::string rest;
    if (!head_done_) {
      head_.append(bytes);
      size_t end = head_.find("\r\n\r\n");
      if (end == std::string::npos) {
        return head_.size() < 65536 || Finish("oversized response head", t);
      }
      rest = head_.substr(end + 4);
      head_.resize(end + 2);
      head_done_ = true;
      if (StatusOf(head_) != 200) {
        return Finish("answered " + head_.substr(0, head_.find('\r')), t);
      }
      chunked_ = HeaderValue(head_, "Transfer-Encoding") == "chunked";
      bytes = rest;
    }
    std::string decoded;
    if (chunked_) {
      if (!decoder_.Feed(bytes, decoded)) return Finish("malformed chunked encoding", t);
      bytes = decoded;
    }
    events_.clear();
    sse_.Feed(bytes, events_);
    events_read_ += static_cast<int>(events_.size());
    bool more = true;
    {
      std::lock_guard lock(mu_);
      for (const SseEvent& e : events_) {
        bool counts = source_ == Source::kHearth ? e.type == "update" : e.type.empty();
        if (counts) {
          ScanMarkers(e.data, [&](int k) {
            if (k < static_cast<int>(seen_ns_.size()) && seen_ns_[static_cast<size_t>(k)] < 0) {
              seen_ns_[static_cast<size_t>(k)] = t;
              ++seen_;
            }
          });
        }
        if ((source_ == Source::kHearth && e.type == "end") ||
            (source_ == Source::kDirect && e.data == "[DONE]")) {
          finished_ = true;
          finished_ns_ = t;
          more = false;
        }
      }
    }
    cv_.notify_all();
    return more;
  }

  bool Finish(std::string error, int64_t t) {
    {
      std::lock_guard lock(mu_);
      finished_ = true;
      finished_ns_ = t;
      error_ = std::move(error);
    }
    cv_.notify_all();
    return false;
  }

  Fd fd_;
  const Source source_;
  // Owned by whichever thread reads (the caller, then the reading thread after Start):
  std::string head_;
  bool head_done_ = false;
  bool chunked_ = false;
  ChunkedDecoder decoder_;
  SseParser sse_;
  std::vector<SseEvent> events_;
  int events_read_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  // guarded by mu_
  std::vector<int64_t> seen_ns_;
  int seen_ = 0;
  bool finished_ = false;
  int64_t finished_ns_ = 0;
  std::string error_;
};

// --- hearthd ---------------------------------------------------------------------------------

int PidfdOpen(pid_t pid) { return static_cast<int>(syscall(SYS_pidfd_open, pid, 0)); }

// Starts argv[0] with `env`, stdin from /dev/null, stdout and stderr to the given fds.
pid_t Spawn(const std::vector<std::string>& argv, const std::vector<std::string>& env, int out,
            int err) {
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  Fd null(open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null.valid()) DieErrno("open /dev/null");
  if (out < 0) out = null.get();
  if (err < 0) err = null.get();
  pid_t pid = fork();
  if (pid < 0) DieErrno("fork");
  if (pid == 0) {
    // Only async-signal-safe calls here: the parent has threads.
    if (dup2(null.get(), 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  return pid;
}

// Waits for `pid` (our child) to exit; SIGKILL after the deadline. Returns the wait status.
int Reap(pid_t pid, int64_t deadline) {
  Fd pidfd(PidfdOpen(pid));
  if (pidfd.valid()) {
    pollfd p{pidfd.get(), POLLIN, 0};
    if (poll(&p, 1, RemainingMs(deadline)) != 1) {
      std::fprintf(stderr, "hearth_agent_bench: pid %d did not exit in time; killing it\n", pid);
      kill(pid, SIGKILL);
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

void MakeDir(const std::string& path) {
  if (mkdir(path.c_str(), 0700) != 0) DieErrno("mkdir " + path);
}

// A private hearthd --no-bus: its own HOME and XDG directories under `root`, its agent configured
// with the model server on `upstream_port`. Logs (stderr) are kept for error messages.
class Hearthd {
 public:
  Hearthd(const std::string& binary, const std::string& root, uint16_t upstream_port)
      : binary_(binary) {
    for (const char* dir : {"/home", "/config", "/config/hearth", "/data", "/runtime"}) {
      MakeDir(root + dir);
    }
    std::string config =
        "{\"providers\":[{\"name\":\"b\",\"type\":\"openai\",\"base_url\":\"http://127.0.0.1:" +
        std::to_string(upstream_port) + "/v1\",\"default_model\":\"m\"}]}\n";
    if (FILE* f = std::fopen((root + "/config/hearth/config.json").c_str(), "w")) {
      std::fputs(config.c_str(), f);
      std::fclose(f);
    } else {
      DieErrno("write config.json");
    }
    static constexpr std::string_view kDropped[] = {
        "LISTEN_",        "NOTIFY_SOCKET=", "WATCHDOG_",        "DBUS_SESSION_BUS_ADDRESS=",
        "HOME=",          "XDG_DATA_HOME=", "XDG_CONFIG_HOME=", "XDG_RUNTIME_DIR=",
        "XDG_CACHE_HOME="};
    for (char** e = environ; *e; ++e) {
      std::string_view v = *e;
      if (std::none_of(std::begin(kDropped), std::end(kDropped),
                       [&](std::string_view p) { return v.starts_with(p); })) {
        env_.emplace_back(v);
      }
    }
    env_.push_back("HOME=" + root + "/home");
    env_.push_back("XDG_DATA_HOME=" + root + "/data");
    env_.push_back("XDG_CONFIG_HOME=" + root + "/config");
    env_.push_back("XDG_RUNTIME_DIR=" + root + "/runtime");

    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) DieErrno("pipe");
    Fd write_end(pipefd[1]);
    log_ = Fd(pipefd[0]);
    wake_ = Fd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    pid_ = Spawn({binary_, "--no-bus"}, env_, -1, write_end.get());
    g_hearthd = pid_;
    write_end.Reset();
    log_thread_ = std::thread([this] { LogLoop(); });

    std::unique_lock lock(mu_);
    static constexpr std::string_view kListening = "listening on http://127.0.0.1:";
    if (!cv_.wait_for(
            lock, std::chrono::nanoseconds(kStartDeadline),
            [&] { return log_text_.find(kListening) != std::string::npos || log_closed_; }) ||
        log_text_.find(kListening) == std::string::npos) {
      Die("hearthd did not log \"listening on\" in time; its log:\n" + log_text_);
    }
    port_ = static_cast<uint16_t>(
        std::atoi(log_text_.c_str() + log_text_.find(kListening) + kListening.size()));
  }
  ~Hearthd() { Stop(); }
  Hearthd(const Hearthd&) = delete;
  Hearthd& operator=(const Hearthd&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  pid_t Backend() const {
    auto kids = ChildrenOf(pid_);
    if (kids.size() != 1) Die("hearthd has " + std::to_string(kids.size()) + " children, not 1");
    return kids[0];
  }

  // `hearthd --login-url` with the same environment: a fresh single-use login URL's path.
  std::string LoginPath() {
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) DieErrno("pipe");
    Fd read_end(pipefd[0]), write_end(pipefd[1]);
    pid_t pid = Spawn({binary_, "--login-url"}, env_, write_end.get(), -1);
    write_end.Reset();
    std::string out;
    int64_t deadline = NowNs() + kRequestDeadline;
    char buf[512];
    for (;;) {
      pollfd p{read_end.get(), POLLIN, 0};
      if (poll(&p, 1, RemainingMs(deadline)) <= 0) break;
      ssize_t n = read(read_end.get(), buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    int status = Reap(pid, deadline);
    // http://h-….localhost:PORT/login?token=…: Hearth's own host name (auth/app_host.h).
    std::string suffix = ".localhost:" + std::to_string(port_) + "/login?";
    size_t at = out.find(suffix);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !out.starts_with("http://h-") ||
        at == std::string::npos) {
      Die("hearthd --login-url failed (status " + std::to_string(status) + "): " + out);
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    size_t path = at + suffix.size() - std::string_view("/login?").size();
    app_host_ =
        out.substr(std::string_view("http://").size(), path - std::string_view("http://").size());
    return out.substr(path);
  }
  // "h-….localhost:PORT", known after the first LoginPath().
  const std::string& app_host() const { return app_host_; }

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    int status = Reap(pid_, NowNs() + kStopDeadline);
    g_hearthd = 0;
    pid_ = -1;
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(wake_.get(), &one, sizeof one);
    log_thread_.join();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "hearth_agent_bench: warning: hearthd's exit status was %d\n", status);
    }
  }

 private:
  void LogLoop() {
    char buf[4096];
    for (;;) {
      pollfd fds[2] = {{log_.get(), POLLIN, 0}, {wake_.get(), POLLIN, 0}};
      if (poll(fds, 2, -1) < 0 && errno != EINTR) break;
      if (fds[0].revents) {
        ssize_t n = read(log_.get(), buf, sizeof buf);
        if (n > 0) {
          std::lock_guard lock(mu_);
          log_text_.append(buf, static_cast<size_t>(n));
          if (log_text_.size() > (1 << 20)) log_text_.erase(0, log_text_.size() - (1 << 19));
          cv_.notify_all();
          continue;
        }
        break;
      }
      if (fds[1].revents) break;
    }
    std::lock_guard lock(mu_);
    log_closed_ = true;
    cv_.notify_all();
  }

  std::string binary_;
  std::vector<std::string> env_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string app_host_;
  Fd log_;
  Fd wake_;
  std::thread log_thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  // guarded by mu_
  std::string log_text_;
  bool log_closed_ = false;
};

// Pss and Pss_Anon of a process, in KiB.
std::pair<long, long> Pss(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/smaps_rollup";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) DieErrno("open " + path);
  long pss = -1, anon = -1;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    long v = 0;
    if (std::sscanf(line, "Pss: %ld kB", &v) == 1) pss = v;
    if (std::sscanf(line, "Pss_Anon: %ld kB", &v) == 1) anon = v;
  }
  std::fclose(f);
  if (pss < 0) Die("no Pss in " + path);
  return {pss, anon};
}

// The mappings of a process with the most PSS, in KiB, largest first, as "name KiB, ...".
std::string TopPss(pid_t pid, size_t n) {
  std::string path = "/proc/" + std::to_string(pid) + "/smaps";
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) DieErrno("open " + path);
  std::map<std::string, long> by_name;
  std::string name;
  char line[512];
  while (std::fgets(line, sizeof line, f)) {
    unsigned long from = 0, to = 0;
    char file[400] = "";
    if (std::sscanf(line, "%lx-%lx %*s %*s %*s %*s %399s", &from, &to, file) >= 2) {
      std::string_view v = file;
      name = v.empty() ? "[anon]" : std::string(v.substr(v.rfind('/') + 1));
      continue;
    }
    long kb = 0;
    if (std::sscanf(line, "Pss: %ld kB", &kb) == 1) by_name[name] += kb;
  }
  std::fclose(f);
  std::vector<std::pair<long, std::string>> sorted;
  for (const auto& [k, v] : by_name) sorted.emplace_back(v, k);
  std::sort(sorted.rbegin(), sorted.rend());
  std::string out;
  for (size_t i = 0; i < std::min(n, sorted.size()); ++i) {
    out += Fmt("%s%s %ld", i ? ", " : "", sorted[i].second.c_str(), sorted[i].first);
  }
  return out;
}

// The browser's side of a signed-in session: the same requests htmx sends.
class Client {
 public:
  explicit Client(Hearthd& hearthd) : port_(hearthd.port()) {
    std::string path = hearthd.LoginPath();
    host_ = hearthd.app_host();
    HttpResponse r = Exchange(
        port_, "GET " + path + " HTTP/1.1\r\nHost: " + Host() + "\r\nConnection: close\r\n\r\n",
        "GET /login");
    std::string set_cookie = HeaderValue(r.head, "Set-Cookie");
    if (r.status != 303 || !set_cookie.starts_with("hearth_session=")) {
      Die("signing in failed: " + r.head);
    }
    cookie_ = set_cookie.substr(0, set_cookie.find(';'));
  }

  int64_t CreateConversation() {
    HttpResponse r = Exchange(port_, Post("/conversations", ""), "POST /conversations");
    std::string push = HeaderValue(r.head, "HX-Push-Url");
    if (r.status != 200 || !push.starts_with("/c/"))
      Die("creating a conversation failed: " + r.head);
    return std::atoll(push.c_str() + 3);
  }

  // Sends a user message; true if a run started to answer it, else `refusal` says why not.
  bool Send(int64_t id, const std::string& text, std::string& refusal) {
    HttpResponse r = Exchange(port_, Post(Conversation(id) + "/messages", "content=" + text),
                              "POST /c/ID/messages");
    if (r.status != 200) Die("sending a message failed: " + r.head + r.body);
    if (r.body.find("sse-connect=\"" + Conversation(id) + "/live\"") != std::string::npos) {
      return true;
    }
    size_t notice = r.body.find("class=\"content\">", r.body.find("notice"));
    refusal = notice == std::string::npos
                  ? "no run and no notice in the answer"
                  : r.body.substr(notice + 16, r.body.find('<', notice + 16) - notice - 16);
    return false;
  }

  std::unique_ptr<StreamReader> OpenLive(int64_t id, int chunks) {
    Fd fd = Connect(port_);
    std::string request = "GET " + Conversation(id) + "/live HTTP/1.1\r\nHost: " + Host() +
                          "\r\nCookie: " + cookie_ + "\r\nAccept: text/event-stream\r\n\r\n";
    if (!SendAll(fd.get(), request)) DieErrno("GET /c/ID/live");
    auto reader =
        std::make_unique<StreamReader>(std::move(fd), StreamReader::Source::kHearth, chunks);
    reader->Open(NowNs() + kRequestDeadline, "GET " + Conversation(id) + "/live");
    return reader;
  }

  std::string StopRequest(int64_t id) const { return Post(Conversation(id) + "/stop", ""); }
  uint16_t port() const { return port_; }

 private:
  const std::string& Host() const { return host_; }
  static std::string Conversation(int64_t id) { return "/c/" + std::to_string(id); }
  std::string Post(const std::string& path, const std::string& body) const {
    std::string r = "POST " + path + " HTTP/1.1\r\nHost: " + Host() + "\r\nCookie: " + cookie_ +
                    "\r\nHX-Request: true\r\nOrigin: http://" + Host() +
                    "\r\nConnection: close\r\n";
    if (!body.empty()) r += "Content-Type: application/x-www-form-urlencoded\r\n";
    return r + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }

  uint16_t port_;
  std::string host_;  // Hearth's own host name and port: the Host its pages answer to
  std::string cookie_;
};

// --- the measurements ------------------------------------------------------------------------

struct Options {
  int chunks = 200;
  int interval_ms = 15;
  int streams = 16;
  int rounds = 5;
  int stops = 10;
  int hold = 20;
};

struct Slow {
  double ms;
  int stream;
  int chunk;
  int round;
  double at_s;  // when the chunk was sent, from the round's start
};

// chunk -> reader latencies of one configuration, over all its rounds.
struct Series {
  std::vector<double> ms;
  int missing = 0;    // markers never seen
  int requested = 0;  // streams asked for, over all rounds
  int answered = 0;   // streams that ran
  int rounds = 0;
  std::vector<std::string> refusals;
  std::vector<Slow> slowest;
};

void Collect(Series& series, int stream, int64_t start, const std::vector<int64_t>& seen,
             const UpstreamResult& sent) {
  for (size_t k = 0; k < sent.sent_ns.size(); ++k) {
    if (k >= seen.size() || seen[k] < 0) {
      ++series.missing;
      continue;
    }
    double ms = ToMs(seen[k] - sent.sent_ns[k]);
    series.ms.push_back(ms);
    series.slowest.push_back(
        {ms, stream, static_cast<int>(k), series.rounds, ToMs(sent.sent_ns[k] - start) / 1000});
  }
  std::sort(series.slowest.begin(), series.slowest.end(),
            [](const Slow& a, const Slow& b) { return a.ms > b.ms; });
  if (series.slowest.size() > 8) series.slowest.resize(8);
}

// One round: `hearth` conversations answered through Hearth (into `hearth_series`) and `direct`
// streams read straight from the model server (into `direct_series`), all at once, on the same
// schedule, their starts spread evenly over one interval.
void Round(Upstream& upstream, Client* client, int hearth, Series* hearth_series, int direct,
           Series* direct_series, const Options& o) {
  Plan plan{o.chunks, o.interval_ms * kMs, false};
  struct Stream {
    int tag;
    bool through_hearth;
    std::unique_ptr<StreamReader> reader;
  };
  std::vector<Stream> streams;
  std::vector<int64_t> ids;
  for (int i = 0; i < hearth; ++i) ids.push_back(client->CreateConversation());
  for (int64_t id : ids) {
    int tag = upstream.Expect(plan);
    std::string refusal;
    ++hearth_series->requested;
    if (!client->Send(id, std::string(kTagPrefix) + std::to_string(tag), refusal)) {
      upstream.Forget(tag);
      hearth_series->refusals.push_back(refusal);
      continue;
    }
    ++hearth_series->answered;
    streams.push_back({tag, true, client->OpenLive(id, o.chunks)});
  }
  if (hearth > 0 && hearth_series->answered == 0) {
    Die("Hearth answered none of the messages: " + hearth_series->refusals.front());
  }
  for (int i = 0; i < direct; ++i) {
    int tag = upstream.Expect(plan);
    Fd fd = Connect(upstream.port());
    if (!SendAll(fd.get(), DirectRequest(upstream.port(), tag))) DieErrno("direct request");
    auto reader =
        std::make_unique<StreamReader>(std::move(fd), StreamReader::Source::kDirect, o.chunks);
    reader->Open(NowNs() + kRequestDeadline, "direct request");
    ++direct_series->requested;
    ++direct_series->answered;
    streams.push_back({tag, false, std::move(reader)});
  }
  std::vector<int> tags;
  for (const Stream& s : streams) tags.push_back(s.tag);
  upstream.WaitConnected(tags, NowNs() + kStartDeadline, "a stream");
  int64_t start = NowNs() + kLeadIn;
  int64_t end = start + o.chunks * plan.interval_ns + kAfterLastChunk;
  for (Stream& s : streams) s.reader->Start(end);
  upstream.Go(tags, start, plan.interval_ns / static_cast<int64_t>(tags.size()));
  int hearth_index = 0, direct_index = 0;
  for (Stream& s : streams) {
    const char* what = s.through_hearth ? "a Hearth run" : "a direct stream";
    UpstreamResult sent = upstream.Wait(s.tag, end, what);
    if (!sent.error.empty()) Die(std::string("model server, ") + what + ": " + sent.error);
    if (!s.reader->Join()) Die(std::string(what) + ": " + s.reader->Error());
    if (s.through_hearth) {
      Collect(*hearth_series, hearth_index++, start, s.reader->seen_ns(), sent);
    } else {
      Collect(*direct_series, direct_index++, start, s.reader->seen_ns(), sent);
    }
  }
  if (hearth_series) ++hearth_series->rounds;
  if (direct_series) ++direct_series->rounds;
}

struct Memory {
  long fresh_kb = 0;  // just after signing in, before any answer
  long idle_kb = 0, idle_anon_kb = 0;
  long held_kb = 0, held_anon_kb = 0;
  long after_kb = 0;
  std::string fresh_top, idle_top, held_top;  // largest mappings
  int requested = 0, answered = 0;
  std::vector<double> stop_ms;  // each held run: POST /stop -> the model server saw the close
  double per_stream_kb() const {
    return answered > 0 ? static_cast<double>(held_kb - idle_kb) / answered : 0;
  }
};

struct StopSample {
  double closed_ms = 0;    // sending POST /stop -> the model server sees the close
  double answered_ms = 0;  // -> the 204 is read
  double end_ms = 0;       // -> the live stream's end event is read
};

StopSample StopHeldRun(Upstream& upstream, Client& client, int64_t id, int tag,
                       StreamReader& reader) {
  Fd fd = Connect(client.port());  // connected beforehand, as a browser's kept-alive connection
  std::string request = client.StopRequest(id);
  int64_t t0 = NowNs();
  if (!SendAll(fd.get(), request)) DieErrno("POST /c/ID/stop");
  // The answer is read on a thread of its own, so that its time does not wait for the model
  // server's.
  HttpResponse r;
  int64_t answered = 0;
  std::thread reply([&] {
    r = ReadResponse(fd.get(), t0 + kStopDeadline, "POST /c/ID/stop");
    answered = NowNs();
  });
  UpstreamResult held = upstream.Wait(tag, t0 + kStopDeadline, "a stopped Hearth run");
  reply.join();
  if (held.closed_ns == 0) Die("model server, stopped run: " + held.error);
  if (r.status != 204) Die("POST /c/ID/stop answered " + r.head);
  if (!reader.Join()) Die("live stream of a stopped run: " + reader.Error());
  return {ToMs(held.closed_ns - t0), ToMs(answered - t0), ToMs(reader.finished_ns() - t0)};
}

Memory MeasureMemory(Hearthd& hearthd, Upstream& upstream, Client& client, const Options& o) {
  Memory m;
  pid_t backend = hearthd.Backend();
  std::tie(m.idle_kb, m.idle_anon_kb) = Pss(backend);
  m.idle_top = TopPss(backend, 6);
  Plan plan{o.hold, o.interval_ms * kMs, true};
  std::vector<int> tags;
  std::vector<int64_t> ids, run_ids;
  std::vector<std::unique_ptr<StreamReader>> readers;
  for (int i = 0; i < o.streams; ++i) ids.push_back(client.CreateConversation());
  for (int64_t id : ids) {
    int tag = upstream.Expect(plan);
    std::string refusal;
    ++m.requested;
    if (!client.Send(id, std::string(kTagPrefix) + std::to_string(tag), refusal)) {
      upstream.Forget(tag);
      continue;
    }
    ++m.answered;
    tags.push_back(tag);
    run_ids.push_back(id);
    readers.push_back(client.OpenLive(id, o.hold));
  }
  if (tags.empty()) Die("Hearth answered none of the messages to hold");
  upstream.WaitConnected(tags, NowNs() + kStartDeadline, "a held Hearth run");
  int64_t start = NowNs() + kLeadIn;
  int64_t end = start + o.hold * plan.interval_ns + kHoldDeadline;
  for (auto& r : readers) r->Start(end);
  upstream.Go(tags, start, plan.interval_ns / static_cast<int64_t>(tags.size()));
  for (auto& r : readers) {
    if (!r->WaitSeen(o.hold, end))
      Die("a held run's chunks did not all reach the page: " + r->Error());
  }
  std::tie(m.held_kb, m.held_anon_kb) = Pss(backend);
  m.held_top = TopPss(backend, 6);
  for (size_t i = 0; i < tags.size(); ++i) {
    m.stop_ms.push_back(StopHeldRun(upstream, client, run_ids[i], tags[i], *readers[i]).closed_ms);
  }
  m.after_kb = Pss(backend).first;
  return m;
}

struct Stops {
  std::vector<double> hearth_closed_ms, hearth_answered_ms, hearth_end_ms, direct_closed_ms;
};

void MeasureStops(Upstream& upstream, Client& client, const Options& o, Stops& s) {
  constexpr int kChunksBeforeStop = 5;
  Plan plan{kChunksBeforeStop, o.interval_ms * kMs, true};
  for (int run = 0; run < o.stops; ++run) {
    // Hearth: a run held mid-answer, then Stop.
    int64_t id = client.CreateConversation();
    int tag = upstream.Expect(plan);
    std::string refusal;
    if (!client.Send(id, std::string(kTagPrefix) + std::to_string(tag), refusal)) {
      Die("Hearth refused a message to stop: " + refusal);
    }
    auto reader = client.OpenLive(id, kChunksBeforeStop);
    upstream.WaitConnected({tag}, NowNs() + kStartDeadline, "a run to stop");
    int64_t start = NowNs() + kLeadIn;
    reader->Start(start + kHoldDeadline);
    upstream.Go({tag}, start, 0);
    if (!reader->WaitSeen(kChunksBeforeStop, start + kStartDeadline)) {
      Die("a run to stop did not show its chunks: " + reader->Error());
    }
    StopSample sample = StopHeldRun(upstream, client, id, tag, *reader);
    s.hearth_closed_ms.push_back(sample.closed_ms);
    s.hearth_answered_ms.push_back(sample.answered_ms);
    s.hearth_end_ms.push_back(sample.end_ms);

    // Reference: a client of the same server closes its own socket.
    tag = upstream.Expect(plan);
    Fd fd = Connect(upstream.port());
    if (!SendAll(fd.get(), DirectRequest(upstream.port(), tag))) DieErrno("direct request");
    StreamReader direct(std::move(fd), StreamReader::Source::kDirect, kChunksBeforeStop);
    direct.Open(NowNs() + kRequestDeadline, "direct request");
    upstream.WaitConnected({tag}, NowNs() + kStartDeadline, "a direct stream to close");
    start = NowNs() + kLeadIn;
    upstream.Go({tag}, start, 0);
    if (!direct.PumpUntilSeen(kChunksBeforeStop, start + kStartDeadline)) {
      Die("a direct stream did not deliver its chunks: " + direct.Error());
    }
    int64_t t0 = NowNs();
    direct.CloseSocket();
    UpstreamResult held = upstream.Wait(tag, t0 + kStopDeadline, "a closed direct stream");
    if (held.closed_ns == 0) Die("model server, closed direct stream: " + held.error);
    s.direct_closed_ms.push_back(ToMs(held.closed_ns - t0));
  }
}

// --- output ----------------------------------------------------------------------------------

std::string LoadAverage() {
  std::string out;
  if (FILE* f = std::fopen("/proc/loadavg", "r")) {
    double a = 0, b = 0, c = 0;
    if (std::fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3) out = Fmt("%.2f %.2f %.2f", a, b, c);
    std::fclose(f);
  }
  return out;
}

std::string Trio(const Stats& s) { return Fmt("%.3f / %.3f / %.3f", s.p50, s.p99, s.max); }

void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(width[i] - row[i].size(), ' ') + " | ";
    }
    std::puts(line.c_str());
  }
}

size_t CountOver(const Series& s, double ms) {
  return static_cast<size_t>(
      std::count_if(s.ms.begin(), s.ms.end(), [ms](double x) { return x > ms; }));
}

// The share of chunks slower than `ms`, in %.
std::string OverMs(const Series& s, double ms) {
  return s.ms.empty() ? "n/a"
                      : Fmt("%.2f", 100.0 * static_cast<double>(CountOver(s, ms)) /
                                        static_cast<double>(s.ms.size()));
}

std::string JsonSeries(const Series& s) {
  std::string out = "{\"stats\":" + JsonStats(Summarize(s.ms)) +
                    Fmt(",\"missing\":%d,\"streams_requested\":%d,\"streams_answered\":%d",
                        s.missing, s.requested, s.answered);
  out +=
      Fmt(",\"over_1ms\":%zu,\"over_10ms\":%zu,\"refusals\":[", CountOver(s, 1), CountOver(s, 10));
  for (size_t i = 0; i < s.refusals.size(); ++i) out += (i ? "," : "") + JsonString(s.refusals[i]);
  out += "],\"slowest\":[";
  for (size_t i = 0; i < s.slowest.size(); ++i) {
    const Slow& w = s.slowest[i];
    out += Fmt("%s{\"ms\":%.3f,\"round\":%d,\"stream\":%d,\"chunk\":%d,\"at_s\":%.4f}",
               i ? "," : "", w.ms, w.round, w.stream, w.chunk, w.at_s);
  }
  return out + "]}";
}

std::string Slowest(const Series& s) {
  std::string out;
  for (const Slow& w : s.slowest) {
    out += Fmt("%s%.2f (round %d stream %d chunk %d, %.3f s in)", out.empty() ? "" : ", ", w.ms,
               w.round, w.stream, w.chunk, w.at_s);
  }
  return out;
}

int PositiveInt(const char* text) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (*end != '\0' || v <= 0 || v > 100000) Die(std::string("not a positive number: ") + text);
  return static_cast<int>(v);
}

int Usage() {
  std::fputs(
      "usage: hearth_agent_bench [--json PATH] [--chunks N] [--interval-ms N] [--streams N]\n"
      "                          [--rounds N] [--stops N] [--hold N] HEARTHD\n",
      stderr);
  return 2;
}

int Main(int argc, char** argv) {
  Options o;
  std::string json, hearthd_path;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--json" && has_value) {
      json = argv[++i];
    } else if (arg == "--chunks" && has_value) {
      o.chunks = std::min(PositiveInt(argv[++i]), 99999);
    } else if (arg == "--interval-ms" && has_value) {
      o.interval_ms = PositiveInt(argv[++i]);
    } else if (arg == "--streams" && has_value) {
      o.streams = PositiveInt(argv[++i]);
    } else if (arg == "--rounds" && has_value) {
      o.rounds = PositiveInt(argv[++i]);
    } else if (arg == "--stops" && has_value) {
      o.stops = PositiveInt(argv[++i]);
    } else if (arg == "--hold" && has_value) {
      o.hold = PositiveInt(argv[++i]);
    } else if (!arg.starts_with("--") && hearthd_path.empty()) {
      hearthd_path = arg;
    } else {
      return Usage();
    }
  }
  if (hearthd_path.empty()) return Usage();
  std::error_code ec;
  hearthd_path = std::filesystem::absolute(hearthd_path, ec).string();
  if (access(hearthd_path.c_str(), X_OK) != 0) Die("cannot run " + hearthd_path);
  if (json.empty()) {
    json = std::filesystem::path(hearthd_path).parent_path().string() + "/bench/agent_bench.json";
  }

  const char* tmpdir = std::getenv("TMPDIR");
  std::string root_template =
      std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/hearth-agent-bench.XXXXXX";
  // Interrupted, the bench still stops hearthd and removes its directory: the signals go to one
  // thread, which calls Die(). Blocked here, before any other thread exists, so all inherit it.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) sigaddset(&stop_signals, sig);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  if (!mkdtemp(root_template.data())) DieErrno("mkdtemp");
  g_root = root_template;
  std::thread([stop_signals] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    Die(std::string("interrupted by ") + strsignal(sig));
  }).detach();

  std::string load_start = LoadAverage();
  char date[32];
  time_t now = time(nullptr);
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  long nproc = sysconf(_SC_NPROCESSORS_ONLN);
  std::fprintf(stderr, "hearth_agent_bench: %ld CPUs, load average %s; temporary files in %s\n",
               nproc, load_start.c_str(), g_root.c_str());

  Series hearth_one, direct_one, hearth_many, direct_many, canary_one, canary_many;
  Memory memory;
  Stops stops;
  {
    Upstream upstream;
    Hearthd hearthd(hearthd_path, g_root, upstream.port());
    Client client(hearthd);
    memory.fresh_kb = Pss(hearthd.Backend()).first;
    memory.fresh_top = TopPss(hearthd.Backend(), 6);
    // A first answer to warm up (the model client, the store's pages, the templates); not counted.
    {
      Options warm = o;
      warm.chunks = 20;
      Series ignored;
      Round(upstream, &client, 1, &ignored, 0, nullptr, warm);
    }
    // Memory first, on a backend that has answered once: later rounds grow the heap, and its
    // free space would hide what the held answers take.
    std::fprintf(stderr, "1/3 memory: %d answers held after %d chunks\n", o.streams, o.hold);
    Memory fresh = memory;
    memory = MeasureMemory(hearthd, upstream, client, o);
    memory.fresh_kb = fresh.fresh_kb;
    memory.fresh_top = fresh.fresh_top;
    std::fprintf(stderr, "2/3 latency: %d rounds of %d chunks every %d ms, 1 then %d streams\n",
                 o.rounds, o.chunks, o.interval_ms, o.streams);
    // Hearth and direct rounds alternate, so both see the same machine noise; the direct round
    // runs as many streams as Hearth answered. A Hearth round also carries one direct stream, the
    // canary: a stall that the canary sees too is the machine's, not Hearth's.
    for (int r = 0; r < o.rounds; ++r) {
      Round(upstream, &client, 1, &hearth_one, 1, &canary_one, o);
      Round(upstream, nullptr, 0, nullptr, 1, &direct_one, o);
    }
    for (int r = 0; r < o.rounds; ++r) {
      int answered_before = hearth_many.answered;
      Round(upstream, &client, o.streams, &hearth_many, 1, &canary_many, o);
      Round(upstream, nullptr, 0, nullptr, hearth_many.answered - answered_before, &direct_many, o);
    }
    std::fprintf(stderr, "3/3 stop: %d runs\n", o.stops);
    MeasureStops(upstream, client, o, stops);
  }
  std::error_code rm_ec;
  std::filesystem::remove_all(g_root, rm_ec);
  std::string load_end = LoadAverage();

  Stats h1 = Summarize(hearth_one.ms), d1 = Summarize(direct_one.ms);
  Stats hn = Summarize(hearth_many.ms), dn = Summarize(direct_many.ms);
  Stats c1 = Summarize(canary_one.ms), cn = Summarize(canary_many.ms);
  Stats stop_h = Summarize(stops.hearth_closed_ms), stop_d = Summarize(stops.direct_closed_ms);
  Stats stop_answered = Summarize(stops.hearth_answered_ms);
  Stats stop_end = Summarize(stops.hearth_end_ms);
  Stats stop_held = Summarize(memory.stop_ms);
  auto ratio = [](double a, double b) {
    if (b <= 0) return std::string("n/a");
    return a / b < 0.1 ? Fmt("%.2g", a / b) : Fmt("%.2f", a / b);
  };
  auto met = [](bool ok) { return ok ? std::string("met") : std::string("missed"); };

  std::printf(
      "Hearth agent benchmark, %s, %ld CPUs, load average %s at the start, %s at the end; "
      "%d chunks every %d ms per stream, %d rounds\n",
      date, nproc, load_start.c_str(), load_end.c_str(), o.chunks, o.interval_ms, o.rounds);
  std::string many = Fmt("%d streams", o.streams);
  if (hearth_many.answered < hearth_many.requested) {
    many = Fmt("%d streams (%d sent)", hearth_many.answered / o.rounds, o.streams);
  }
  std::vector<std::vector<std::string>> rows = {
      {"measure", "hearth", "reference (same run)", "ratio", "target"},
      {"chunk -> page, 1 stream, ms p50 / p99 / max", Trio(h1), "direct " + Trio(d1),
       ratio(h1.p99, std::min(d1.p99, c1.p99)), ""},
      {"  added by Hearth, ms p50 / p99 (minus the quieter reference)",
       Fmt("%.3f / %.3f", h1.p50 - std::min(d1.p50, c1.p50), h1.p99 - std::min(d1.p99, c1.p99)), "",
       "", "p99 < 1 ms: " + met(h1.p99 - std::min(d1.p99, c1.p99) < 1.0)},
      {"  canary: 1 direct stream beside Hearth's, ms", "", "canary " + Trio(c1), "", ""},
      {"  chunks over 1 ms / over 10 ms, %", OverMs(hearth_one, 1) + " / " + OverMs(hearth_one, 10),
       "direct " + OverMs(direct_one, 1) + " / " + OverMs(direct_one, 10) + ", canary " +
           OverMs(canary_one, 1) + " / " + OverMs(canary_one, 10),
       "", ""},
      {"chunk -> page, " + many + ", ms p50 / p99 / max", Trio(hn),
       Fmt("direct %d streams ", hearth_many.answered / o.rounds) + Trio(dn),
       ratio(hn.p99, std::min(dn.p99, cn.p99)), ""},
      {"  added by Hearth, ms p50 / p99 (minus the quieter reference)",
       Fmt("%.3f / %.3f", hn.p50 - std::min(dn.p50, cn.p50), hn.p99 - std::min(dn.p99, cn.p99)), "",
       "", "p99 < 1 ms: " + met(hn.p99 - std::min(dn.p99, cn.p99) < 1.0)},
      {"  canary: 1 direct stream beside Hearth's, ms", "", "canary " + Trio(cn), "", ""},
      {"  chunks over 1 ms / over 10 ms, %",
       OverMs(hearth_many, 1) + " / " + OverMs(hearth_many, 10),
       "direct " + OverMs(direct_many, 1) + " / " + OverMs(direct_many, 10) + ", canary " +
           OverMs(canary_many, 1) + " / " + OverMs(canary_many, 10),
       "", ""},
      {"  markers missing (hearth / direct)",
       Fmt("%d / %d", hearth_one.missing + hearth_many.missing,
           direct_one.missing + direct_many.missing),
       "", "", "0"},
      {Fmt("PSS per active stream, KiB (%d held: with - idle)", memory.answered),
       Fmt("%.0f (%ld - %ld)", memory.per_stream_kb(), memory.held_kb, memory.idle_kb),
       Fmt("idle backend %ld", memory.idle_kb), ratio(memory.per_stream_kb(), memory.idle_kb), ""},
      {"  backend PSS, KiB: signed in, no answer yet / after stopping them",
       Fmt("%ld / %ld", memory.fresh_kb, memory.after_kb), "", "", ""},
      {"Stop -> model server sees the close, ms p50 / max",
       Fmt("%.3f / %.3f", stop_h.p50, stop_h.max),
       Fmt("client close %.3f / %.3f", stop_d.p50, stop_d.max), ratio(stop_h.p50, stop_d.p50), ""},
      {"  Stop -> 204 read / end event read, ms p50",
       Fmt("%.3f / %.3f", stop_answered.p50, stop_end.p50), "", "", ""},
      {Fmt("  Stop with %d runs held, ms p50 / max", memory.answered),
       Fmt("%.3f / %.3f", stop_held.p50, stop_held.max), "", "", ""},
  };
  PrintTable(rows);
  if (!hearth_many.refusals.empty() || memory.answered < memory.requested) {
    std::printf("Refused: %d of %d messages sent at once got no run: \"%s\"\n",
                hearth_many.requested - hearth_many.answered, hearth_many.requested,
                hearth_many.refusals.empty() ? "" : hearth_many.refusals.front().c_str());
  }
  std::printf("Largest PSS contributors of the backend, KiB:\n  signed in, no answer yet: %s\n",
              memory.fresh_top.c_str());
  std::printf("  idle after one answer: %s\n  with %d answers held: %s\n", memory.idle_top.c_str(),
              memory.answered, memory.held_top.c_str());
  std::printf("Slowest chunks, ms (the canary is the direct stream run beside Hearth's):\n");
  std::printf("  Hearth, 1 stream: %s\n", Slowest(hearth_one).c_str());
  std::printf("  canary beside it: %s\n", Slowest(canary_one).c_str());
  std::printf("  Hearth, %s: %s\n", many.c_str(), Slowest(hearth_many).c_str());
  std::printf("  canary beside it: %s\n", Slowest(canary_many).c_str());
  std::printf("  direct, 1 stream: %s\n", Slowest(direct_one).c_str());
  std::printf("  direct, %d streams: %s\n", hearth_many.answered / o.rounds,
              Slowest(direct_many).c_str());

  std::string out = "{";
  out += Fmt("\"date\":\"%s\",\"nproc\":%ld,\"loadavg_start\":\"%s\",\"loadavg_end\":\"%s\",", date,
             nproc, load_start.c_str(), load_end.c_str());
  out += Fmt("\"chunks\":%d,\"interval_ms\":%d,\"rounds\":%d,\"streams\":%d,", o.chunks,
             o.interval_ms, o.rounds, o.streams);
  out += "\"latency\":{\"one\":{\"hearth\":" + JsonSeries(hearth_one) +
         ",\"direct\":" + JsonSeries(direct_one) + ",\"canary\":" + JsonSeries(canary_one) +
         ",\"hearth_samples\":" + JsonArray(hearth_one.ms) +
         ",\"direct_samples\":" + JsonArray(direct_one.ms) +
         Fmt(",\"added_p50_ms\":%.4f,\"added_p99_ms\":%.4f}", h1.p50 - std::min(d1.p50, c1.p50),
             h1.p99 - std::min(d1.p99, c1.p99));
  out += ",\"many\":{\"hearth\":" + JsonSeries(hearth_many) +
         ",\"direct\":" + JsonSeries(direct_many) + ",\"canary\":" + JsonSeries(canary_many) +
         Fmt(",\"added_p50_ms\":%.4f,\"added_p99_ms\":%.4f}", hn.p50 - std::min(dn.p50, cn.p50),
             hn.p99 - std::min(dn.p99, cn.p99));
  out += ",\"target_added_p99_ms\":1},";
  out +=
      Fmt("\"memory\":{\"backend_fresh_pss_kb\":%ld,\"backend_idle_pss_kb\":%ld,\"backend_idle_pss_"
          "anon_kb\":%ld,"
          "\"backend_held_pss_kb\":%ld,\"backend_held_pss_anon_kb\":%ld,"
          "\"backend_after_stop_pss_kb\":%ld,\"held_requested\":%d,\"held_answered\":%d,"
          "\"hold_chunks\":%d,\"per_stream_kb\":%.1f,\"stop_ms\":",
          memory.fresh_kb, memory.idle_kb, memory.idle_anon_kb, memory.held_kb, memory.held_anon_kb,
          memory.after_kb, memory.requested, memory.answered, o.hold, memory.per_stream_kb());
  out += JsonArray(memory.stop_ms) + ",\"fresh_top\":" + JsonString(memory.fresh_top) +
         ",\"idle_top\":" + JsonString(memory.idle_top) +
         ",\"held_top\":" + JsonString(memory.held_top) + "},";
  out += "\"stop\":{\"hearth_closed\":" + JsonStats(stop_h) +
         ",\"hearth_closed_samples\":" + JsonArray(stops.hearth_closed_ms) +
         ",\"hearth_answered\":" + JsonStats(stop_answered) +
         ",\"hearth_answered_samples\":" + JsonArray(stops.hearth_answered_ms) +
         ",\"hearth_end_event\":" + JsonStats(stop_end) +
         ",\"hearth_end_event_samples\":" + JsonArray(stops.hearth_end_ms) +
         ",\"direct_closed\":" + JsonStats(stop_d) +
         ",\"direct_closed_samples\":" + JsonArray(stops.direct_closed_ms) + "}}\n";
  std::filesystem::create_directories(std::filesystem::path(json).parent_path(), ec);
  FILE* f = std::fopen(json.c_str(), "w");
  if (!f || std::fputs(out.c_str(), f) < 0 || std::fclose(f) != 0) {
    std::fprintf(stderr, "hearth_agent_bench: cannot write %s\n", json.c_str());
    return 1;
  }
  std::printf("JSON: %s\n", json.c_str());
  return 0;
}

}  // namespace
}  // namespace hearth::bench

int main(int argc, char** argv) { return hearth::bench::Main(argc, argv); }
