// SPDX-License-Identifier: Apache-2.0
#include "web/live_runs.h"

#include <algorithm>

#include "markdown/markdown.h"

namespace hearth::web {
namespace {

void Wrap(std::string& out, std::string_view tag, std::string_view oob, std::string_view inner) {
  out += '<';
  out += tag;
  out += " hx-swap-oob=\"";
  out += oob;
  out += "\">";
  out += inner;
  out += "</";
  out += tag;
  out += '>';
}

// A rendered message as an out-of-band replacement of itself. htmx swaps outerHTML with the
// out-of-band element itself (not its children), so the attribute goes on the message's own <li>.
std::string AsReplacement(std::string html) {
  size_t li = html.find("<li ");
  if (li != std::string::npos) html.insert(li + 4, "hx-swap-oob=\"true\" ");
  return html;
}

}  // namespace

void LiveRuns::Prepare(int64_t conversation_id, std::string run_key) {
  std::lock_guard lock(mu_);
  Live& live = live_[conversation_id];
  // A new run replaces an ended one; its streams belong to the old container.
  for (auto& stream : live.streams) stream->Close();
  live = Live{};
  live.key = std::move(run_key);
}

void LiveRuns::Abandon(int64_t conversation_id) {
  std::lock_guard lock(mu_);
  live_.erase(conversation_id);
}

Html LiveRuns::RenderMessages(const Live& live) const {
  Html out;
  for (int64_t id : live.order) {
    const Tracked& t = live.messages.at(id);
    out.html += views_.Message(t.message, t.stable).html;
  }
  return out;
}

LiveRuns::Snapshot LiveRuns::Render(int64_t conversation_id) {
  std::lock_guard lock(mu_);
  auto it = live_.find(conversation_id);
  if (it == live_.end() || it->second.ended) return {};
  Snapshot snapshot;
  snapshot.container = views_.Run(conversation_id, it->second.key, RenderMessages(it->second));
  snapshot.message_ids = it->second.order;
  return snapshot;
}

std::shared_ptr<http::EventStream> LiveRuns::Subscribe(int64_t conversation_id) {
  auto stream = std::make_shared<http::EventStream>();
  std::lock_guard lock(mu_);
  auto it = live_.find(conversation_id);
  if (closed_ || it == live_.end()) {
    // Nothing to follow (the run ended long ago, or the backend restarted): end at once. The
    // page shows what the store had when it was rendered; a reload shows the rest.
    stream->Send("end", "");
    stream->Close();
    return stream;
  }
  Live& live = it->second;
  std::string data;
  Wrap(data, "ol", "innerHTML:#" + live.key + "-list", RenderMessages(live).html);
  if (live.ended) {
    stream->Send("end", views_.RunDone(live.key, RenderMessages(live)).html);
    stream->Close();
    return stream;
  }
  stream->Send("update", data);
  std::erase_if(live.streams, [](const auto& s) { return s->closed(); });
  if (live.streams.size() >= kMaxStreamsPerRun) {
    live.streams.front()->Close();
    live.streams.erase(live.streams.begin());
  }
  live.streams.push_back(stream);
  return stream;
}

void LiveRuns::CloseAll() {
  std::lock_guard lock(mu_);
  closed_ = true;
  for (auto& [id, live] : live_) {
    for (auto& stream : live.streams) stream->Close();
    live.streams.clear();
  }
}

void LiveRuns::Send(Live& live, std::string_view event, const std::string& data) {
  std::erase_if(live.streams, [](const auto& s) { return s->closed(); });
  for (auto& stream : live.streams) stream->Send(event, data);
}

void LiveRuns::RunStarted(int64_t conversation_id, int64_t run_id) {
  (void)conversation_id;
  (void)run_id;
}

void LiveRuns::MessageChanged(const store::Message& message) {
  std::lock_guard lock(mu_);
  auto it = live_.find(message.conversation_id);
  if (it == live_.end() || it->second.ended) return;
  Live& live = it->second;
  std::string data;
  auto found = live.messages.find(message.id);
  if (found == live.messages.end()) {
    Tracked tracked{.message = message, .stable = 0};
    if (message.state == store::MessageState::kStreaming) {
      tracked.stable = markdown::StableBlockPrefix(message.content);
    }
    Wrap(data, "ol", "beforeend:#" + live.key + "-list",
         views_.Message(message, tracked.stable).html);
    live.order.push_back(message.id);
    live.messages.emplace(message.id, std::move(tracked));
    Send(live, "update", data);
    return;
  }
  Tracked& tracked = found->second;
  const std::string id = std::to_string(message.id);
  const bool text_only =
      message.role == "assistant" && message.state == store::MessageState::kStreaming &&
      tracked.message.state == store::MessageState::kStreaming &&
      message.meta == tracked.message.meta && message.content.starts_with(tracked.message.content);
  if (text_only) {
    std::string_view text = message.content;
    // Resumed from the last stable point, so the scan stays linear over the whole answer.
    size_t stable = tracked.stable + markdown::StableBlockPrefix(text.substr(tracked.stable));
    if (stable > tracked.stable) {
      Wrap(data, "div", "beforeend:#msg-" + id + "-blocks",
           markdown::RenderMarkdown(text.substr(tracked.stable, stable - tracked.stable)));
    }
    Wrap(data, "div", "innerHTML:#msg-" + id + "-tail",
         markdown::RenderMarkdown(text.substr(stable)));
    tracked.stable = stable;
  } else {
    if (message.state == store::MessageState::kStreaming) {
      tracked.stable = markdown::StableBlockPrefix(message.content);
    }
    data += AsReplacement(views_.Message(message, tracked.stable).html);
  }
  tracked.message = message;
  Send(live, "update", data);
}

void LiveRuns::RunEnded(int64_t conversation_id, int64_t run_id) {
  (void)run_id;
  std::lock_guard lock(mu_);
  auto it = live_.find(conversation_id);
  if (it == live_.end()) return;
  Live& live = it->second;
  live.ended = true;
  live.ended_seq = ++ended_seq_;
  Send(live, "end", views_.RunDone(live.key, RenderMessages(live)).html);
  for (auto& stream : live.streams) stream->Close();
  live.streams.clear();
  // Forget the oldest ended runs beyond the bound.
  size_t ended =
      std::count_if(live_.begin(), live_.end(), [](const auto& e) { return e.second.ended; });
  while (ended > kMaxEndedRuns) {
    auto oldest = live_.end();
    for (auto e = live_.begin(); e != live_.end(); ++e) {
      if (e->second.ended &&
          (oldest == live_.end() || e->second.ended_seq < oldest->second.ended_seq)) {
        oldest = e;
      }
    }
    live_.erase(oldest);
    --ended;
  }
}

}  // namespace hearth::web
