// SPDX-License-Identifier: Apache-2.0
#include "agent/server_probe.h"

#include <json/json.h>

namespace hearth::agent {

ProbeReport ProbeServer(const llm::Endpoint& endpoint, const std::string& model,
                        const llm::ClientOptions& options, llm::CancelSignal& cancel) {
  ProbeReport report;
  report.models = llm::ListModels(endpoint, options, cancel);
  if (!report.models.ok()) return report;
  report.model = model;
  if (report.model.empty() && report.models->size() == 1) {
    report.model = report.models->front();
    report.model_chosen = true;
  }
  if (report.model.empty()) return report;

  // The smallest request that still shows how the server treats tools: one tool taking nothing,
  // an answer of one token.
  llm::ChatRequest request;
  request.model = report.model;
  request.messages.push_back(llm::ChatMessage{.role = "user", .content = "Say OK."});
  Json::Value parameters(Json::objectValue);
  parameters["type"] = "object";
  parameters["properties"] = Json::Value(Json::objectValue);
  request.tools.push_back(llm::ToolSchema{.name = "hearth_probe",
                                          .description = "Does nothing; do not call it.",
                                          .parameters = parameters});
  request.stream = true;
  request.max_tokens = 1;
  llm::ChatFallbacks fallbacks;
  Result<llm::ChatReply> reply = llm::StreamChat(
      endpoint, request, options, cancel, [](const llm::StreamEvent&) {}, &fallbacks);
  report.probed = true;
  ServerCapabilities& caps = report.capabilities;
  if (fallbacks.without_tools) {
    caps.tools = Ability::kNo;
    caps.tools_refusal = fallbacks.tools_refusal;
    caps.tools_advice = fallbacks.tools_advice;
  }
  if (fallbacks.without_streaming) caps.streams_with_tools = Ability::kNo;
  if (reply.ok()) {
    if (!fallbacks.without_tools) caps.tools = Ability::kYes;
    if (!fallbacks.without_tools && !fallbacks.without_streaming) {
      caps.streams_with_tools = Ability::kYes;
    }
  } else {
    report.probe_error = reply.status().message();
  }

  if (Result<llm::ContextSize> context =
          llm::ReadContextSize(endpoint, report.model, options, cancel);
      context.ok()) {
    report.context = *context;
    caps.context_tokens = context->tokens;
  }
  return report;
}

}  // namespace hearth::agent
