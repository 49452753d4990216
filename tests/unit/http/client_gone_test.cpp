// SPDX-License-Identifier: Apache-2.0
#include "http/client_gone.h"

#include <gtest/gtest.h>

namespace hearth::http {
namespace {

// What libmicrohttpd 0.9.75 logged, word for word, when a browser tab with an open event stream
// closed (three lines each), and at shutdown for every such stream.
TEST(IsClientGoneMessage, AcceptsWhatAClosedStreamLogs) {
  for (const char* line : {
           "Setting TCP_NODELAY option to ON state failed: Operation not supported",
           "Setting TCP_CORK option to OFF state failed: Operation not supported",
           "Failed to push the data from buffers to the network. Client may experience some "
           "delay (usually in range 200ms - 5 sec).",
           "Failed to send the footers for the request for `/events'. Error: The socket is no "
           "longer available for sending",
           "Failed to send the chunked response body for the request for `/c/1/live'. Error: "
           "The connection was forcibly closed by remote peer",
           "Socket has been disconnected when reading request.",
       }) {
    EXPECT_TRUE(IsClientGoneMessage(line)) << line;
  }
}

TEST(IsClientGoneMessage, KeepsEverythingElse) {
  for (const char* line : {
           "Failed to send the response body for the request for `/'. Error: Not enough "
           "system resources to serve the request",
           "Failed to create a thread: Resource temporarily unavailable",
           "Error: socket is in the wrong state",
           "",
       }) {
    EXPECT_FALSE(IsClientGoneMessage(line)) << line;
  }
}

}  // namespace
}  // namespace hearth::http
