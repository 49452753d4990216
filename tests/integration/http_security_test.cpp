// SPDX-License-Identifier: Apache-2.0
// Every attack a web page on the same machine can mount against the loopback port.
#include <gtest/gtest.h>

#include "harness.h"

namespace hearth::testing {
namespace {

// How many conversations the list shows: refused requests must not have created any.
class AttackedDaemon : public SignedInDaemon {
 protected:
  size_t ConversationCount() {
    std::string body = client_->Get("/conversations").body;
    size_t n = 0;
    for (size_t pos = body.find("class=\"conversation-item\""); pos != std::string::npos;
         pos = body.find("class=\"conversation-item\"", pos + 1)) {
      ++n;
    }
    return n;
  }
};

using LoginToken = AttackedDaemon;
using WithoutSession = AttackedDaemon;
using HostHeader = AttackedDaemon;
using StateChangingRequest = AttackedDaemon;
using EveryResponse = AttackedDaemon;
using OversizedOrMalformedInput = AttackedDaemon;

TEST_F(LoginToken, GivesAStrictHttpOnlyCookieAndRedirectsTheTokenOutOfTheAddressBar) {
  Client browser(port_, daemon_->AppHost());
  HttpResponse r = browser.Login(daemon_->LoginPath());
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.Header("location"), "/");
  std::string cookie = r.Header("set-cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_NE(cookie.find("Path=/"), std::string::npos);
  EXPECT_EQ(browser.Get("/", {{"HX-Request", ""}}).status, 200);
}

TEST_F(LoginToken, WorksOnlyOnce) {
  std::string path = daemon_->LoginPath();
  Client first(port_, daemon_->AppHost()), second(port_, daemon_->AppHost());
  EXPECT_EQ(first.Login(path).status, 303);
  HttpResponse again = second.Login(path);
  EXPECT_EQ(again.status, 403);
  EXPECT_TRUE(again.Header("set-cookie").empty());
  EXPECT_NE(again.body.find("hearthd --login-url"), std::string::npos);
}

TEST_F(LoginToken, RefusesMadeUpAndMalformedTokens) {
  Client browser(port_, daemon_->AppHost());
  EXPECT_EQ(browser.Login("/login?token=0189abcd-ef12-7abc-8def-0123456789ab").status, 403);
  EXPECT_EQ(browser.Login("/login?token=../../etc/passwd").status, 403);
  EXPECT_EQ(browser.Login("/login").status, 403);
  EXPECT_FALSE(browser.signed_in());
}

TEST_F(WithoutSession, APageLoadGetsA401PageThatSaysHowToOpenHearth) {
  Client stranger(port_, daemon_->AppHost());
  HttpResponse r = stranger.Get("/", {{"HX-Request", ""}});
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.Header("content-type").find("text/html"), std::string::npos);
  EXPECT_NE(r.body.find("hearthd --login-url"), std::string::npos);
}

TEST_F(WithoutSession, EveryOtherEndpointIsRefused) {
  Client stranger(port_, daemon_->AppHost());
  for (const char* path : {"/conversations", "/c/1", "/search?q=a", "/settings", "/events",
                           "/assets/app.css", "/assets/htmx.min.js", "/nope"}) {
    EXPECT_EQ(stranger.Get(path).status, 401) << path;
  }
  EXPECT_EQ(stranger.Post("/conversations", "").status, 401);
  EXPECT_EQ(ConversationCount(), 0u);
}

TEST_F(WithoutSession, AForgedOrRevokedCookieIsRefused) {
  Client forger(port_, daemon_->AppHost());
  HttpResponse r =
      forger.Get("/conversations", {{"Cookie", "hearth_session=" + std::string(64, 'a')}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(client_->Post("/logout", "").status, 200);
  EXPECT_EQ(client_->Get("/conversations").status, 401);
}

TEST_F(WithoutSession, HealthzAndCorsPreflightStillAnswerButGrantNothing) {
  Client stranger(port_, daemon_->AppHost());
  HttpResponse health = stranger.Get("/healthz");
  EXPECT_EQ(health.status, 200);
  HttpResponse preflight = stranger.Request(
      "OPTIONS", "/conversations",
      {{"Origin", "http://evil.example"}, {"Access-Control-Request-Method", "POST"}}, "");
  EXPECT_EQ(preflight.status, 204);
  for (const auto& [name, value] : preflight.headers) {
    EXPECT_FALSE(name.starts_with("access-control-")) << name << ": " << value;
  }
}

TEST_F(HostHeader, MustNameHearthsOwnNameOrLoopbackWithTheBoundPort) {
  for (std::string host : std::vector<std::string>{
           "127.0.0.1:" + std::to_string(port_), "localhost:" + std::to_string(port_),
           "[::1]:" + std::to_string(port_), daemon_->AppHost()}) {
    EXPECT_EQ(client_->Get("/healthz", {{"Host", host}}).status, 200) << host;
  }
  std::string p = std::to_string(port_);
  std::string name = daemon_->AppHost().substr(0, daemon_->AppHost().find(':'));
  for (std::string host :
       std::vector<std::string>{"evil.example", "evil.example:" + p, "127.0.0.1", "127.0.0.1:1",
                                "localhost.evil.example:" + p, "127.0.0.2:" + p,
                                "h-0123456789abcdef0123456789abcdef01234567.localhost:" + p,
                                "x." + name + ":" + p, name, name + ":1"}) {
    HttpResponse r = client_->Get("/", {{"Host", host}});
    EXPECT_EQ(r.status, 421) << host;
    EXPECT_EQ(r.body.find("conversation"), std::string::npos);
  }
}

TEST_F(StateChangingRequest, FromAnotherOriginIsRefusedAndChangesNothing) {
  for (std::string origin : std::vector<std::string>{
           std::string("http://evil.example"), std::string("null"),
           "http://127.0.0.1:" + std::to_string(port_ + 1),
           "http://127.0.0.1:" + std::to_string(port_), "http://localhost:" + std::to_string(port_),
           "https://127.0.0.1:" + std::to_string(port_)}) {
    HttpResponse r = client_->Post("/conversations", "", {{"Origin", origin}});
    EXPECT_EQ(r.status, 403) << origin;
  }
  EXPECT_EQ(ConversationCount(), 0u);
}

TEST_F(StateChangingRequest, FromAnotherOriginIsRefusedBeforeItsBodyIsJudged) {
  // A malformed body from a foreign page gets the same 403 as a well-formed one.
  EXPECT_EQ(
      client_->Post("/c/1/messages", "content=%zz", {{"Origin", "http://evil.example"}}).status,
      403);
  EXPECT_EQ(client_->Post("/c/1/messages", "content=%zz").status, 400);
}

TEST_F(StateChangingRequest, WithoutOriginNeedsSecFetchSiteSameOrigin) {
  EXPECT_EQ(client_->Post("/conversations", "", {{"Origin", ""}}).status, 403);
  EXPECT_EQ(client_->Post("/conversations", "", {{"Origin", ""}, {"Sec-Fetch-Site", "cross-site"}})
                .status,
            403);
  EXPECT_EQ(ConversationCount(), 0u);
  EXPECT_EQ(client_->Post("/conversations", "", {{"Origin", ""}, {"Sec-Fetch-Site", "same-origin"}})
                .status,
            200);
  EXPECT_EQ(ConversationCount(), 1u);
}

TEST_F(StateChangingRequest, NeedsTheHtmxHeaderOrTheCsrfToken) {
  // A plain cross-site <form> cannot add HX-Request; a same-origin Origin alone is not enough.
  EXPECT_EQ(client_->Post("/conversations", "", {{"HX-Request", ""}}).status, 403);
  EXPECT_EQ(client_->Post("/conversations", "csrf=guess", {{"HX-Request", ""}}).status, 403);
  EXPECT_EQ(
      client_->Post("/conversations", "", {{"HX-Request", ""}, {"X-CSRF-Token", "guess"}}).status,
      403);
  EXPECT_EQ(ConversationCount(), 0u);
}

TEST_F(StateChangingRequest, WithATextPlainBodyIsRefused) {
  // text/plain is the one body type a cross-site page can POST without a preflight.
  HttpResponse r = client_->Post("/c/1/messages", "content=hi", {{"Content-Type", "text/plain"}});
  EXPECT_EQ(r.status, 403);
  r = client_->Post("/conversations", "x", {{"Content-Type", "multipart/form-data; boundary=x"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(ConversationCount(), 0u);
}

TEST_F(EveryResponse, CarriesTheSecurityHeaders) {
  Client stranger(port_, daemon_->AppHost());
  std::vector<HttpResponse> responses = {
      client_->Get("/", {{"HX-Request", ""}}),
      client_->Get("/healthz"),
      client_->Get("/assets/app.css"),
      client_->Get("/nope"),
      stranger.Get("/"),
      client_->Get("/", {{"Host", "evil.example"}}),
      client_->Post("/conversations", "", {{"Origin", "http://evil.example"}}),
  };
  for (const auto& r : responses) {
    SCOPED_TRACE(std::to_string(r.status));
    std::string csp = r.Header("content-security-policy");
    EXPECT_NE(csp.find("default-src 'none'"), std::string::npos);
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos);
    EXPECT_EQ(csp.find("unsafe"), std::string::npos);
    EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.Header("referrer-policy"), "no-referrer");
    EXPECT_TRUE(r.Header("access-control-allow-origin").empty());
  }
  // Fragments and pages are never cached; versioned assets are.
  EXPECT_EQ(client_->Get("/conversations").Header("cache-control"), "no-store");
  EXPECT_NE(client_->Get("/assets/app.css").Header("cache-control").find("immutable"),
            std::string::npos);
}

// Heads refused before any handler runs used to get libmicrohttpd's own pages: no Content-Type, no
// security headers. Each is now Hearth's answer.
TEST_F(EveryResponse, IncludingARefusedHeadCarriesTheSecurityHeadersAndAContentType) {
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  struct Case {
    std::string raw;
    int status;
  };
  std::vector<Case> cases = {
      {"GET / HTTP/1.1\r\n" + host + host + "\r\n", 400},
      {"GET /healthz HTTP/1.1\r\nhost: a\r\nHOST: b\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\nX-No-Host: 1\r\n\r\n", 400},
      {"GET / HTTP/1.1\r\n" + host + " folded: header\r\n\r\n", 400},
      {"GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n" + host + "\r\n", 414},
      {"GET / HTTP/1.1\r\n" + host + "X-Filler: " + std::string(40000, 'b') + "\r\n\r\n", 431},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.raw.substr(0, 60));
    HttpResponse r = SendRaw(port_, c.raw, /*half_close=*/false);
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.Header("content-type"), "text/plain; charset=utf-8");
    EXPECT_NE(r.Header("content-security-policy").find("default-src 'none'"), std::string::npos);
    EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.Header("x-frame-options"), "DENY");
    EXPECT_EQ(r.Header("cache-control"), "no-store");
  }
  EXPECT_EQ(client_->Get("/healthz").status, 200);
}

TEST_F(EveryResponse, ToASecondRequestWithTwoHostHeadersOnTheSameConnectionIs400) {
  const std::string host = "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  std::string raw = "GET /healthz HTTP/1.1\r\n" + host + "\r\n" + "GET /healthz HTTP/1.1\r\n" +
                    host + "Host: evil.example\r\nConnection: close\r\n\r\n";
  std::string all = SendRawAll(port_, raw);
  size_t first = all.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos) << all.substr(0, 200);
  EXPECT_NE(all.find("HTTP/1.1 400", first), std::string::npos) << all;
}

