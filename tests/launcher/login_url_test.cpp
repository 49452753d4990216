// SPDX-License-Identifier: Apache-2.0
#include "launcher/login_url.h"

#include <gtest/gtest.h>

namespace hearth::launcher {
namespace {

#define HOST "h-0123456789abcdef0123456789abcdef01234567.localhost"
constexpr const char* kUrl =
    "http://" HOST ":41234/login?token=0189abcd-ef12-7abc-8def-0123456789ab";

TEST(ParseLoginUrl, TakesTheOriginAndPortFromALinkTheDaemonSends) {
  auto login = ParseLoginUrl(kUrl);
  ASSERT_TRUE(login.ok()) << login.status().ToString();
  EXPECT_EQ(login->url, kUrl);
  EXPECT_EQ(login->origin, "http://" HOST ":41234");
  EXPECT_EQ(login->port, 41234);
}

TEST(ParseLoginUrl, AcceptsThePortRangeEnds) {
  EXPECT_TRUE(ParseLoginUrl("http://" HOST ":1/login?token=a").ok());
  EXPECT_TRUE(ParseLoginUrl("http://" HOST ":65535/login?token=a").ok());
}

TEST(ParseLoginUrl, RefusesOtherHostsSchemesAndPorts) {
  for (const char* url : {
           "https://" HOST ":41234/login?token=a",
           // Loopback addresses: every local server gets their cookies.
           "http://127.0.0.1:41234/login?token=a",
           "http://localhost:41234/login?token=a",
           "http://" HOST ".evil.example:41234/login?token=a",
           "http://evil." HOST ":41234/login?token=a",
           "http://h-0123.localhost:41234/login?token=a",
           "http://" HOST "@evil.example/login?token=a",
           "http://" HOST "/login?token=a",
           "http://" HOST ":/login?token=a",
           "http://" HOST ":0/login?token=a",
           "http://" HOST ":080/login?token=a",
           "http://" HOST ":65536/login?token=a",
           "http://" HOST ":123456/login?token=a",
           "",
       }) {
    EXPECT_FALSE(ParseLoginUrl(url).ok()) << url;
  }
}

TEST(ParseLoginUrl, RefusesOtherPathsAndTokensWithSpecialCharacters) {
  for (const char* url : {
           "http://" HOST ":41234/",
           "http://" HOST ":41234/login?token=",
           "http://" HOST ":41234/login?token=a b",
           "http://" HOST ":41234/login?token=a'b",
           "http://" HOST ":41234/login?token=a#b",
           "http://" HOST ":41234/login?token=a&next=http://evil.example/",
           "http://" HOST ":41234/login?token=a\n",
           "http://" HOST ":41234/other?token=a",
       }) {
    EXPECT_FALSE(ParseLoginUrl(url).ok()) << url;
  }
  EXPECT_FALSE(ParseLoginUrl("http://" HOST ":41234/login?token=" + std::string(129, 'a')).ok());
}

TEST(ParseLoginUrl, SaysTheLinkIsUnexpected) {
  auto login = ParseLoginUrl("file:///etc/passwd");
  ASSERT_FALSE(login.ok());
  EXPECT_EQ(login.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(login.status().message().find("file:///etc/passwd"), std::string::npos);
}

TEST(IsSameOrigin, MatchesTheOriginItselfAndEverythingBelowIt) {
  const char* origin = "http://127.0.0.1:8080";
  EXPECT_TRUE(IsSameOrigin("http://127.0.0.1:8080", origin));
  EXPECT_TRUE(IsSameOrigin("http://127.0.0.1:8080/", origin));
  EXPECT_TRUE(IsSameOrigin("http://127.0.0.1:8080/c/12?x=1", origin));
  EXPECT_TRUE(IsSameOrigin("http://127.0.0.1:8080?x", origin));
  EXPECT_TRUE(IsSameOrigin("http://127.0.0.1:8080#main", origin));
}

TEST(IsSameOrigin, RejectsLookAlikes) {
  const char* origin = "http://127.0.0.1:8080";
  EXPECT_FALSE(IsSameOrigin("http://127.0.0.1:80801/", origin));
  EXPECT_FALSE(IsSameOrigin("http://127.0.0.1:8080@evil.example/", origin));
  EXPECT_FALSE(IsSameOrigin("http://127.0.0.1:8080.evil.example/", origin));
  EXPECT_FALSE(IsSameOrigin("http://127.0.0.1:8081/", origin));
  EXPECT_FALSE(IsSameOrigin("https://127.0.0.1:8080/", origin));
  EXPECT_FALSE(IsSameOrigin("http://localhost:8080/", origin));
  EXPECT_FALSE(IsSameOrigin("http://127.0.0.1:808", origin));
  EXPECT_FALSE(IsSameOrigin("about:blank", origin));
  EXPECT_FALSE(IsSameOrigin("http://127.0.0.1:8080/", ""));
}

}  // namespace
}  // namespace hearth::launcher
