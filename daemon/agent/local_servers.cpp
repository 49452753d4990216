// SPDX-License-Identifier: Apache-2.0
#include "agent/local_servers.h"

#include <charconv>
#include <condition_variable>
#include <memory>
#include <string_view>
#include <thread>

namespace hearth::agent {
namespace {

std::vector<UsualServer> Defaults() {
  return {
      {"Ollama", "ollama", 11434, 11434, llm::Wire::kOllama},
      {"llama-server", "llama-server", 8080, 8080, llm::Wire::kOpenAi},
      {"LM Studio", "lm-studio", 1234, 1234, llm::Wire::kOpenAi},
      {"vLLM", "vllm", 8000, 8000, llm::Wire::kOpenAi},
  };
}

std::optional<uint16_t> ParsePort(std::string_view text) {
  unsigned value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(value);
}

}  // namespace

llm::Endpoint UsualServer::Endpoint() const {
  llm::Endpoint endpoint;
  endpoint.wire = wire;
  endpoint.base_url = "http://127.0.0.1:" + std::to_string(port);
  if (wire == llm::Wire::kOpenAi) endpoint.base_url += "/v1";
  return endpoint;
}

Result<std::vector<UsualServer>> UsualServers(const char* test_ports) {
  std::vector<UsualServer> defaults = Defaults();
  if (test_ports == nullptr) return defaults;
  std::vector<UsualServer> chosen;
  std::string_view rest(test_ports);
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view entry = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    size_t equals = entry.find('=');
    auto usual = ParsePort(entry.substr(0, equals));
    auto port =
        equals == std::string_view::npos ? std::nullopt : ParsePort(entry.substr(equals + 1));
    const UsualServer* known = nullptr;
    for (const UsualServer& s : defaults) {
      if (usual && s.usual_port == *usual) known = &s;
    }
    if (known == nullptr || !port) {
      return Status::InvalidArgument(
          "HEARTH_TEST_PROBE_PORTS (for tests only) must be USUAL=PORT pairs separated by commas, "
          "USUAL one of 11434, 8080, 1234, 8000; it says \"" +
          std::string(entry.substr(0, 64)) + "\"");
    }
    chosen.push_back(*known);
    chosen.back().port = *port;
  }
  return chosen;
}

std::vector<FoundServer> ProbeServers(const std::vector<UsualServer>& servers,
                                      std::chrono::milliseconds cap) {
  // Each probe runs on a thread of its own, so that the slowest port, not the sum of them, bounds
  // the wait; at the cap the ones still waiting are cancelled (CancelSignal wakes their poll).
  std::mutex mu;
  std::condition_variable done;
  size_t finished = 0;  // guarded by mu
  std::vector<Result<std::vector<std::string>>> results(servers.size(), std::vector<std::string>{});
  std::vector<std::unique_ptr<llm::CancelSignal>> cancels;
  std::vector<std::thread> threads;
  llm::ClientOptions options;
  options.connect_timeout_ms = cap.count();
  options.timeouts = {.first_byte_s = 1, .idle_s = 1};
  options.max_response_bytes = 1 << 20;
  for (size_t i = 0; i < servers.size(); ++i) {
    cancels.push_back(std::make_unique<llm::CancelSignal>());
    threads.emplace_back([&, i] {
      Result<std::vector<std::string>> models =
          llm::ListModels(servers[i].Endpoint(), options, *cancels[i]);
      std::lock_guard lock(mu);
      results[i] = std::move(models);
      ++finished;
      done.notify_all();
    });
  }
  {
    std::unique_lock lock(mu);
    done.wait_for(lock, cap, [&] { return finished == servers.size(); });
  }
  for (auto& cancel : cancels) cancel->Cancel();
  for (std::thread& t : threads) t.join();
  std::vector<FoundServer> found;
  for (size_t i = 0; i < servers.size(); ++i) {
    if (!results[i].ok()) continue;
    std::vector<std::string>& models = *results[i];
    if (models.size() > kMaxModelsKept) models.resize(kMaxModelsKept);
    found.push_back({servers[i], std::move(models)});
  }
  return found;
}

LocalServerFinder::LocalServerFinder(const Clock& clock, std::vector<UsualServer> servers,
                                     std::chrono::milliseconds cap, int64_t cache_ms)
    : clock_(clock), servers_(std::move(servers)), cap_(cap), cache_ms_(cache_ms) {}

std::vector<FoundServer> LocalServerFinder::Find() {
  std::lock_guard lock(mu_);
  int64_t now = clock_.NowMs();
  if (!found_once_ || now - found_at_ms_ >= cache_ms_ || now < found_at_ms_) {
    found_ = ProbeServers(servers_, cap_);
    found_at_ms_ = clock_.NowMs();
    found_once_ = true;
  }
  return found_;
}

std::optional<UsualServer> LocalServerFinder::Server(uint16_t usual_port) const {
  for (const UsualServer& s : servers_) {
    if (s.usual_port == usual_port) return s;
  }
  return std::nullopt;
}

}  // namespace hearth::agent
