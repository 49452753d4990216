// SPDX-License-Identifier: Apache-2.0
#include "web/views.h"

#include <json/json.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <memory>

#include "base/json.h"
#include "base/sha256.h"
#include "base/utf8.h"
#include "markdown/markdown.h"
#include "store/schema.h"
#include "web/answer_facts.h"
#include "web/assets.h"
#include "web/message_actions.h"

namespace hearth::web {
namespace {

// clang-format off
constexpr std::string_view kTemplateNames[] = {
    "page",           "notice_page",    "conversation_item", "load_more", "rename_form",
    "delete_confirm", "empty",          "conversation",      "earlier",   "message",
    "notice_message", "search_hit",     "search_results",    "settings",  "error",
    "navigation_oob", "title_oob",      "tool_call",         "approval",  "run",
    "run_done",       "agent_settings", "audit_log",         "db_banner",
    // Settings' MCP servers (mcp_views.cpp).
    "mcp_server",     "mcp_edit_form",  "mcp_remove_confirm", "mcp_permissions",
    // Editing a sent message (message_actions.h).
    "message_edit",
};
// clang-format on

std::string Selected(bool yes) { return yes ? "selected" : ""; }

std::string HumanBytes(int64_t bytes) {
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(bytes));
  } else if (bytes < 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / (1024.0 * 1024.0));
  }
  return buf;
}

// "12 hours", "7 days", "1 hour": the largest whole unit.
std::string HumanDuration(int64_t ms) {
  int64_t hours = ms / (3600 * 1000);
  if (hours >= 24 && hours % 24 == 0) {
    int64_t days = hours / 24;
    return std::to_string(days) + (days == 1 ? " day" : " days");
  }
  if (hours >= 1) return std::to_string(hours) + (hours == 1 ? " hour" : " hours");
  int64_t minutes = ms / (60 * 1000);
  return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

const char* RoleLabel(std::string_view role) {
  if (role == "user") return "You";
  if (role == "assistant") return "Assistant";
  if (role == "tool") return "Tool";
  return "System";
}

}  // namespace

namespace {

std::string FormatTime(int64_t unix_ms, const char* format, bool utc) {
  time_t t = static_cast<time_t>(unix_ms / 1000);
  struct tm tm;
  if (utc) {
    gmtime_r(&t, &tm);
  } else {
    localtime_r(&t, &tm);
  }
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

}  // namespace

std::string IsoTime(int64_t unix_ms) { return FormatTime(unix_ms, "%Y-%m-%dT%H:%M:%SZ", true); }
std::string ShortTime(int64_t unix_ms) { return FormatTime(unix_ms, "%Y-%m-%d %H:%M", false); }

Result<std::unique_ptr<Views>> Views::Load() {
  std::unique_ptr<Views> views(new Views());
  for (std::string_view name : kTemplateNames) {
    std::string file = "templates/" + std::string(name) + ".html";
    const EmbeddedFile* f = FindEmbeddedFile(file);
    if (f == nullptr) return Status::Internal("template " + file + " is not embedded");
    auto t = Template::Parse(file, f->data);
    if (!t.ok()) return t.status();
    views->templates_.emplace_back(std::string(name), std::move(*t));
  }
  std::string all;
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) all += Sha256Hex(kEmbeddedFiles[i].data);
  views->asset_version_ = Sha256Hex(all).substr(0, 12);
  std::string_view notice = FindEmbeddedFile("templates/notice_page.html")->data;
  size_t open = notice.find("<style>"), close = notice.find("</style>");
  if (open == std::string_view::npos || close == std::string_view::npos) {
    return Status::Internal("templates/notice_page.html has no <style> block");
  }
  open += std::string_view("<style>").size();
  views->notice_style_source_ = "'sha256-" + Sha256Base64(notice.substr(open, close - open)) + "'";
  return views;
}

const Template& Views::Get(std::string_view name) const {
  for (const auto& [n, t] : templates_) {
    if (n == name) return t;
  }
  // Load() checked every name in kTemplateNames; anything else is a programming error.
  std::abort();
}

std::string Views::Page(std::string_view title, std::string_view theme, const Html& items,
                        const Html& main, bool settings_current, const Html& banner) const {
  return Get("page").Render(
      {{"banner", banner},
       {"title", title},
       {"theme", theme},
       {"v", asset_version_},
       {"items", items},
       {"main", main},
       {"settings_current", Html{settings_current ? "aria-current=\"page\"" : ""}}});
}

std::string Views::NoticePage(std::string_view heading, std::string_view text, const Html& hint,
                              const Html& banner) const {
  return Get("notice_page")
      .Render({{"banner", banner}, {"heading", heading}, {"text", text}, {"hint", hint}});
}

