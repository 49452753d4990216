// SPDX-License-Identifier: Apache-2.0
#include "hearthctl/setup.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fd.h"
#include "base/paths.h"
#include "base/random.h"
#include "base/status.h"
#include "base/strings.h"

extern char** environ;

namespace hearth::ctl {
namespace {

constexpr char kUsage[] =
    "usage: hearthctl setup [--new-port] [--no-enable]\n"
    "  Gives Hearth a loopback port of your own and starts listening on it (hearth.socket).\n"
    "  --new-port   pick a new port even if one was set up before\n"
    "  --no-enable  only write the port drop-in; do not run systemctl\n";

constexpr char kDropInRelative[] = "/systemd/user/hearth.socket.d";
constexpr char kDropInName[] = "port.conf";
constexpr std::string_view kLoopbackPrefix = "127.0.0.1:";

// Ports are picked from here, minus the kernel's ephemeral range (32768-60999 by default).
constexpr int kFirstPort = 20000;
constexpr int kLastPort = 65535;
constexpr int kAttempts = 64;

struct Options {
  bool new_port = false;
  bool enable = true;
};

struct PortRange {
  int first;
  int last;
};

// ConfigDir() is "<config home>/hearth"; the systemd user directory lives in the config home.
Result<std::string> ConfigHome() {
  auto dir = ConfigDir();
  if (!dir.ok()) return dir.status();
  constexpr std::string_view kSuffix = "/hearth";
  std::string home = *dir;
  if (home.size() <= kSuffix.size() || !std::string_view(home).ends_with(kSuffix)) {
    return Status::Internal("unexpected config directory " + home);
  }
  home.resize(home.size() - kSuffix.size());
  return home;
}

// mkdir -p: creates each missing component of `path` with `mode`; existing ones are left as
// they are (the user's ~/.config keeps its mode).
Status MakeDirs(const std::string& path, mode_t mode) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      return PosixError("create directory " + prefix, errno);
    }
  }
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return PosixError("stat " + path, errno);
  if (!S_ISDIR(st.st_mode)) return Status::InvalidArgument(path + " exists but is not a directory");
  return Status::Ok();
}

std::optional<int> ParsePort(std::string_view text) {
  int port = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (error != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) {
    return std::nullopt;
  }
  return port;
}

// The port the drop-in makes the socket listen on: the last ListenStream= after the last empty
// one (which resets the list), if that is exactly one 127.0.0.1:PORT.
std::optional<int> PortFromDropIn(std::string_view text) {
  std::vector<std::string_view> listen;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = Trim(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    constexpr std::string_view kKey = "ListenStream=";
    if (!line.starts_with(kKey)) continue;
    std::string_view value = Trim(line.substr(kKey.size()));
    if (value.empty()) {
      listen.clear();
    } else {
      listen.push_back(value);
    }
  }
  if (listen.size() != 1 || !listen[0].starts_with(kLoopbackPrefix)) return std::nullopt;
  return ParsePort(listen[0].substr(kLoopbackPrefix.size()));
}

std::string DropInText(int port) {
  return "# Written by `hearthctl setup`: this user's port for Hearth.\n"
         "# `hearthctl setup --new-port` picks another one.\n"
         "[Socket]\n"
         "ListenStream=\n"
         "ListenStream=127.0.0.1:" +
         std::to_string(port) + "\n";
}

// The kernel's ephemeral port range, where outgoing connections take their local ports.
PortRange EphemeralRange() {
  PortRange range{32768, 60999};
  auto text = ReadSmallFile("/proc/sys/net/ipv4/ip_local_port_range");
  if (!text.ok()) return range;
  int first = 0, last = 0;
  if (std::sscanf(text->c_str(), "%d %d", &first, &last) == 2 && first <= last) {
    range = {first, last};
  }
  return range;
}

// Whether 127.0.0.1:port can be bound now; a port someone listens on (on any address) cannot.
bool CanBind(int port) {
  UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
}

Result<int> PickPort(std::optional<int> avoid) {
  PortRange ephemeral = EphemeralRange();
  std::vector<PortRange> ranges;
  if (ephemeral.first > kFirstPort) {
    ranges.push_back({kFirstPort, std::min(ephemeral.first - 1, kLastPort)});
  }
  if (ephemeral.last < kLastPort)
    ranges.push_back({std::max(ephemeral.last + 1, kFirstPort), kLastPort});
  if (ranges.empty()) ranges.push_back({kFirstPort, kLastPort});  // the ephemeral range is all
  uint32_t count = 0;
  for (const PortRange& r : ranges) count += static_cast<uint32_t>(r.last - r.first + 1);

  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    uint32_t pick;
    FillRandom(&pick, sizeof pick);
    pick %= count;
    int port = 0;
    for (const PortRange& r : ranges) {
      uint32_t size = static_cast<uint32_t>(r.last - r.first + 1);
      if (pick < size) {
        port = r.first + static_cast<int>(pick);
        break;
      }
      pick -= size;
    }
    if (port == avoid) continue;
    if (CanBind(port)) return port;
  }
  return Status::Busy("found no free loopback port in " + std::to_string(kAttempts) +
                      " tries between " + std::to_string(kFirstPort) + " and " +
                      std::to_string(kLastPort));
}

