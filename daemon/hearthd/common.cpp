// SPDX-License-Identifier: Apache-2.0
// What the supervisor (main.cpp) and the backend (backend.cpp) share.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <string>

#include "auth/app_host.h"
#include "base/paths.h"
#include "hearthd/hearthd.h"

namespace hearth {

Result<Paths> ResolvePaths() {
  auto data = DataDir();
  if (!data.ok()) return data.status();
  auto runtime = RuntimeDir();
  if (!runtime.ok()) return runtime.status();
  Paths p;
  p.data_dir = *data;
  p.runtime_dir = *runtime;
  p.db = *data + "/hearth.db";
  p.port_file = *runtime + "/port";
  p.lock_file = *runtime + "/hearthd.lock";
  p.token_dir = *runtime + "/login-tokens";
  p.host_file = *data + "/host";
  return p;
}

Result<UniqueFd> TryLock(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return PosixError("open " + path, errno);
  if (flock(fd.get(), LOCK_EX | LOCK_NB) != 0) return PosixError("lock " + path, errno);
  return fd;
}

Result<UniqueFd> TerminationSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  UniqueFd fd(signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd.valid()) return PosixError("signalfd", errno);
  return fd;
}

std::string AppUrl(const std::string& app_host, uint16_t port) {
  return auth::AppOrigin(app_host, port) + "/";
}

std::string LoginUrl(const std::string& app_host, uint16_t port, const std::string& token) {
  return AppUrl(app_host, port) + "login?token=" + token;
}

}  // namespace hearth
