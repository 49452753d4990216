// SPDX-License-Identifier: Apache-2.0
// llm/context_size: how many tokens a model's context holds, where the server says it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "llm/client.h"

namespace hearth::llm {

struct ContextSize {
  int64_t tokens = 0;     // what the server gives a request; 0 when it does not say
  int64_t model_max = 0;  // what the model was made for (Ollama says it); 0 when unknown
};

// Asks the server the context size of `model`, in tokens:
//   kOpenAi: llama-server's GET /props (n_ctx, under default_generation_settings or at the top),
//            else vLLM's max_model_len in GET {base}/models;
//   kOllama: POST /api/show (num_ctx in "parameters" when the model sets it, else the
//            model_info's "<architecture>.context_length").
// 0 when the server does not say (LM Studio, hosted APIs, routes it does not have) or cannot be
// asked: not an error, since the chat request that follows reports an unreachable server. Fails
// only on Stop (kCancelled).
Result<int64_t> FetchContextSize(const Endpoint& endpoint, const std::string& model,
                                 const ClientOptions& options, CancelSignal& cancel);

// The same, for Test connection, which also shows the model's maximum where Ollama says it.
Result<ContextSize> ReadContextSize(const Endpoint& endpoint, const std::string& model,
                                    const ClientOptions& options, CancelSignal& cancel);

// Ollama's POST /api/show: `num_ctx` in its `parameters` text (what the server gives a request,
// when the model file sets it) and the model_info's "<architecture>.context_length" (the model's
// maximum). Zeros when absent or not the expected shape.
ContextSize ContextSizesFromOllamaShow(std::string_view body);

// The parsers behind it, for their tests; each answers 0 when the body does not say.
int64_t ContextSizeFromLlamaProps(std::string_view body);
int64_t ContextSizeFromModelList(std::string_view body, std::string_view model);
int64_t ContextSizeFromOllamaShow(std::string_view body);

// The address of a route at the root of an OpenAI-compatible server: its base URL without the
// trailing "/v1" ("http://127.0.0.1:8080/v1" → "http://127.0.0.1:8080/props").
std::string ServerRootUrl(std::string_view base_url, std::string_view path);

}  // namespace hearth::llm
