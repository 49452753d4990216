// SPDX-License-Identifier: Apache-2.0
// http: checks a request's head (request line and header fields) before libmicrohttpd sees it,
// so that malformed or oversized heads get Hearth's own answer, with Hearth's headers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hearth::http {

struct HeadLimits {
  size_t max_request_line = 8 * 1024;  // longer: 414
  size_t max_head = 32 * 1024;         // request line and header fields together; longer: 431
};

struct HeadVerdict {
  enum class Kind {
    kIncomplete,  // no blank line yet, and still under the limits: wait for more bytes
    kAccepted,    // a complete head that passed every check
    kRejected,    // answer `status` with `reason` and close
  };
  Kind kind = Kind::kIncomplete;
  int status = 0;
  std::string reason;  // a sentence for the client, no request bytes quoted
};

// Looks at the first bytes a client sent on a new connection (they may hold more than the head:
// a body, or a pipelined request) and decides. Refuses (RFC 9112): a request line that is not
// `METHOD SP target SP HTTP/1.x`, a field line without a colon or with white space before it,
// obsolete line folding, control characters, no Host or more than one Host (§3.2), and heads
// past the limits. Pure: no I/O, safe on any bytes.
HeadVerdict CheckRequestHead(std::string_view bytes, const HeadLimits& limits);

}  // namespace hearth::http
