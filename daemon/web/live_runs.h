// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "http/response.h"
#include "web/views.h"

namespace hearth::web {

// Shows runs to the browser as they happen. Each conversation being answered has a container on
// the page (Views::Run) with one Server-Sent Events stream per open page; LiveRuns turns what
// the agent reports into out-of-band swaps for it:
//  - on connecting (or reconnecting), the run's messages so far, replacing what the page shows,
//    so a dropped connection resumes without duplicating text;
//  - a new message, appended;
//  - more text of a streaming answer: the Markdown blocks that became complete, rendered once
//    and appended, and the unfinished rest, re-rendered — so the work stays linear in the
//    answer's length;
//  - a finished message, replaced by its final rendering;
//  - the end of the run ("end" event, which also closes the stream).
// Thread-safe: the agent calls it from run threads, the HTTP server from its own.
class LiveRuns final : public agent::RunObserver {
 public:
  static constexpr size_t kMaxStreamsPerRun = 16;
  static constexpr size_t kMaxEndedRuns = 64;  // kept so a late reconnect still gets the end

  explicit LiveRuns(const Views& views) : views_(views) {}

  // Called before Agent::Start: the run's messages go into the container `run_key`.
  void Prepare(int64_t conversation_id, std::string run_key);
  // The run could not start.
  void Abandon(int64_t conversation_id);

  // For a page rendered while a run is active: the run's container with its messages, and the
  // ids of those messages (the page leaves them out of the plain list). Empty when no run is
  // active.
  struct Snapshot {
    Html container;
    std::vector<int64_t> message_ids;
  };
  Snapshot Render(int64_t conversation_id);

  // A new stream for a page of the conversation; starts with the run's messages so far, or with
  // "end" when no run is active.
  std::shared_ptr<http::EventStream> Subscribe(int64_t conversation_id);
  void CloseAll();

  void RunStarted(int64_t conversation_id, int64_t run_id) override;
  void MessageChanged(const store::Message& message) override;
  void RunEnded(int64_t conversation_id, int64_t run_id) override;

 private:
  struct Tracked {
    store::Message message;
    size_t stable = 0;  // bytes of a streaming answer already sent as complete blocks
  };
  struct Live {
    std::string key;
    std::vector<int64_t> order;
    std::map<int64_t, Tracked> messages;
    std::vector<std::shared_ptr<http::EventStream>> streams;
    bool ended = false;
    uint64_t ended_seq = 0;
  };

  Html RenderMessages(const Live& live) const;                             // requires mu_
  void Send(Live& live, std::string_view event, const std::string& data);  // requires mu_

  const Views& views_;
  std::mutex mu_;
  // guarded by mu_
  std::map<int64_t, Live> live_;  // by conversation
  uint64_t ended_seq_ = 0;
  bool closed_ = false;
};

}  // namespace hearth::web
