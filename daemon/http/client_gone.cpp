// SPDX-License-Identifier: Apache-2.0
#include "http/client_gone.h"

namespace hearth::http {

bool IsClientGoneMessage(std::string_view message) {
  // libmicrohttpd 0.9.75's wording (src/microhttpd/mhd_send.c, connection.c). Once the peer has
  // gone, Linux refuses TCP_NODELAY and TCP_CORK on its socket, so the flush that follows fails
  // too: three lines for every closed stream, the next time anything is sent on it.
  constexpr std::string_view kPrefixes[] = {
      "Setting TCP_NODELAY option to ",
      "Setting TCP_CORK option to ",
      "Failed to push the data from buffers to the network.",
      "Socket has been disconnected when reading request.",
      "Connection was closed by remote side with incomplete request.",
  };
  for (std::string_view prefix : kPrefixes) {
    if (message.starts_with(prefix)) return true;
  }
  // "Failed to send the footers for the request for `/events'. Error: …" and the like: a send
  // failed because the socket is gone, which is fine; one that failed for another reason is not.
  constexpr std::string_view kGoneErrors[] = {
      "The socket is no longer available for sending",
      "The connection was forcibly closed by remote peer",
  };
  if (message.starts_with("Failed to send ")) {
    for (std::string_view error : kGoneErrors) {
      if (message.find(error) != std::string_view::npos) return true;
    }
  }
  return false;
}

}  // namespace hearth::http
