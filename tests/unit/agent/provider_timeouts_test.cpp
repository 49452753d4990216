// SPDX-License-Identifier: Apache-2.0
// A model server's first-byte and idle timeouts: generous defaults, set per server in config.json.
#include <gtest/gtest.h>

#include "agent/config.h"

namespace hearth::agent {
namespace {

TEST(AModelServersTimeouts, DefaultToMinutesSoASlowLocalModelIsNotCutOff) {
  ProviderConfig provider;
  EXPECT_EQ(provider.timeouts.first_byte_s, 10 * 60);
  EXPECT_EQ(provider.timeouts.idle_s, 5 * 60);
  auto config = ParseConfig(
      R"({"providers": [{"name": "a", "base_url": "http://127.0.0.1:8080/v1"}]})", "/home/u");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->providers[0].timeouts.first_byte_s, 600);
  EXPECT_EQ(config->providers[0].timeouts.idle_s, 300);
}

TEST(AModelServersTimeouts, AreReadPerServerAndWrittenBack) {
  auto config = ParseConfig(R"({"providers": [
      {"name": "cpu", "base_url": "http://127.0.0.1:8080/v1", "first_byte_timeout_s": 3600,
       "idle_timeout_s": 900},
      {"name": "gpu", "base_url": "http://127.0.0.1:8081/v1", "first_byte_timeout_s": 30}]})",
                            "/home/u");
  ASSERT_TRUE(config.ok()) << config.status().message();
  EXPECT_EQ(config->providers[0].timeouts.first_byte_s, 3600);
  EXPECT_EQ(config->providers[0].timeouts.idle_s, 900);
  EXPECT_EQ(config->providers[1].timeouts.first_byte_s, 30);
  EXPECT_EQ(config->providers[1].timeouts.idle_s, 300);

  auto again = ParseConfig(ConfigToJson(*config), "/home/u");
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again->providers[0].timeouts.first_byte_s, 3600);
  EXPECT_EQ(again->providers[0].timeouts.idle_s, 900);
  EXPECT_EQ(again->providers[1].timeouts.first_byte_s, 30);
  EXPECT_EQ(again->providers[1].timeouts.idle_s, 300);
}

TEST(AModelServersTimeouts, RefusesValuesThatAreNotWholeSecondsFromOneToADay) {
  for (const char* value : {"0", "-5", "1.5", "\"60\"", "86401"}) {
    auto config = ParseConfig(
        std::string(
            R"({"providers": [{"name": "a", "base_url": "http://h/v1", "idle_timeout_s": )") +
            value + "}]}",
        "/home/u");
    ASSERT_FALSE(config.ok()) << value;
    EXPECT_NE(config.status().message().find("idle_timeout_s"), std::string::npos)
        << config.status().message();
    EXPECT_NE(config.status().message().find("from 1 to 86400"), std::string::npos);
  }
}

}  // namespace
}  // namespace hearth::agent
