// SPDX-License-Identifier: Apache-2.0
// launcher: opens the Hearth UI with a fresh login link from the daemon, in a window or a browser.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::launcher {

// A login link as the daemon hands it out over D-Bus (LoginUrl), checked before anything opens it.
struct LoginUrl {
  std::string url;     // http://h-….localhost:PORT/login?token=TOKEN
  std::string origin;  // http://h-….localhost:PORT: the only origin the window loads
  uint16_t port = 0;
};

// Accepts only http://NAME:PORT/login?token=... with NAME Hearth's own host name (the shape
// auth::IsAppHostName accepts), a port from 1 to 65535 and no
// characters a shell, a browser or a URL parser could read differently (spaces, quotes, controls,
// userinfo, a fragment). InvalidArgument otherwise: the daemon sent something Hearth never sends.
Result<LoginUrl> ParseLoginUrl(std::string_view url);

// True when `uri` lies under `origin` (e.g. "http://h-….localhost:8080"): it starts with the origin
// and what follows is nothing, a path, a query or a fragment. Expects URIs as WebKit reports them
// (scheme and host in lower case), so "http://127.0.0.1:8080@evil.example/" and
// "http://127.0.0.1:80801/" are other origins.
bool IsSameOrigin(std::string_view uri, std::string_view origin);

}  // namespace hearth::launcher