std::string CommandLine(const std::vector<std::string>& argv) {
  std::string line;
  for (const std::string& arg : argv) {
    if (!line.empty()) line += ' ';
    line += arg;
  }
  return line;
}

// Runs argv[0] (looked up on PATH) with the caller's stdio and environment; waits for it.
Status Run(const std::vector<std::string>& argv) {
  std::vector<char*> c_argv;
  for (const std::string& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid;
  // posix_spawnp is fork + execvp in one call, and it reports a failed exec as its result.
  int error = posix_spawnp(&pid, c_argv[0], nullptr, nullptr, c_argv.data(), environ);
  if (error == ENOENT) {
    return Status::NotFound(argv[0] + " is not on PATH");
  }
  if (error != 0) return PosixError("run " + argv[0], error);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0) {
    if (errno != EINTR) return PosixError("wait for " + argv[0], errno);
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return Status::Ok();
  std::string how = WIFEXITED(wstatus) ? "exit status " + std::to_string(WEXITSTATUS(wstatus))
                                       : "signal " + std::to_string(WTERMSIG(wstatus));
  return Status::IoError("`" + CommandLine(argv) + "` failed (" + how + ")");
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "hearthctl setup: %s\n", message.c_str());
  return 1;
}

}  // namespace

int RunSetup(const std::vector<std::string>& args) {
  Options options;
  for (const std::string& arg : args) {
    if (arg == "--new-port") {
      options.new_port = true;
    } else if (arg == "--no-enable") {
      options.enable = false;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "hearthctl setup: unknown argument '%s'\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }

  auto config_home = ConfigHome();
  if (!config_home.ok()) return Fail(config_home.status().message());
  const std::string dir = *config_home + kDropInRelative;
  const std::string path = dir + "/" + kDropInName;

  std::optional<int> old_port;
  auto existing = ReadSmallFile(path);
  if (existing.ok()) {
    old_port = PortFromDropIn(*existing);
    if (!old_port && !options.new_port) {
      return Fail(path +
                  " does not name one 127.0.0.1 port. Fix or delete it, or run "
                  "`hearthctl setup --new-port` to replace it.");
    }
  } else if (existing.status().code() != Status::Code::kNotFound) {
    return Fail(existing.status().message());
  }

  int port;
  if (!old_port || options.new_port) {
    auto picked = PickPort(old_port);
    if (!picked.ok()) return Fail(picked.status().message());
    port = *picked;
    // The config home itself is private when we create it (XDG base directory spec).
    Status made = MakeDirs(*config_home, 0700);
    if (made.ok()) made = MakeDirs(dir, 0755);
    if (!made.ok()) return Fail(made.message());
    Status written = WriteFileAtomic(path, DropInText(port));
    if (!written.ok()) return Fail(written.message());
    if (old_port) {
      std::printf("Changed Hearth's port from %d to %d in %s\n", *old_port, port, path.c_str());
    } else {
      std::printf("Gave Hearth port %d in %s\n", port, path.c_str());
    }
  } else {
    port = *old_port;
    std::printf("Keeping Hearth's port %d from %s (--new-port picks another)\n", port,
                path.c_str());
  }

  if (!options.enable) {
    std::printf("Not enabling (--no-enable): run `hearthctl setup` to listen on it.\n");
  } else {
    // A listening hearth.socket holds its port. If the port is free, the socket is stopped or
    // still listens on an old port: a running socket keeps its old address across
    // daemon-reload, and systemd refuses to start it while hearth.service runs, so both stop
    // first. Deciding on the port rather than on what this run wrote lets a rerun finish the
    // job of an earlier run that did not get as far.
    std::vector<std::vector<std::string>> steps = {{"systemctl", "--user", "daemon-reload"}};
    if (CanBind(port)) {
      steps.push_back({"systemctl", "--user", "stop", "hearth.socket", "hearth.service"});
    }
    steps.push_back({"systemctl", "--user", "enable", "--now", "hearth.socket"});
    for (const auto& step : steps) {
      Status ran = Run(step);
      if (ran.code() == Status::Code::kNotFound) {
        return Fail(
            "systemctl is not on PATH, so the port is set but nothing listens on it. "
            "Without systemd, run hearthd yourself: it picks a port of its own.");
      }
      if (!ran.ok()) {
        return Fail(ran.message() +
                    ". The port is set; once `systemctl --user` works (in a desktop or login "
                    "session, with the hearth package installed), run `hearthctl setup` again; if "
                    "another program holds the port, `hearthctl setup --new-port`.");
      }
    }
    std::printf("Enabled hearth.socket: it listens now and at every login\n");
  }
  std::printf("Hearth listens on 127.0.0.1:%d (open it with `hearth` or `hearthctl open`)\n", port);
  return 0;
}

}  // namespace hearth::ctl
