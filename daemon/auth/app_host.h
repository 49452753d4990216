// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::auth {

// Hearth's pages are served under a host name of their own, "h-<40 hex digits>.localhost", one
// per user, kept in a file (0600, in the data directory). Browsers resolve every name under
// .localhost to loopback themselves (RFC 6761), and they send a cookie to every port of the host
// that set it, but only to that host: a host-only cookie set under this name never reaches a
// server on 127.0.0.1, nor one on another name, and pages there cannot set a cookie that reaches
// Hearth. The name carries 160 random bits, so a page that does not know it cannot guess it; it
// is not a credential by itself (a local process can send any Host header), only the fence that
// keeps the browser's cookie jar apart from other local servers.

// True for "h-" followed by 32 to 59 lowercase hex digits and ".localhost": the shape of a name
// this file makes (a DNS label is at most 63 characters).
bool IsAppHostName(std::string_view name);

// The name stored at `path`, created (with a fresh random name) if the file does not exist yet.
// Stable from then on, so bookmarks and open tabs survive restarts. Safe against several
// processes creating it at once: all of them end up with the same name. InvalidArgument when
// the file holds something else, with what to do about it.
Result<std::string> LoadOrCreateAppHost(const std::string& path);

// "NAME:PORT", what a Host header carries, and "http://NAME:PORT", the origin of Hearth's pages.
std::string AppAuthority(std::string_view name, uint16_t port);
std::string AppOrigin(std::string_view name, uint16_t port);

}  // namespace hearth::auth
