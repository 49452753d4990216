// SPDX-License-Identifier: Apache-2.0
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "http/listen_socket.h"

extern char** environ;

namespace hearth::testing {
namespace {

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Environment for a child: ours, minus anything systemd-ish and the session bus (a test that
// wants one passes a PrivateBus's address in `extra`), plus `extra`.
std::vector<std::string> ChildEnv(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("LISTEN_") || kv.starts_with("NOTIFY_SOCKET=") || kv.starts_with("XDG_") ||
        kv.starts_with("HOME=") || kv.starts_with("JOURNAL_STREAM=") ||
        kv.starts_with("DISPLAY=") || kv.starts_with("WAYLAND_DISPLAY=") ||
        kv.starts_with("DBUS_")) {
      continue;
    }
    env.emplace_back(kv);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

ExitStatus Decode(int wstatus) {
  if (WIFEXITED(wstatus)) return {true, WEXITSTATUS(wstatus)};
  if (WIFSIGNALED(wstatus)) return {false, WTERMSIG(wstatus)};
  return {};
}

bool SendAll(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Parses status line and headers from `head`; returns the header block length or npos.
size_t ParseHead(const std::string& data, HttpResponse& r) {
  size_t end = data.find("\r\n\r\n");
  if (end == std::string::npos) return std::string::npos;
  std::istringstream lines(data.substr(0, end));
  std::string line;
  std::getline(lines, line);
  if (line.size() >= 12) r.status = std::atoi(line.c_str() + 9);
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = Lower(line.substr(0, colon));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    auto& slot = r.headers[name];
    slot = slot.empty() ? value : slot + "\n" + value;
  }
  return end + 4;
}

std::string Dechunk(const std::string& body) {
  std::string out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t eol = body.find("\r\n", pos);
    if (eol == std::string::npos) break;
    size_t len = std::strtoul(body.substr(pos, eol - pos).c_str(), nullptr, 16);
    if (len == 0) break;
    out += body.substr(eol + 2, len);
    pos = eol + 2 + len + 2;
  }
  return out;
}

}  // namespace

UniqueFd Connect(uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int error = errno;
    fd.Reset();
    errno = error;
  }
  return fd;
}

UserDirs::UserDirs() {
  char tmpl[] = "/tmp/hearth-test-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  root_ = tmpl;
  std::filesystem::create_directories(root_ + "/run");
  std::filesystem::permissions(root_ + "/run", std::filesystem::perms::owner_all);
}

