// SPDX-License-Identifier: Apache-2.0
#include "agent/server_capabilities.h"

#include <gtest/gtest.h>

namespace hearth::agent {
namespace {

TEST(ServerCapabilities, SurviveTheirJsonForm) {
  ServerCapabilities caps;
  caps.tools = Ability::kNo;
  caps.streams_with_tools = Ability::kYes;
  caps.context_tokens = 8192;
  caps.tools_refusal = "tools param requires --jinja flag";
  caps.tools_advice = "Start llama-server with --jinja.";
  ServerCapabilities back = CapabilitiesFromJson(CapabilitiesToJson(caps));
  EXPECT_EQ(back.tools, Ability::kNo);
  EXPECT_EQ(back.streams_with_tools, Ability::kYes);
  EXPECT_EQ(back.context_tokens, 8192);
  EXPECT_EQ(back.tools_refusal, caps.tools_refusal);
  EXPECT_EQ(back.tools_advice, caps.tools_advice);
}

TEST(ServerCapabilities, ReadAsUnknownWhenTheRecordIsDamaged) {
  for (const char* json : {"", "{", "[]", R"({"tools":true,"streams_with_tools":"maybe"})",
                           R"({"context_tokens":-5})"}) {
    ServerCapabilities caps = CapabilitiesFromJson(json);
    EXPECT_EQ(caps.tools, Ability::kUnknown) << json;
    EXPECT_EQ(caps.streams_with_tools, Ability::kUnknown) << json;
    EXPECT_EQ(caps.context_tokens, 0) << json;
  }
}

TEST(CapabilitiesKey, ChangesWithTheKindTheAddressOrTheModel) {
  llm::Endpoint a{.wire = llm::Wire::kOpenAi, .base_url = "http://127.0.0.1:8080/v1"};
  llm::Endpoint b = a;
  b.base_url = "http://127.0.0.1:8081/v1";
  llm::Endpoint c = a;
  c.wire = llm::Wire::kOllama;
  std::string key = CapabilitiesKey(a, "qwen");
  EXPECT_TRUE(key.starts_with("llm.capabilities."));
  EXPECT_EQ(key, CapabilitiesKey(a, "qwen"));
  EXPECT_NE(key, CapabilitiesKey(b, "qwen"));
  EXPECT_NE(key, CapabilitiesKey(c, "qwen"));
  EXPECT_NE(key, CapabilitiesKey(a, "llama"));
  // The API key is not part of it (nor stored in it).
  llm::Endpoint keyed = a;
  keyed.api_key = "secret";
  EXPECT_EQ(key, CapabilitiesKey(keyed, "qwen"));
}

}  // namespace
}  // namespace hearth::agent
