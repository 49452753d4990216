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

// Host must name the loopback address with the bound port (127.0.0.1:PORT, localhost:PORT,
// [::1]:PORT). Anything else is a DNS-rebinding attempt or a misdirected request.
bool IsAllowedHost(std::string_view host, uint16_t port);

// The exact origins of Hearth's own pages.
bool IsSameOrigin(std::string_view origin, uint16_t port);

// GET, HEAD and OPTIONS are safe; everything else changes state.
bool IsStateChanging(std::string_view method);

// For a state-changing request: the Origin must be ours (or, without Origin, Sec-Fetch-Site must
// say same-origin); the request must come from htmx (HX-Request, which a cross-site page cannot
// send without a CORS preflight we never grant) or carry the session's CSRF token (header
// X-CSRF-Token or form field `csrf`); and a body must be a form, never text/plain.
Status CheckStateChange(const http::Request& request, uint16_t port, std::string_view session_csrf,
                        std::string_view form_csrf);

}  // namespace hearth::auth
