// SPDX-License-Identifier: Apache-2.0
// hearth: the launcher. Asks the daemon for a login link over D-Bus (starting the daemon if
// needed) and opens Hearth in a native window, or in the default browser.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "control/client.h"
#include "desktop/browser.h"
#include "launcher/login_url.h"
#include "launcher/web_window.h"

namespace hearth::launcher {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNotReachable = 3;

constexpr std::string_view kUsage =
    "Usage: hearth [--browser | --print-url]\n"
    "       hearth --version | --help\n"
    "\n"
    "Opens Hearth, starting its daemon through the session bus if it is not running: in a window\n"
    "of its own when there is a display, in the default browser otherwise. When nothing can be\n"
    "opened, prints a login link to open by hand.\n"
    "  --browser    open Hearth in the default web browser (xdg-open) instead of a window\n"
    "  --print-url  print a fresh login link (valid once, for 60 s) and exit\n"
    "\n"
    "Exit status: 0 opened (or printed), 1 failed, 2 bad arguments, 3 the daemon cannot be\n"
    "reached.\n"
    "Files: $XDG_CONFIG_HOME/hearth/window.ini (window size),\n"
    "       $XDG_DATA_HOME/hearth/webview/ (the window's website data)\n";

enum class Mode { kWindow, kBrowser, kPrintUrl };

void Error(const std::string& message) { std::fprintf(stderr, "hearth: %s\n", message.c_str()); }

void PrintForHand(const std::string& url) {
  std::printf(
      "Open this link in a web browser to use Hearth (it works once, within 60 seconds):\n%s\n",
      url.c_str());
  std::fflush(stdout);
}

int Run(Mode mode) {
  Result<std::string> url = Status::Unavailable("not asked yet");
  if (auto client = control::Client::Connect(); client.ok()) {
    url = (*client)->LoginUrl();
  } else {
    url = client.status();
  }
  if (!url.ok()) {
    Error(url.status().message());
    return url.status().code() == Status::Code::kUnavailable ? kExitNotReachable : kExitFailure;
  }
  auto login = ParseLoginUrl(*url);
  if (!login.ok()) {
    Error(login.status().message());
    return kExitFailure;
  }
  if (mode == Mode::kPrintUrl) {
    std::printf("%s\n", login->url.c_str());
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
  }
  if (!desktop::HaveDisplay()) {
    Error("no display (neither WAYLAND_DISPLAY nor DISPLAY is set)");
    PrintForHand(login->url);
    return kExitOk;
  }
  if (mode == Mode::kWindow) {
    Status shown = RunWebWindow(*login);
    if (shown.ok()) return kExitOk;
    if (shown.code() != Status::Code::kUnsupported) {
      Error(shown.message());
      return kExitFailure;
    }
    Error(shown.message() + "; opening Hearth in the browser instead");
  }
  Status opened = desktop::OpenInBrowser(login->url);
  if (opened.ok()) return kExitOk;
  Error(opened.message());
  PrintForHand(login->url);
  return kExitOk;
}

int Main(int argc, char** argv) {
  Mode mode = Mode::kWindow;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return kExitOk;
    }
    if (arg == "--version") {
      std::printf("hearth %s\n", HEARTH_VERSION);
      return kExitOk;
    }
    Mode wanted;
    if (arg == "--browser") {
      wanted = Mode::kBrowser;
    } else if (arg == "--print-url") {
      wanted = Mode::kPrintUrl;
    } else {
      Error("unknown argument '" + std::string(arg) + "' (see hearth --help)");
      return kExitUsage;
    }
    if (mode != Mode::kWindow && mode != wanted) {
      Error("--browser and --print-url cannot be combined");
      return kExitUsage;
    }
    mode = wanted;
  }
  return Run(mode);
}

}  // namespace
}  // namespace hearth::launcher

int main(int argc, char** argv) {
  try {
    return hearth::launcher::Main(argc, argv);
  } catch (const std::exception& e) {
    hearth::launcher::Error(std::string("unexpected error: ") + e.what());
    return hearth::launcher::kExitFailure;
  }
}