UserDirs::~UserDirs() {
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

std::vector<std::string> UserDirs::Env() const {
  return {"HOME=" + root_, "XDG_DATA_HOME=" + root_ + "/data", "XDG_RUNTIME_DIR=" + root_ + "/run",
          "XDG_CONFIG_HOME=" + root_ + "/config"};
}

Daemon::Daemon(const UserDirs& dirs, Options options) : dirs_(dirs) {
  static int counter = 0;
  std::string tag = std::to_string(getpid()) + "-" + std::to_string(++counter);
  notify_path_ = dirs.root() + "/notify-" + tag;
  stderr_path_ = dirs.root() + "/stderr-" + tag;

  notify_ = UniqueFd(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, notify_path_.c_str(), sizeof addr.sun_path - 1);
  if (bind(notify_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot bind the notify socket");
  }

  UniqueFd listener;
  if (options.pass_socket && options.listen_fd >= 0) {
    listener = UniqueFd(fcntl(options.listen_fd, F_DUPFD_CLOEXEC, 0));
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    getsockname(listener.get(), reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  } else if (options.pass_socket) {
    auto bound = http::BindLoopback();
    if (!bound.ok()) throw std::runtime_error(bound.status().message());
    port_ = bound->port;
    listener = std::move(bound->fd);
  }

  std::vector<std::string> argv_strings = {HEARTHD_PATH};
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
  std::vector<std::string> extra = dirs.Env();
  extra.push_back("NOTIFY_SOCKET=" + notify_path_);
  if (!options.bus_address.empty()) {
    extra.push_back("DBUS_SESSION_BUS_ADDRESS=" + options.bus_address);
  }
  if (options.pass_socket) {
    extra.push_back("LISTEN_FDS=1");
    extra.push_back("LISTEN_PID=0000000000");  // patched in the child, where the pid is known
  }
  std::vector<std::string> env_strings = ChildEnv(extra);
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  char* listen_pid = nullptr;
  for (char* e : envp) {
    if (e != nullptr && std::strncmp(e, "LISTEN_PID=", 11) == 0) listen_pid = e + 11;
  }

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Only async-signal-safe calls from here on.
    int err = open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (err >= 0) dup2(err, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
      dup2(devnull, STDIN_FILENO);
      dup2(devnull, STDOUT_FILENO);
    }
    if (listener.valid()) {
      if (listener.get() == 3) {
        fcntl(3, F_SETFD, 0);
      } else {
        dup2(listener.get(), 3);
      }
      char digits[16];
      int n = 0;
      for (pid_t p = getpid(); p > 0; p /= 10) digits[n++] = static_cast<char>('0' + p % 10);
      for (int i = 0; i < 10; ++i) listen_pid[i] = i < n ? digits[n - 1 - i] : '\0';
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  pidfd_ = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid_, 0)));
  stop_reader_ = UniqueFd(eventfd(0, EFD_CLOEXEC));
  if (!pidfd_.valid() || !stop_reader_.valid()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    throw std::runtime_error("pidfd_open or eventfd failed");
  }
  reader_ = std::thread([this] { ReadNotifications(); });
}

Daemon::~Daemon() {
  if (pid_ > 0 && !exit_) {
    kill(pid_, SIGKILL);
    int wstatus;
    waitpid(pid_, &wstatus, 0);
  }
  StopReader();
  unlink(notify_path_.c_str());
}

void Daemon::StopReader() {
  if (!reader_.joinable()) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(stop_reader_.get(), &one, sizeof one);
  reader_.join();
}

void Daemon::ReadNotifications() {
  bool watch_process = true;
  for (;;) {
    pollfd fds[3] = {{notify_.get(), POLLIN, 0},
                     {stop_reader_.get(), POLLIN, 0},
                     {watch_process ? pidfd_.get() : -1, POLLIN, 0}};
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    // Datagrams first: what the daemon said before it exited is read before its exit is noted.
    char buf[4096];
    ssize_t len;
    while ((len = recv(notify_.get(), buf, sizeof buf, MSG_DONTWAIT)) > 0) {
      std::lock_guard lock(mu_);
      notifications_.emplace_back(buf, static_cast<size_t>(len));
      changed_.notify_all();
    }
    if (fds[2].revents & POLLIN) {
      watch_process = false;
      std::lock_guard lock(mu_);
      process_ended_ = true;
      changed_.notify_all();
    }
    if (fds[1].revents & POLLIN) return;
  }
}

std::vector<std::string> Daemon::notifications() const {
  std::lock_guard lock(mu_);
  return notifications_;
}

bool Daemon::WaitNotification(const std::string& needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  auto seen = [&] {
    for (const auto& n : notifications_) {
      if (n.find(needle) != std::string::npos) return true;
    }
    return false;
  };
  return changed_.wait_until(lock, Clock::now() + timeout, [&] {
    return seen() || process_ended_;
  }) && seen();
}

bool Daemon::WaitReady() {
  if (!WaitNotification("READY=1")) return false;  // exited before becoming ready, or too slow
  if (port_ == 0) {
    std::string text = ReadFile(dirs_.runtime_dir() + "/port");
    port_ = static_cast<uint16_t>(std::atoi(text.c_str()));
  }
  return true;
}

ExitStatus Daemon::WaitExit(std::chrono::milliseconds timeout) {
  if (exit_) return *exit_;
  pollfd pfd = {pidfd_.get(), POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(timeout.count())) <= 0) return {};
  int wstatus = 0;
  if (waitpid(pid_, &wstatus, 0) != pid_) return {};
  exit_ = Decode(wstatus);
  return *exit_;
}

ExitStatus Daemon::Terminate() {
  Signal(SIGTERM);
  return WaitExit();
}

void Daemon::Signal(int sig) {
  if (!exit_) kill(pid_, sig);
}

std::string Daemon::Stderr() const { return ReadFile(stderr_path_); }

pid_t Daemon::BackendPid() const {
  // hearthd's only child is its backend; threads other than the main one start none.
  if (exit_) return 0;
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/task", ec)) {
    std::istringstream children(ReadFile(task.path().string() + "/children"));
    pid_t child = 0;
    if (children >> child) return child;
  }
  return 0;
}

