// SPDX-License-Identifier: Apache-2.0
#include "agent/agent.h"

#include <json/json.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>

#include "agent/context_fit.h"
#include "agent/elapsed_ticker.h"
#include "agent/server_capabilities.h"
#include "base/json.h"
#include "llm/context_size.h"
#include "llm/stream_parser.h"

namespace hearth::agent {
namespace {

std::string ToJson(const Json::Value& value) {
  Json::StreamWriterBuilder writer;
  writer["indentation"] = "";
  return Json::writeString(writer, value);
}

Json::Value ParseMeta(std::string_view meta) {
  Json::Value value;
  if (meta.empty() || !ParseJson(meta, &value, 32)) return {};
  return value;
}

std::string TruncateUtf8(std::string text, size_t max_bytes, std::string_view note) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  text.resize(cut);
  text += note;
  return text;
}

Json::Value CallsToJson(const std::vector<llm::ToolCall>& calls) {
  Json::Value list(Json::arrayValue);
  for (const llm::ToolCall& call : calls) {
    Json::Value item;
    item["id"] = call.id;
    item["name"] = call.name;
    // A refused call's arguments were not kept; the history carries it to the model with an
    // empty object, which every server accepts, next to the error that says why.
    item["arguments"] = call.refused_argument_bytes > 0 ? "{}" : call.arguments;
    if (call.refused_argument_bytes > 0) {
      item["refused_argument_bytes"] = Json::UInt64(call.refused_argument_bytes);
    }
    list.append(item);
  }
  return list;
}

std::string KiB(size_t bytes) { return std::to_string(bytes >> 10) + " KiB"; }

// What the model reads when its call was too large to keep, so that it can try again smaller.
std::string TooLargeForOneCall(const llm::ToolCall& call) {
  return "error: the arguments of this call were " + std::to_string(call.refused_argument_bytes) +
         " bytes, over the limit of " + std::to_string(llm::kMaxToolArgumentBytes) + " bytes (" +
         KiB(llm::kMaxToolArgumentBytes) +
         ") for one call, so they were not kept and nothing was run. Make smaller calls: write a "
         "large file in parts (write_file with the first part, then edit_file to add each next "
         "part after the end of the last), each call under " +
         KiB(llm::kMaxToolArgumentBytes) + ".";
}

std::string TooLargeForOneAnswer(const llm::ToolCall& call) {
  return "error: the calls of this answer had more arguments together than Hearth keeps for one "
         "answer (" +
         KiB(store::kMaxMessageBytes) + "), so this call's " +
         std::to_string(call.refused_argument_bytes) +
         " bytes were not kept and nothing was run. Make fewer or smaller calls at a time.";
}

// Writes a streaming answer to the store every `interval` while it grows, on a thread of its own:
// a chunk never waits on SQLite (a WAL checkpoint's fsync can take tens of ms), and text that
// arrived just before the server stalled is saved within the interval, not at the next chunk.
// The caller saves the final state after destroying it.
class PeriodicSaver {
 public:
  PeriodicSaver(store::Store& store, const store::Message& message,
                std::chrono::milliseconds interval)
      : store_(store), id_(message.id), meta_(message.meta), interval_(interval) {
    thread_ = std::thread([this] { Loop(); });
  }
  ~PeriodicSaver() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  PeriodicSaver(const PeriodicSaver&) = delete;
  PeriodicSaver& operator=(const PeriodicSaver&) = delete;

  void Append(std::string_view text) {
    {
      std::lock_guard lock(mu_);
      content_ += text;
      dirty_ = true;
    }
    changed_.notify_all();
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      changed_.wait(lock, [&] { return dirty_ || stop_; });
      if (stop_) return;
      // Gather what arrives during the interval into one write.
      if (changed_.wait_for(lock, interval_, [&] { return stop_; })) return;
      std::string snapshot = content_;
      dirty_ = false;
      lock.unlock();
      store_.UpdateMessage(id_, snapshot, store::MessageState::kStreaming, meta_);
      lock.lock();
    }
  }

  store::Store& store_;
  const int64_t id_;
  const std::string meta_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable changed_;
  // guarded by mu_
  std::string content_;
  bool dirty_ = false;
  bool stop_ = false;
  std::thread thread_;
};

// The notice a conversation gets (once) when its server cannot use tools: why the agent answers
// without them and how to change that.
constexpr std::string_view kNoToolsNotice = "no_tools";

