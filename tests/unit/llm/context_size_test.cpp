// SPDX-License-Identifier: Apache-2.0
#include "llm/context_size.h"

#include <gtest/gtest.h>

namespace hearth::llm {
namespace {

TEST(AContextSize, IsReadFromLlamaServersProps) {
  // llama-server b4589's GET /props (abridged).
  EXPECT_EQ(
      ContextSizeFromLlamaProps(
          R"({"default_generation_settings":{"id":0,"id_task":-1,"n_ctx":4096,"speculative":false,"is_processing":false,"params":{"n_predict":-1}},"total_slots":1,"model_path":"/models/qwen2.5-7b-instruct-q4_k_m.gguf","chat_template":"..."})"),
      4096);
  EXPECT_EQ(ContextSizeFromLlamaProps(R"({"n_ctx":8192})"), 8192);
  EXPECT_EQ(ContextSizeFromLlamaProps(R"({"detail":"Not Found"})"), 0);
  EXPECT_EQ(ContextSizeFromLlamaProps("not json"), 0);
  EXPECT_EQ(ContextSizeFromLlamaProps(R"({"n_ctx":-1})"), 0);
}

TEST(AContextSize, IsReadFromVllmsModelList) {
  std::string body =
      R"({"object":"list","data":[{"id":"other","max_model_len":2048},{"id":"Qwen/Qwen2.5-7B-Instruct","object":"model","owned_by":"vllm","max_model_len":32768}]})";
  EXPECT_EQ(ContextSizeFromModelList(body, "Qwen/Qwen2.5-7B-Instruct"), 32768);
  EXPECT_EQ(ContextSizeFromModelList(body, "missing"), 0);
}

TEST(AContextSize, IsReadFromOllamasShowPreferringTheModelfilesNumCtx) {
  std::string info =
      R"("model_info":{"general.architecture":"qwen2","general.parameter_count":7615616512,"qwen2.context_length":32768,"qwen2.embedding_length":3584})";
  EXPECT_EQ(ContextSizeFromOllamaShow("{\"parameters\":\"stop \\\"<|im_end|>\\\"\"," + info + "}"),
            32768);
  EXPECT_EQ(
      ContextSizeFromOllamaShow(
          "{\"parameters\":\"num_ctx                        8192\\nstop \\\"<|im_end|>\\\"\"," +
          info + "}"),
      8192);
  EXPECT_EQ(ContextSizeFromOllamaShow(R"({"model_info":{"llama.context_length":131072}})"), 131072);
  EXPECT_EQ(ContextSizeFromOllamaShow(R"({"error":"model 'x' not found"})"), 0);
}

TEST(AServersRootUrl, DropsTheApiVersion) {
  EXPECT_EQ(ServerRootUrl("http://127.0.0.1:8080/v1", "/props"), "http://127.0.0.1:8080/props");
  EXPECT_EQ(ServerRootUrl("http://127.0.0.1:8080/v1/", "/props"), "http://127.0.0.1:8080/props");
  EXPECT_EQ(ServerRootUrl("http://127.0.0.1:11434", "/api/show"),
            "http://127.0.0.1:11434/api/show");
}

TEST(LlamaPropsContextSize, ReadsLlamaServersGenerationSettingsThenTheTopLevel) {
  EXPECT_EQ(
      ContextSizeFromLlamaProps(
          R"({"default_generation_settings":{"n_ctx":8192,"params":{"n_predict":-1}},"total_slots":1})"),
      8192);
  EXPECT_EQ(ContextSizeFromLlamaProps(R"({"n_ctx":4096,"total_slots":1})"), 4096);
  EXPECT_EQ(ContextSizeFromLlamaProps(R"({"default_generation_settings":{"n_ctx":-1},"n_ctx":2048})"),
            2048);
}

TEST(LlamaPropsContextSize, IsZeroForAnythingElse) {
  EXPECT_EQ(ContextSizeFromLlamaProps(""), 0);
  EXPECT_EQ(ContextSizeFromLlamaProps(R"({"detail":"Not Found"})"), 0);
  EXPECT_EQ(ContextSizeFromLlamaProps(R"({"n_ctx":"8192"})"), 0);
  EXPECT_EQ(ContextSizeFromLlamaProps(R"({"n_ctx":1e300})"), 0);
  EXPECT_EQ(ContextSizeFromLlamaProps("[1,2]"), 0);
}

TEST(OllamaShowContextSizes, ReadsNumCtxAndTheArchitecturesContextLength) {
  ContextSize size = ContextSizesFromOllamaShow(
      R"({"parameters":"stop                           \"<|eot_id|>\"\nnum_ctx                        4096",)"
      R"("model_info":{"general.architecture":"llama","llama.context_length":131072}})");
  EXPECT_EQ(size.tokens, 4096);
  EXPECT_EQ(size.model_max, 131072);
}

TEST(OllamaShowContextSizes, LeavesWhatIsMissingUnknown) {
  ContextSize size = ContextSizesFromOllamaShow(
      R"({"parameters":"num_ctx_extra 5\nnum_ctx x","model_info":{"general.architecture":"qwen2","llama.context_length":1}})");
  EXPECT_EQ(size.tokens, 0);
  EXPECT_EQ(size.model_max, 0);
  size = ContextSizesFromOllamaShow("not json");
  EXPECT_EQ(size.tokens, 0);
  EXPECT_EQ(size.model_max, 0);
}


}  // namespace
}  // namespace hearth::llm