Html Views::DatabaseBanner(const store::Integrity& integrity, const std::string& path) const {
  if (integrity.state != store::Integrity::State::kDamaged) return {};
  std::string dir = path.substr(0, path.find_last_of('/') + 1);
  std::string finding = integrity.findings.empty() ? "" : "sqlite: " + integrity.findings[0];
  return Html{Get("db_banner")
                  .Render({{"path", path},
                           {"dir", dir.empty() ? "." : dir},
                           {"finding", finding},
                           {"schema", std::to_string(store::Store::kSchemaVersion)},
                           {"app_id", std::to_string(store::kApplicationId)}})};
}

namespace {

void RenderItem(const Template& t, std::string& out, const store::Conversation& c, bool current) {
  char id[24], count[24];
  std::snprintf(id, sizeof id, "%lld", static_cast<long long>(c.id));
  std::snprintf(count, sizeof count, "%lld", static_cast<long long>(c.message_count));
  t.RenderTo(out, {{"id", std::string_view(id)},
                   {"title", c.title},
                   {"count", std::string_view(count)},
                   {"current", current ? "page" : "false"}});
}

}  // namespace

Html Views::ConversationItem(const store::Conversation& c, bool current) const {
  Html out;
  RenderItem(Get("conversation_item"), out.html, c, current);
  return out;
}

Html Views::ConversationItems(const std::vector<store::Conversation>& conversations,
                              int64_t current_id, int page_size) const {
  Html out;
  const Template& item = Get("conversation_item");
  out.html.reserve(conversations.size() * 640);
  for (const auto& c : conversations) RenderItem(item, out.html, c, c.id == current_id);
  if (!conversations.empty() && static_cast<int>(conversations.size()) >= page_size) {
    const auto& last = conversations.back();
    std::string after = std::to_string(last.updated_ms) + "." + std::to_string(last.id);
    Get("load_more").RenderTo(out.html, {{"after", after}});
  }
  return out;
}

Html Views::RenameForm(const store::Conversation& c) const {
  std::string id = std::to_string(c.id);
  return Html{Get("rename_form").Render({{"id", id}, {"title", c.title}})};
}

Html Views::DeleteConfirm(const store::Conversation& c) const {
  std::string id = std::to_string(c.id);
  std::string count = std::to_string(c.message_count);
  return Html{Get("delete_confirm").Render({{"id", id}, {"title", c.title}, {"count", count}})};
}

Html Views::Empty(const Html& first_run) const {
  return Html{Get("empty").Render({{"first_run", first_run}})};
}

Html Views::Messages(const std::vector<store::Message>& messages) const {
  Html out;
  for (const auto& m : messages) out.html += Message(m).html;
  return out;
}

