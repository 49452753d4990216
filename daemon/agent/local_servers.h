// SPDX-License-Identifier: Apache-2.0
// agent/local_servers: the model servers answering on this computer's usual loopback ports, found
// for a first run (the welcome view offers each in one click).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/status.h"
#include "llm/client.h"

namespace hearth::agent {

// Where a kind of model server listens by default.
struct UsualServer {
  std::string label;        // what the user knows it as: "Ollama", "llama-server", …
  std::string name;         // the name it is saved under in Settings: "ollama", "llama-server", …
  uint16_t usual_port = 0;  // its default port: what a POST names it by
  uint16_t port = 0;        // the port probed (usual_port, but in tests)
  llm::Wire wire = llm::Wire::kOpenAi;

  // "http://127.0.0.1:PORT" (Ollama's native API) or ".../v1".
  llm::Endpoint Endpoint() const;
};

// Ollama 11434, llama-server 8080, LM Studio 1234, vLLM 8000. `test_ports`, for tests only, is
// HEARTH_TEST_PROBE_PORTS: "USUAL=PORT,…" (e.g. "11434=40123,8080=40123") probes only the usual
// ports it names, each on the port given, so a test neither depends on nor touches the real ones.
// Null: the usual ports. A malformed value is kInvalidArgument, saying what is expected.
Result<std::vector<UsualServer>> UsualServers(const char* test_ports);

struct FoundServer {
  UsualServer server;
  std::vector<std::string> models;  // what it lists (at most kMaxModelsKept, as it sent them)
};
inline constexpr size_t kMaxModelsKept = 64;

// Asks every server in `servers` for its models at once, giving up on each at `cap`; returns the
// ones that answered with a model list, in `servers`' order. Blocking (at most about `cap`).
std::vector<FoundServer> ProbeServers(const std::vector<UsualServer>& servers,
                                      std::chrono::milliseconds cap);

// ProbeServers behind a short cache, so that pages loaded one after the other do not probe the
// ports again. Thread-safe: callers at the same time wait for one probe and share its result.
class LocalServerFinder {
 public:
  LocalServerFinder(const Clock& clock, std::vector<UsualServer> servers,
                    std::chrono::milliseconds cap = std::chrono::milliseconds(1000),
                    int64_t cache_ms = 5000);

  std::vector<FoundServer> Find();
  // The server probed for `usual_port`, if it is one this finder probes.
  std::optional<UsualServer> Server(uint16_t usual_port) const;

 private:
  const Clock& clock_;
  const std::vector<UsualServer> servers_;
  const std::chrono::milliseconds cap_;
  const int64_t cache_ms_;

  std::mutex mu_;  // held during a probe, which is bounded by cap_
  // Guarded by mu_:
  int64_t found_at_ms_ = 0;
  bool found_once_ = false;
  std::vector<FoundServer> found_;
};

}  // namespace hearth::agent