TEST_F(OversizedOrMalformedInput, ABodyOverTheLimitGets413) {
  std::string huge(2 * 1024 * 1024, 'a');
  HttpResponse r = client_->Post("/conversations", "content=" + huge);
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("larger than Hearth accepts"), std::string::npos);
  EXPECT_EQ(client_->Get("/healthz").status, 200);
}

TEST_F(OversizedOrMalformedInput, AnOversizedHeaderIsRefused) {
  HttpResponse r = client_->Get("/", {{"X-Filler", std::string(64 * 1024, 'b')}});
  EXPECT_GE(r.status, 400);
  EXPECT_LT(r.status, 500);
  EXPECT_EQ(client_->Get("/healthz").status, 200);
}

TEST_F(OversizedOrMalformedInput, AMessageOverTheLimitGets413AndIsNotStored) {
  ASSERT_EQ(client_->Post("/conversations", "").status, 200);
  std::string text(300 * 1024, 'm');
  HttpResponse r = client_->Post("/c/1/messages", "content=" + text);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(client_->Get("/c/1").body.find("mmmmmmmmmm"), std::string::npos);
}

TEST_F(OversizedOrMalformedInput, BadFormEncodingAndBadUtf8Get400) {
  ASSERT_EQ(client_->Post("/conversations", "").status, 200);
  EXPECT_EQ(client_->Post("/c/1/messages", "content=%zz").status, 400);
  EXPECT_EQ(client_->Post("/c/1/messages", "content=%ff%fe").status, 400);
  EXPECT_EQ(client_->Post("/c/1/messages", "content=%C0%AF").status, 400);  // overlong '/'
  EXPECT_EQ(client_->Post("/c/1/messages", "content=+++").status, 400);     // only spaces
}

