// SPDX-License-Identifier: Apache-2.0
#include "base/json.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth {
namespace {

TEST(ParseJson, ReadsADocument) {
  Json::Value value;
  ASSERT_TRUE(ParseJson(R"({"a": [1, 2, {"b": "c"}]})", &value));
  EXPECT_EQ(value["a"][2]["b"].asString(), "c");
}

// A model once able to send {"x":[[[[…]]]]} as tool arguments would have thrown out of jsoncpp
// on the run's thread and ended the backend.
TEST(ParseJson, RefusesNestingPastTheLimitInsteadOfThrowing) {
  std::string deep = std::string(10000, '[') + std::string(10000, ']');
  Json::Value value;
  EXPECT_FALSE(ParseJson(deep, &value, 32));
  std::string shallow = std::string(10, '[') + std::string(10, ']');
  EXPECT_TRUE(ParseJson(shallow, &value, 32));
}

TEST(ParseJson, RefusesMalformedTextAndDuplicateKeys) {
  Json::Value value;
  EXPECT_FALSE(ParseJson("{\"a\": ", &value));
  EXPECT_FALSE(ParseJson(R"({"a": 1, "a": 2})", &value));
}

}  // namespace
}  // namespace hearth
