// SPDX-License-Identifier: Apache-2.0
// agent/server_probe: what Settings' "Test connection" finds out about a model server.
#pragma once

#include <string>
#include <vector>

#include "agent/server_capabilities.h"
#include "base/status.h"
#include "llm/client.h"
#include "llm/context_size.h"

namespace hearth::agent {

struct ProbeReport {
  // The models the server lists; on failure, why the server could not be asked.
  Result<std::vector<std::string>> models = std::vector<std::string>{};
  std::string model;          // the model probed: the one asked for, or the server's only one
  bool model_chosen = false;  // `model` is the server's only one, chosen for the user
  bool probed = false;        // a chat request was tried (there was a model to try it with)
  std::string probe_error;    // why the probe got no answer (other than refusing tools)
  ServerCapabilities capabilities;
  llm::ContextSize context;
};

// Lists the models, then (with a model: `model`, or the server's only one) sends one tiny chat
// request with a trivial tool and a 1-token bound, streamed, which tells whether the server
// accepts tools and streams with them; then asks for the context size. Blocking: bounded by
// `options`' timeouts. Never writes anything; the caller saves the capabilities.
ProbeReport ProbeServer(const llm::Endpoint& endpoint, const std::string& model,
                        const llm::ClientOptions& options, llm::CancelSignal& cancel);

}  // namespace hearth::agent
