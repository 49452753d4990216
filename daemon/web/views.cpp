#include "web/views.h"

#include <cstdio>
#include <ctime>

#include "base/sha256.h"
#include "web/assets.h"

namespace hearth::web {
namespace {

constexpr std::string_view kTemplateNames[] = {
    "page",           "notice_page", "conversation_item", "load_more", "rename_form",
    "delete_confirm", "empty",       "conversation",      "earlier",   "message",
    "notice_message", "search_hit",  "search_results",    "settings",  "error",
    "navigation_oob", "title_oob",
};

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
                        const Html& main, bool settings_current) const {
  return Get("page").Render(
      {{"title", title},
       {"theme", theme},
       {"v", asset_version_},
       {"items", items},
       {"main", main},
       {"settings_current", Html{settings_current ? "aria-current=\"page\"" : ""}}});
}

std::string Views::NoticePage(std::string_view heading, std::string_view text,
                              const Html& hint) const {
  return Get("notice_page").Render({{"heading", heading}, {"text", text}, {"hint", hint}});
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

Html Views::Empty() const { return Html{Get("empty").Render({})}; }

Html Views::Messages(const std::vector<store::Message>& messages) const {
  Html out;
  const Template& t = Get("message");
  for (const auto& m : messages) {
    std::string id = std::to_string(m.id);
    t.RenderTo(out.html, {{"id", id},
                          {"role", m.role},
                          {"who", RoleLabel(m.role)},
                          {"iso", IsoTime(m.created_ms)},
                          {"time", ShortTime(m.created_ms)},
                          {"content", m.content}});
  }
  return out;
}

Html Views::EarlierButton(int64_t conversation_id, int64_t before_id) const {
  std::string id = std::to_string(conversation_id);
  std::string before = std::to_string(before_id);
  return Html{Get("earlier").Render({{"id", id}, {"before", before}})};
}

Html Views::Conversation(const store::Conversation& c, const std::vector<store::Message>& messages,
                         int page_size) const {
  std::string id = std::to_string(c.id);
  Html earlier;
  if (!messages.empty() && static_cast<int>(messages.size()) >= page_size) {
    earlier = EarlierButton(c.id, messages.front().id);
  }
  return Html{Get("conversation")
                  .Render({{"id", id},
                           {"title", c.title},
                           {"earlier", earlier},
                           {"messages", Messages(messages)}})};
}

Html Views::NoticeMessage(std::string_view text) const {
  return Html{Get("notice_message").Render({{"text", text}})};
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

Html Views::Settings(const StatusInfo& s, std::string_view theme, std::string_view saved) const {
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