namespace {

std::string_view StateClass(store::MessageState state) { return store::MessageStateName(state); }

// The tool-call fields a tool message's metadata carries (see agent/agent.cpp).
struct ToolMeta {
  std::string name;
  std::string arguments;
  bool is_error = false;
  bool denied = false;
  bool awaiting_approval = false;
  std::vector<std::string> approval_notes;
  uint64_t refused_argument_bytes = 0;  // the call was too large to keep, and not run
  std::string mcp_server;               // the MCP server the tool comes from, if any
  std::string mcp_permissions;          // what that server may reach
  std::string diff_summary;             // the change a write would make (tools/change_preview.h)
  std::string diff;
};

ToolMeta ReadToolMeta(std::string_view meta) {
  ToolMeta out;
  Json::Value value;
  if (!ParseJson(meta, &value, 32) || !value.isObject()) return out;
  out.name = value.get("name", "").asString();
  out.arguments = value.get("arguments", "").asString();
  out.is_error = value.get("is_error", false).asBool();
  out.denied = value.get("denied", false).asBool();
  out.awaiting_approval = value.get("awaiting_approval", false).asBool();
  out.mcp_server = value.get("mcp_server", "").asString();
  out.mcp_permissions = value.get("mcp_permissions", "").asString();
  out.diff_summary = value.get("approval_diff_summary", "").asString();
  out.diff = value.get("approval_diff", "").asString();
  for (const Json::Value& note : value["approval_notes"]) {
    if (note.isString()) out.approval_notes.push_back(note.asString());
  }
  if (const Json::Value& refused = value["refused_argument_bytes"]; refused.isUInt64()) {
    out.refused_argument_bytes = refused.asUInt64();
  }
  return out;
}

bool MetaStopped(std::string_view meta) {
  if (meta.find("\"stopped\"") == std::string_view::npos) return false;
  Json::Value value;
  if (!ParseJson(meta, &value, 32) || !value.isObject()) return false;
  return value.get("stopped", false).asBool();
}

std::string MetaError(std::string_view meta) {
  if (meta.find("\"error\"") == std::string_view::npos) return {};
  Json::Value value;
  if (!ParseJson(meta, &value, 32) || !value.isObject()) return {};
  return value.get("error", "").asString();
}

// How long the model has been working on an answer with no text yet (agent/elapsed_ticker.h),
// and whether the answer comes whole; nullopt when the agent did not say.
struct Working {
  int64_t seconds = 0;
  bool unstreamed = false;
};
std::optional<Working> MetaWorking(std::string_view meta) {
  if (meta.find("\"working_ms\"") == std::string_view::npos) return std::nullopt;
  Json::Value value;
  if (!ParseJson(meta, &value, 32) || !value.isObject() || !value["working_ms"].isIntegral()) {
    return std::nullopt;
  }
  return Working{.seconds = value["working_ms"].asInt64() / 1000,
                 .unstreamed = value["unstreamed"].isBool() && value["unstreamed"].asBool()};
}

// `text` with the characters that hide, or change how the rest reads, written out as \u{…}:
// bidirectional controls (which make "gpj.exe" read "exe.jpg"), zero-width characters, the soft
// hyphen and the byte-order mark. Everything else is left as it is.
std::string WithInvisiblesShown(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
    uint32_t code = 0;
    size_t length = 0;
    if (byte(i) == 0xE2 && i + 2 < text.size() && (byte(i + 1) == 0x80 || byte(i + 1) == 0x81)) {
      code = 0x2000 | ((byte(i + 1) & 0x3F) << 6) | (byte(i + 2) & 0x3F);
      length = 3;
    } else if (byte(i) == 0xEF && i + 2 < text.size() && byte(i + 1) == 0xBB &&
               byte(i + 2) == 0xBF) {
      code = 0xFEFF, length = 3;
    } else if (byte(i) == 0xC2 && i + 1 < text.size() && byte(i + 1) == 0xAD) {
      code = 0xAD, length = 2;
    } else if (byte(i) == 0xD8 && i + 1 < text.size() && byte(i + 1) == 0x9C) {
      code = 0x61C, length = 2;
    }
    bool hidden = code == 0xFEFF || code == 0xAD || code == 0x61C ||
                  (code >= 0x200B && code <= 0x200F) || (code >= 0x202A && code <= 0x202E) ||
                  (code >= 0x2060 && code <= 0x2064) || (code >= 0x2066 && code <= 0x2069);
    if (!hidden) {
      out += text[i];
      continue;
    }
    char shown[16];
    std::snprintf(shown, sizeof shown, "\\u{%X}", code);
    out += shown;
    i += length - 1;
  }
  return out;
}

// An argument's name as the user should read it: plain names as they are; any other (a blank,
// a control or invisible character, anything outside ASCII letters, digits, '_', '-', '.') as a
// quoted JSON string with every such character escaped, so " path" cannot pass for "path".
std::string ShownKey(std::string_view key) {
  bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
  if (plain) return std::string(key);
  Json::StreamWriterBuilder writer;
  writer["emitUTF8"] = false;
  return Json::writeString(writer, Json::Value(std::string(key)));
}

// A tool call's arguments as the user judges them before approving: one labelled box per
// argument, a string shown as the text it is (a file's new content readable, line breaks and
// all). The structure is the page's, so an argument that contains "path: x" stays in its own
// box and cannot pass for another argument. Anything but an object is shown as it came.
Html ApprovalArguments(std::string_view arguments) {
  Json::Value value;
  Html out;
  if (!ParseJson(arguments, &value, 32) || !value.isObject() || value.empty()) {
    out.html = "<pre class=\"approval-args\" tabindex=\"0\">" + Escape(arguments) + "</pre>";
    return out;
  }
  Json::StreamWriterBuilder compact;
  compact["indentation"] = "";
  // Scroll boxes take the focus, so the keyboard can scroll them (tabindex="0").
  out.html = "<dl class=\"approval-args\" tabindex=\"0\">";
  for (const std::string& key : value.getMemberNames()) {
    const Json::Value& field = value[key];
    std::string name = ShownKey(key);
    out.html += name == key ? "<dt>" : "<dt class=\"odd-key\">";
    AppendEscaped(out.html, name);
    out.html += "</dt><dd><pre tabindex=\"0\">";
    if (field.isString() && field.asString().empty()) {
      out.html += "<em>(empty)</em>";
    } else {
      std::string text = field.isString() ? field.asString() : Json::writeString(compact, field);
      // A line break right after <pre> would be dropped by the browser.
      if (text.starts_with('\n')) out.html += '\n';
      AppendEscaped(out.html, WithInvisiblesShown(text));
    }
    out.html += "</pre></dd>";
  }
  out.html += "</dl>";
  return out;
}

