// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "llm/chat.h"

namespace hearth::llm {

// Where a model is served. `base_url` is what users copy from their server's docs:
// "http://127.0.0.1:8080/v1" for llama-server or any OpenAI-compatible server,
// "http://127.0.0.1:11434" for Ollama's native API.
struct Endpoint {
  Wire wire = Wire::kOpenAi;
  std::string base_url;
  std::string api_key;  // sent as "Authorization: Bearer …"; never logged, never rendered
};

// Checks the URL is http(s) with a host, so a typo is reported when it is saved, not when used.
Status ValidateEndpoint(const Endpoint& endpoint);

// How long a request waits on a model server, per server (config.json's providers[] and the
// Settings form). A model on a CPU may read a long prompt for minutes before its first byte, and
// an answer that cannot stream arrives whole at the end, so the defaults are minutes: a hung
// server is found late, but a slow one is never cut off. Stop ends a request at once whatever
// these say.
struct Timeouts {
  int first_byte_s = 600;  // from sending the request to the first byte of the answer
  int idle_s = 300;        // between two bytes once the answer has begun
};
inline constexpr int kMaxTimeoutS = 24 * 60 * 60;

struct ClientOptions {
  long connect_timeout_ms = 5000;
  Timeouts timeouts;
  size_t max_response_bytes = 32 << 20;  // a non-streamed body or an error body
};

// Lets another thread abort a request at once: Cancel() wakes the request's poll, which then
// closes the connection. One signal serves one request at a time. Thread-safe.
class CancelSignal {
 public:
  void Cancel();
  bool cancelled() const { return cancelled_.load(); }

 private:
  friend class Transfer;
  void Attach(void* multi);  // CURLM*
  void Detach();

  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  void* multi_ = nullptr;  // guarded by mu_
};

// What StreamChat changed in a request the server refused, to get an answer all the same.
struct ChatFallbacks {
  // The server refuses `tools` (ToolsRefusalAdvice in wire.h): asked again without them.
  bool without_tools = false;
  std::string tools_refusal;  // the server's words, fit to show
  std::string tools_advice;   // how to enable tools on that server
  // The server refuses to stream an answer with tools: asked again unstreamed.
  bool without_streaming = false;
};

// Sends `request` and hands each StreamEvent to `on_event` as it arrives, on the calling thread
// (blocking: call it from a worker). A server that refuses tools while streaming (llama.cpp's
// "Cannot use tools with stream") is asked again without streaming, and its answer is replayed
// as events; one that refuses tools altogether is asked again without them. `fallbacks`, when
// given, says which of these happened. Returns the whole reply once the server finished it;
// otherwise a Status written for the user: kUnavailable (refused, unreachable, timed out, cut off,
// an HTTP error with the server's own message), kCancelled, kTooLarge. Events already delivered
// stay delivered, so a caller keeps the partial answer.
Result<ChatReply> StreamChat(const Endpoint& endpoint, const ChatRequest& request,
                             const ClientOptions& options, CancelSignal& cancel,
                             const std::function<void(const StreamEvent&)>& on_event,
                             ChatFallbacks* fallbacks = nullptr);

// One plain exchange: GET `path` (POST when `post_body` is given) relative to the server's root:
// the base URL without a trailing "/v1", where llama-server's /props and Ollama's /api/show are.
// Returns the HTTP status and the body (at most options.max_response_bytes).
struct HttpAnswer {
  long status = 0;
  std::string body;
};
Result<HttpAnswer> FetchFromRoot(const Endpoint& endpoint, std::string_view path,
                                 const std::string* post_body, const ClientOptions& options,
                                 CancelSignal& cancel);

// One request beside chat (GET when `post_body` is null) to `url`, which must be on the
// endpoint's server: the body of a 2xx answer. An HTTP error is kUnavailable with the server's
// own message, or kNotFound for 404 (the server has no such route or model); otherwise as
// StreamChat.
Result<std::string> FetchBody(const Endpoint& endpoint, const std::string& url,
                              const std::string* post_body, const ClientOptions& options,
                              CancelSignal& cancel);

// The models the server offers (GET /models or /api/tags), for the settings page.
Result<std::vector<std::string>> ListModels(const Endpoint& endpoint, const ClientOptions& options,
                                            CancelSignal& cancel);

}  // namespace hearth::llm
