// SPDX-License-Identifier: Apache-2.0
#include "llm/context_size.h"

#include <gtest/gtest.h>

namespace hearth::llm {
namespace {

TEST(ParsePropsContextSize, ReadsLlamaServersGenerationSettingsThenTheTopLevel) {
  EXPECT_EQ(
      ParsePropsContextSize(
          R"({"default_generation_settings":{"n_ctx":8192,"params":{"n_predict":-1}},"total_slots":1})"),
      8192);
  EXPECT_EQ(ParsePropsContextSize(R"({"n_ctx":4096,"total_slots":1})"), 4096);
  EXPECT_EQ(ParsePropsContextSize(R"({"default_generation_settings":{"n_ctx":-1},"n_ctx":2048})"),
            2048);
}

TEST(ParsePropsContextSize, IsZeroForAnythingElse) {
  EXPECT_EQ(ParsePropsContextSize(""), 0);
  EXPECT_EQ(ParsePropsContextSize(R"({"detail":"Not Found"})"), 0);
  EXPECT_EQ(ParsePropsContextSize(R"({"n_ctx":"8192"})"), 0);
  EXPECT_EQ(ParsePropsContextSize(R"({"n_ctx":1e300})"), 0);
  EXPECT_EQ(ParsePropsContextSize("[1,2]"), 0);
}

TEST(ParseShowContextSize, ReadsNumCtxAndTheArchitecturesContextLength) {
  ContextSize size = ParseShowContextSize(
      R"({"parameters":"stop                           \"<|eot_id|>\"\nnum_ctx                        4096",)"
      R"("model_info":{"general.architecture":"llama","llama.context_length":131072}})");
  EXPECT_EQ(size.tokens, 4096);
  EXPECT_EQ(size.model_max, 131072);
}

TEST(ParseShowContextSize, LeavesWhatIsMissingUnknown) {
  ContextSize size = ParseShowContextSize(
      R"({"parameters":"num_ctx_extra 5\nnum_ctx x","model_info":{"general.architecture":"qwen2","llama.context_length":1}})");
  EXPECT_EQ(size.tokens, 0);
  EXPECT_EQ(size.model_max, 0);
  size = ParseShowContextSize("not json");
  EXPECT_EQ(size.tokens, 0);
  EXPECT_EQ(size.model_max, 0);
}

}  // namespace
}  // namespace hearth::llm
