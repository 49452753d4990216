// SPDX-License-Identifier: Apache-2.0
// What the daemon logs when browser tabs come and go: nothing. Closing a tab ends its event
// stream from the client's side, which libmicrohttpd reports as failures; they used to be most of
// the log (74 of 78 lines in a day's use), as warnings.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.h"

namespace hearth::testing {
namespace {

class QuietLog : public SignedInDaemon {};

TEST_F(QuietLog, ClosedTabsAreNotWarnings) {
  {
    std::vector<std::unique_ptr<EventReader>> tabs;
    for (int i = 0; i < 3; ++i) {
      tabs.push_back(std::make_unique<EventReader>(port_, client_->cookie(), client_->host()));
      ASSERT_TRUE(tabs.back()->ok());
      ASSERT_TRUE(tabs.back()->WaitFor("connected"));
    }
  }  // the tabs close
  // Something for every stream: the server writes to the closed ones, and finds them gone. The
  // open tab receiving it shows the broadcast went out.
  EventReader open_tab(port_, client_->cookie(), client_->host());
  ASSERT_TRUE(open_tab.ok());
  ASSERT_TRUE(open_tab.WaitFor("connected"));
  ASSERT_EQ(client_->Post("/conversations", "").status, 200);
  ASSERT_TRUE(open_tab.WaitFor("created"));

  // Stopping ends every stream still known, the closed ones included.
  ExitStatus exit = daemon_->Terminate();
  EXPECT_TRUE(exit.exited && exit.code == 0);
  std::string log = daemon_->Stderr();
  daemon_.reset();
  // (Without a session bus hearthd warns that it runs without D-Bus: not this test's concern.)
  EXPECT_EQ(log.find("warning: http:"), std::string::npos) << log;
  EXPECT_EQ(log.find("error"), std::string::npos) << log;
}

}  // namespace
}  // namespace hearth::testing