std::string NoToolsNotice(const ServerCapabilities& server) {
  std::string text =
      "This model server cannot use tools, so the agent answers without them: it cannot read "
      "your files or call MCP servers here.";
  if (!server.tools_refusal.empty())
    text += " The server said: \u201c" + server.tools_refusal + "\u201d.";
  if (!server.tools_advice.empty()) text += " " + server.tools_advice;
  text +=
      " Hearth remembers this until the server's settings change or Test connection runs "
      "again (Settings).";
  return text;
}

bool HasNotice(store::Store& store, int64_t conversation_id, std::string_view kind) {
  Result<std::vector<store::Message>> messages =
      store.ListMessages(conversation_id, std::nullopt, store::kMaxPageSize);
  if (!messages.ok()) return false;
  for (const store::Message& m : *messages) {
    if (m.role == "system" && ParseMeta(m.meta)["notice"].asString() == kind) return true;
  }
  return false;
}

constexpr std::string_view kNoModel =
    "No model is configured. Add one in Settings (an Ollama or OpenAI-compatible server such as "
    "llama-server), or in config.json.";

}  // namespace

const tools::Tool* ToolBox::Find(std::string_view name) const {
  for (const auto& tool : tools_) {
    if (tool->schema().name == name) return tool.get();
  }
  return nullptr;
}

std::vector<llm::ToolSchema> ToolBox::Schemas() const {
  std::vector<llm::ToolSchema> schemas;
  for (const auto& tool : tools_) schemas.push_back(tool->schema());
  return schemas;
}

struct Agent::Run {
  int64_t conversation_id = 0;
  int64_t run_id = 0;
  std::string system_prompt;
  std::optional<llm::Endpoint> endpoint;  // the server and model that answer, once known
  std::string model;
  llm::CancelSignal cancel;
  std::thread thread;
  std::atomic<bool> finishing{false};  // everything done but announcing the end
  std::atomic<bool> ended{false};
  // The model's context in tokens once asked (0: the server does not say); -1 before.
  int64_t context_tokens = -1;

  std::mutex mu;
  std::condition_variable changed;
  // guarded by mu
  int64_t waiting_for = 0;  // the tool message awaiting a decision
  // Set while a tool message is shown with its approval form but waiting_for is not yet set: a
  // decision that arrives in between is kept in early_decision.
  bool expecting_decision = false;
  int64_t early_for = 0;
  std::optional<Decision> early_decision;
  std::optional<Decision> decision;
};

Agent::Agent(store::Store& store, const Clock& clock, RunObserver& observer, ConfigSource config,
             ToolSource tools, AgentOptions options)
    : store_(store),
      clock_(clock),
      observer_(observer),
      config_(std::move(config)),
      tools_(std::move(tools)),
      options_(std::move(options)) {
  llm::ClientOptions title_client = options_.client;
  title_client.timeouts = {.first_byte_s = static_cast<int>(options_.title_timeout_s),
                           .idle_s = static_cast<int>(options_.title_timeout_s)};
  titler_ = std::make_unique<Titler>(store_, title_client, options_.title_made);
}

Agent::~Agent() { StopAll(); }

void Agent::StopAll() {
  std::vector<std::shared_ptr<Run>> runs;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, run] : runs_) runs.push_back(run);
  }
  for (auto& run : runs) {
    run->cancel.Cancel();
    run->changed.notify_all();
  }
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    for (auto& [id, run] : runs_) {
      if (run->thread.joinable()) threads.push_back(std::move(run->thread));
    }
    for (auto& t : finished_) threads.push_back(std::move(t));
    finished_.clear();
  }
  for (auto& t : threads) t.join();
  std::lock_guard lock(mu_);
  runs_.clear();
}

