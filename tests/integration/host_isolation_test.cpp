// SPDX-License-Identifier: Apache-2.0
// The session cookie stays with Hearth's own host name: a browser sends a cookie to every port of
// the host that set it, so on 127.0.0.1 it would reach every local server the user opens. These
// drive the daemon over raw HTTP; tests/e2e/cookie_isolation.test.mjs shows the same in Chromium.
#include <gtest/gtest.h>

#include "harness.h"

namespace hearth::testing {
namespace {

class HostIsolation : public SignedInDaemon {
 protected:
  std::string Loopback() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string Name() const {
    std::string host = daemon_->AppHost();
    return host.substr(0, host.find(':'));
  }
  std::string CookieValue() const {
    return client_->cookie().substr(client_->cookie().find('=') + 1);
  }
};

using TheLoopbackAddress = HostIsolation;
using TheSessionCookie = HostIsolation;
using SeveralSessionCookies = HostIsolation;

TEST_F(TheLoopbackAddress, ServesNoPageEvenWithAWorkingCookie) {
  ASSERT_EQ(client_->Post("/conversations", "").status, 200);
  Client replay(port_);  // names 127.0.0.1:PORT, as a server there replaying the cookie would
  for (const char* path :
       {"/", "/conversations", "/c/1", "/settings", "/events", "/assets/app.css", "/search?q=a"}) {
    HttpResponse r = replay.Get(path, {{"Cookie", client_->cookie()}});
    EXPECT_EQ(r.status, 421) << path;
    EXPECT_EQ(r.body.find("conversation-item"), std::string::npos) << path;
    EXPECT_EQ(r.body.find(Name()), std::string::npos) << path << ": the name leaked";
  }
  HttpResponse post = replay.Post("/conversations", "",
                                  {{"Cookie", client_->cookie()}, {"Origin", replay.origin()}});
  EXPECT_EQ(post.status, 421);
  EXPECT_EQ(replay.Post("/sessions/revoke-all", "", {{"Cookie", client_->cookie()}}).status, 421);
  EXPECT_EQ(replay.Get("/healthz").status, 200);  // the supervisor's probe still answers there
  // Nothing changed, and the session still works on Hearth's name.
  EXPECT_EQ(client_->Get("/c/1", {{"HX-Request", ""}}).status, 200);
  EXPECT_EQ(client_->Get("/c/2", {{"HX-Request", ""}}).status, 404);
}

TEST_F(TheLoopbackAddress, TradesALoginLinkForOneOnHearthsName) {
  std::string path = daemon_->LoginPath();
  Client old_link(port_);
  HttpResponse r = old_link.Login(path);
  ASSERT_EQ(r.status, 303);
  EXPECT_TRUE(r.Header("set-cookie").empty()) << "no cookie for 127.0.0.1";
  std::string location = r.Header("location");
  std::string prefix = "http://" + daemon_->AppHost() + "/login?token=";
  ASSERT_TRUE(location.starts_with(prefix)) << location;
  EXPECT_NE(location.substr(location.find("/login?")), path) << "the token must be a new one";
  // The link's own token is used up: it works nowhere else now.
  Client app(port_, daemon_->AppHost());
  EXPECT_EQ(app.Login(path).status, 403);
  EXPECT_EQ(Client(port_).Login(path).status, 403);
  // The new one signs in on Hearth's name, once.
  std::string fresh = location.substr(location.find("/login?"));
  ASSERT_EQ(app.Login(fresh).status, 303);
  EXPECT_EQ(app.Get("/", {{"HX-Request", ""}}).status, 200);
  EXPECT_EQ(Client(port_, daemon_->AppHost()).Login(fresh).status, 403);
}

TEST_F(TheLoopbackAddress, TellsSomeoneWithoutAValidLinkNothingAboutHearthsName) {
  Client stranger(port_);
  for (const char* path :
       {"/login?token=0189abcd-ef12-7abc-8def-0123456789ab", "/login", "/login?token=../x"}) {
    HttpResponse r = stranger.Get(path);
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_TRUE(r.Header("location").empty());
    EXPECT_EQ(r.body.find(Name()), std::string::npos) << path;
    EXPECT_NE(r.body.find("hearthd --login-url"), std::string::npos) << path;
  }
  HttpResponse foreign = stranger.Get("/", {{"Host", "evil.example:" + std::to_string(port_)}});
  EXPECT_EQ(foreign.status, 421);
  EXPECT_EQ(foreign.body.find(Name()), std::string::npos);
}

TEST_F(TheSessionCookie, IsHostOnly) {
  Client browser(port_, daemon_->AppHost());
  HttpResponse r = browser.Login(daemon_->LoginPath());
  ASSERT_EQ(r.status, 303);
  std::string cookie = r.Header("set-cookie");
  // A Domain attribute would send it to other names as well.
  EXPECT_EQ(cookie.find("Domain"), std::string::npos) << cookie;
  EXPECT_EQ(cookie.find("domain"), std::string::npos) << cookie;
}

TEST_F(SeveralSessionCookies, SignInWhenAnyOfThemIsASession) {
  std::string junk = "hearth_session=" + std::string(64, 'a');
  std::string empty = "hearth_session=";
  for (std::string header : {junk + "; " + client_->cookie(), client_->cookie() + "; " + junk,
                             empty + "; other=1; " + client_->cookie()}) {
    EXPECT_EQ(client_->Get("/", {{"Cookie", header}, {"HX-Request", ""}}).status, 200) << header;
    EXPECT_EQ(client_->Post("/conversations", "", {{"Cookie", header}}).status, 200) << header;
  }
  EXPECT_EQ(client_->Get("/", {{"Cookie", junk + "; " + empty}, {"HX-Request", ""}}).status, 401);
}

TEST_F(SeveralSessionCookies, SignOutEndsTheRealOne) {
  std::string junk = "hearth_session=" + std::string(64, 'b');
  EXPECT_EQ(client_->Post("/logout", "", {{"Cookie", junk + "; " + client_->cookie()}}).status,
            200);
  EXPECT_EQ(client_->Get("/conversations").status, 401);
}

}  // namespace
}  // namespace hearth::testing