// A unified diff (tools/diff.h) with each line marked for its colour; the +/- stay, so the
// change reads without colour too. In a box of its own that scrolls.
Html ApprovalDiff(std::string_view summary, std::string_view diff) {
  Html out;
  if (summary.empty()) return out;
  out.html = "<div class=\"approval-diff\"><p>";
  AppendEscaped(out.html, summary);
  out.html += "</p>";
  if (!diff.empty()) {
    out.html += "<pre class=\"diff\" tabindex=\"0\" aria-label=\"The change as a diff\">";
    size_t start = 0;
    while (start < diff.size()) {
      size_t end = diff.find('\n', start);
      if (end == std::string_view::npos) end = diff.size();
      std::string_view line = diff.substr(start, end - start);
      const char* kind = line.starts_with('+')    ? "diff-add"
                         : line.starts_with('-')  ? "diff-del"
                         : line.starts_with("@@") ? "diff-hunk"
                         : line.starts_with('\\') ? "diff-note"
                                                  : "diff-same";
      out.html += "<span class=\"";
      out.html += kind;
      out.html += "\">";
      // A carriage return would start a new line on the page (HTML reads a lone CR as a line
      // break), so that "-a\r+b" could show a line that is not added as if it were: written out.
      std::string shown = WithInvisiblesShown(line);
      for (size_t at = shown.find('\r'); at != std::string::npos; at = shown.find('\r', at)) {
        shown.replace(at, 1, "\\r");
      }
      AppendEscaped(out.html, shown);
      out.html += "</span>\n";
      start = end + 1;
    }
    out.html += "</pre>";
  }
  out.html += "</div>";
  return out;
}

// The argument a collapsed card shows on its one line: the path, command, address or query the
// call is about; the arguments as they came for other tools.
std::string MainArgument(std::string_view arguments) {
  Json::Value value;
  if (!ParseJson(arguments, &value, 32) || !value.isObject()) return std::string(arguments);
  for (const char* key : {"path", "command", "url", "query", "name"}) {
    // Written out like the form's: a bidi control must not turn "gpj.exe" into "exe.jpg".
    if (value[key].isString()) return WithInvisiblesShown(value[key].asString());
  }
  return std::string(arguments);
}

// A title attribute's text: the whole value, unless it is long (a file's content, say).
std::string ShortTitle(std::string_view text) {
  constexpr size_t kMaxTitleBytes = 1000;
  if (text.size() <= kMaxTitleBytes) return std::string(text);
  return std::string(text.substr(0, Utf8Prefix(text, kMaxTitleBytes))) + "…";
}

}  // namespace

