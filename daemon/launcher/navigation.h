// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

namespace hearth::launcher {

// What the window does with a navigation (a link, a redirect, a form, a script) or a request for a
// new window. Only Hearth's own origin loads in the window; the window holds the session cookie,
// so anything else is somebody else's page and belongs in the user's browser.
enum class Navigation {
  kLoad,           // Hearth's own page: load it here
  kOpenInBrowser,  // a web or mail link the user clicked: hand it to the default browser
  kRefuse,         // anything else: do nothing
};

// `origin` is Hearth's (LoginUrl::origin). `user_gesture` is whether the user clicked or typed:
// pages do not get to open the browser on their own. Only http, https and mailto links leave the
// window, so a link cannot make the desktop open a local file or an arbitrary URL handler.
Navigation DecideNavigation(std::string_view uri, std::string_view origin, bool user_gesture);

}  // namespace hearth::launcher
