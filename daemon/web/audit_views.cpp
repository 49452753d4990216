// SPDX-License-Identifier: Apache-2.0
// The audit log page: its table, its filters and its pages.
#include <cstdio>
#include <string>

#include "web/views.h"

namespace hearth::web {
namespace {

// `text` for a URL's query string: bytes other than RFC 3986's unreserved ones percent-encoded.
std::string QueryEscape(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", c);
      out += hex;
    }
  }
  return out;
}

std::string ConversationName(int64_t id, const std::vector<store::AuditConversation>& listed) {
  for (const store::AuditConversation& c : listed) {
    if (c.id == id) return c.title.empty() ? "#" + std::to_string(id) + " (deleted)" : c.title;
  }
  return "#" + std::to_string(id);
}

std::string AuditUrl(std::string_view tool, int64_t conversation_id, int64_t before_id) {
  std::string url = "/settings/audit";
  char sep = '?';
  if (!tool.empty()) {
    url += sep + std::string("tool=") + QueryEscape(tool);
    sep = '&';
  }
  if (conversation_id > 0) {
    url += sep + std::string("conversation=") + std::to_string(conversation_id);
    sep = '&';
  }
  if (before_id > 0) url += sep + std::string("before=") + std::to_string(before_id);
  return url;
}

}  // namespace

Html Views::AuditTable(const std::vector<store::AuditEntry>& entries,
                       const std::vector<store::AuditConversation>& conversations) const {
  Html table;
  table.html =
      "<table class=\"audit\"><thead><tr><th>When</th><th>Tool</th><th>Target</th>"
      "<th>What happened</th><th>Conversation</th></tr></thead><tbody>";
  for (const store::AuditEntry& e : entries) {
    table.html += "<tr><td><time datetime=\"" + IsoTime(e.at_ms) + "\">" +
                  Escape(ShortTime(e.at_ms)) + "</time></td><td>" + Escape(e.tool) +
                  "</td><td><code>" + Escape(e.target) + "</code></td><td>" + Escape(e.reason) +
                  "</td><td>";
    if (e.conversation_id > 0) {
      std::string id = std::to_string(e.conversation_id);
      table.html += "<a href=\"/c/" + id + "\">" +
                    Escape(ConversationName(e.conversation_id, conversations)) + "</a>";
    } else {
      table.html += "none";
    }
    table.html += "</td></tr>";
  }
  table.html += "</tbody></table>";
  return table;
}

Html Views::AuditLog(const AuditLogInfo& info) const {
  Html tools{"<option value=\"\">Every tool</option>"};
  bool tool_listed = info.tool.empty();
  for (const std::string& tool : info.tools) {
    bool chosen = tool == info.tool;
    tool_listed = tool_listed || chosen;
    tools.html += "<option value=\"" + Escape(tool) + "\"" + (chosen ? " selected" : "") + ">" +
                  Escape(tool) + "</option>";
  }
  if (!tool_listed) {  // a filter from a link, for a tool no longer in the log
    tools.html +=
        "<option value=\"" + Escape(info.tool) + "\" selected>" + Escape(info.tool) + "</option>";
  }
  Html conversations{"<option value=\"\">Every conversation</option>"};
  bool conversation_listed = info.conversation_id == 0;
  for (const store::AuditConversation& c : info.conversations) {
    bool chosen = c.id == info.conversation_id;
    conversation_listed = conversation_listed || chosen;
    conversations.html += "<option value=\"" + std::to_string(c.id) + "\"" +
                          (chosen ? " selected" : "") + ">" +
                          Escape(ConversationName(c.id, info.conversations)) + "</option>";
  }
  if (!conversation_listed) {
    conversations.html += "<option value=\"" + std::to_string(info.conversation_id) +
                          "\" selected>#" + std::to_string(info.conversation_id) + "</option>";
  }

  const bool filtered = !info.tool.empty() || info.conversation_id > 0;
  std::string summary =
      std::to_string(info.total) + (info.total == 1 ? " entry" : " entries") +
      " in the log (the newest " + std::to_string(store::Store::kMaxAuditEntries) +
      " are kept): what the sandbox, the deny-list or you refused, and every command and MCP "
      "server Hearth started, with how it was confined.";
  Html entries;
  if (!info.entries.empty()) {
    entries = AuditTable(info.entries, info.conversations);
  } else if (!info.first_page) {
    entries.html = "<p class=\"empty\">No older entries.</p>";
  } else if (filtered) {
    entries.html =
        "<p class=\"empty\">No entries match these filters. Choose <em>Every tool</em> and "
        "<em>Every conversation</em> to see them all.</p>";
  } else {
    entries.html =
        "<p class=\"empty\">Nothing recorded yet. Refusals and the commands the agent runs "
        "appear here.</p>";
  }
  Html pages;
  if (!info.first_page) {
    pages.html += "<a href=\"" + Escape(AuditUrl(info.tool, info.conversation_id, 0)) +
                  "\">Newest entries</a> ";
  }
  if (info.more && !info.entries.empty()) {
    pages.html += "<a class=\"older\" rel=\"next\" href=\"" +
                  Escape(AuditUrl(info.tool, info.conversation_id, info.entries.back().id)) +
                  "\">Older entries</a>";
  }
  return Html{Get("audit_log")
                  .Render({{"summary", summary},
                           {"tool_options", tools},
                           {"conversation_options", conversations},
                           {"entries", entries},
                           {"pages", pages}})};
}

}  // namespace hearth::web
