// SPDX-License-Identifier: Apache-2.0
#include "desktop/browser.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "base/fd.h"

namespace hearth::desktop {
namespace {

bool NonEmptyEnv(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && v[0] != '\0';
}

// Reads the errno a failed exec wrote into the pipe; 0 when the pipe closed because exec worked.
int ReadExecError(int fd) {
  int error = 0;
  ssize_t n;
  do {
    n = read(fd, &error, sizeof error);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof error) ? error : 0;
}

}  // namespace

bool HaveDisplay() { return NonEmptyEnv("WAYLAND_DISPLAY") || NonEmptyEnv("DISPLAY"); }

Status OpenInBrowser(const std::string& url, std::chrono::milliseconds wait) {
  // The child reports a failed exec through a close-on-exec pipe: a successful exec closes it
  // unread, so the parent can tell "xdg-open is missing" from "xdg-open failed".
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return PosixError("create a pipe", errno);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);

  pid_t pid = fork();
  if (pid < 0) return PosixError("fork to run xdg-open", errno);
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    const char* argv[] = {"xdg-open", url.c_str(), nullptr};
    execvp(argv[0], const_cast<char* const*>(argv));
    int error = errno;
    [[maybe_unused]] ssize_t n = write(write_end.get(), &error, sizeof error);
    _exit(127);
  }
  write_end.Reset();
  if (int error = ReadExecError(read_end.get()); error != 0) {
    waitpid(pid, nullptr, 0);
    if (error == ENOENT) {
      return Status::NotFound("xdg-open is not installed (Debian package xdg-utils)");
    }
    return PosixError("run xdg-open", error);
  }

  // glibc 2.36's <sys/pidfd.h> lacks extern "C", so ask the kernel directly. Without pidfds
  // (Linux < 5.3) the wait below has no deadline.
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.valid()) {
    pollfd p{pidfd.get(), POLLIN, 0};
    int ready;
    do {
      ready = poll(&p, 1, static_cast<int>(wait.count()));
    } while (ready < 0 && errno == EINTR);
    // Still running at the deadline: the browser itself, most likely. Leave it be.
    if (ready == 0) return Status::Ok();
  }
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  if (r < 0) return PosixError("wait for xdg-open", errno);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  if (WIFEXITED(status)) {
    return Status::IoError("xdg-open could not open the link (exit status " +
                           std::to_string(WEXITSTATUS(status)) +
                           "); is a default web browser set?");
  }
  return Status::IoError("xdg-open was killed by signal " + std::to_string(WTERMSIG(status)));
}

}  // namespace hearth::desktop
