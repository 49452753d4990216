// SPDX-License-Identifier: Apache-2.0
// llm/context_size: how many tokens a model server gives a conversation, where it says so.
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

// llama-server's GET /props: `default_generation_settings.n_ctx`, or `n_ctx` at the top level
// (older builds); 0 when neither is a positive integer.
int64_t ParsePropsContextSize(std::string_view body);

// Ollama's POST /api/show: `num_ctx` in its `parameters` text (what the server gives a request,
// when the model file sets it) and `model_info["<general.architecture>.context_length"]` (the
// model's maximum). Zeros when absent or not the expected shape.
ContextSize ParseShowContextSize(std::string_view body);

// Asks the server: Ollama's /api/show for kOllama; llama-server's /props for kOpenAi, and then
// /api/show (Ollama's /v1) when the server has no /props. All zeros when the server says
// nothing about it (vLLM, LM Studio); a Status only when the server could not be reached.
Result<ContextSize> ReadContextSize(const Endpoint& endpoint, const std::string& model,
                                    const ClientOptions& options, CancelSignal& cancel);

}  // namespace hearth::llm
