// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "agent/local_servers.h"
#include "agent/server_probe.h"
#include "base/status.h"
#include "llm/client.h"
#include "store/store.h"
#include "web/html.h"

namespace hearth::web {

// What the status section of the settings page shows.
struct StatusInfo {
  std::string version;
  std::string address;
  bool socket_from_systemd = false;
  int64_t started_ms = 0;
  std::string db_path;
  store::Stats stats;
  int64_t session_idle_ms = 0;  // from auth::AuthOptions, so the page states the real policy
  int64_t session_absolute_ms = 0;
};

// An MCP server as the settings page lists it. Environment values are not shown: they often
// hold tokens.
struct McpServerInfo {
  std::string name;
  std::string command;
  std::vector<std::string> args;
  std::vector<std::string> env_names;
  bool network = false;
  std::vector<std::string> read_paths;
  std::vector<std::string> write_paths;
  std::string permissions;         // in words (mcp::DescribePermissions)
  std::string status;              // running, failed (why, with its stderr), not started
  std::vector<std::string> tools;  // what it listed
};

// The permission fields of an MCP server's form (adding or editing), with the folders its
// arguments name offered: those not listed yet are added to the readable ones, and said so.
struct McpPermissionsForm {
  std::string prefix;  // "mcp" (the add form) or "mcp-edit": keeps element ids unique
  bool network = false;
  std::vector<std::string> read_paths;
  std::vector<std::string> write_paths;
  std::vector<std::string> offered;  // folders just added to read_paths from the arguments
};

// A model server other than the default, as the settings page lists it (never its key).
struct ServerInfo {
  std::string name;
  std::string kind;  // "openai" or "ollama"
  std::string base_url;
  std::string model;
  bool has_key = false;
};

// What the agent section of the settings page shows.
struct AgentSettingsInfo {
  bool configured = false;  // the section exists only when the backend runs an agent
  std::string config_path;
  std::set<std::string> from_file;  // top-level config keys the file sets: shown read-only
  std::string provider_name;        // the default server's, which the form edits
  std::vector<ServerInfo> other_servers;
  std::string provider_type = "openai";
  std::string base_url;
  bool has_key = false;  // the key itself is never rendered back
  std::string model;
  llm::Timeouts timeouts;    // the default server's
  std::string model_in_use;  // "qwen2.5 on http://…", or what is missing
  std::string system_prompt;
  std::vector<std::string> workspace_roots;
  std::vector<std::string> deny;
  std::vector<std::string> deny_defaults;
  std::vector<std::string> unlocked_paths;
  std::vector<std::string> protected_defaults;
  std::vector<std::string> sandbox_report;
  std::vector<std::string> secrets_report;  // where keys are kept; problems with them
  std::vector<McpServerInfo> mcp_servers;
  bool fetch_url = false;
  std::vector<store::ToolGrant> grants;
  std::vector<store::AuditEntry> audit;
  std::string saved;  // "Saved." after a save
};

// What the audit log page shows: one page of entries and its filters.
struct AuditLogInfo {
  std::vector<store::AuditEntry> entries;  // newest first
  bool more = false;                       // older entries match the filters too
  bool first_page = true;
  std::string tool;             // the filter in force; empty for every tool
  int64_t conversation_id = 0;  // the filter in force; 0 for every conversation
  std::vector<std::string> tools;
  std::vector<store::AuditConversation> conversations;
  int64_t total = 0;  // entries in the log, unfiltered
};

// Renders every page and fragment from the embedded templates. Holds no state besides the parsed
// templates, so it is thread-safe. All text from users or the database is escaped here.
class Views {
 public:
  // Parses every template; fails if one is missing or malformed (a build defect).
  static Result<std::unique_ptr<Views>> Load();

  // A full page: the sidebar with `items`, and `main` in the main area.
  // `banner` (DatabaseBanner) goes above everything else.
  std::string Page(std::string_view title, std::string_view theme, const Html& items,
                   const Html& main, bool settings_current, const Html& banner = {}) const;
  // A standalone notice page (401, 403, 404, signed out).
  std::string NoticePage(std::string_view heading, std::string_view text, const Html& hint,
                         const Html& banner = {}) const;
  // What every page shows while the database is damaged: where it is and how to repair it.
  // Empty otherwise.
  Html DatabaseBanner(const store::Integrity& integrity, const std::string& path) const;

  // Conversation list items; adds a "show older" item when the page is full.
  Html ConversationItems(const std::vector<store::Conversation>& conversations, int64_t current_id,
                         int page_size) const;
  Html ConversationItem(const store::Conversation& c, bool current) const;
  Html RenameForm(const store::Conversation& c) const;
  Html DeleteConfirm(const store::Conversation& c) const;

