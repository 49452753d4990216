// SPDX-License-Identifier: Apache-2.0
// A stand-in model server for the agent's integration tests: tests/fake_llm/server.mjs, run by
// node as a child process. What it replays and records is described in tests/fake_llm/README.md.
#pragma once

#include <sys/types.h>

#include <json/json.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/fd.h"
#include "harness.h"

namespace hearth::testing {

// One fake server. Construction starts it and waits (under kDeadline) for the port it prints;
// destruction stops it (SIGTERM, then SIGKILL if it lingers) and removes its private directory.
// Use from one test thread.
class FakeLlm {
 public:
  struct Options {
    // Transcripts by file name ("secrets.0.sse" → bytes, in the format of the README). When
    // given, the server replays these alone, from a private directory: for scenarios a test
    // generates because they name its own paths. Otherwise it replays tests/fake_llm/transcripts.
    std::map<std::string, std::string> transcripts;
  };

  FakeLlm() : FakeLlm(Options{}) {}
  explicit FakeLlm(Options options);
  ~FakeLlm();
  FakeLlm(const FakeLlm&) = delete;
  FakeLlm& operator=(const FakeLlm&) = delete;

  // False if node could not be started or printed no port in time (Stderr() says why).
  bool ok() const { return port_ != 0; }
  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string Stderr() const;

  // Every request the server received so far (GET /__requests), oldest first; null if it did
  // not answer. Requests() leaves out the title requests Hearth sends after a conversation's
  // first exchange (agent/titles.h), which come after the run has ended: TitleRequests() lists
  // them.
  Json::Value AllRequests() const;
  Json::Value Requests() const;
  std::vector<Json::Value> TitleRequests() const;
  // Only those to a chat route (/v1/chat/completions, /api/chat), oldest first.
  std::vector<Json::Value> ChatRequests() const;
  // Asks again until `done` holds for the list of requests, or the deadline passes; returns
  // the last list. For what the server records on its own after the client has gone (such as
  // client_closed_at): there is no event to wait on, so each check is a round trip to it.
  Json::Value WaitForRequests(const std::function<bool(const Json::Value&)>& done,
                              std::chrono::milliseconds timeout = kDeadline) const;

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string dir_;  // private: the server's stderr, and generated transcripts if any
  UniqueFd stdout_;  // kept open so that a late write from the server never meets a closed pipe
};

// Generated transcripts in the OpenAI-compatible streaming format (what llama-server sends).
struct FakeToolCall {
  std::string id;
  std::string name;
  Json::Value arguments;  // an object; sent as its JSON text, as servers do
};
// An answer that calls `calls`, all in one turn.
std::string SseToolCalls(const std::string& model, const std::vector<FakeToolCall>& calls);
// An answer of plain text.
std::string SseAnswer(const std::string& model, const std::string& text);
// An answer that calls `calls` the way servers stream them: each call's id and name in a chunk,
// then its arguments' JSON text in pieces of `piece_bytes`, a chunk each.
std::string SseStreamedToolCalls(const std::string& model, const std::vector<FakeToolCall>& calls,
                                 size_t piece_bytes);
// The same in Ollama's NDJSON: each call whole (arguments as an object) on a line of its own.
std::string NdjsonToolCalls(const std::string& model, const std::vector<FakeToolCall>& calls);
std::string NdjsonAnswer(const std::string& model, const std::string& text);

// The messages of a recorded chat request's body.
const Json::Value& RequestMessages(const Json::Value& request);
// The tool results a recorded chat request carries to the model: tool_call_id → content.
std::map<std::string, std::string> ToolResults(const Json::Value& request);
// True if the request's messages include one with `role` whose content is exactly `content`.
bool HasMessage(const Json::Value& request, const std::string& role, const std::string& content);

}  // namespace hearth::testing