Html Views::Message(const store::Message& m, size_t stable) const {
  std::string id = std::to_string(m.id);
  Html out;
  if (m.role == "tool") {
    ToolMeta tool = ReadToolMeta(m.meta);
    std::string status = tool.awaiting_approval                       ? "waiting for your approval"
                         : m.state == store::MessageState::kStreaming ? "running…"
                         : tool.refused_argument_bytes > 0            ? "refused: too large"
                         : tool.denied                                ? "denied"
                         : tool.is_error                              ? "failed"
                                                                      : "done";
    Html approval;
    if (tool.awaiting_approval) {
      std::string cid = std::to_string(m.conversation_id);
      Html notes;
      for (const std::string& note : tool.approval_notes) {
        notes.html += "<p class=\"approval-note\" role=\"alert\">";
        AppendEscaped(notes.html, note);
        notes.html += "</p>";
      }
      Html server;
      if (!tool.mcp_server.empty()) {
        server.html = "<p class=\"tool-origin\">From MCP server <strong>";
        AppendEscaped(server.html, tool.mcp_server);
        server.html += "</strong>, which may reach: ";
        AppendEscaped(server.html, tool.mcp_permissions);
        server.html += "</p>";
      }
      approval.html = Get("approval")
                          .Render({{"cid", cid},
                                   {"id", id},
                                   {"name", tool.name},
                                   {"server", server},
                                   {"args", ApprovalArguments(tool.arguments)},
                                   {"diff", ApprovalDiff(tool.diff_summary, tool.diff)},
                                   {"notes", notes}});
    }
    std::string state(StateClass(m.state));
    if (tool.denied || tool.refused_argument_bytes > 0) state += " denied";
    std::string args =
        tool.refused_argument_bytes > 0
            ? "(" + std::to_string(tool.refused_argument_bytes) + " bytes of arguments, not kept)"
            : MainArgument(tool.arguments);
    // The whole arguments on expand, when the one line shows only the main one.
    Html full;
    if (tool.refused_argument_bytes == 0 && args != tool.arguments) {
      full.html =
          "<pre class=\"tool-args-full\" tabindex=\"0\">" + Escape(tool.arguments) + "</pre>";
    }
    Get("tool_call")
        .RenderTo(out.html, {{"id", id},
                             {"state", state},
                             {"name", tool.name},
                             {"origin", tool.mcp_server.empty()
                                            ? Html{}
                                            : Html{"<span class=\"tool-origin\">from MCP server " +
                                                   Escape(tool.mcp_server) + "</span> "}},
                             {"args", args},
                             {"title", ShortTitle(args)},
                             {"full", full},
                             {"status", status},
                             {"output", m.content},
                             {"approval", approval}});
    return out;
  }
  Html body;
  Html badge;
  if (m.role == "assistant") {
    body.html = AnswerContextNote(m.meta).html + "<div class=\"content md\">";
    if (m.state == store::MessageState::kStreaming) {
      stable = std::min(stable, m.content.size());
      body.html += "<div id=\"msg-" + id + "-blocks\">";
      body.html += markdown::RenderMarkdown(std::string_view(m.content).substr(0, stable));
      body.html += "</div><div id=\"msg-" + id + "-tail\">";
      body.html += markdown::RenderMarkdown(std::string_view(m.content).substr(stable));
      body.html += "</div>";
    } else {
      body.html += WithCodeCopyButtons(markdown::RenderMarkdown(m.content));
    }
    body.html += "</div>";
    if (std::optional<Working> working = MetaWorking(m.meta);
        working && m.content.empty() && m.state == store::MessageState::kStreaming) {
      body.html +=
          "<p class=\"model-working\">The model is working\u2026 " +
          std::to_string(working->seconds) + " s" +
          (working->unstreamed ? " (this server cannot stream while tools are offered: the answer "
                                 "appears when it is complete)"
                               : "") +
          "</p>";
    }
    std::string error = MetaError(m.meta);
    // Answers stopped before schema 4's Hearth said so as an error text.
    const bool stopped = MetaStopped(m.meta) || error == "Stopped.";
    if (stopped) {
      body.html += "<p class=\"answer-stopped\">Stopped by you. What had arrived is kept.</p>";
    } else if (!error.empty()) {
      body.html += "<p class=\"answer-error\" role=\"alert\">" + Escape(error) + "</p>";
    }
    body.html += AnswerCutOffNote(m.meta).html;
    if (stopped) {
      badge.html = " <span class=\"badge stopped\">stopped</span>";
    } else if (m.state == store::MessageState::kPartial) {
      badge.html = " <span class=\"badge\">incomplete</span>";
    }
    badge.html += AnswerUsage(m.meta).html;
  } else {
    body.html = "<div class=\"content\">" + Escape(m.content) + "</div>";
  }
  std::string state(StateClass(m.state));
  if (m.role == "assistant" && m.content.empty() && m.state == store::MessageState::kDone) {
    state += " empty";
  }
  Get("message").RenderTo(out.html, {{"id", id},
                                     {"role", m.role},
                                     {"state", state},
                                     {"who", RoleLabel(m.role)},
                                     {"iso", IsoTime(m.created_ms)},
                                     {"time", ShortTime(m.created_ms)},
                                     {"badge", badge},
                                     {"body", body},
                                     {"actions", MessageActions(m)}});
  return out;
}

Html Views::MessageEditForm(const store::Message& m) const {
  return Html{Get("message_edit")
                  .Render({{"id", std::to_string(m.id)},
                           {"cid", std::to_string(m.conversation_id)},
                           {"content", m.content}})};
}

Html Views::Run(int64_t conversation_id, std::string_view run_id, const Html& messages) const {
  std::string cid = std::to_string(conversation_id);
  return Html{Get("run").Render({{"run", run_id}, {"cid", cid}, {"messages", messages}})};
}

Html Views::RunDone(std::string_view run_id, const Html& messages) const {
  return Html{Get("run_done").Render({{"run", run_id}, {"messages", messages}})};
}

Html Views::EarlierButton(int64_t conversation_id, int64_t before_id) const {
  std::string id = std::to_string(conversation_id);
  std::string before = std::to_string(before_id);
  return Html{Get("earlier").Render({{"id", id}, {"before", before}})};
}

