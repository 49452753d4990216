// SPDX-License-Identifier: Apache-2.0
// agent/server_capabilities: what Hearth has learnt a model server cannot (or can) do, kept so
// that it is not asked in vain on every step, nor after a restart.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "llm/client.h"
#include "store/store.h"

namespace hearth::agent {

enum class Ability { kUnknown, kYes, kNo };

struct ServerCapabilities {
  Ability tools = Ability::kUnknown;               // accepts `tools` in a request
  Ability streams_with_tools = Ability::kUnknown;  // streams an answer when sent tools
  int64_t context_tokens = 0;                      // what the server gives a request; 0 unknown
  // When tools are refused: the server's words and how to enable them (for the notice).
  std::string tools_refusal;
  std::string tools_advice;
};

// The store's settings key for a server: a digest of what defines it (kind, address, model),
// so that changing any of them forgets what was learnt about the old one.
std::string CapabilitiesKey(const llm::Endpoint& endpoint, std::string_view model);

std::string CapabilitiesToJson(const ServerCapabilities& capabilities);
// Unknown fields and values read as unknown: an unreadable record is no record.
ServerCapabilities CapabilitiesFromJson(std::string_view json);

// What is remembered about the server; all unknown when nothing is (or the store fails).
ServerCapabilities LoadCapabilities(store::Store& store, const llm::Endpoint& endpoint,
                                    std::string_view model);
// Replaces the record (Test connection writes what it found, which forgets the rest).
Status SaveCapabilities(store::Store& store, const llm::Endpoint& endpoint, std::string_view model,
                        const ServerCapabilities& capabilities);

}  // namespace hearth::agent
