// SPDX-License-Identifier: Apache-2.0
// hearthctl: Hearth's control plane (org.hearth.Hearth1 on the session bus) for scripts.
#include <json/json.h>
#include <sdbus-c++/sdbus-c++.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "control/client.h"
#include "desktop/browser.h"
#include "hearthctl/setup.h"

namespace hearth::ctl {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;       // the daemon answered with an error
constexpr int kExitUsage = 2;        // bad arguments
constexpr int kExitUnreachable = 3;  // no bus, or the daemon cannot be started or did not answer
constexpr int kExitNotRunning = 4;   // status: the daemon answered, the backend is not running

constexpr uint32_t kMaxTimeoutSeconds = 3600;

constexpr std::string_view kUsage =
    "Usage: hearthctl [--timeout SECONDS] COMMAND [ARGS]\n"
    "\n"
    "Controls Hearth's daemon over D-Bus (org.hearth.Hearth1 on the session bus). The first\n"
    "command starts the daemon through the bus when it is installed and not running.\n"
    "\n"
    "Commands:\n"
    "  status [--json]        the supervisor's state: backend, port, uptime, restarts, last exit\n"
    "  start                  start the backend if it is stopped or has failed\n"
    "  restart                restart the backend gracefully; prints the new backend's pid\n"
    "  stop                   stop the backend (the daemon and its port stay)\n"
    "  token [--ttl SECONDS] [--json]\n"
    "                         print a fresh single-use login token (TTL 1-600 s, default 60)\n"
    "  revoke TOKEN           make an unused login token worthless\n"
    "  sign-out-all           end every session (every browser and window signs in again)\n"
    "  url                    print a fresh login link (valid once, for 60 s)\n"
    "  open                   open Hearth in the default browser\n"
    "  setup [--new-port] [--no-enable]\n"
    "                         give Hearth a loopback port of your own and enable hearth.socket\n"
    "\n"
    "Options:\n"
    "  --timeout SECONDS      how long to wait for the daemon (default 25)\n"
    "  --help, --version\n"
    "\n"
    "Exit status: 0 done; 1 the daemon refused (the error is printed); 2 bad arguments;\n"
    "3 the daemon cannot be reached; 4 (status) the backend is not running.\n";

void Error(const std::string& message) { std::fprintf(stderr, "hearthctl: %s\n", message.c_str()); }

int UsageError(const std::string& message) {
  Error(message + " (see hearthctl --help)");
  return kExitUsage;
}

int Fail(const Status& status) {
  Error(status.message());
  return status.code() == Status::Code::kUnavailable ? kExitUnreachable : kExitFailed;
}

// Writes `text` to stdout; a failed write (a closed pipe, a full disk) is an error too.
int Print(const std::string& text) {
  if (std::fputs(text.c_str(), stdout) < 0 || std::fflush(stdout) != 0) {
    Error("cannot write to standard output");
    return kExitFailed;
  }
  return kExitOk;
}

std::optional<uint32_t> ParseSeconds(std::string_view text, uint32_t max) {
  uint32_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value > max) {
    return std::nullopt;
  }
  return value;
}

// The a{sv} of Supervise as JSON: strings stay strings, integers become numbers.
Json::Value ToJson(const std::map<std::string, sdbus::Variant>& status) {
  Json::Value out(Json::objectValue);
  for (const auto& [key, value] : status) {
    if (value.containsValueOfType<std::string>()) {
      out[key] = value.get<std::string>();
    } else if (value.containsValueOfType<uint64_t>()) {
      out[key] = static_cast<Json::UInt64>(value.get<uint64_t>());
    } else if (value.containsValueOfType<uint32_t>()) {
      out[key] = value.get<uint32_t>();
    } else if (value.containsValueOfType<uint16_t>()) {
      out[key] = value.get<uint16_t>();
    } else if (value.containsValueOfType<int32_t>()) {
      out[key] = value.get<int32_t>();
    } else if (value.containsValueOfType<bool>()) {
      out[key] = value.get<bool>();
    }
    // A type this version does not know (from a newer daemon) is left out.
  }
  return out;
}

std::string JsonLine(const Json::Value& value) {
  Json::StreamWriterBuilder builder;
  builder["indentation"] = "";
  return Json::writeString(builder, value) + "\n";
}