Html Views::Conversation(const store::Conversation& c, const std::vector<store::Message>& messages,
                         int page_size, const Html& live,
                         const std::vector<std::string>& servers) const {
  std::string id = std::to_string(c.id);
  Html earlier;
  if (!messages.empty() && static_cast<int>(messages.size()) >= page_size) {
    earlier = EarlierButton(c.id, messages.front().id);
  }
  // The conversation's own model and system prompt (agent/agent.cpp reads the same document).
  std::string model;
  std::string system_prompt;
  std::string server;
  if (!c.agent_options.empty()) {
    Json::Value options;
    if (ParseJson(c.agent_options, &options, 32) && options.isObject()) {
      model = options.get("model", "").asString();
      system_prompt = options.get("system_prompt", "").asString();
      server = options.get("provider", "").asString();
    }
  }
  Html server_choice;
  if (servers.size() > 1) {
    server_choice.html =
        "<label for=\"conversation-server\">Server</label><select id=\"conversation-server\" "
        "name=\"provider\"><option value=\"\">The default (" +
        Escape(servers.front()) + ")</option>";
    for (const std::string& name : servers) {
      server_choice.html += "<option value=\"" + Escape(name) + "\"" +
                            (name == server ? " selected" : "") + ">" + Escape(name) + "</option>";
    }
    server_choice.html += "</select>";
  }
  return Html{Get("conversation")
                  .Render({{"id", id},
                           {"title", c.title},
                           {"server_choice", server_choice},
                           {"model", model},
                           {"system_prompt", system_prompt},
                           {"earlier", earlier},
                           {"messages", Html{Messages(messages).html + live.html}}})};
}

Html Views::NoticeMessage(std::string_view text, const Html& action) const {
  return Html{Get("notice_message").Render({{"text", text}, {"action", action}})};
}

Html Views::SearchResults(std::string_view query, const std::vector<store::SearchHit>& hits) const {
  Html list;
  const Template& t = Get("search_hit");
  for (const auto& hit : hits) {
    std::string cid = std::to_string(hit.conversation_id);
    std::string mid = std::to_string(hit.message_id);
    t.RenderTo(list.html, {{"cid", cid},
                           {"mid", mid},
                           {"title", hit.conversation_title},
                           {"snippet", Html{HighlightSnippet(hit.snippet)}}});
  }
  std::string summary = hits.empty()
                            ? "No messages match “" + std::string(query) + "”."
                            : std::to_string(hits.size()) +
                                  (hits.size() == 1 ? " message matches “" : " messages match “") +
                                  std::string(query) + "”.";
  return Html{Get("search_results").Render({{"summary", summary}, {"hits", list}})};
}

namespace {

std::string Lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

const char* Disabled(bool disabled) { return disabled ? "disabled" : ""; }

}  // namespace

Html Views::ModelList(const Result<std::vector<std::string>>& models) const {
  if (!models.ok()) {
    return Html{"<p class=\"answer-error\" role=\"alert\">" + Escape(models.status().message()) +
                "</p>"};
  }
  if (models->empty()) return Html{"<p>Connected; the server lists no models.</p>"};
  std::string out = "<p>Connected. Models on this server:</p><ul class=\"model-list\">";
  for (const std::string& model : *models) out += "<li><code>" + Escape(model) + "</code></li>";
  out += "</ul>";
  return Html{out};
}

