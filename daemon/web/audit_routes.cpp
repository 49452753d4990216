// SPDX-License-Identifier: Apache-2.0
#include <charconv>
#include <string>

#include "web/app.h"

// GET /settings/audit: the whole audit log, a page at a time, by tool and by conversation.
namespace hearth::web {
namespace {

constexpr int kAuditPageSize = 50;
constexpr size_t kMaxToolFilterBytes = 1024;

// A positive id from the query, or 0 when absent or empty.
Result<int64_t> IdParameter(const http::Request& request, std::string_view name) {
  std::optional<std::string_view> text = request.Query(name);
  if (!text || text->empty()) return int64_t{0};
  int64_t id = 0;
  auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), id);
  if (error != std::errc() || end != text->data() + text->size() || id <= 0) {
    return Status::InvalidArgument("\"" + std::string(name) +
                                   "\" must be the number of an entry or a conversation; open "
                                   "the audit log from Settings to start again");
  }
  return id;
}

}  // namespace

http::Response App::AuditPage(const http::Request& request) {
  Result<int64_t> conversation = IdParameter(request, "conversation");
  if (!conversation.ok()) return Fail(request, conversation.status());
  Result<int64_t> before = IdParameter(request, "before");
  if (!before.ok()) return Fail(request, before.status());
  std::string tool(request.Query("tool").value_or(""));
  if (tool.size() > kMaxToolFilterBytes) {
    return Fail(request, Status::InvalidArgument("the tool filter is longer than any tool name"));
  }

  AuditLogInfo info;
  info.tool = tool;
  info.conversation_id = *conversation;
  info.first_page = *before == 0;
  store::AuditQuery query{.tool = tool,
                          .conversation_id = *conversation,
                          .before_id = *before > 0 ? std::optional<int64_t>(*before) : std::nullopt,
                          // One more than shown tells whether an older page exists.
                          .limit = kAuditPageSize + 1};
  auto entries = store_.ListAuditEntries(query);
  if (!entries.ok()) return Fail(request, entries.status());
  info.more = entries->size() > static_cast<size_t>(kAuditPageSize);
  if (info.more) entries->resize(kAuditPageSize);
  info.entries = std::move(*entries);
  auto tools = store_.ListAuditTools();
  if (!tools.ok()) return Fail(request, tools.status());
  info.tools = std::move(*tools);
  auto conversations = store_.ListAuditConversations();
  if (!conversations.ok()) return Fail(request, conversations.status());
  info.conversations = std::move(*conversations);
  auto stats = store_.GetStats();
  if (!stats.ok()) return Fail(request, stats.status());
  info.total = stats->audit_entries;

  Html main = views_->AuditLog(info);
  if (request.IsHtmx()) return Fragment(main).Header("Vary", "HX-Request");
  auto items = ListItems(std::nullopt, 0);
  if (!items.ok()) return Fail(request, items.status());
  return http::Response::Html(200, views_->Page("Audit log", Theme(), *items, main, true))
      .Header("Vary", "HX-Request");
}

}  // namespace hearth::web
