// SPDX-License-Identifier: Apache-2.0
// desktop: hands links to the user's desktop (the default browser), for the launcher and hearthctl.
#pragma once

#include <chrono>
#include <string>

#include "base/status.h"

namespace hearth::desktop {

// True when the environment names a display (WAYLAND_DISPLAY or DISPLAY): without one there is no
// window to show and no graphical browser to hand a link to.
bool HaveDisplay();

// Opens `url` in the user's default browser with xdg-open (fork and exec, no shell) and waits up to
// `wait` for xdg-open to report. Ok when it exits 0, or is still running at the deadline (with some
// desktops xdg-open runs the browser itself in the foreground). NotFound when xdg-open is not
// installed; IoError when it fails (its exit status is in the message).
Status OpenInBrowser(const std::string& url,
                     std::chrono::milliseconds wait = std::chrono::seconds(5));

}  // namespace hearth::desktop
