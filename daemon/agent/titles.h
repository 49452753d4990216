// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "llm/chat.h"
#include "llm/client.h"
#include "store/store.h"

namespace hearth::agent {

// The longest title made for a conversation, in characters.
inline constexpr size_t kMaxMadeTitleChars = 80;

// A model's answer to the title request, made fit for the conversation list: its reasoning
// (<think>…</think>) dropped, its first line, without Markdown, HTML, quotes, a "Title:" label,
// control or invisible characters, and at most kMaxMadeTitleChars characters. Empty when nothing
// usable is left. The model's text is hostile like any other output.
std::string CleanTitle(std::string_view answer);

// The first words of the user's message, for when the model gave no title.
std::string FallbackTitle(std::string_view user_message);

// The short, unstreamed request that asks `model` for a title of the exchange.
llm::ChatRequest TitleRequest(const std::string& model, std::string_view user_message,
                              std::string_view answer);

// What a title is made from: the conversation's first exchange and the server that answered it.
struct TitleJob {
  int64_t conversation_id = 0;
  llm::Endpoint endpoint;
  std::string model;
  std::string user_message;
  std::string answer;  // empty when the model did not answer: no request, the fallback at once
};

// Gives conversations a title after their first exchange, one at a time on a thread of its own,
// so that no answer waits for it. A title is stored only while the conversation still has the
// placeholder (store::Store::SetGeneratedTitle): one the user set meanwhile stays. `titled` is
// called on that thread after a title was stored. Thread-safe.
class Titler {
 public:
  using Titled = std::function<void(int64_t conversation_id, const std::string& title)>;
  static constexpr size_t kMaxQueued = 32;

  // `options` bound the request: a title that takes longer than its idle timeout is given up
  // for the fallback.
  Titler(store::Store& store, llm::ClientOptions options, Titled titled);
  ~Titler();  // abandons the request in flight and what is queued; joins the thread
  Titler(const Titler&) = delete;
  Titler& operator=(const Titler&) = delete;

  // Queues a job; past kMaxQueued, the job gets the fallback title at once, without a request.
  void Add(TitleJob job);

 private:
  void Loop();
  void Make(const TitleJob& job);
  void Save(int64_t conversation_id, const std::string& title);

  store::Store& store_;
  const llm::ClientOptions options_;
  const Titled titled_;
  std::mutex mu_;
  std::condition_variable changed_;
  // guarded by mu_
  std::deque<TitleJob> jobs_;
  bool stopping_ = false;
  llm::CancelSignal* in_flight_ = nullptr;
  std::thread thread_;  // last: started once the rest is ready
};

}  // namespace hearth::agent