  // The welcome view; `first_run` (FirstRunNotice) goes above its button.
  Html Empty(const Html& first_run = {}) const;
  // welcome_views.cpp: the first run without a model server. The notice says one is needed,
  // links to Settings, and loads the servers found on this computer (GET /welcome/servers).
  Html FirstRunNotice() const;
  // Each server found, with a one-click form that saves it as the default (POST
  // /welcome/servers/use); or what to do when none answered. Names and models are escaped: they
  // are whatever a program on a port sent.
  Html FoundServers(const std::vector<agent::FoundServer>& found) const;
  // What the welcome view says once a found server is saved.
  Html ServerChosen(const agent::UsualServer& server, std::string_view model) const;
  // `live` (optional) follows the messages: the container of a run under way.
  // `servers` names the configured model servers, the default first: with more than one, the
  // conversation's options offer a choice.
  Html Conversation(const store::Conversation& c, const std::vector<store::Message>& messages,
                    int page_size, const Html& live = {},
                    const std::vector<std::string>& servers = {}) const;
  Html Messages(const std::vector<store::Message>& messages) const;
  // A user's message as a form that sends a new version of it (the answers after it leave the
  // thread, kept as the earlier version's branch).
  Html MessageEditForm(const store::Message& m) const;
  // One message. User text is shown as written; an answer is rendered from Markdown (raw HTML in
  // it is escaped, links only to http, https and mailto); a tool call is a collapsed card, with
  // the approval form while it waits. A streaming answer is split in two parts that the live
  // stream updates separately: its first `stable` bytes, and the rest.
  Html Message(const store::Message& m, size_t stable = 0) const;
  // The messages of a run being answered, with the live stream that updates them and a Stop
  // button; and the same once the run has ended, as an out-of-band swap that replaces it.
  Html Run(int64_t conversation_id, std::string_view run_id, const Html& messages) const;
  Html RunDone(std::string_view run_id, const Html& messages) const;
  // A "show earlier" item, for when older messages than `messages` exist.
  Html EarlierButton(int64_t conversation_id, int64_t before_id) const;
  // A notice among the messages (never stored); `action` (optional) follows its text.
  Html NoticeMessage(std::string_view text, const Html& action = {}) const;
  Html SearchResults(std::string_view query, const std::vector<store::SearchHit>& hits) const;
  Html Settings(const StatusInfo& status, std::string_view theme, std::string_view saved,
                const AgentSettingsInfo& agent = {}) const;
  // The audit log page (audit_views.cpp). Every field of an entry is escaped: targets and reasons
  // hold what a model or a program wrote.
  Html AuditLog(const AuditLogInfo& info) const;
  // Entries as a table, each linking to its conversation (titled from `conversations` when
  // listed there).
  Html AuditTable(const std::vector<store::AuditEntry>& entries,
                  const std::vector<store::AuditConversation>& conversations) const;
  // The models a "Test connection" found, or why it failed.
  Html ModelList(const Result<std::vector<std::string>>& models) const;
  // What "Test connection" found (server_probe.h): the models, each a button that fills the
  // model field; whether the server takes tools and streams with them; its context size. When
  // the server's only model was chosen, the model field is filled out of band.
  Html ConnectionReport(const agent::ProbeReport& report) const;
  // The Settings form's model field holding `model` (GET /settings/model-field swaps it in).
  Html ModelField(std::string_view model, bool out_of_band = false) const;
  // MCP servers in Settings (mcp_views.cpp): the list (with Edit and Remove unless `locked`, set
  // by config.json), one server's item, its edit form, the question before removing it, and the
  // permission fields of the add and edit forms.
  Html McpServerList(const std::vector<McpServerInfo>& servers, bool locked) const;
  Html McpServerItem(const McpServerInfo& server, bool locked) const;
  Html McpServerEditForm(const McpServerInfo& server) const;
  Html McpRemoveConfirm(const McpServerInfo& server) const;
  Html McpPermissionsFields(const McpPermissionsForm& form) const;
  Html Error(std::string_view heading, std::string_view text) const;
  // Out-of-band swaps for when #main changes without a page load: the document title, the list
  // with the new current item, and the Settings link no longer current.
  Html NavigationUpdate(std::string_view title, const Html& items) const;
  // Out-of-band swaps for a renamed conversation that is open: its heading and the title.
  Html TitleUpdate(std::string_view title) const;

  // Cache-busting version of the embedded assets, used in their URLs.
  const std::string& asset_version() const { return asset_version_; }
  // CSP source ('sha256-...') for the notice page's own <style>. That page is shown without a
  // session, when the stylesheet (behind the session check like everything else) cannot load.
  const std::string& notice_style_source() const { return notice_style_source_; }

 private:
  Views() = default;
  const Template& Get(std::string_view name) const;

  std::vector<std::pair<std::string, Template>> templates_;
  std::string asset_version_;
  std::string notice_style_source_;
};

// "2026-11-23T09:30:00Z" and "09:30" (local time) for a Unix time in milliseconds.
std::string IsoTime(int64_t unix_ms);
std::string ShortTime(int64_t unix_ms);

}  // namespace hearth::web