namespace {

std::string QueryEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

Html Views::ModelField(std::string_view model, bool out_of_band) const {
  return Html{std::string("<input id=\"provider-model\" name=\"model\" type=\"text\" value=\"") +
              Escape(model) + "\" placeholder=\"e.g. qwen2.5:7b\" maxlength=\"256\"" +
              (out_of_band ? " hx-swap-oob=\"true\"" : "") + ">"};
}

Html Views::ConnectionReport(const agent::ProbeReport& report) const {
  if (!report.models.ok()) return ModelList(report.models);
  std::string out;
  if (report.models->empty()) {
    out = "<p>Connected; the server lists no models.</p>";
  } else {
    out =
        "<p>Connected. Models on this server (choose one to use it):</p><ul class=\"model-list\">";
    for (const std::string& model : *report.models) {
      out +=
          "<li><button type=\"button\" class=\"model-choice\" "
          "hx-get=\"/settings/model-field?model=" +
          Escape(QueryEncode(model)) +
          "\" hx-target=\"#provider-model\" hx-swap=\"outerHTML\"><code>" + Escape(model) +
          "</code></button></li>";
    }
    out += "</ul>";
  }
  if (report.model_chosen) {
    out += "<p>It offers one model, <code>" + Escape(report.model) +
           "</code>: Hearth uses it without its name being typed.</p>";
    out += ModelField(report.model, true).html;
  }
  using agent::Ability;
  const agent::ServerCapabilities& caps = report.capabilities;
  std::string tools;
  std::string streaming = "not known";
  if (!report.probed) {
    tools = "not tried: choose a model, then test again";
  } else if (caps.tools == Ability::kNo) {
    tools = "refused";
    if (!caps.tools_refusal.empty()) tools += " (\u201c" + caps.tools_refusal + "\u201d)";
    tools += ": the agent answers without tools here. " + caps.tools_advice;
  } else if (caps.tools == Ability::kYes) {
    tools = "accepted";
  } else {
    tools = "not known: the test request failed (" + report.probe_error + ")";
  }
  if (caps.streams_with_tools == Ability::kYes) {
    streaming = "yes";
  } else if (caps.streams_with_tools == Ability::kNo) {
    streaming =
        "no: answers that may use tools come whole, and the page shows the model working "
        "meanwhile";
  } else if (caps.tools == Ability::kNo) {
    streaming = "does not apply (no tools)";
  }
  std::string context = "not said by this server";
  if (report.context.tokens > 0) {
    context = std::to_string(report.context.tokens) + " tokens";
    if (report.context.model_max > 0) {
      context += " (the model allows up to " + std::to_string(report.context.model_max) + ")";
    }
  } else if (report.context.model_max > 0) {
    context = "the model allows up to " + std::to_string(report.context.model_max) +
              " tokens; the server's own limit may be lower (Ollama's num_ctx)";
  }
  out += "<dl class=\"server-abilities\">";
  if (report.probed)
    out += "<dt>Model tested</dt><dd><code>" + Escape(report.model) + "</code></dd>";
  out += "<dt>Tools</dt><dd class=\"ability-tools\">" + Escape(tools) + "</dd>";
  out +=
      "<dt>Streams with tools</dt><dd class=\"ability-streaming\">" + Escape(streaming) + "</dd>";
  out += "<dt>Context size</dt><dd class=\"ability-context\">" + Escape(context) + "</dd>";
  out += "</dl>";
  return Html{out};
}

Html Views::Settings(const StatusInfo& s, std::string_view theme, std::string_view saved,
                     const AgentSettingsInfo& a) const {
  Html agent;
  if (a.configured) {
    auto file = [&](const char* key) { return a.from_file.contains(key); };
    Html note;
    if (!a.from_file.empty()) {
      std::string keys;
      for (const std::string& k : a.from_file) keys += (keys.empty() ? "" : ", ") + k;
      note.html = "<p class=\"file-note\">Set in <code>" + Escape(a.config_path) +
                  "</code>, so not editable here: " + Escape(keys) + ".</p>";
    }
    Html report;
    for (const std::string& line : a.sandbox_report) report.html += "<li>" + Escape(line) + "</li>";
    Html secrets;
    for (const std::string& line : a.secrets_report) {
      secrets.html += "<li>" + Escape(line) + "</li>";
    }
    Html grants;
    if (a.grants.empty()) {
      grants.html = "<p>None: every call of a tool that changes things asks first.</p>";
    } else {
      grants.html = "<ul class=\"grants\">";
      for (const store::ToolGrant& g : a.grants) {
        grants.html += "<li><code>" + Escape(g.label) +
                       "</code> <form class=\"inline-form\" hx-post=\"/settings/grants/revoke\" "
                       "hx-target=\"#main\"><input type=\"hidden\" name=\"key\" value=\"" +
                       Escape(g.key) + "\"><button type=\"submit\">Revoke</button></form></li>";
      }
      grants.html += "</ul>";
    }
    Html audit;
    if (a.audit.empty()) {
      audit.html = "<p>Nothing recorded yet.</p>";
    } else {
      audit.html = AuditTable(a.audit, {}).html +
                   "<p><a href=\"/settings/audit\">The whole audit log, by tool and by "
                   "conversation</a></p>";
    }
    Html others;
    if (a.other_servers.empty()) {
      others.html = "<p>None.</p>";
    } else {
      others.html = "<ul class=\"model-servers\">";
      for (const ServerInfo& server : a.other_servers) {
        others.html += "<li><strong>" + Escape(server.name) + "</strong> <code>" +
                       Escape(server.base_url) + "</code> <span class=\"server-facts\">" +
                       (server.kind == "ollama" ? "Ollama" : "OpenAI-compatible") + ", " +
                       (server.model.empty() ? std::string("no model chosen")
                                             : "model " + Escape(server.model)) +
                       (server.has_key ? ", key saved" : "") + "</span>";
        if (!file("providers")) {
          std::string name = Escape(server.name);
          others.html +=
              " <form class=\"inline-form\" hx-post=\"/settings/servers/default\" "
              "hx-target=\"#main\"><input type=\"hidden\" name=\"name\" value=\"" +
              name +
              "\"><button type=\"submit\">Make default</button></form> <form "
              "class=\"inline-form\" hx-post=\"/settings/servers/remove\" "
              "hx-target=\"#main\"><input type=\"hidden\" name=\"name\" value=\"" +
              name + "\"><button type=\"submit\">Remove</button></form>";
        }
        others.html += "</li>";
      }
      others.html += "</ul>";
    }
    Html servers = McpServerList(a.mcp_servers, file("mcp_servers"));
    std::string deny_defaults;
    for (const std::string& d : a.deny_defaults)
      deny_defaults += (deny_defaults.empty() ? "" : ", ") + d;
    std::string roots = Lines(a.workspace_roots);
    std::string deny = Lines(a.deny);
    std::string protected_defaults;
    for (const std::string& d : a.protected_defaults)
      protected_defaults += (protected_defaults.empty() ? "" : ", ") + d;
    agent.html =
        Get("agent_settings")
            .Render({
                {"file_note", note},
                {"provider_disabled", Html{Disabled(file("providers"))}},
                {"prompt_disabled", Html{Disabled(file("system_prompt"))}},
                {"workspace_disabled", Html{Disabled(file("workspace_roots") || file("deny"))}},
                {"type_openai", Html{Selected(a.provider_type != "ollama")}},
                {"type_ollama", Html{Selected(a.provider_type == "ollama")}},
                {"base_url", a.base_url},
                {"key_placeholder",
                 a.has_key ? "saved (leave empty to keep it)" : "none (local servers need none)"},
                {"model_field", ModelField(a.model)},
                {"first_byte_timeout_s", std::to_string(a.timeouts.first_byte_s)},
                {"idle_timeout_s", std::to_string(a.timeouts.idle_s)},
                {"system_prompt", a.system_prompt},
                {"workspace_roots", roots},
                {"deny", deny},
                {"deny_defaults", deny_defaults},
                {"unlocked_disabled", Html{Disabled(file("unlocked_paths"))}},
                {"unlocked_paths", Lines(a.unlocked_paths)},
                {"protected_defaults", protected_defaults},
                {"fetch_disabled", Html{Disabled(file("fetch_url"))}},
                {"fetch_checked", Html{a.fetch_url ? "checked" : ""}},
                {"provider_name", a.provider_name.empty() ? "none yet" : a.provider_name},
                {"other_servers", others},
                {"mcp_servers", servers},
                {"mcp_disabled", Html{Disabled(file("mcp_servers"))}},
                {"mcp_permissions", McpPermissionsFields({.prefix = "mcp"})},
                {"sandbox", report},
                {"secrets", secrets},
                {"grants", grants},
                {"audit", audit},
                {"saved", a.saved},
            });
  }
  return Html{
      Get("settings")
          .Render({
              {"theme_system", Html{Selected(theme == "system")}},
              {"theme_light", Html{Selected(theme == "light")}},
              {"theme_dark", Html{Selected(theme == "dark")}},
              {"saved", saved},
              {"version", s.version},
              {"address", s.address},
              {"socket", s.socket_from_systemd ? "passed by systemd (socket activation)"
                                               : "bound by hearthd on a port the kernel picked"},
              {"started_iso", IsoTime(s.started_ms)},
              {"started", ShortTime(s.started_ms)},
              {"db_path", s.db_path},
              {"db_size", HumanBytes(s.stats.file_bytes)},
              {"schema", std::to_string(s.stats.schema_version)},
              {"conversations", std::to_string(s.stats.conversations)},
              {"messages", std::to_string(s.stats.messages)},
              {"model_in_use", a.configured ? a.model_in_use : "none (no agent in this build)"},
              {"agent", agent},
              {"session_idle", HumanDuration(s.session_idle_ms)},
              {"session_absolute", HumanDuration(s.session_absolute_ms)},
              {"sessions", std::to_string(s.stats.sessions) +
                               (s.stats.sessions == 1 ? " signed-in browser session"
                                                      : " signed-in browser sessions")},
          })};
}

Html Views::NavigationUpdate(std::string_view title, const Html& items) const {
  return Html{Get("navigation_oob").Render({{"title", title}, {"items", items}})};
}

Html Views::TitleUpdate(std::string_view title) const {
  return Html{Get("title_oob").Render({{"title", title}})};
}

Html Views::Error(std::string_view heading, std::string_view text) const {
  return Html{Get("error").Render({{"heading", heading}, {"text", text}})};
}

}  // namespace hearth::web
