// SPDX-License-Identifier: Apache-2.0
#include "agent/local_servers.h"

#include <gtest/gtest.h>

namespace hearth::agent {
namespace {

TEST(UsualServers, AreOllamaLlamaServerLmStudioAndVllmOnTheirDefaultPorts) {
  auto servers = UsualServers(nullptr);
  ASSERT_TRUE(servers.ok());
  ASSERT_EQ(servers->size(), 4u);
  EXPECT_EQ((*servers)[0].Endpoint().base_url, "http://127.0.0.1:11434");
  EXPECT_EQ((*servers)[0].wire, llm::Wire::kOllama);
  EXPECT_EQ((*servers)[1].Endpoint().base_url, "http://127.0.0.1:8080/v1");
  EXPECT_EQ((*servers)[2].Endpoint().base_url, "http://127.0.0.1:1234/v1");
  EXPECT_EQ((*servers)[3].Endpoint().base_url, "http://127.0.0.1:8000/v1");
}

TEST(UsualServers, InTestsProbeOnlyThePortsNamedWhereTheyPoint) {
  auto servers = UsualServers("8000=41000,11434=41001");
  ASSERT_TRUE(servers.ok()) << servers.status().message();
  ASSERT_EQ(servers->size(), 2u);
  EXPECT_EQ((*servers)[0].label, "vLLM");
  EXPECT_EQ((*servers)[0].usual_port, 8000);
  EXPECT_EQ((*servers)[0].Endpoint().base_url, "http://127.0.0.1:41000/v1");
  EXPECT_EQ((*servers)[1].Endpoint().base_url, "http://127.0.0.1:41001");
  auto none = UsualServers("");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(UsualServers, RefuseAMalformedTestValueSayingWhatIsExpected) {
  for (const char* bad : {"8080", "8081=1", "8080=0", "8080=70000", "8080=x", "8080=1,,"}) {
    auto servers = UsualServers(bad);
    ASSERT_FALSE(servers.ok()) << bad;
    EXPECT_NE(servers.status().message().find("USUAL=PORT"), std::string::npos);
  }
}

}  // namespace
}  // namespace hearth::agent