Status Agent::Start(int64_t conversation_id, const std::function<void()>& before_run) {
  AgentConfig config = config_();
  if (config.FindProvider(config.default_provider) == nullptr) {
    return Status::Unavailable(std::string(kNoModel));
  }
  std::vector<std::thread> done;
  std::lock_guard lock(mu_);
  if (stopping_) return Status::Unavailable("Hearth is shutting down");
  // Ended runs' threads have finished their work; join them here rather than on their own.
  for (auto it = runs_.begin(); it != runs_.end();) {
    if (it->second->ended.load() ||
        (it->first == conversation_id && it->second->finishing.load())) {
      finished_.push_back(std::move(it->second->thread));
      it = runs_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& t : finished_) t.join();
  finished_.clear();
  if (runs_.contains(conversation_id)) {
    return Status::Busy("Hearth is still answering in this conversation: wait, or press Stop");
  }
  if (static_cast<int>(runs_.size()) >= options_.max_concurrent_runs) {
    return Status::Busy(
        "Hearth is answering in too many conversations at once: wait for one to "
        "finish");
  }
  auto run = std::make_shared<Run>();
  run->conversation_id = conversation_id;
  runs_[conversation_id] = run;
  if (before_run) before_run();
  run->thread = std::thread([this, run] { Execute(*run); });
  return Status::Ok();
}

bool Agent::Stop(int64_t conversation_id) {
  std::shared_ptr<Run> run;
  {
    std::lock_guard lock(mu_);
    auto it = runs_.find(conversation_id);
    if (it == runs_.end() || it->second->ended.load()) return false;
    run = it->second;
  }
  run->cancel.Cancel();
  {
    std::lock_guard lock(run->mu);
    run->changed.notify_all();
  }
  return true;
}

Status Agent::Decide(int64_t conversation_id, int64_t message_id, Decision decision) {
  std::shared_ptr<Run> run;
  {
    std::lock_guard lock(mu_);
    auto it = runs_.find(conversation_id);
    if (it != runs_.end()) run = it->second;
  }
  if (run) {
    std::lock_guard lock(run->mu);
    if (run->waiting_for == message_id && !run->decision) {
      run->decision = decision;
      run->changed.notify_all();
      return Status::Ok();
    }
    if (run->waiting_for == 0 && run->expecting_decision && !run->early_decision) {
      run->early_for = message_id;
      run->early_decision = decision;
      return Status::Ok();
    }
  }
  return Status::NotFound("that tool call is no longer waiting for a decision");
}

std::optional<int64_t> Agent::ActiveRun(int64_t conversation_id) const {
  std::lock_guard lock(mu_);
  auto it = runs_.find(conversation_id);
  if (it == runs_.end() || it->second->ended.load() || it->second->finishing.load()) {
    return std::nullopt;
  }
  return it->second->run_id;
}

void Agent::Publish(Run& run, const store::Message& message) {
  if (run.run_id == 0) {
    // The first message of the run names it; ActiveRun reads run_id under mu_.
    {
      std::lock_guard lock(mu_);
      run.run_id = message.id;
    }
    observer_.RunStarted(run.conversation_id, run.run_id);
  }
  observer_.MessageChanged(message);
}

store::Message Agent::AddMessage(Run& run, std::string_view role, std::string_view content,
                                 store::MessageState state, std::string_view meta) {
  Result<store::Message> added =
      store_.AddMessage(run.conversation_id, role, content, clock_.NowMs(), state, meta);
  if (!added.ok()) {
    // The conversation was deleted, or the disk is full: carry on in memory so the user sees
    // what happened, and stop the run.
    run.cancel.Cancel();
    store::Message message{
        .id = 0,
        .conversation_id = run.conversation_id,
        .role = std::string(role),
        .content = std::string(content) + "\n\n(not saved: " + added.status().message() + ")",
        .created_ms = clock_.NowMs(),
        .state = store::MessageState::kError,
        .meta = std::string(meta)};
    return message;
  }
  Publish(run, *added);
  return *added;
}

void Agent::Save(Run& run, store::Message& message) {
  if (message.id == 0) return;
  Status saved = store_.UpdateMessage(message.id, message.content, message.state, message.meta);
  if (!saved.ok() && message.state != store::MessageState::kStreaming) {
    message.state = store::MessageState::kError;
    message.content += "\n\n(not saved: " + saved.message() + ")";
  }
  Publish(run, message);
}

std::vector<llm::ChatMessage> Agent::History(int64_t conversation_id, const AgentConfig& config,
                                             const std::string& system_prompt,
                                             double* bytes_per_token) {
  (void)config;
  std::vector<llm::ChatMessage> history;
  Result<std::vector<store::Message>> messages =
      store_.ListMessages(conversation_id, std::nullopt, store::kMaxPageSize);
  if (!messages.ok()) return history;
  // Newest messages first until the budget is spent, then oldest first for the model.
  size_t budget = options_.max_history_bytes;
  size_t first = messages->size();
  while (first > 0) {
    const store::Message& m = (*messages)[first - 1];
    // What the model is sent: a tool result's metadata repeats its call's arguments, which the
    // model gets once, with the call.
    size_t cost = m.content.size() + (m.role == "tool" ? 0 : m.meta.size());
    if (cost > budget && first != messages->size()) break;
    budget -= std::min(budget, cost);
    --first;
  }
  // A tool result without the call before it confuses every server: start after such results.
  while (first < messages->size() && (*messages)[first].role == "tool") ++first;

  if (!system_prompt.empty()) {
    history.push_back(llm::ChatMessage{.role = "system", .content = system_prompt});
  }
  for (size_t i = first; i < messages->size(); ++i) {
    const store::Message& m = (*messages)[i];
    if (m.role == "system") continue;
    Json::Value meta = ParseMeta(m.meta);
    llm::ChatMessage message{.role = m.role, .content = m.content};
    if (m.role == "assistant") {
      if (bytes_per_token != nullptr && meta["prompt_bytes"].isIntegral() &&
          meta["prompt_tokens"].isIntegral()) {
        *bytes_per_token =
            BytesPerToken(meta["prompt_bytes"].asUInt64(), meta["prompt_tokens"].asInt64());
      }
      if (m.state == store::MessageState::kError && m.content.empty()) continue;
      for (const Json::Value& call : meta["tool_calls"]) {
        message.tool_calls.push_back(llm::ToolCall{.id = call["id"].asString(),
                                                   .name = call["name"].asString(),
                                                   .arguments = call["arguments"].asString()});
      }
    } else if (m.role == "tool") {
      message.tool_call_id = meta["tool_call_id"].asString();
      message.name = meta["name"].asString();
    }
    history.push_back(std::move(message));
  }
  return history;
}

void Agent::Execute(Run& run) {
  // The run's own thread: nothing may escape it (that would end the backend), and whatever ends
  // the run, no message of it stays kStreaming: the page and the store both show it over.
  try {
    Answer(run);
  } catch (const std::exception& e) {
    AddMessage(run, "assistant",
               std::string("The run stopped on an internal error (") + e.what() +
                   "). What it did so far is kept; send a message to try again.",
               store::MessageState::kError, "");
  } catch (...) {
    AddMessage(run, "assistant",
               "The run stopped on an internal error. What it did so far is kept; send a "
               "message to try again.",
               store::MessageState::kError, "");
  }
  int64_t run_id;
  {
    std::lock_guard lock(mu_);
    run_id = run.run_id;
  }
  if (run_id != 0) store_.SettleRunMessages(run.conversation_id, run_id);
  if (run_id != 0) QueueTitle(run, run_id);
  // From here the run touches nothing of the agent's: Start may join it instead of refusing the
  // next message while the end is being announced.
  run.finishing.store(true);
  observer_.RunEnded(run.conversation_id, run_id);
  run.ended.store(true);
}

void Agent::QueueTitle(const Run& run, int64_t run_id) {
  Result<store::Conversation> c = store_.GetConversation(run.conversation_id);
  if (!c.ok() || c->title_source != store::TitleSource::kNone) return;
  // The user's message is the one just before the run's first; the answer, the run's last text.
  Result<std::vector<store::Message>> before = store_.ListMessages(run.conversation_id, run_id, 1);
  if (!before.ok() || before->empty() || before->back().role != "user") return;
  TitleJob job{.conversation_id = run.conversation_id,
               .endpoint = run.endpoint.value_or(llm::Endpoint{}),
               .model = run.model,
               .user_message = before->back().content,
               .answer = {}};
  Result<std::vector<store::Message>> messages =
      store_.ListMessages(run.conversation_id, std::nullopt, 64);
  if (messages.ok() && run.endpoint) {
    for (auto m = messages->rbegin(); m != messages->rend() && m->id >= run_id; ++m) {
      if (m->role == "assistant" && !m->content.empty() &&
          m->state != store::MessageState::kError) {
        job.answer = m->content;
        break;
      }
    }
  }
  titler_->Add(std::move(job));
}

void Agent::Answer(Run& run) {
  AgentConfig config = config_();
  std::shared_ptr<const ToolBox> tools = tools_();
  if (!tools) tools = std::make_shared<ToolBox>();
  const ProviderConfig* provider = config.FindProvider(config.default_provider);

  // The conversation's own choices override the defaults.
  std::string model;
  std::string system_prompt = config.system_prompt;
  if (Result<store::Conversation> c = store_.GetConversation(run.conversation_id); c.ok()) {
    Json::Value options = ParseMeta(c->agent_options);
    if (options.isObject()) {
      if (const ProviderConfig* chosen = config.FindProvider(options["provider"].asString());
          chosen != nullptr && !options["provider"].asString().empty()) {
        provider = chosen;
      }
      model = options["model"].asString();
      if (options.isMember("system_prompt")) system_prompt = options["system_prompt"].asString();
    }
  }
  run.system_prompt = system_prompt;
  if (model.empty()) model = config.default_model;
  if (model.empty() && provider != nullptr) model = provider->default_model;
  std::vector<std::string> offered;
  if (model.empty() && provider != nullptr) {
    // A server with one model needs no name typed: use that one.
    if (auto models = llm::ListModels(provider->endpoint, options_.client, run.cancel);
        models.ok()) {
      offered = std::move(*models);
      if (offered.size() == 1) model = offered.front();
    }
  }
  if (provider != nullptr && !model.empty()) run.endpoint = provider->endpoint;
  run.model = model;

  if (provider == nullptr) {
    AddMessage(run, "assistant", kNoModel, store::MessageState::kError, "");
  } else if (model.empty()) {
    std::string names;
    for (size_t i = 0; i < offered.size() && i < 8; ++i) {
      names += (i == 0 ? " (" : ", ") + offered[i];
    }
    if (!names.empty()) names += offered.size() > 8 ? ", …)" : ")";
    AddMessage(
        run, "assistant",
        "No model is chosen for " + provider->name +
            (offered.empty() ? std::string()
                             : " and its server offers " + std::to_string(offered.size()) + names) +
            ". Pick one in Settings (\"Test connection\" lists what the server offers).",
        store::MessageState::kError, "");
  } else {
    bool again = true;
    int steps = 0;
    while (again && !run.cancel.cancelled()) {
      if (steps == config.max_steps) {
        AddMessage(run, "assistant",
                   "Stopped after " + std::to_string(steps) +
                       " steps (the limit in Settings). Send a message to let the agent go on.",
                   store::MessageState::kPartial, "");
        break;
      }
      ++steps;
      again = false;
      Status step = Step(run, config, *provider, model, *tools, again);
      if (!step.ok()) break;
    }
  }
}

Status Agent::Step(Run& run, const AgentConfig& config, const ProviderConfig& provider,
                   const std::string& model, const ToolBox& tools, bool& again) {
  // What this server was found unable to do is not asked of it again.
  ServerCapabilities server = LoadCapabilities(store_, provider.endpoint, model);
  llm::ChatRequest request;
  request.model = model;
  double bytes_per_token = kEstimatedBytesPerToken;
  request.messages = History(run.conversation_id, config, run.system_prompt, &bytes_per_token);
  if (server.tools != Ability::kNo) request.tools = tools.Schemas();
  request.stream = request.tools.empty() || server.streams_with_tools != Ability::kNo;
  const bool tools_withheld = server.tools == Ability::kNo && tools.size() > 0;
  std::string left_out = FitToModelContext(run, provider, request, bytes_per_token);

  Json::Value meta(Json::objectValue);
  meta["model"] = model;
  meta["provider"] = provider.name;
  if (run.context_tokens > 0) meta["context_tokens"] = Json::Int64(run.context_tokens);
  if (!left_out.empty()) meta["left_out"] = left_out;
  meta["prompt_bytes"] = Json::UInt64(RequestBytes(request.messages, request.tools));
  store::Message answer =
      AddMessage(run, "assistant", "", store::MessageState::kStreaming, ToJson(meta));
  std::optional<PeriodicSaver> saver;
  if (answer.id != 0) {
    saver.emplace(store_, answer, std::chrono::milliseconds(options_.save_interval_ms));
  }
  // Until the first text arrives (all of it at once when the answer cannot stream), the page
  // shows for how long the model has been working.
  std::optional<ElapsedTicker> ticker;
  ticker.emplace(std::chrono::seconds(1), [&, unstreamed = !request.stream](int64_t elapsed_ms) {
    store::Message shown = answer;
    Json::Value working = meta;
    working["working_ms"] = Json::Int64(elapsed_ms);
    if (unstreamed) working["unstreamed"] = true;
    shown.meta = ToJson(working);
    observer_.MessageChanged(shown);
  });
  std::optional<std::chrono::steady_clock::time_point> first_token;
  auto on_event = [&](const llm::StreamEvent& event) {
    if (!first_token) first_token = std::chrono::steady_clock::now();
    if (event.kind != llm::StreamEvent::Kind::kContent) return;
    ticker.reset();
    if (answer.content.size() + event.text.size() > store::kMaxMessageBytes) {
      run.cancel.Cancel();
      return;
    }
    answer.content += event.text;
    observer_.MessageChanged(answer);
    if (saver) saver->Append(event.text);
  };
  llm::ClientOptions client = options_.client;
  client.timeouts = provider.timeouts;
  llm::ChatFallbacks fallbacks;
  Result<llm::ChatReply> reply =
      llm::StreamChat(provider.endpoint, request, client, run.cancel, on_event, &fallbacks);
  const auto ended = std::chrono::steady_clock::now();
  ticker.reset();
  saver.reset();  // no periodic write may land after the final one below

  if (fallbacks.without_tools || fallbacks.without_streaming) {
    if (fallbacks.without_tools) {
      server.tools = Ability::kNo;
      server.tools_refusal = fallbacks.tools_refusal;
      server.tools_advice = fallbacks.tools_advice;
    }
    if (fallbacks.without_streaming) server.streams_with_tools = Ability::kNo;
    (void)SaveCapabilities(store_, provider.endpoint, model, server);
  }
  if ((fallbacks.without_tools || tools_withheld) &&
      !HasNotice(store_, run.conversation_id, kNoToolsNotice)) {
    Json::Value notice(Json::objectValue);
    notice["notice"] = std::string(kNoToolsNotice);
    AddMessage(run, "system", NoToolsNotice(server), store::MessageState::kDone, ToJson(notice));
  }

  if (!reply.ok()) {
    const bool stopped = reply.status().code() == Status::Code::kCancelled;
    // A Stop the user chose is not an error: the page shows it calmly.
    if (stopped) {
      meta["stopped"] = true;
    } else {
      meta["error"] = reply.status().message();
    }
    answer.meta = ToJson(meta);
    answer.state = answer.content.empty() && !stopped ? store::MessageState::kError
                                                      : store::MessageState::kPartial;
    Save(run, answer);
    return reply.status();
  }
  std::vector<llm::ToolCall> calls = reply->tool_calls;
  for (size_t i = 0; i < calls.size(); ++i) {
    // Some servers send no ids; the model needs one to pair each result with its call.
    if (calls[i].id.empty()) {
      calls[i].id = "call_" + std::to_string(answer.id) + "_" + std::to_string(i);
    }
  }
  std::vector<std::string> refusals(calls.size());
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].refused_argument_bytes > 0) refusals[i] = TooLargeForOneCall(calls[i]);
  }
  answer.content = reply->content;
  if (reply->usage) {
    meta["prompt_tokens"] = Json::Int64(reply->usage->prompt_tokens);
    meta["completion_tokens"] = Json::Int64(reply->usage->completion_tokens);
    // The server's own timing when it gives one; else Hearth's, from the first token to the end.
    double ms = reply->usage->completion_ms;
    meta["speed_from"] = ms > 0 ? "server" : "hearth";
    if (ms <= 0 && first_token) {
      ms = std::chrono::duration<double, std::milli>(ended - *first_token).count();
    }
    if (ms > 0 && reply->usage->completion_tokens > 0) {
      meta["tokens_per_s"] =
          std::round(static_cast<double>(reply->usage->completion_tokens) * 10000.0 / ms) / 10.0;
    }
  }
  // The server stopped the answer before its end: it is incomplete, and calls it was making
  // may be cut in the middle, so none is run.
  const bool cut_off = reply->finish_reason == "length" || reply->finish_reason == "content_filter";
  if (cut_off) {
    meta["cut_off"] = reply->finish_reason;
    calls.clear();
    refusals.clear();
  }
  if (!calls.empty()) meta["tool_calls"] = CallsToJson(calls);
  answer.meta = ToJson(meta);
  // The stored answer holds its calls. Calls each under their bound can still pass the store's
  // together (or once escaped as JSON): the largest are refused until the rest fit, so the
  // answer is saved and every call gets its result.
  while (answer.meta.size() > store::kMaxMessageBytes) {
    auto largest = std::max_element(calls.begin(), calls.end(), [](const auto& a, const auto& b) {
      return a.arguments.size() < b.arguments.size();
    });
    if (largest == calls.end() || largest->arguments.empty()) break;
    largest->refused_argument_bytes = largest->arguments.size();
    largest->arguments.clear();
    refusals[largest - calls.begin()] = TooLargeForOneAnswer(*largest);
    meta["tool_calls"] = CallsToJson(calls);
    answer.meta = ToJson(meta);
  }
  answer.state = cut_off ? store::MessageState::kPartial : store::MessageState::kDone;
  Save(run, answer);

  for (size_t i = 0; i < calls.size(); ++i) {
    if (run.cancel.cancelled()) break;
    RunTool(run, tools, calls[i], refusals[i]);
  }
  again = !calls.empty() && !run.cancel.cancelled();
  return Status::Ok();
}

