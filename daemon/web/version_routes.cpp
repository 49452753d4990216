// SPDX-License-Identifier: Apache-2.0
// Versions of messages: regenerate the last answer, edit a sent message, step between versions.
// Nothing is changed in place: each is a new message, or a move of the conversation's head
// (store.h), so every earlier version stays reachable.
#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

#include "http/form.h"
#include "web/app.h"
#include "web/live_runs.h"
#include "web/route_helpers.h"

namespace hearth::web {
namespace {

constexpr std::string_view kBusy =
    "Hearth is still answering in this conversation: wait, or press Stop, then try again";

std::optional<int64_t> MessageId(std::string_view text) {
  int64_t id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id <= 0) return std::nullopt;
  return id;
}

}  // namespace

Status App::StartVersionRun(const store::Conversation& c, int64_t old_head, std::string run_key) {
  Status started =
      agent_.agent == nullptr || agent_.live == nullptr
          ? Status::Unavailable(
                "No model is configured, so nothing can answer: add a model server in Settings")
          : agent_.agent->Start(c.id, [&] { agent_.live->Prepare(c.id, run_key); });
  if (started.ok()) return started;
  // Nothing will answer: show the thread as it was rather than one cut short.
  if (Status back = store_.SetThreadEnd(c.id, old_head); !back.ok()) return back;
  return started;
}

http::Response App::Regenerate(const http::Request& request, const store::Conversation& c) {
  if (agent_.agent != nullptr && agent_.agent->ActiveRun(c.id)) {
    return Fail(request, Status::Busy(std::string(kBusy)));
  }
  auto thread = store_.ListMessages(c.id, std::nullopt, store::kMaxPageSize);
  if (!thread.ok()) return Fail(request, thread.status());
  auto question = std::find_if(thread->rbegin(), thread->rend(),
                               [](const store::Message& m) { return m.role == "user"; });
  if (question == thread->rend()) {
    return Fail(request, Status::InvalidArgument(
                             "There is no message of yours to answer again here: send one first"));
  }
  int64_t old_head = thread->empty() ? 0 : thread->back().id;
  // The new answer follows the question, beside the old one, which stays as a version.
  if (Status s = store_.SetThreadEnd(c.id, question->id); !s.ok()) return Fail(request, s);
  Status started = StartVersionRun(
      c, old_head, "run-" + std::to_string(question->id) + "-" + std::to_string(clock_.NowMs()));
  if (!started.ok()) return Fail(request, started);
  auto messages = store_.ListMessages(c.id, std::nullopt, options_.message_page_size);
  if (!messages.ok()) return Fail(request, messages.status());
  return ConversationFragment(request, c, *messages);
}

http::Response App::MessageRoute(const http::Request& request, const store::Conversation& c,
                                 std::string_view rest, const http::FormFields& form) {
  size_t slash = rest.find('/');
  std::optional<int64_t> id = MessageId(rest.substr(0, slash));
  std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  if (!id) return Fail(request, Status::NotFound("there is no such message"));
  auto message = store_.GetMessage(*id);
  if (!message.ok() || message->conversation_id != c.id) {
    return Fail(request, Status::NotFound("this conversation has no message " +
                                          std::to_string(*id) + ": reload it"));
  }
  const std::string& method = request.method;
  if (action == "edit" && (method == "GET" || method == "HEAD")) {
    if (message->role != "user") {
      return Fail(request, Status::InvalidArgument("only your own messages can be edited"));
    }
    return Fragment(views_->MessageEditForm(*message));
  }
  if (method != "POST" || (action != "edit" && action != "show")) {
    return http::Response::Text(405, "This method is not allowed here.\n").Header("Allow", "POST");
  }
  // Moving the head under a run would graft its next message onto another branch.
  if (agent_.agent != nullptr && agent_.agent->ActiveRun(c.id)) {
    return Fail(request, Status::Busy(std::string(kBusy)));
  }
  if (action == "show") {
    if (Status s = store_.ShowVersion(c.id, *id); !s.ok()) return Fail(request, s);
  } else {
    if (message->role != "user") {
      return Fail(request, Status::InvalidArgument("only your own messages can be edited"));
    }
    std::string text(http::FormValue(form, "content").value_or(""));
    // Browsers send CRLF line breaks in form posts.
    for (size_t pos = 0; (pos = text.find("\r\n", pos)) != std::string::npos;) text.erase(pos, 1);
    if (Trimmed(text).empty()) {
      return Fail(request, Status::InvalidArgument(
                               "the edited message is empty: write something, or press Cancel"));
    }
    auto head = store_.ThreadEnd(c.id);
    if (!head.ok()) return Fail(request, head.status());
    // The new version follows the edited message's parent; the old one and its answers stay.
    if (Status s = store_.SetThreadEnd(c.id, message->parent_id); !s.ok()) return Fail(request, s);
    auto edited = store_.AddMessage(c.id, "user", text, clock_.NowMs());
    if (!edited.ok()) {
      (void)store_.SetThreadEnd(c.id, *head);
      return Fail(request, edited.status());
    }
    hub_.Broadcast("conversations", "message");
    // Unanswered, the new version is still kept: the notice in the view says why.
    Status started = StartVersionRun(c, edited->id, "run-" + std::to_string(edited->id));
    if (!started.ok()) return Fail(request, started);
  }
  auto messages = store_.ListMessages(c.id, std::nullopt, options_.message_page_size);
  if (!messages.ok()) return Fail(request, messages.status());
  return ConversationFragment(request, c, *messages);
}

}  // namespace hearth::web
