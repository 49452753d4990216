// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/config.h"
#include "agent/titles.h"
#include "base/clock.h"
#include "base/status.h"
#include "llm/client.h"
#include "store/store.h"
#include "tools/tool.h"

namespace hearth::agent {

// The tools a run may call. Immutable once built; runs hold it by shared_ptr, so the settings
// page can swap in a new one while a run finishes with the old.
class ToolBox {
 public:
  void Add(std::unique_ptr<tools::Tool> tool) { tools_.push_back(std::move(tool)); }
  const tools::Tool* Find(std::string_view name) const;
  std::vector<llm::ToolSchema> Schemas() const;
  size_t size() const { return tools_.size(); }

 private:
  std::vector<std::unique_ptr<tools::Tool>> tools_;
};

// A tool call waiting for the user's decision.
struct ApprovalRequest {
  int64_t conversation_id = 0;
  int64_t message_id = 0;  // the tool message that shows the call
  std::string tool;
  std::string arguments;
};

enum class Decision { kDeny, kAllowOnce, kAlwaysAllow };

// What a run does, as it happens, for the web layer. Called on the run's thread; implementations
// must be thread-safe and quick (they only queue events for the browser).
class RunObserver {
 public:
  virtual ~RunObserver() = default;
  // `run_id` is the id of the first message the run adds: the page groups the run's messages.
  virtual void RunStarted(int64_t conversation_id, int64_t run_id) = 0;
  // A message was added (an answer starting to stream, a tool call) or changed (more text, a
  // result, a final state). The message is the stored row as it is now.
  virtual void MessageChanged(const store::Message& message) = 0;
  virtual void RunEnded(int64_t conversation_id, int64_t run_id) = 0;
};

struct AgentOptions {
  int max_concurrent_runs = 16;
  int save_interval_ms = 250;  // how often a streaming answer is written to the store
  size_t max_history_bytes = 200 * 1024;
  size_t max_tool_output_bytes = 64 * 1024;
  int approval_timeout_ms = 30 * 60 * 1000;
  llm::ClientOptions client;
  // A conversation's title is asked of the model after its first exchange; past this, the
  // first words of the message are its title.
  long title_timeout_s = 30;
  // Called (on the titler's thread) when a conversation got a title that way.
  Titler::Titled title_made;
};

// Answers conversations: model → tool calls → results → model, up to the configured number of
// steps. One run per conversation at a time, each on its own thread; everything a run produces is
// stored as it arrives (a crash loses at most the last save interval of text), and reported to
// the observer. Thread-safe.
class Agent {
 public:
  using ConfigSource = std::function<AgentConfig()>;
  using ToolSource = std::function<std::shared_ptr<const ToolBox>()>;

  Agent(store::Store& store, const Clock& clock, RunObserver& observer, ConfigSource config,
        ToolSource tools, AgentOptions options = {});
  ~Agent();  // stops and joins every run
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Starts answering the conversation. kBusy if it is already being answered or too many runs
  // are active; kUnavailable (with what to do) when no model is configured.
  // `before_run` is called once the run is accepted, before it produces anything (the web
  // layer prepares the run's live view there), under the agent's lock: keep it short.
  Status Start(int64_t conversation_id, const std::function<void()>& before_run = {});
  // Aborts the conversation's run at once (the upstream request is closed); the answer so far
  // is kept and marked. False if nothing was running.
  bool Stop(int64_t conversation_id);
  // Settles a pending approval. kNotFound if that message is not waiting.
  Status Decide(int64_t conversation_id, int64_t message_id, Decision decision);
  // Whether the conversation is being answered: the id of the run's first message, or 0 before
  // it has one; nullopt when no run is active.
  std::optional<int64_t> ActiveRun(int64_t conversation_id) const;
  void StopAll();

 private:
  struct Run;
  void Execute(Run& run);  // the run's thread: Answer, then settles and announces the end
  void Answer(Run& run);
  Status Step(Run& run, const AgentConfig& config, const ProviderConfig& provider,
              const std::string& model, const ToolBox& tools, bool& again);
  // Runs `call` and stores its result; a non-empty `refusal` is the result instead (the call is
  // not run).
  store::Message RunTool(Run& run, const ToolBox& tools, const llm::ToolCall& call,
                         std::string_view refusal);
  std::optional<Decision> AwaitDecision(Run& run, int64_t message_id);
  void Publish(Run& run, const store::Message& message);
  store::Message AddMessage(Run& run, std::string_view role, std::string_view content,
                            store::MessageState state, std::string_view meta);
  void Save(Run& run, store::Message& message);
  // `bytes_per_token`, when given, is set from the newest answer whose usage the server gave.
  std::vector<llm::ChatMessage> History(int64_t conversation_id, const AgentConfig& config,
                                        const std::string& system_prompt,
                                        double* bytes_per_token = nullptr);
  // Leaves out of `request` what would not fit the model's context (agent/context_fit.h),
  // asking the server its context size once per run when the request could be too large.
  // Returns the note the answer shows when something was left out.
  std::string FitToModelContext(Run& run, const ProviderConfig& provider, llm::ChatRequest& request,
                                double bytes_per_token);
  // After a conversation's first exchange: has a title made for it (titles.h).
  void QueueTitle(const Run& run, int64_t run_id);

  store::Store& store_;
  const Clock& clock_;
  RunObserver& observer_;
  ConfigSource config_;
  ToolSource tools_;
  AgentOptions options_;

  mutable std::mutex mu_;
  // guarded by mu_
  std::map<int64_t, std::shared_ptr<Run>> runs_;  // by conversation
  std::vector<std::thread> finished_;             // threads of ended runs, joined lazily
  bool stopping_ = false;

  std::unique_ptr<Titler> titler_;  // last: destroyed first, while the rest still stands
};

}  // namespace hearth::agent
