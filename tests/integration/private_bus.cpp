// SPDX-License-Identifier: Apache-2.0
#include "private_bus.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include "harness.h"

extern char** environ;

namespace hearth::testing {
namespace {

// Long enough for a daemon with nothing to write to exit on SIGTERM; then SIGKILL.
constexpr std::chrono::seconds kStopGrace{5};

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

std::string Config(const std::string& dir) {
  return R"(<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=)" +
         dir + R"(/bus</listen>
  <auth>EXTERNAL</auth>
  <servicedir>)" +
         dir + R"(/services</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
)";
}

}  // namespace

PrivateBus::PrivateBus(std::vector<std::string> env) {
  char tmpl[] = "/tmp/hearth-bus-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  std::filesystem::create_directories(service_dir());
  WriteFile(dir_ + "/bus.conf", Config(dir_));

  // Everything the child needs is built before fork.
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    if (!std::string_view(*e).starts_with("DBUS_")) env_strings.emplace_back(*e);
  }
  env_strings.insert(env_strings.end(), env.begin(), env.end());
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string config_arg = "--config-file=" + dir_ + "/bus.conf";
  std::string log_path = dir_ + "/bus.log";
  std::vector<std::string> argv_strings = {"/usr/bin/dbus-daemon", config_arg, "--nofork",
                                           "--print-address=3"};
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);

  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Only async-signal-safe calls from here on. A group of its own: the destructor kills it,
    // and with it every service the bus activated.
    setpgid(0, 0);
    int err = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (err < 0 || devnull < 0) _exit(127);
    if (write_end.get() == 3) {
      fcntl(3, F_SETFD, 0);
    } else if (dup2(write_end.get(), 3) < 0) {
      _exit(127);
    }
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  setpgid(pid_, pid_);  // also here, so the group exists whichever of the two runs first
  write_end.Reset();
  pidfd_ = UniqueFd(static_cast<int>(syscall(SYS_pidfd_open, pid_, 0)));

  auto deadline = Clock::now() + kDeadline;
  std::string printed;
  while (printed.find('\n') == std::string::npos) {
    pollfd fds[2] = {{read_end.get(), POLLIN, 0}, {pidfd_.get(), POLLIN, 0}};
    int n = poll(fds, 2, RemainingMs(deadline));
    if (n < 0 && errno == EINTR) continue;
    char buf[512];
    ssize_t got =
        n > 0 && (fds[0].revents & (POLLIN | POLLHUP)) ? read(read_end.get(), buf, sizeof buf) : 0;
    if (got <= 0) {
      std::string log = Log();
      Stop();  // the constructor throws, so the destructor will not run
      throw std::runtime_error("dbus-daemon printed no address: " + log);
    }
    printed.append(buf, static_cast<size_t>(got));
  }
  address_ = printed.substr(0, printed.find('\n'));
}

PrivateBus::~PrivateBus() { Stop(); }

void PrivateBus::Stop() {
  if (pid_ > 0) {
    kill(-pid_, SIGTERM);
    if (pidfd_.valid()) {
      pollfd pfd = {pidfd_.get(), POLLIN, 0};
      poll(&pfd, 1, static_cast<int>(std::chrono::milliseconds(kStopGrace).count()));
    }
    kill(-pid_, SIGKILL);  // whatever is left of the group: activated services, a hung bus
    kill(pid_, SIGKILL);
    int wstatus;
    while (waitpid(pid_, &wstatus, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }
  pidfd_.Reset();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }
}

void PrivateBus::AddService(const std::string& name, const std::string& exec) const {
  WriteFile(service_dir() + "/" + name + ".service",
            "[D-BUS Service]\nName=" + name + "\nExec=" + exec + "\n");
}

std::string PrivateBus::Log() const {
  std::ifstream in(dir_ + "/bus.log", std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace hearth::testing