TEST_F(OversizedOrMalformedInput, GarbageOnTheWireDoesNotHurtTheDaemon) {
  for (std::string raw : std::vector<std::string>{
           std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11),
           std::string("GET\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
           std::string("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"),
           std::string("GET /" + std::string(100000, 'a') + " HTTP/1.1\r\n\r\n")}) {
    HttpResponse r = SendRaw(port_, raw, /*half_close=*/true);
    EXPECT_TRUE(r.status == 0 || (r.status >= 400 && r.status < 500) || r.status == 505)
        << r.status << " for " << raw.substr(0, 40);
  }
  EXPECT_EQ(client_->Get("/healthz").status, 200);
}

TEST_F(OversizedOrMalformedInput, UnknownIdsAndCursorsGetClearErrors) {
  EXPECT_EQ(client_->Get("/c/999").status, 404);
  EXPECT_EQ(client_->Get("/c/abc").status, 404);
  EXPECT_EQ(client_->Get("/c/99999999999999999999999").status, 404);
  EXPECT_EQ(client_->Get("/conversations?after=x.y").status, 400);
  EXPECT_EQ(client_->Get("/search?q=" + std::string(500, 'q')).status, 413);
  EXPECT_EQ(client_->Request("PUT", "/settings", {}, "").status, 405);
}

}  // namespace
}  // namespace hearth::testing