std::string Agent::FitToModelContext(Run& run, const ProviderConfig& provider,
                                     llm::ChatRequest& request, double bytes_per_token) {
  const size_t tools_bytes = RequestBytes({}, request.tools);
  if (run.context_tokens < 0) {
    // A request that fits the smallest context in use, with room for the answer, fits any: the
    // server is asked only when it matters.
    double tokens =
        static_cast<double>(RequestBytes(request.messages, {}) + tools_bytes) / bytes_per_token;
    if (tokens + static_cast<double>(AnswerReserveTokens(kSmallestContextTokens)) <=
        static_cast<double>(kSmallestContextTokens)) {
      return {};
    }
    llm::ClientOptions options = options_.client;
    options.timeouts = {.first_byte_s = 10, .idle_s = 10};
    Result<int64_t> size =
        llm::FetchContextSize(provider.endpoint, request.model, options, run.cancel);
    run.context_tokens = size.ok() ? *size : 0;
  }
  FitReport report =
      FitToContext(request.messages, tools_bytes, run.context_tokens, bytes_per_token);
  return report.left_out() ? LeftOutNote(run.context_tokens) : std::string();
}

namespace {

// The first key of `arguments` that `schema` does not allow, quoted as JSON so that blanks and
// invisible characters show; empty when all are allowed (or the schema allows any).
std::string UnknownArgument(const llm::ToolSchema& schema, const Json::Value& arguments) {
  const Json::Value& parameters = schema.parameters;
  if (!parameters.isObject() || !parameters.isMember("additionalProperties") ||
      !parameters["additionalProperties"].isBool() || parameters["additionalProperties"].asBool()) {
    return {};
  }
  const Json::Value& properties = parameters["properties"];
  for (const std::string& key : arguments.getMemberNames()) {
    if (!properties.isObject() || !properties.isMember(key)) {
      Json::StreamWriterBuilder writer;
      writer["emitUTF8"] = false;
      return Json::writeString(writer, Json::Value(key));
    }
  }
  return {};
}

}  // namespace

