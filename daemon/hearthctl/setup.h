// SPDX-License-Identifier: Apache-2.0
// hearthctl setup: gives this user a loopback port of their own for hearth.socket and enables it.
#pragma once

#include <string>
#include <vector>

namespace hearth::ctl {

// Runs `hearthctl setup [--new-port] [--no-enable]`; `args` are the arguments after "setup".
//
// systemd 252 cannot listen on port 0, so the shipped hearth.socket names a fixed port, and two
// users on one machine would collide on it. Setup writes the drop-in
//   $XDG_CONFIG_HOME/systemd/user/hearth.socket.d/port.conf
// that replaces its ListenStream= with 127.0.0.1:PORT, PORT a free port picked at random outside
// the kernel's ephemeral range (so no outgoing connection holds it when the socket opens at
// login). The file is written atomically; missing directories are created (0755).
//
// Idempotent: an existing drop-in keeps its port unless --new-port is given. A drop-in that names
// no 127.0.0.1 port (edited by hand?) is left alone and reported as an error.
//
// Then, unless --no-enable, it runs (systemctl found on PATH, run without a shell):
//   systemctl --user daemon-reload
//   systemctl --user stop hearth.socket hearth.service   only if nothing listens on the port:
//                          the socket is stopped, or still listens on an old port (a running
//                          socket keeps its address across a reload, and cannot start while
//                          hearth.service runs)
//   systemctl --user enable --now hearth.socket
// so running setup again after a failed or --no-enable run finishes the job, and running it
// with the socket already listening on its port leaves Hearth running.
//
// Prints what it did and the resulting address to stdout, errors to stderr. Returns the exit
// code for the process: 0 done, 1 a step failed (the message names it and what to do next),
// 2 bad arguments.
int RunSetup(const std::vector<std::string>& args);

}  // namespace hearth::ctl