bool WaitProcessExit(pid_t pid, std::chrono::milliseconds timeout) {
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd.valid()) return errno == ESRCH;
  pollfd pfd = {pidfd.get(), POLLIN, 0};
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int n = poll(&pfd, 1, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

std::string Daemon::LoginPath() {
  RunResult r = RunHearthd(dirs_, {"--login-url"});
  std::string url = r.out;
  while (!url.empty() && url.back() == '\n') url.pop_back();
  size_t pos = url.find("/login?");
  if (!r.status.exited || r.status.code != 0 || pos == std::string::npos) {
    throw std::runtime_error("hearthd --login-url failed: " + r.err);
  }
  std::string host = AppHost();
  if (host.empty() || url.substr(0, pos) != "http://" + host) {
    throw std::runtime_error("hearthd --login-url printed " + url + ", not a link to " + host);
  }
  return url.substr(pos);
}

std::string Daemon::AppHost() const {
  std::string name = AppHostName(dirs_);
  return name.empty() ? name : name + ":" + std::to_string(port_);
}

std::string AppHostName(const UserDirs& dirs) {
  std::string name = ReadFile(dirs.data_dir() + "/host");
  while (!name.empty() && name.back() == '\n') name.pop_back();
  return name;
}

RunResult RunHearthd(const UserDirs& dirs, const std::vector<std::string>& args) {
  std::vector<std::string> argv_strings = {HEARTHD_PATH};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<std::string> env_strings = ChildEnv(dirs.Env());
  std::vector<char*> argv = CStrings(argv_strings);
  std::vector<char*> envp = CStrings(env_strings);
  std::string out_path = dirs.root() + "/run-out", err_path = dirs.root() + "/run-err";
  pid_t pid = fork();
  if (pid == 0) {
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  RunResult r;
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  r.status = Decode(wstatus);
  r.out = ReadFile(out_path);
  r.err = ReadFile(err_path);
  return r;
}

std::string SendRawAll(uint16_t port, const std::string& raw, bool half_close) {
  UniqueFd fd = Connect(port);
  if (!fd.valid() || !SendAll(fd.get(), raw)) return {};
  if (half_close) shutdown(fd.get(), SHUT_WR);
  auto deadline = Clock::now() + kDeadline;
  std::string data;
  char buf[16384];
  for (;;) {
    pollfd pfd = {fd.get(), POLLIN, 0};
    if (poll(&pfd, 1, RemainingMs(deadline)) <= 0) break;
    ssize_t n = recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) break;
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

HttpResponse SendRaw(uint16_t port, const std::string& raw, bool half_close) {
  HttpResponse r;
  std::string data = SendRawAll(port, raw, half_close);
  size_t body_start = ParseHead(data, r);
  if (body_start == std::string::npos) return HttpResponse{};
  r.body = data.substr(body_start);
  if (Lower(r.Header("transfer-encoding")) == "chunked") r.body = Dechunk(r.body);
  return r;
}

std::string FormEncode(const std::string& text) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

HttpResponse Client::Login(const std::string& login_path) {
  HttpResponse r = Request("GET", login_path, {{"Origin", ""}, {"HX-Request", ""}}, "");
  std::string cookie = r.Header("set-cookie");
  size_t eq = cookie.find('=');
  size_t semi = cookie.find(';');
  if (r.status == 303 && eq != std::string::npos) cookie_ = cookie.substr(0, semi);
  return r;
}

HttpResponse Client::Get(const std::string& path, std::map<std::string, std::string> headers) {
  return Request("GET", path, std::move(headers), "");
}

HttpResponse Client::Post(const std::string& path, const std::string& form_body,
                          std::map<std::string, std::string> headers) {
  headers.try_emplace("Content-Type", "application/x-www-form-urlencoded");
  return Request("POST", path, std::move(headers), form_body);
}

HttpResponse Client::Request(const std::string& method, const std::string& path,
                             std::map<std::string, std::string> headers, const std::string& body) {
  headers.try_emplace("Host", host_);
  headers.try_emplace("HX-Request", "true");
  if (method != "GET" && method != "HEAD") headers.try_emplace("Origin", origin());
  if (!cookie_.empty()) headers.try_emplace("Cookie", cookie_);
  std::string raw = method + " " + path + " HTTP/1.1\r\n";
  for (const auto& [name, value] : headers) {
    if (!value.empty()) raw += name + ": " + value + "\r\n";  // an empty value drops a default
  }
  if (!body.empty() || method == "POST")
    raw += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  raw += "Connection: close\r\n\r\n" + body;
  return SendRaw(port_, raw);
}

EventReader::EventReader(uint16_t port, const std::string& cookie, const std::string& host) {
  fd_ = Connect(port);
  if (!fd_.valid()) return;
  std::string raw = "GET /events HTTP/1.1\r\nHost: " + host +
                    "\r\nAccept: text/event-stream\r\nCookie: " + cookie + "\r\n\r\n";
  if (!SendAll(fd_.get(), raw)) return;
  auto deadline = Clock::now() + kDeadline;
  while (received_.find("\r\n\r\n") == std::string::npos && ReadSome(deadline)) {
  }
  HttpResponse head;
  size_t body = ParseHead(received_, head);
  if (body == std::string::npos) return;
  status_ = head.status;
  received_.erase(0, body);
}

bool EventReader::ReadSome(Clock::time_point deadline) {
  if (closed_) return false;
  pollfd pfd = {fd_.get(), POLLIN, 0};
  if (poll(&pfd, 1, RemainingMs(deadline)) <= 0) return false;
  char buf[4096];
  ssize_t n = recv(fd_.get(), buf, sizeof buf, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  received_.append(buf, static_cast<size_t>(n));
  return true;
}

bool EventReader::WaitFor(const std::string& needle, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (received_.find(needle) == std::string::npos) {
    if (!ReadSome(deadline)) return received_.find(needle) != std::string::npos;
  }
  return true;
}

bool EventReader::WaitClosed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!closed_ && Clock::now() < deadline) ReadSome(deadline);
  return closed_;
}

}  // namespace hearth::testing
