// SPDX-License-Identifier: Apache-2.0
#include "auth/request_guard.h"

#include <gtest/gtest.h>

namespace hearth::auth {
namespace {

constexpr uint16_t kPort = 41234;
constexpr std::string_view kAppHost = "h-0123456789abcdef0123456789abcdef01234567.localhost:41234";
constexpr std::string_view kOrigin =
    "http://h-0123456789abcdef0123456789abcdef01234567.localhost:41234";

http::Request HtmxPost() {
  http::Request r;
  r.method = "POST";
  r.path = "/conversations";
  r.headers.host = std::string(kAppHost);
  r.headers.origin = std::string(kOrigin);
  r.headers.hx_request = "true";
  return r;
}

TEST(IsLoopbackHost, AcceptsOnlyLoopbackNamesWithTheBoundPort) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1:41234", kPort));
  EXPECT_TRUE(IsLoopbackHost("localhost:41234", kPort));
  EXPECT_TRUE(IsLoopbackHost("LocalHost:41234", kPort));
  EXPECT_TRUE(IsLoopbackHost("[::1]:41234", kPort));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.1", kPort));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.1:41235", kPort));
  EXPECT_FALSE(IsLoopbackHost("127.0.0.1:141234", kPort));
  EXPECT_FALSE(IsLoopbackHost("evil.example:41234", kPort));
  EXPECT_FALSE(IsLoopbackHost("localhost.evil.example:41234", kPort));
  EXPECT_FALSE(IsLoopbackHost(kAppHost, kPort));
  EXPECT_FALSE(IsLoopbackHost("", kPort));
}

TEST(IsAppHost, AcceptsOnlyHearthsOwnNameWithTheBoundPort) {
  EXPECT_TRUE(IsAppHost(kAppHost, kAppHost));
  EXPECT_TRUE(IsAppHost("H-0123456789ABCDEF0123456789abcdef01234567.LOCALHOST:41234", kAppHost));
  EXPECT_FALSE(IsAppHost("127.0.0.1:41234", kAppHost));
  EXPECT_FALSE(IsAppHost("localhost:41234", kAppHost));
  EXPECT_FALSE(IsAppHost("h-0123456789abcdef0123456789abcdef01234567.localhost:41235", kAppHost));
  EXPECT_FALSE(IsAppHost("h-0123456789abcdef0123456789abcdef01234567.localhost", kAppHost));
  // Another name under .localhost resolves to loopback too: a page there is a stranger.
  EXPECT_FALSE(IsAppHost("h-ffffffffffffffffffffffffffffffffffffffff.localhost:41234", kAppHost));
  EXPECT_FALSE(IsAppHost("x.h-0123456789abcdef0123456789abcdef01234567.localhost:41234", kAppHost));
  EXPECT_FALSE(IsAppHost("", kAppHost));
  EXPECT_FALSE(IsAppHost("", ""));  // no name configured: nothing is Hearth's page
}

TEST(IsSameOrigin, RequiresHearthsOwnOriginExactly) {
  EXPECT_TRUE(IsSameOrigin(kOrigin, kOrigin));
  // Hearth's pages never load from a loopback address: those origins are other local servers'.
  EXPECT_FALSE(IsSameOrigin("http://127.0.0.1:41234", kOrigin));
  EXPECT_FALSE(IsSameOrigin("http://localhost:41234", kOrigin));
  EXPECT_FALSE(
      IsSameOrigin("https://h-0123456789abcdef0123456789abcdef01234567.localhost:41234", kOrigin));
  EXPECT_FALSE(IsSameOrigin(std::string(kOrigin) + "/", kOrigin));
  EXPECT_FALSE(
      IsSameOrigin("http://h-0123456789abcdef0123456789abcdef01234567.localhost:80", kOrigin));
  EXPECT_FALSE(IsSameOrigin("null", kOrigin));
  EXPECT_FALSE(IsSameOrigin("", ""));
}

TEST(CheckStateChange, AcceptsHtmxFromOurOwnPage) {
  EXPECT_TRUE(CheckStateChange(HtmxPost(), kOrigin, "csrf", "").ok());
}

TEST(CheckStateChange, RefusesAForeignOrigin) {
  auto r = HtmxPost();
  r.headers.origin = "http://evil.example";
  Status s = CheckStateChange(r, kOrigin, "csrf", "");
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied);
  EXPECT_NE(s.message().find("evil.example"), std::string::npos);
}

TEST(CheckStateChange, RefusesAPageOnAnotherLocalServer) {
  auto r = HtmxPost();
  r.headers.origin = "http://127.0.0.1:41234";
  EXPECT_EQ(CheckStateChange(r, kOrigin, "csrf", "").code(), Status::Code::kPermissionDenied);
}

TEST(CheckStateChange, FallsBackToSecFetchSiteWithoutOrigin) {
  auto r = HtmxPost();
  r.headers.origin.clear();
  EXPECT_FALSE(CheckStateChange(r, kOrigin, "csrf", "").ok());
  r.headers.sec_fetch_site = "same-site";  // another port on 127.0.0.1 is same-site
  EXPECT_FALSE(CheckStateChange(r, kOrigin, "csrf", "").ok());
  r.headers.sec_fetch_site = "same-origin";
  EXPECT_TRUE(CheckStateChange(r, kOrigin, "csrf", "").ok());
}

TEST(CheckStateChange, WithoutHtmxNeedsTheSessionCsrfToken) {
  auto r = HtmxPost();
  r.headers.hx_request.clear();
  EXPECT_FALSE(CheckStateChange(r, kOrigin, "secret", "").ok());
  EXPECT_FALSE(CheckStateChange(r, kOrigin, "secret", "wrong!").ok());
  EXPECT_TRUE(CheckStateChange(r, kOrigin, "secret", "secret").ok());
  r.headers.csrf_token = "secret";
  EXPECT_TRUE(CheckStateChange(r, kOrigin, "secret", "").ok());
  // A session without a token cannot be matched by an empty one.
  r.headers.csrf_token.clear();
  EXPECT_FALSE(CheckStateChange(r, kOrigin, "", "").ok());
}

TEST(CheckStateChange, RefusesBodiesThatAreNotForms) {
  auto r = HtmxPost();
  r.body = "content=x";
  r.headers.content_type = "text/plain;charset=UTF-8";
  EXPECT_FALSE(CheckStateChange(r, kOrigin, "csrf", "").ok());
  r.headers.content_type = "application/json";
  EXPECT_FALSE(CheckStateChange(r, kOrigin, "csrf", "").ok());
  r.headers.content_type = "Application/X-WWW-Form-Urlencoded; charset=UTF-8";
  EXPECT_TRUE(CheckStateChange(r, kOrigin, "csrf", "").ok());
}

TEST(IsStateChanging, TreatsOnlySafeMethodsAsSafe) {
  EXPECT_FALSE(IsStateChanging("GET"));
  EXPECT_FALSE(IsStateChanging("HEAD"));
  EXPECT_FALSE(IsStateChanging("OPTIONS"));
  EXPECT_TRUE(IsStateChanging("POST"));
  EXPECT_TRUE(IsStateChanging("DELETE"));
  EXPECT_TRUE(IsStateChanging("PATCH"));
  EXPECT_TRUE(IsStateChanging("get"));  // methods are case-sensitive; unknown ones are unsafe
}

}  // namespace
}  // namespace hearth::auth
