// SPDX-License-Identifier: Apache-2.0
// auth: who may talk to Hearth: login tokens, sessions, and the checks every request passes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "http/request.h"

namespace hearth::auth {

// Hearth listens on loopback, which every web page can reach through the user's browser. These
// checks are what keeps such pages out; each returns PermissionDenied with a reason to show.

// Host names the loopback address with the bound port (127.0.0.1:PORT, localhost:PORT,
// [::1]:PORT). Only /healthz and /login answer there: the pages and the session cookie live under
// Hearth's own host name (app_host.h), which a cookie set for 127.0.0.1 never reaches.
bool IsLoopbackHost(std::string_view host, uint16_t port);

// Host is `app_authority` ("h-….localhost:PORT"), compared without regard to case as DNS does.
// Anything that is neither this nor a loopback host is a DNS-rebinding attempt or a misdirected
// request.
bool IsAppHost(std::string_view host, std::string_view app_authority);

// The origin is exactly `app_origin` ("http://h-….localhost:PORT"), the origin of Hearth's pages.
bool IsSameOrigin(std::string_view origin, std::string_view app_origin);

// GET, HEAD and OPTIONS are safe; everything else changes state.
bool IsStateChanging(std::string_view method);

// For a state-changing request: the Origin must be ours (or, without Origin, Sec-Fetch-Site must
// say same-origin); the request must come from htmx (HX-Request, which a cross-site page cannot
// send without a CORS preflight we never grant) or carry the session's CSRF token (header
// X-CSRF-Token or form field `csrf`); and a body must be a form, never text/plain.
Status CheckStateChange(const http::Request& request, std::string_view app_origin,
                        std::string_view session_csrf, std::string_view form_csrf);

}  // namespace hearth::auth
