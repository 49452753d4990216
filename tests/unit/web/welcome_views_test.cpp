// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "web/views.h"

namespace hearth::web {
namespace {

// A program on a usual port is not trusted: whatever it calls its models is shown as text.
TEST(FoundServers, ShowModelNamesAProgramSentAsText) {
  auto views = Views::Load();
  ASSERT_TRUE(views.ok()) << views.status().ToString();
  agent::FoundServer found;
  found.server = {"llama-server", "llama-server", 8080, 41000, llm::Wire::kOpenAi};
  found.models = {"<img src=x onerror=alert(1)>", "a\" autofocus onfocus=\"alert(2)"};
  std::string html = (*views)->FoundServers({found}).html;
  EXPECT_EQ(html.find("<img"), std::string::npos) << html;
  EXPECT_EQ(html.find("\" autofocus"), std::string::npos) << html;
  EXPECT_NE(html.find("&lt;img src=x onerror=alert(1)&gt;"), std::string::npos) << html;
  // The form names the server by its usual port, never by an address the page could change.
  EXPECT_NE(html.find("name=\"port\" value=\"8080\""), std::string::npos);
  EXPECT_EQ(html.find("name=\"base_url\""), std::string::npos);
}

TEST(FoundServers, WithNoneSayWhereToLookAndLinkToSettings) {
  auto views = Views::Load();
  ASSERT_TRUE(views.ok());
  std::string html = (*views)->FoundServers({}).html;
  EXPECT_NE(html.find("None answers on the usual ports"), std::string::npos);
  EXPECT_NE(html.find("<a href=\"/settings\">Settings</a>"), std::string::npos);
}

}  // namespace
}  // namespace hearth::web