// "3 h 2 min", "4 min 10 s", "12 s", "850 ms".
std::string Duration(uint64_t ms) {
  uint64_t s = ms / 1000;
  if (s == 0) return std::to_string(ms) + " ms";
  if (s < 60) return std::to_string(s) + " s";
  if (s < 3600) return std::to_string(s / 60) + " min " + std::to_string(s % 60) + " s";
  if (s < 86400) return std::to_string(s / 3600) + " h " + std::to_string(s / 60 % 60) + " min";
  return std::to_string(s / 86400) + " d " + std::to_string(s / 3600 % 24) + " h";
}

std::string HumanStatus(const Json::Value& s) {
  std::string out = "Hearth " + s["version"].asString() + ": " + s["state"].asString() + "\n";
  out += "  url:        " + s["url"].asString() + "\n";
  if (uint64_t pid = s["backend_pid"].asUInt64(); pid != 0) {
    out += "  backend:    pid " + std::to_string(pid) + ", up " +
           Duration(s["uptime_ms"].asUInt64()) + "\n";
  } else {
    out += "  backend:    none\n";
  }
  out += "  supervisor: up " + Duration(s["supervisor_uptime_ms"].asUInt64()) + "\n";
  out += "  restarts:   " + std::to_string(s["restarts"].asUInt()) + "\n";
  if (std::string reason = s["last_exit_reason"].asString(); !reason.empty()) {
    out += "  last exit:  " + reason + "\n";
  }
  if (uint64_t us = s["last_probe_latency_us"].asUInt64(); us != 0) {
    char latency[32];
    std::snprintf(latency, sizeof latency, "%.1f ms", static_cast<double>(us) / 1000.0);
    out += "  last probe: " + std::string(latency) + "\n";
  }
  if (std::string sandbox = s["sandbox"].asString(); !sandbox.empty()) {
    out += "  sandbox:    " + sandbox + "\n";
  }
  if (std::string database = s["database"].asString(); !database.empty()) {
    std::string detail = s["database_detail"].asString();
    out += "  database:   " + database + (detail.empty() ? "" : ": " + detail) + "\n";
  }
  return out;
}

// One parsed command line, before anything is sent.
struct Command {
  std::string name;
  std::vector<std::string> args;
};

// Takes the command's flags: `flags` names those it knows (with `with_value` those that take
// one). Returns the values by name ("" for a plain flag), or nullopt after printing the error.
std::optional<std::map<std::string, std::string>> ParseFlags(
    const Command& command, const std::vector<std::string_view>& flags,
    const std::vector<std::string_view>& with_value, size_t positional,
    std::vector<std::string>* positionals) {
  std::map<std::string, std::string> seen;
  for (size_t i = 0; i < command.args.size(); ++i) {
    const std::string& arg = command.args[i];
    bool known = std::find(flags.begin(), flags.end(), arg) != flags.end();
    bool takes_value = std::find(with_value.begin(), with_value.end(), arg) != with_value.end();
    if (known || takes_value) {
      if (seen.contains(arg)) {
        UsageError(command.name + ": " + arg + " given twice");
        return std::nullopt;
      }
      if (takes_value && i + 1 == command.args.size()) {
        UsageError(command.name + ": " + arg + " needs a value");
        return std::nullopt;
      }
      seen[arg] = takes_value ? command.args[++i] : "";
    } else if (!arg.starts_with("-") && positionals != nullptr &&
               positionals->size() < positional) {
      positionals->push_back(arg);
    } else {
      UsageError(command.name + ": unexpected argument '" + arg + "'");
      return std::nullopt;
    }
  }
  if (positionals != nullptr && positionals->size() != positional) {
    UsageError(command.name + ": missing argument");
    return std::nullopt;
  }
  return seen;
}

int ShowStatus(control::Client& client, bool json) {
  auto status = client.Supervise();
  if (!status.ok()) return Fail(status.status());
  Json::Value s = ToJson(*status);
  int printed = Print(json ? JsonLine(s) : HumanStatus(s));
  if (printed != kExitOk) return printed;
  return s["state"].asString() == "running" ? kExitOk : kExitNotRunning;
}

