// SPDX-License-Identifier: Apache-2.0
#include "launcher/navigation.h"

#include <gtest/gtest.h>

namespace hearth::launcher {
namespace {

constexpr const char* kOrigin = "http://127.0.0.1:8080";

TEST(DecideNavigation, LoadsHearthsOwnPagesWithOrWithoutAClick) {
  EXPECT_EQ(DecideNavigation("http://127.0.0.1:8080/", kOrigin, false), Navigation::kLoad);
  EXPECT_EQ(DecideNavigation("http://127.0.0.1:8080/login?token=a", kOrigin, false),
            Navigation::kLoad);
  EXPECT_EQ(DecideNavigation("http://127.0.0.1:8080/settings", kOrigin, true), Navigation::kLoad);
}

TEST(DecideNavigation, SendsClickedWebAndMailLinksToTheBrowser) {
  EXPECT_EQ(DecideNavigation("https://example.org/", kOrigin, true), Navigation::kOpenInBrowser);
  EXPECT_EQ(DecideNavigation("http://example.org/a?b#c", kOrigin, true),
            Navigation::kOpenInBrowser);
  EXPECT_EQ(DecideNavigation("HTTPS://example.org/", kOrigin, true), Navigation::kOpenInBrowser);
  EXPECT_EQ(DecideNavigation("mailto:someone@example.org", kOrigin, true),
            Navigation::kOpenInBrowser);
  // Another port on this machine is another site too.
  EXPECT_EQ(DecideNavigation("http://127.0.0.1:9090/", kOrigin, true), Navigation::kOpenInBrowser);
}

TEST(DecideNavigation, LetsNoPageOpenTheBrowserByItself) {
  EXPECT_EQ(DecideNavigation("https://example.org/", kOrigin, false), Navigation::kRefuse);
  EXPECT_EQ(DecideNavigation("mailto:someone@example.org", kOrigin, false), Navigation::kRefuse);
}

TEST(DecideNavigation, NeverHandsLocalFilesOrOtherSchemesToTheDesktop) {
  for (const char* uri : {"file:///etc/passwd", "javascript:alert(1)", "data:text/html,<p>x",
                          "smb://server/share", "ftp://example.org/", "about:blank", "",
                          "x-scheme-handler:whatever", "httpx://example.org/"}) {
    EXPECT_EQ(DecideNavigation(uri, kOrigin, true), Navigation::kRefuse) << uri;
  }
}

}  // namespace
}  // namespace hearth::launcher
