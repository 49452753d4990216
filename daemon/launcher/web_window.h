// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "base/status.h"
#include "launcher/login_url.h"

namespace hearth::launcher {

// The desktop identity of the window: GLib program name, X11 WM_CLASS (both parts), Wayland
// app_id and icon name. ui/desktop/org.hearth.Hearth.desktop is named after it and says
// StartupWMClass=org.hearth.Hearth.
inline constexpr const char* kAppId = "org.hearth.Hearth";

// Shows Hearth in a native WebKitGTK window, signed in with `login`, and returns when the user
// closes it or the process gets SIGTERM, SIGINT or SIGHUP. Only `login.origin` loads in the
// window; links elsewhere go to the default browser (see navigation.h). The window's size is
// remembered in window.ini (window_state.h); website data (the HTTP cache) lives in
// $XDG_DATA_HOME/hearth/webview. Cookies are kept in memory only: every start signs in afresh
// with a one-time login link, so no working credential is ever written to disk.
//
// Ok: the window was shown and then closed. Unsupported: no window can be shown here (this build
// has no WebKitGTK, or GTK cannot open the display); nothing was shown, and the caller should
// fall back to the browser. Call at most once per process, from the main thread.
Status RunWebWindow(const LoginUrl& login);

}  // namespace hearth::launcher
