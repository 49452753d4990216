// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

namespace hearth::http {

// Whether a libmicrohttpd log message only says that the client went away: a browser tab closed
// while its Server-Sent Events stream was open, a reload, a client that hung up mid-request.
// libmicrohttpd reports these as errors (a socket option it could not set on the dead socket, a
// flush or the last chunk it could not send), but nothing is wrong and there is nothing to do, so
// they are not worth a line in the log. Every other message is.
bool IsClientGoneMessage(std::string_view message);

}  // namespace hearth::http