int Run(const Command& command, std::chrono::milliseconds timeout) {
  const std::string& name = command.name;
  // Validate everything before connecting: a usage error never reaches the daemon.
  std::optional<std::map<std::string, std::string>> flags;
  std::vector<std::string> positionals;
  uint32_t ttl = 0;
  if (name == "status") {
    flags = ParseFlags(command, {"--json"}, {}, 0, nullptr);
  } else if (name == "token") {
    flags = ParseFlags(command, {"--json"}, {"--ttl"}, 0, nullptr);
    if (flags && flags->contains("--ttl")) {
      auto parsed = ParseSeconds((*flags)["--ttl"], UINT32_MAX);
      if (!parsed || *parsed == 0) {
        return UsageError("token: --ttl takes a number of seconds (1-600)");
      }
      ttl = *parsed;  // the daemon enforces the upper bound and says so
    }
  } else if (name == "revoke") {
    flags = ParseFlags(command, {}, {}, 1, &positionals);
  } else if (name == "start" || name == "restart" || name == "stop" || name == "sign-out-all" ||
             name == "url" || name == "open") {
    flags = ParseFlags(command, {}, {}, 0, nullptr);
  } else {
    return UsageError("unknown command '" + name + "'");
  }
  if (!flags) return kExitUsage;

  auto connected = control::Client::Connect(timeout);
  if (!connected.ok()) return Fail(connected.status());
  control::Client& client = **connected;

  if (name == "status") return ShowStatus(client, flags->contains("--json"));
  if (name == "start") {
    auto status = client.Supervise();
    if (!status.ok()) return Fail(status.status());
    return Print(ToJson(*status)["state"].asString() + "\n");
  }
  if (name == "restart") {
    auto pid = client.Restart();
    if (!pid.ok()) return Fail(pid.status());
    return Print(std::to_string(*pid) + "\n");
  }
  if (name == "stop") {
    Status stopped = client.Stop();
    return stopped.ok() ? kExitOk : Fail(stopped);
  }
  if (name == "token") {
    auto issued = client.IssueToken(ttl);
    if (!issued.ok()) return Fail(issued.status());
    if (!flags->contains("--json")) return Print(issued->token + "\n");
    Json::Value out(Json::objectValue);
    out["token"] = issued->token;
    out["expires_unix_ms"] = static_cast<Json::UInt64>(issued->expires_unix_ms);
    return Print(JsonLine(out));
  }
  if (name == "revoke") {
    Status revoked = client.RevokeToken(positionals[0]);
    return revoked.ok() ? kExitOk : Fail(revoked);
  }
  if (name == "sign-out-all") {
    auto count = client.RevokeAllSessions();
    if (!count.ok()) return Fail(count.status());
    return Print(std::to_string(*count) + "\n");
  }
  auto url = client.LoginUrl();
  if (!url.ok()) return Fail(url.status());
  if (name == "url") return Print(*url + "\n");
  // open
  Status opened = desktop::HaveDisplay() ? desktop::OpenInBrowser(*url)
                                         : Status::Unsupported("no display to open a browser on");
  if (opened.ok()) return kExitOk;
  Error(opened.message() + "; open this link by hand (it works once, within 60 seconds):");
  return Print(*url + "\n");
}

int Main(int argc, char** argv) {
  std::chrono::milliseconds timeout = control::kDefaultCallTimeout;
  int i = 1;
  for (; i < argc && argv[i][0] == '-'; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") return Print(std::string(kUsage));
    if (arg == "--version") return Print("hearthctl " HEARTH_VERSION "\n");
    if (arg == "--timeout") {
      auto seconds = i + 1 < argc ? ParseSeconds(argv[++i], kMaxTimeoutSeconds) : std::nullopt;
      if (!seconds || *seconds == 0) return UsageError("--timeout takes 1 to 3600 seconds");
      timeout = std::chrono::seconds(*seconds);
    } else {
      return UsageError("unknown option '" + std::string(arg) + "'");
    }
  }
  if (i == argc) return UsageError("no command given");
  Command command{argv[i], std::vector<std::string>(argv + i + 1, argv + argc)};
  if (command.name == "setup") return RunSetup(command.args);
  return Run(command, timeout);
}

}  // namespace
}  // namespace hearth::ctl

int main(int argc, char** argv) {
  try {
    return hearth::ctl::Main(argc, argv);
  } catch (const std::exception& e) {
    hearth::ctl::Error(std::string("unexpected error: ") + e.what());
    return hearth::ctl::kExitFailed;
  }
}