store::Message Agent::RunTool(Run& run, const ToolBox& tools, const llm::ToolCall& call,
                              std::string_view refusal) {
  Json::Value meta(Json::objectValue);
  meta["tool_call_id"] = call.id;
  meta["name"] = call.name;
  meta["arguments"] = call.arguments;
  const tools::Tool* tool = tools.Find(call.name);
  if (tools::ToolOrigin origin = tool != nullptr ? tool->origin() : tools::ToolOrigin{};
      !origin.mcp_server.empty()) {
    // The card and the approval form name the server, and what it may reach.
    meta["mcp_server"] = origin.mcp_server;
    meta["mcp_permissions"] = origin.permissions;
  }

  auto finish = [&](store::Message& message, bool is_error, std::string text) {
    meta["is_error"] = is_error;
    meta.removeMember("awaiting_approval");
    meta.removeMember("approval_diff");  // shown while the form asks; not kept with the result
    meta.removeMember("approval_diff_summary");
    message.meta = ToJson(meta);
    message.content =
        TruncateUtf8(std::move(text), options_.max_tool_output_bytes, "\n… (output truncated)");
    message.state = store::MessageState::kDone;
    Save(run, message);
    return message;
  };

  if (!refusal.empty()) {
    meta["refused_argument_bytes"] = Json::UInt64(call.refused_argument_bytes);
    store::Message message =
        AddMessage(run, "tool", "", store::MessageState::kStreaming, ToJson(meta));
    store_.AddAuditEntry(
        {.id = 0,
         .at_ms = clock_.NowMs(),
         .conversation_id = run.conversation_id,
         .tool = call.name,
         .target = std::to_string(call.refused_argument_bytes) + " bytes of arguments",
         .reason = "arguments too large to keep"});
    return finish(message, true, std::string(refusal));
  }

  if (tool == nullptr) {
    store::Message message =
        AddMessage(run, "tool", "", store::MessageState::kStreaming, ToJson(meta));
    return finish(
        message, true,
        "error: there is no tool named \"" + call.name + "\". Available tools: " + [&] {
          std::string names;
          for (const auto& s : tools.Schemas()) {
            names += (names.empty() ? "" : ", ") + s.name;
          }
          return names.empty() ? std::string("none") : names;
        }());
  }
  Json::Value arguments;
  {
    // The model wrote these: malformed, or nested deep enough to exhaust a recursive parser.
    std::string_view text = call.arguments.empty() ? std::string_view("{}") : call.arguments;
    if (!ParseJson(text, &arguments, 32) || !arguments.isObject()) {
      store::Message message =
          AddMessage(run, "tool", "", store::MessageState::kStreaming, ToJson(meta));
      return finish(message, true,
                    "error: the arguments are not a JSON object; call " + call.name +
                        " again with arguments that match its schema");
    }
  }

  // A tool whose schema admits only its own arguments gets no others: an extra key (" path",
  // say) would be ignored by the tool but shown to the user, who could take it for the real one.
  if (std::string unknown = UnknownArgument(tool->schema(), arguments); !unknown.empty()) {
    store::Message message =
        AddMessage(run, "tool", "", store::MessageState::kStreaming, ToJson(meta));
    std::string known;
    for (const std::string& name : tool->schema().parameters["properties"].getMemberNames()) {
      known += (known.empty() ? "" : ", ") + name;
    }
    return finish(message, true,
                  "error: " + call.name + " has no argument " + unknown + "; its arguments are " +
                      (known.empty() ? std::string("none") : known) + ". Nothing was run.");
  }

  bool approved = !tool->needs_approval();
  if (!approved) {
    Result<bool> granted = store_.HasToolGrant(tool->grant_key());
    approved = granted.ok() && *granted;
  }
  if (!approved) {
    meta["awaiting_approval"] = true;
    // Said in the form, before the user answers: a write to a protected path, for one.
    for (const std::string& note : tool->ApprovalNotes(arguments)) {
      meta["approval_notes"].append(note);
    }
    // The change a write would make, as a diff (tools/change_preview.h).
    if (std::optional<tools::ChangePreview> preview = tool->ApprovalPreview(arguments)) {
      meta["approval_diff_summary"] = preview->summary;
      meta["approval_diff"] = preview->diff;
      // Beside long arguments the diff is shortened, at a line's end, so that the message stays
      // within what the store takes (the form would not be shown at all otherwise).
      while (ToJson(meta).size() > store::kMaxMessageBytes && !preview->diff.empty()) {
        size_t cut = preview->diff.rfind('\n', preview->diff.size() / 2);
        preview->diff.resize(cut == std::string::npos ? 0 : cut + 1);
        meta["approval_diff"] = preview->diff;
        meta["approval_diff_summary"] =
            preview->summary + " Only the diff's start is shown, beside arguments this long.";
      }
    }
    std::lock_guard lock(run.mu);
    run.expecting_decision = true;
    run.early_decision.reset();
  }
  store::Message message =
      AddMessage(run, "tool", "", store::MessageState::kStreaming, ToJson(meta));
  if (!approved) {
    std::optional<Decision> decision = AwaitDecision(run, message.id);
    if (!decision || *decision == Decision::kDeny) {
      store_.AddAuditEntry({.id = 0,
                            .at_ms = clock_.NowMs(),
                            .conversation_id = run.conversation_id,
                            .tool = call.name,
                            .target = TruncateUtf8(call.arguments, 512, "…"),
                            .reason = decision ? "denied by the user" : "not approved in time"});
      meta["denied"] = true;
      return finish(message, true,
                    decision ? "denied: the user did not allow this call. Do not retry it; ask "
                               "the user what to do instead."
                             : "denied: no approval arrived (the run was stopped or timed out).");
    }
    if (*decision == Decision::kAlwaysAllow) {
      store_.AddToolGrant(tool->grant_key(), call.name, clock_.NowMs());
    }
  }

  tools::ToolContext context;
  std::atomic<bool> cancel_flag{false};
  context.cancel = &cancel_flag;
  context.on_denial = [&](const tools::Denial& denial) {
    store_.AddAuditEntry({.id = 0,
                          .at_ms = clock_.NowMs(),
                          .conversation_id = run.conversation_id,
                          .tool = denial.tool,
                          .target = denial.target,
                          .reason = denial.reason});
    meta["denied"] = true;
  };
  context.on_audit_note = [&](const tools::AuditNote& note) {
    store_.AddAuditEntry({.id = 0,
                          .at_ms = clock_.NowMs(),
                          .conversation_id = run.conversation_id,
                          .tool = note.tool,
                          .target = note.target,
                          .reason = note.text});
  };
  // The tool polls its flag; Stop sets the run's signal, mirrored here by a watcher.
  std::atomic<bool> tool_done{false};
  std::thread watcher([&] {
    std::unique_lock lock(run.mu);
    while (!tool_done.load() && !run.cancel.cancelled()) {
      run.changed.wait_for(lock, std::chrono::milliseconds(100));
    }
    if (run.cancel.cancelled()) cancel_flag.store(true);
  });
  tools::ToolResult result = tool->Call(arguments, context);
  {
    std::lock_guard lock(run.mu);
    tool_done.store(true);
    run.changed.notify_all();
  }
  watcher.join();
  return finish(message, result.is_error, std::move(result.text));
}

std::optional<Decision> Agent::AwaitDecision(Run& run, int64_t message_id) {
  std::unique_lock lock(run.mu);
  run.waiting_for = message_id;
  run.expecting_decision = false;
  run.decision.reset();
  if (run.early_decision && run.early_for == message_id) run.decision = run.early_decision;
  run.early_decision.reset();
  bool settled = run.changed.wait_for(lock, std::chrono::milliseconds(options_.approval_timeout_ms),
                                      [&] { return run.decision || run.cancel.cancelled(); });
  run.waiting_for = 0;
  if (!settled || run.cancel.cancelled()) return std::nullopt;
  return run.decision;
}

}  // namespace hearth::agent
