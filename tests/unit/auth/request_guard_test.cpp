#include "auth/request_guard.h"

#include <gtest/gtest.h>

namespace hearth::auth {
namespace {

constexpr uint16_t kPort = 41234;

http::Request HtmxPost() {
  http::Request r;
  r.method = "POST";
  r.path = "/conversations";
  r.headers.host = "127.0.0.1:41234";
  r.headers.origin = "http://127.0.0.1:41234";
  r.headers.hx_request = "true";
  return r;
}

TEST(IsAllowedHost, AcceptsOnlyLoopbackNamesWithTheBoundPort) {
  EXPECT_TRUE(IsAllowedHost("127.0.0.1:41234", kPort));
  EXPECT_TRUE(IsAllowedHost("localhost:41234", kPort));
  EXPECT_TRUE(IsAllowedHost("LocalHost:41234", kPort));
  EXPECT_TRUE(IsAllowedHost("[::1]:41234", kPort));
  EXPECT_FALSE(IsAllowedHost("127.0.0.1", kPort));
  EXPECT_FALSE(IsAllowedHost("127.0.0.1:41235", kPort));
  EXPECT_FALSE(IsAllowedHost("127.0.0.1:141234", kPort));
  EXPECT_FALSE(IsAllowedHost("evil.example:41234", kPort));
  EXPECT_FALSE(IsAllowedHost("localhost.evil.example:41234", kPort));
  EXPECT_FALSE(IsAllowedHost("", kPort));
}

TEST(IsSameOrigin, RequiresHttpSchemeAndExactAuthority) {
  EXPECT_TRUE(IsSameOrigin("http://127.0.0.1:41234", kPort));
  EXPECT_TRUE(IsSameOrigin("http://localhost:41234", kPort));
  EXPECT_FALSE(IsSameOrigin("https://127.0.0.1:41234", kPort));
  EXPECT_FALSE(IsSameOrigin("http://127.0.0.1:41234/", kPort));
  EXPECT_FALSE(IsSameOrigin("null", kPort));
  EXPECT_FALSE(IsSameOrigin("http://127.0.0.1:80", kPort));
}

TEST(CheckStateChange, AcceptsHtmxFromOurOwnPage) {
  EXPECT_TRUE(CheckStateChange(HtmxPost(), kPort, "csrf", "").ok());
}

TEST(CheckStateChange, RefusesAForeignOrigin) {
  auto r = HtmxPost();
  r.headers.origin = "http://evil.example";
  Status s = CheckStateChange(r, kPort, "csrf", "");
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied);
  EXPECT_NE(s.message().find("evil.example"), std::string::npos);
}

TEST(CheckStateChange, FallsBackToSecFetchSiteWithoutOrigin) {
  auto r = HtmxPost();
  r.headers.origin.clear();
  EXPECT_FALSE(CheckStateChange(r, kPort, "csrf", "").ok());
  r.headers.sec_fetch_site = "same-site";  // another port on 127.0.0.1 is same-site
  EXPECT_FALSE(CheckStateChange(r, kPort, "csrf", "").ok());
  r.headers.sec_fetch_site = "same-origin";
  EXPECT_TRUE(CheckStateChange(r, kPort, "csrf", "").ok());
}

TEST(CheckStateChange, WithoutHtmxNeedsTheSessionCsrfToken) {
  auto r = HtmxPost();
  r.headers.hx_request.clear();
  EXPECT_FALSE(CheckStateChange(r, kPort, "secret", "").ok());
  EXPECT_FALSE(CheckStateChange(r, kPort, "secret", "wrong!").ok());
  EXPECT_TRUE(CheckStateChange(r, kPort, "secret", "secret").ok());
  r.headers.csrf_token = "secret";
  EXPECT_TRUE(CheckStateChange(r, kPort, "secret", "").ok());
  // A session without a token cannot be matched by an empty one.
  r.headers.csrf_token.clear();
  EXPECT_FALSE(CheckStateChange(r, kPort, "", "").ok());
}

TEST(CheckStateChange, RefusesBodiesThatAreNotForms) {
  auto r = HtmxPost();
  r.body = "content=x";
  r.headers.content_type = "text/plain;charset=UTF-8";
  EXPECT_FALSE(CheckStateChange(r, kPort, "csrf", "").ok());
  r.headers.content_type = "application/json";
  EXPECT_FALSE(CheckStateChange(r, kPort, "csrf", "").ok());
  r.headers.content_type = "Application/X-WWW-Form-Urlencoded; charset=UTF-8";
  EXPECT_TRUE(CheckStateChange(r, kPort, "csrf", "").ok());
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
