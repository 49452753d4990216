// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "agent/agent.h"
#include "agent/local_servers.h"
#include "agent/settings.h"
#include "auth/authenticator.h"
#include "base/clock.h"
#include "http/form.h"
#include "http/server.h"
#include "store/store.h"
#include "web/event_hub.h"
#include "web/live_runs.h"
#include "web/views.h"

namespace hearth::web {

struct AppOptions {
  uint16_t port = 0;  // the bound port: Host and Origin must name it
  // Hearth's own host name, "h-….localhost" (auth/app_host.h): the pages, the session cookie and
  // the Origin check live under it. Empty: no page is served, only /healthz.
  std::string app_host;
  bool socket_from_systemd = false;
  int64_t started_ms = 0;
  int list_page_size = 50;
  int message_page_size = 100;
  int search_limit = 20;
  size_t max_query_bytes = 200;
  // The model servers a first run looks for (agent::UsualServers); none when left empty.
  std::vector<agent::UsualServer> local_servers;
};

// The web application: security checks, routing and handlers. Every request passes, in order:
// the Host check (DNS rebinding), CORS preflight (answered without granting anything), the public
// endpoints (/healthz, /login), the session check, and for state-changing methods the Origin and
// CSRF checks. Only Hearth's own host name (AppOptions::app_host) gets pages and cookies; on a
// loopback address (127.0.0.1:PORT, whose cookies every local server receives) only /healthz
// answers, and /login trades its token for a fresh one on Hearth's name and redirects there.
// Thread-safe: called concurrently by the HTTP server's threads.
class App final : public http::Handler {
 public:
  App(store::Store& store, auth::Authenticator& auth, EventHub& hub, const Clock& clock,
      std::unique_ptr<Views> views, AppOptions options);

  // The agent, its settings and the live view of its runs. Without them (tests of the pages
  // alone) a message is stored and a notice says no model answers.
  struct AgentParts {
    agent::Agent* agent = nullptr;
    agent::Settings* settings = nullptr;
    LiveRuns* live = nullptr;
  };
  void SetAgent(AgentParts parts) { agent_ = parts; }
  const Views& views() const { return *views_; }

  http::Response Handle(const http::Request& request) override;

  // Headers every response carries, for http::Server::Options::common_headers.
  std::vector<std::pair<std::string, std::string>> SecurityHeaders() const;

 private:
  http::Response Route(const http::Request& request, const auth::SessionInfo& session);
  http::Response Login(const http::Request& request);
  // A request to 127.0.0.1:PORT (or localhost, [::1]) other than /healthz and preflights.
  http::Response OnLoopbackAddress(const http::Request& request);
  http::Response Asset(const http::Request& request);
  http::Response Home(const http::Request& request, int64_t open_id);
  http::Response ConversationList(const http::Request& request);
  http::Response CreateConversation(const http::Request& request);
  http::Response ConversationRoute(const http::Request& request, std::string_view rest,
                                   const http::FormFields& form);
  http::Response SendMessage(const http::Request& request, const store::Conversation& c,
                             std::string_view content);
  // Versions (version_routes.cpp). POST /c/<id>/regenerate answers the thread's last message of
  // the user's again; /c/<id>/messages/<mid>/<action>: GET edit (the form), POST edit (a new
  // version of the message, answered), POST show (shows that version). Each answers with the
  // conversation view.
  http::Response Regenerate(const http::Request& request, const store::Conversation& c);
  http::Response MessageRoute(const http::Request& request, const store::Conversation& c,
                              std::string_view rest, const http::FormFields& form);
  // Starts a run in a thread whose head the caller just moved from `old_head`; moves it back if
  // no run starts, and says why in the returned error.
  Status StartVersionRun(const store::Conversation& c, int64_t old_head, std::string run_key);
  http::Response Live(const store::Conversation& c);
  http::Response StopRun(const store::Conversation& c);
  http::Response Approve(const http::Request& request, const store::Conversation& c,
                         const http::FormFields& form);
  http::Response SaveAgentSettings(const http::Request& request, const http::FormFields& form);
  http::Response TestConnection(const http::Request& request, const http::FormFields& form);
  http::Response RevokeGrant(const http::Request& request, const http::FormFields& form);
  // POST /settings/servers/{add,remove,default}: the model servers besides the default one.
  http::Response ChangeServers(const http::Request& request, const http::FormFields& form,
                               std::string_view action);
  // /settings/mcp/<action> (mcp_routes.cpp): add (starting the server at once), edit (which
  // restarts it), remove (GET asks first, POST stops it), item (one server's entry), folders
  // (the permission fields with the folders its arguments name offered).
  http::Response McpRoute(const http::Request& request, std::string_view action,
                          const http::FormFields& form);
  http::Response AddMcpServer(const http::Request& request, const http::FormFields& form);
  http::Response EditMcpServer(const http::Request& request, const http::FormFields& form);
  http::Response RemoveMcpServer(const http::Request& request, const http::FormFields& form);
  // The configured MCP servers as Settings shows them: permissions, state and tools.
  std::vector<McpServerInfo> McpServerInfos() const;
  // welcome_routes.cpp: a first run without a model server. GET /welcome/servers lists the
  // servers found on the usual ports; POST /welcome/servers/use saves one as the default.
  bool NeedsModelServer() const;
  http::Response FoundServers();
  http::Response UseFoundServer(const http::Request& request, const http::FormFields& form);
  http::Response Search(const http::Request& request);
  http::Response SettingsPage(const http::Request& request, std::string_view saved,
                              std::string_view agent_saved = {});
  http::Response SaveSettings(const http::Request& request, const http::FormFields& form);
  // GET /settings/audit?tool=&conversation=&before= (audit_routes.cpp).
  http::Response AuditPage(const http::Request& request);
  http::Response Logout(const http::Request& request);
  http::Response RevokeAll();

  http::Response Unauthorized(const http::Request& request);
  http::Response Fail(const http::Request& request, const Status& status);
  http::Response Fragment(const Html& html);
  // One page of the conversation list, `current_id` marked as open.
  Result<Html> ListItems(std::optional<store::ConversationCursor> after, int64_t current_id);
  // The conversation view for #main plus the out-of-band updates that keep the rest of the page
  // in step with it.
  http::Response ConversationFragment(const http::Request& request, const store::Conversation& c,
                                      const std::vector<store::Message>& messages);
  int64_t CurrentConversation(const http::Request& request) const;
  // The conversation's view: its messages and, while a run is under way, the run's container.
  Html ConversationView(const store::Conversation& c, std::vector<store::Message> messages) const;
  std::string Theme();
  // The damaged-database banner for full pages; empty while the database is whole.
  Html DatabaseBanner() const;

  store::Store& store_;
  auth::Authenticator& auth_;
  EventHub& hub_;
  const Clock& clock_;
  std::unique_ptr<Views> views_;
  AppOptions options_;
  std::string app_authority_;  // "h-….localhost:PORT", what Host must say
  std::string app_origin_;     // "http://h-….localhost:PORT", what Origin must say
  AgentParts agent_;
  agent::LocalServerFinder local_servers_;
};

}  // namespace hearth::web
