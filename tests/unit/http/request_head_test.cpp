// SPDX-License-Identifier: Apache-2.0
#include "http/request_head.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hearth::http {
namespace {

using Kind = HeadVerdict::Kind;

HeadVerdict Check(const std::string& bytes, HeadLimits limits = {}) {
  return CheckRequestHead(bytes, limits);
}

TEST(ARequestHead, ThatIsCompleteAndSoundIsAccepted) {
  EXPECT_EQ(Check("GET / HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n").kind, Kind::kAccepted);
  EXPECT_EQ(Check("GET / HTTP/1.1\nHost: a\n\n").kind, Kind::kAccepted);
  EXPECT_EQ(Check("GET / HTTP/1.0\r\n\r\n").kind, Kind::kAccepted);  // 1.0 needs no Host
  // Bytes after the head (a body, a pipelined request) are not judged here.
  EXPECT_EQ(Check("POST /c HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nx\0y").kind,
            Kind::kAccepted);
  EXPECT_EQ(
      Check("GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").kind,
      Kind::kAccepted);
  EXPECT_EQ(Check("\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").kind, Kind::kAccepted);
}

TEST(ARequestHead, ThatIsNotFinishedWaitsForMoreBytes) {
  EXPECT_EQ(Check("").kind, Kind::kIncomplete);
  EXPECT_EQ(Check("GE").kind, Kind::kIncomplete);
  EXPECT_EQ(Check("GET / HTTP/1.1\r\nHost: a\r\n").kind, Kind::kIncomplete);
  EXPECT_EQ(Check("GET / HTTP/1.1\r\nHost: a\r\nX: y\r").kind, Kind::kIncomplete);
}

TEST(ARequestHead, WithTwoHostFieldsIsRefusedWhateverTheirCase) {
  HeadVerdict v = Check("GET / HTTP/1.1\r\nHost: a\r\nhOST: b\r\n\r\n");
  EXPECT_EQ(v.kind, Kind::kRejected);
  EXPECT_EQ(v.status, 400);
  EXPECT_NE(v.reason.find("more than one Host"), std::string::npos);
}

TEST(ARequestHead, WithoutHostIsRefusedIn11) {
  EXPECT_EQ(Check("GET / HTTP/1.1\r\nX: y\r\n\r\n").status, 400);
}

TEST(ARequestHead, ThatIsMalformedIsRefusedWith400) {
  for (const std::string& bad : std::vector<std::string>{
           "GET\r\n\r\n", "GET / HTTP/9.9\r\nHost: a\r\n\r\n", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
           "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
           "GET / HTTP/1.1\r\nHost : a\r\n\r\n", "GET / HTTP/1.1\r\nnocolon\r\n\r\n",
           "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", "GET /\x7f HTTP/1.1\r\n\r\n",
           std::string("\x16\x03\x01\x02\x00\r\n\r\n", 9)}) {
    HeadVerdict v = Check(bad);
    EXPECT_EQ(v.kind, Kind::kRejected) << bad;
    EXPECT_EQ(v.status, 400) << bad;
  }
}

TEST(ARequestHead, PastTheLimitsIsRefusedWithoutWaitingForTheEnd) {
  HeadLimits limits{.max_request_line = 100, .max_head = 1000};
  EXPECT_EQ(Check("GET /" + std::string(200, 'a'), limits).status, 414);
  EXPECT_EQ(Check("GET /" + std::string(200, 'a') + " HTTP/1.1\r\n\r\n", limits).status, 414);
  std::string big = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(2000, 'b');
  EXPECT_EQ(Check(big, limits).status, 431);
  EXPECT_EQ(Check(big + "\r\n\r\n", limits).status, 431);
  std::string many = "GET / HTTP/1.1\r\nHost: a\r\n";
  while (many.size() < 1100) many += "X: y\r\n";
  EXPECT_EQ(Check(many, limits).status, 431);
}

TEST(ARequestHead, NeverQuotesTheRequestInItsReason) {
  HeadVerdict v = Check("GET /<script> HTTP/1.1\r\nHost: a\r\nHost: <b>\r\n\r\n");
  EXPECT_EQ(v.reason.find('<'), std::string::npos);
}

}  // namespace
}  // namespace hearth::http
