#include "web/app.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <json/json.h>

#include "auth/request_guard.h"
#include "http/form.h"
#include "sandbox/deny_list.h"
#include "web/assets.h"

namespace hearth::web {
namespace {

constexpr std::string_view kCookieName = "hearth_session";
// MCP servers the settings page lets one add: each is a process of its own when in use.
constexpr size_t kMaxMcpServers = 16;
// Model servers the settings page lets one add.
constexpr size_t kMaxModelServers = 16;
constexpr std::string_view kNoModelNotice =
    "Your message is saved. No model is configured yet, so nobody can answer it: Hearth's agent "
    "and model settings arrive in a later version.";
const Html kSignInHint{
    "Open Hearth from your applications menu, or run <code>hearthd --login-url</code> in a "
    "terminal and open the link it prints. Links work once and expire after a minute."};

std::optional<int64_t> ParseId(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

// "UPDATED_MS.ID", as rendered by Views::ConversationItems.
std::optional<store::ConversationCursor> ParseCursor(std::string_view text) {
  size_t dot = text.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  auto updated = ParseId(text.substr(0, dot));
  auto id = ParseId(text.substr(dot + 1));
  if (!updated || !id) return std::nullopt;
  return store::ConversationCursor{*updated, *id};
}

int StatusToHttp(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNotFound:
      return 404;
    case Status::Code::kInvalidArgument:
      return 400;
    case Status::Code::kTooLarge:
      return 413;
    case Status::Code::kPermissionDenied:
      return 403;
    case Status::Code::kBusy:
      return 503;
    default:
      return 500;
  }
}

std::string_view AssetType(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

std::string Trimmed(std::string_view text) {
  size_t b = text.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  size_t e = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(b, e - b + 1));
}

}  // namespace

App::App(store::Store& store, auth::Authenticator& auth, EventHub& hub, const Clock& clock,
         std::unique_ptr<Views> views, AppOptions options)
    : store_(store),
      auth_(auth),
      hub_(hub),
      clock_(clock),
      views_(std::move(views)),
      options_(options) {}

std::vector<std::pair<std::string, std::string>> App::SecurityHeaders() const {
  return {
      {"Content-Security-Policy",
       "default-src 'none'; script-src 'self'; style-src 'self' " + views_->notice_style_source() +
           "; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; "
           "frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"Referrer-Policy", "no-referrer"},
      {"X-Frame-Options", "DENY"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
  };
}

http::Response App::Handle(const http::Request& request) {
  http::Response response = [&] {
    if (!auth::IsAllowedHost(request.headers.host, options_.port)) {
      // A page that rebinds its own DNS name to 127.0.0.1 arrives with its own Host name.
      return http::Response::Text(
          421, "Hearth answers only to http://127.0.0.1:" + std::to_string(options_.port) +
                   "/ (or localhost, [::1]); this request named another host.\n");
    }
    if (request.method == "OPTIONS") {
      // A CORS preflight: answered, but nothing is allowed, so the browser blocks the request.
      return http::Response::Text(204, "");
    }
    if (request.path == "/healthz") {
      if (request.method != "GET" && request.method != "HEAD") {
        return http::Response::Text(405, "Use GET.\n").Header("Allow", "GET, HEAD");
      }
      return http::Response::Text(200, "ok\n");
    }
    if (request.path == "/login") return Login(request);

    auto cookie = http::CookieValue(request.headers.cookie, kCookieName);
    std::optional<auth::SessionInfo> info;
    if (cookie) {
      auto found = auth_.Authenticate(*cookie);
      if (!found.ok()) return Fail(request, found.status());
      info = *found;
    }
    if (!info) return Unauthorized(request);
    return Route(request, *info);
  }();
  bool has_cache_control = false;
  for (const auto& [name, value] : response.headers) has_cache_control |= name == "Cache-Control";
  if (!has_cache_control) response.Header("Cache-Control", "no-store");
  return response;
}

http::Response App::Route(const http::Request& request, const auth::SessionInfo& session) {
  const std::string& path = request.path;
  const std::string& method = request.method;
  // A state-changing request's body is parsed once, here: the CSRF check may need a field of it,
  // and the handlers below read the rest. A malformed body is refused only after the origin
  // checks, so a cross-site request learns nothing from the difference.
  http::FormFields form;
  if (auth::IsStateChanging(method)) {
    Status form_status;
    if (!request.body.empty()) {
      auto parsed = http::ParseForm(request.body);
      if (parsed.ok()) {
        form = std::move(*parsed);
      } else {
        form_status = parsed.status();
      }
    }
    Status s = auth::CheckStateChange(request, options_.port, session.csrf_token,
                                      http::FormValue(form, "csrf").value_or(""));
    if (!s.ok()) return Fail(request, s);
    if (!form_status.ok()) return Fail(request, form_status);
  }
  auto only = [&](std::string_view allowed) -> std::optional<http::Response> {
    if (method == allowed || (allowed == "GET" && method == "HEAD")) return std::nullopt;
    return http::Response::Text(405, "Use " + std::string(allowed) + ".\n")
        .Header("Allow", std::string(allowed));
  };
  if (path.starts_with("/assets/")) {
    if (auto r = only("GET")) return *r;
    return Asset(request);
  }
  if (path == "/") {
    if (auto r = only("GET")) return *r;
    return Home(request, 0);
  }
  if (path == "/conversations") {
    if (method == "POST") return CreateConversation(request);
    if (auto r = only("GET")) return *r;
    return ConversationList(request);
  }
  if (path.starts_with("/c/")) return ConversationRoute(request, path.substr(3), form);
  if (path == "/search") {
    if (auto r = only("GET")) return *r;
    return Search(request);
  }
  if (path == "/settings") {
    if (method == "POST") return SaveSettings(request, form);
    if (auto r = only("GET")) return *r;
    return SettingsPage(request, "");
  }
  if (path == "/settings/agent") {
    if (auto r = only("POST")) return *r;
    return SaveAgentSettings(request, form);
  }
  if (path == "/settings/test") {
    if (auto r = only("POST")) return *r;
    return TestConnection(request, form);
  }
  if (path == "/settings/servers/add" || path == "/settings/servers/remove" ||
      path == "/settings/servers/default") {
    if (auto r = only("POST")) return *r;
    return ChangeServers(request, form, path.substr(std::string_view("/settings/servers/").size()));
  }
  if (path == "/settings/mcp/add") {
    if (auto r = only("POST")) return *r;
    return AddMcpServer(request, form);
  }
  if (path == "/settings/mcp/remove") {
    if (auto r = only("POST")) return *r;
    return RemoveMcpServer(request, form);
  }
  if (path == "/settings/grants/revoke") {
    if (auto r = only("POST")) return *r;
    return RevokeGrant(request, form);
  }
  if (path == "/events") {
    if (auto r = only("GET")) return *r;
    http::Response r;
    r.content_type = "text/event-stream";
    r.stream = hub_.Subscribe();
    r.stream->Send("hello", "connected");
    return r;
  }
  if (path == "/logout") {
    if (auto r = only("POST")) return *r;
    return Logout(request);
  }
  if (path == "/sessions/revoke-all") {
    if (auto r = only("POST")) return *r;
    return RevokeAll();
  }
  return Fail(request, Status::NotFound("there is no page at " + path));
}

http::Response App::Login(const http::Request& request) {
  if (request.method != "GET")
    return http::Response::Text(405, "Use GET.\n").Header("Allow", "GET");
  auto token = request.Query("token");
  auto session = auth_.RedeemLoginToken(token.value_or(""), request.headers.user_agent);
  if (!session.ok()) {
    int code = StatusToHttp(session.status());
    return http::Response::Html(code, views_->NoticePage("This login link does not work",
                                                         session.status().message(), kSignInHint));
  }
  int64_t max_age = (session->expires_ms - clock_.NowMs()) / 1000;
  // 303 so the token leaves the address bar and the history entry.
  return http::Response::Redirect("/").Header(
      "Set-Cookie", std::string(kCookieName) + "=" + session->cookie_value +
                        "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age));
}

http::Response App::Asset(const http::Request& request) {
  std::string name = request.path.substr(std::string_view("/assets/").size());
  std::string embedded;
  if (name == "htmx.min.js" || name == "sse.js") {
    embedded = "vendor/" + name;
  } else {
    embedded = "static/" + name;
  }
  const EmbeddedFile* file = FindEmbeddedFile(embedded);
  if (file == nullptr || name.find('/') != std::string::npos) {
    return http::Response::Text(404, "No such asset.\n");
  }
  std::string etag = "\"" + views_->asset_version() + "\"";
  http::Response r;
  r.content_type = AssetType(name);
  // URLs carry ?v=<version>, so a cached copy never goes stale.
  r.Header("Cache-Control", "private, max-age=31536000, immutable");
  r.Header("ETag", etag);
  if (request.headers.if_none_match == etag) {
    r.status = 304;
    return r;
  }
  r.static_body = file->data;
  return r;
}

Html App::ConversationView(const store::Conversation& c,
                           std::vector<store::Message> messages) const {
  Html live;
  if (agent_.live != nullptr) {
    // A run is under way: its messages are shown in its own container, kept up to date by the
    // live stream, rather than in the plain list.
    LiveRuns::Snapshot snapshot = agent_.live->Render(c.id);
    if (!snapshot.message_ids.empty() || !snapshot.container.html.empty()) {
      std::erase_if(messages, [&](const store::Message& m) {
        return std::find(snapshot.message_ids.begin(), snapshot.message_ids.end(), m.id) !=
               snapshot.message_ids.end();
      });
      live = std::move(snapshot.container);
    }
  }
  std::vector<std::string> servers;
  if (agent_.settings != nullptr) {
    agent::AgentConfig config = agent_.settings->Current();
    if (const agent::ProviderConfig* first = config.FindProvider(config.default_provider)) {
      servers.push_back(first->name);
    }
    for (const agent::ProviderConfig& p : config.providers) {
      if (servers.empty() || p.name != servers.front()) servers.push_back(p.name);
    }
  }
  return views_->Conversation(c, messages, options_.message_page_size, live, servers);
}

int64_t App::CurrentConversation(const http::Request& request) const {
  // HX-Current-URL is "http://127.0.0.1:PORT/c/ID" when the page shows a conversation.
  std::string_view url = request.headers.hx_current_url;
  size_t pos = url.find("/c/");
  if (pos == std::string_view::npos) return 0;
  return ParseId(url.substr(pos + 3)).value_or(0);
}

std::string App::Theme() {
  auto theme = store_.GetSetting("theme");
  if (theme.ok() && theme->has_value()) {
    const std::string& t = **theme;
    if (t == "light" || t == "dark") return t;
  }
  return "system";
}

http::Response App::Home(const http::Request& request, int64_t open_id) {
  auto items = ListItems(std::nullopt, open_id);
  if (!items.ok()) return Fail(request, items.status());
  Html main;
  std::string title = "Hearth";
  if (open_id != 0) {
    auto c = store_.GetConversation(open_id);
    if (!c.ok()) return Fail(request, c.status());
    auto messages = store_.ListMessages(open_id, std::nullopt, options_.message_page_size);
    if (!messages.ok()) return Fail(request, messages.status());
    main = ConversationView(*c, std::move(*messages));
    title = c->title;
  } else {
    main = views_->Empty();
  }
  return http::Response::Html(200, views_->Page(title, Theme(), *items, main, false));
}

http::Response App::ConversationList(const http::Request& request) {
  std::optional<store::ConversationCursor> after;
  if (auto text = request.Query("after")) {
    after = ParseCursor(*text);
    if (!after) return Fail(request, Status::InvalidArgument("malformed page cursor"));
  }
  auto items = ListItems(after, CurrentConversation(request));
  if (!items.ok()) return Fail(request, items.status());
  return Fragment(*items);
}

http::Response App::CreateConversation(const http::Request& request) {
  auto c = store_.CreateConversation("", clock_.NowMs());
  if (!c.ok()) return Fail(request, c.status());
  hub_.Broadcast("conversations", "created");
  http::Response r = ConversationFragment(request, *c, {});
  r.Header("HX-Push-Url", "/c/" + std::to_string(c->id));
  return r;
}

http::Response App::ConversationRoute(const http::Request& request, std::string_view rest,
                                      const http::FormFields& form) {
  size_t slash = rest.find('/');
  std::string_view id_text = rest.substr(0, slash);
  std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  auto id = ParseId(id_text);
  if (!id)
    return Fail(request, Status::NotFound("there is no conversation " + std::string(id_text)));
  const std::string& method = request.method;
  bool get = method == "GET" || method == "HEAD";

  if (action.empty() && get && !request.IsHtmx()) return Home(request, *id);

  auto c = store_.GetConversation(*id);
  if (!c.ok()) return Fail(request, c.status());

  if (action.empty() && get) {
    auto messages = store_.ListMessages(*id, std::nullopt, options_.message_page_size);
    if (!messages.ok()) return Fail(request, messages.status());
    return ConversationFragment(request, *c, *messages).Header("Vary", "HX-Request");
  }
  if (action.empty() && method == "DELETE") {
    Status s = store_.DeleteConversation(*id);
    if (!s.ok()) return Fail(request, s);
    hub_.Broadcast("conversations", "deleted");
    http::Response r = Fragment(Html{});
    if (CurrentConversation(request) == *id) {
      // The open conversation is gone: show the welcome state instead, out of band.
      r.body += "<main id=\"main\" tabindex=\"-1\" hx-swap-oob=\"true\">" + views_->Empty().html +
                "</main>";
      r.Header("HX-Push-Url", "/");
    }
    return r;
  }
  if (action == "item" && get) {
    return Fragment(views_->ConversationItem(*c, CurrentConversation(request) == *id));
  }
  if (action == "rename" && get) return Fragment(views_->RenameForm(*c));
  if (action == "rename" && method == "POST") {
    std::string title = Trimmed(http::FormValue(form, "title").value_or(""));
    if (title.empty()) return Fail(request, Status::InvalidArgument("a title cannot be empty"));
    if (title.size() > 4 * store::kMaxTitleBytes) {
      return Fail(request, Status::TooLarge("a title can be at most " +
                                            std::to_string(store::kMaxTitleBytes) + " bytes"));
    }
    Status s = store_.RenameConversation(*id, title, clock_.NowMs());
    if (!s.ok()) return Fail(request, s);
    auto renamed = store_.GetConversation(*id);
    if (!renamed.ok()) return Fail(request, renamed.status());
    hub_.Broadcast("conversations", "renamed");
    bool open = CurrentConversation(request) == *id;
    Html html = views_->ConversationItem(*renamed, open);
    if (open) html.html += views_->TitleUpdate(renamed->title).html;
    return Fragment(html);
  }
  if (action == "delete" && get) return Fragment(views_->DeleteConfirm(*c));
  if (action == "messages" && method == "POST") {
    return SendMessage(request, *c, http::FormValue(form, "content").value_or(""));
  }
  if (action == "live" && get) return Live(*c);
  if (action == "options" && method == "POST") {
    // The conversation's own model and system prompt; empty fields fall back to the defaults.
    std::string model = Trimmed(http::FormValue(form, "model").value_or(""));
    std::string prompt(http::FormValue(form, "system_prompt").value_or(""));
    std::string provider = Trimmed(http::FormValue(form, "provider").value_or(""));
    if (model.size() > 256) return Fail(request, Status::TooLarge("the model name is too long"));
    if (!provider.empty() && (agent_.settings == nullptr ||
                              agent_.settings->Current().FindProvider(provider) == nullptr)) {
      return Fail(request, Status::InvalidArgument("no model server is called \"" +
                                                   provider.substr(0, 64) + "\""));
    }
    Json::Value options(Json::objectValue);
    if (!provider.empty()) options["provider"] = provider;
    if (!model.empty()) options["model"] = model;
    if (!Trimmed(prompt).empty()) options["system_prompt"] = prompt;
    Json::StreamWriterBuilder writer;
    writer["indentation"] = "";
    Status s =
        store_.SetAgentOptions(*id, options.empty() ? "" : Json::writeString(writer, options));
    if (!s.ok()) return Fail(request, s);
    return http::Response::Text(204, "");
  }
  if (action == "stop" && method == "POST") return StopRun(*c);
  if (action == "approve" && method == "POST") return Approve(request, *c, form);
  if (action == "messages" && get) {
    std::optional<int64_t> before;
    if (auto text = request.Query("before")) {
      before = ParseId(*text);
      if (!before) return Fail(request, Status::InvalidArgument("malformed message cursor"));
    }
    auto messages = store_.ListMessages(*id, before, options_.message_page_size);
    if (!messages.ok()) return Fail(request, messages.status());
    Html html;
    if (!messages->empty() && static_cast<int>(messages->size()) >= options_.message_page_size) {
      html = views_->EarlierButton(*id, messages->front().id);
    }
    html.html += views_->Messages(*messages).html;
    return Fragment(html);
  }
  return http::Response::Text(405, "This method is not allowed here.\n")
      .Header("Allow", "GET, POST, DELETE");
}

http::Response App::SendMessage(const http::Request& request, const store::Conversation& c,
                                std::string_view content) {
  std::string text(content);
  // Browsers send CRLF line breaks in form posts.
  std::string::size_type pos = 0;
  while ((pos = text.find("\r\n", pos)) != std::string::npos) text.erase(pos, 1);
  if (Trimmed(text).empty()) return Fail(request, Status::InvalidArgument("the message is empty"));
  if (agent_.agent != nullptr && agent_.agent->ActiveRun(c.id)) {
    return Fail(request, Status::Busy("Hearth is still answering in this conversation: wait, or "
                                      "press Stop"));
  }
  auto message = store_.AddMessage(c.id, "user", text, clock_.NowMs());
  if (!message.ok()) return Fail(request, message.status());
  hub_.Broadcast("conversations", "message");
  Html html = views_->Messages({*message});
  if (agent_.agent == nullptr || agent_.live == nullptr) {
    html.html += views_->NoticeMessage(kNoModelNotice).html;
    return Fragment(html);
  }
  std::string run_key = "run-" + std::to_string(message->id);
  Status started = agent_.agent->Start(c.id, [&] { agent_.live->Prepare(c.id, run_key); });
  if (!started.ok()) {
    // The message is kept; the notice says why nothing answers it and what to do.
    html.html += views_->NoticeMessage(started.message()).html;
    return Fragment(html);
  }
  html.html += views_->Run(c.id, run_key, Html{}).html;
  return Fragment(html);
}

http::Response App::Live(const store::Conversation& c) {
  if (agent_.live == nullptr) return http::Response::Text(404, "No agent here.\n");
  http::Response r;
  r.content_type = "text/event-stream";
  r.stream = agent_.live->Subscribe(c.id);
  return r;
}

http::Response App::StopRun(const store::Conversation& c) {
  if (agent_.agent != nullptr) agent_.agent->Stop(c.id);
  return http::Response::Text(204, "");
}

http::Response App::Approve(const http::Request& request, const store::Conversation& c,
                            const http::FormFields& form) {
  if (agent_.agent == nullptr) return Fail(request, Status::NotFound("no agent is running"));
  auto message = ParseId(http::FormValue(form, "message").value_or(""));
  std::string_view decision_text = http::FormValue(form, "decision").value_or("");
  agent::Decision decision;
  if (decision_text == "deny") {
    decision = agent::Decision::kDeny;
  } else if (decision_text == "once") {
    decision = agent::Decision::kAllowOnce;
  } else if (decision_text == "always") {
    decision = agent::Decision::kAlwaysAllow;
  } else {
    return Fail(request, Status::InvalidArgument("decision must be deny, once or always"));
  }
  if (!message) return Fail(request, Status::InvalidArgument("malformed message id"));
  Status s = agent_.agent->Decide(c.id, *message, decision);
  if (!s.ok()) return Fail(request, s);
  return http::Response::Text(204, "");
}

http::Response App::Search(const http::Request& request) {
  std::string query = Trimmed(request.Query("q").value_or(""));
  if (query.size() > options_.max_query_bytes) {
    return Fail(request, Status::TooLarge("a search can be at most " +
                                          std::to_string(options_.max_query_bytes) + " bytes"));
  }
  if (query.empty()) return Fragment(Html{});
  auto hits = store_.Search(query, options_.search_limit);
  if (!hits.ok()) return Fail(request, hits.status());
  return Fragment(views_->SearchResults(query, *hits));
}

http::Response App::SettingsPage(const http::Request& request, std::string_view saved,
                                 std::string_view agent_saved) {
  auto stats = store_.GetStats();
  if (!stats.ok()) return Fail(request, stats.status());
  StatusInfo info;
  info.version = HEARTH_VERSION;
  info.address = "http://127.0.0.1:" + std::to_string(options_.port) + "/";
  info.socket_from_systemd = options_.socket_from_systemd;
  info.started_ms = options_.started_ms;
  info.db_path = store_.path();
  info.stats = *stats;
  info.session_idle_ms = auth_.options().session_idle_ms;
  info.session_absolute_ms = auth_.options().session_absolute_ms;
  AgentSettingsInfo agent;
  if (agent_.settings != nullptr) {
    agent::AgentConfig config = agent_.settings->Current();
    agent.configured = true;
    agent.config_path = agent_.settings->config_path();
    agent.from_file = config.from_file;
    const agent::ProviderConfig* provider = config.FindProvider(config.default_provider);
    for (const agent::ProviderConfig& p : config.providers) {
      if (provider != nullptr && p.name == provider->name) continue;
      agent.other_servers.push_back(
          {p.name, p.endpoint.wire == llm::Wire::kOllama ? "ollama" : "openai", p.endpoint.base_url,
           p.default_model, !p.endpoint.api_key.empty()});
    }
    if (provider != nullptr) {
      agent.provider_name = provider->name;
      agent.provider_type = provider->endpoint.wire == llm::Wire::kOllama ? "ollama" : "openai";
      agent.base_url = provider->endpoint.base_url;
      agent.has_key = !provider->endpoint.api_key.empty();
      std::string model =
          config.default_model.empty() ? provider->default_model : config.default_model;
      agent.model = model;
      agent.model_in_use = model.empty() ? "no model chosen on " + provider->endpoint.base_url
                                         : model + " on " + provider->endpoint.base_url;
    } else {
      agent.model_in_use = "none configured yet";
    }
    agent.system_prompt = config.system_prompt;
    agent.workspace_roots = config.workspace_roots;
    agent.deny = config.deny;
    agent.deny_defaults = sandbox::DenyList::DefaultPatterns();
    agent.sandbox_report = agent_.settings->SandboxReport();
    for (const agent::McpServerConfig& server : config.mcp_servers) {
      McpServerInfo info{server.name, server.command, server.args, {}};
      for (const auto& [name, value] : server.env) info.env_names.push_back(name);
      agent.mcp_servers.push_back(std::move(info));
    }
    agent.fetch_url = config.fetch_url.enabled;
    if (auto grants = store_.ListToolGrants(); grants.ok()) agent.grants = std::move(*grants);
    if (auto audit = store_.ListAuditEntries(50); audit.ok()) agent.audit = std::move(*audit);
    agent.saved = std::string(agent_saved);
  }
  Html main = views_->Settings(info, Theme(), saved, agent);
  if (request.IsHtmx()) return Fragment(main).Header("Vary", "HX-Request");
  auto items = ListItems(std::nullopt, 0);
  if (!items.ok()) return Fail(request, items.status());
  return http::Response::Html(200, views_->Page("Settings", Theme(), *items, main, true))
      .Header("Vary", "HX-Request");
}

http::Response App::SaveSettings(const http::Request& request, const http::FormFields& form) {
  std::string theme(http::FormValue(form, "theme").value_or(""));
  if (theme != "system" && theme != "light" && theme != "dark") {
    return Fail(request, Status::InvalidArgument("theme must be system, light or dark"));
  }
  Status s = store_.SetSetting("theme", theme);
  if (!s.ok()) return Fail(request, s);
  // The theme is an attribute of <html>: reload the page so it applies everywhere.
  return SettingsPage(request, "Saved.").Header("HX-Refresh", "true");
}

namespace {

std::vector<std::string> NonEmptyLines(std::string_view text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = std::min(text.find('\n', pos), text.size());
    std::string line = Trimmed(text.substr(pos, end - pos));
    if (!line.empty()) lines.push_back(std::move(line));
    pos = end + 1;
  }
  return lines;
}

// The provider a settings form describes, with `previous`'s key kept when the field is empty.
Result<agent::ProviderConfig> FormProvider(const http::FormFields& form,
                                           const agent::ProviderConfig* previous) {
  agent::ProviderConfig provider;
  provider.name = previous != nullptr ? previous->name : "default";
  std::string_view type = http::FormValue(form, "provider_type").value_or("openai");
  if (type != "openai" && type != "ollama") {
    return Status::InvalidArgument("the kind of server must be openai or ollama");
  }
  provider.endpoint.wire = type == "ollama" ? llm::Wire::kOllama : llm::Wire::kOpenAi;
  provider.endpoint.base_url = Trimmed(http::FormValue(form, "base_url").value_or(""));
  provider.endpoint.api_key = Trimmed(http::FormValue(form, "api_key").value_or(""));
  if (provider.endpoint.api_key.empty() && previous != nullptr) {
    provider.endpoint.api_key = previous->endpoint.api_key;
  }
  provider.default_model = Trimmed(http::FormValue(form, "model").value_or(""));
  if (provider.default_model.size() > 256) return Status::TooLarge("the model name is too long");
  if (Status s = llm::ValidateEndpoint(provider.endpoint); !s.ok()) return s;
  return provider;
}

}  // namespace

http::Response App::SaveAgentSettings(const http::Request& request, const http::FormFields& form) {
  if (agent_.settings == nullptr) return Fail(request, Status::NotFound("no agent here"));
  auto changing = agent_.settings->BeginChange();
  agent::AgentConfig saved = agent_.settings->Saved();
  agent::AgentConfig current = agent_.settings->Current();
  // Fields the file sets are disabled in the form (browsers do not send them): keep the saved
  // values for those keys.
  if (!current.from_file.contains("providers")) {
    // The form edits the default server; the others are kept as they are.
    std::string url = Trimmed(http::FormValue(form, "base_url").value_or(""));
    const agent::ProviderConfig* edited = saved.FindProvider(saved.default_provider);
    auto at = edited == nullptr ? saved.providers.end()
                                : saved.providers.begin() + (edited - saved.providers.data());
    if (url.empty()) {
      if (at != saved.providers.end()) saved.providers.erase(at);
      saved.default_provider = saved.providers.empty() ? "" : saved.providers.front().name;
    } else {
      auto provider = FormProvider(form, edited);
      if (!provider.ok()) return Fail(request, provider.status());
      saved.default_provider = provider->name;
      if (at != saved.providers.end()) {
        *at = std::move(*provider);
      } else {
        saved.providers.insert(saved.providers.begin(), std::move(*provider));
      }
    }
  }
  if (!current.from_file.contains("system_prompt") && http::FormValue(form, "system_prompt")) {
    saved.system_prompt = std::string(*http::FormValue(form, "system_prompt"));
  }
  if (!current.from_file.contains("workspace_roots") && !current.from_file.contains("deny")) {
    saved.workspace_roots.clear();
    for (std::string& root : NonEmptyLines(http::FormValue(form, "workspace_roots").value_or(""))) {
      if (root == "~" || root.starts_with("~/")) {
        const char* home = std::getenv("HOME");
        if (home == nullptr) return Fail(request, Status::InvalidArgument("HOME is not set"));
        root = home + root.substr(1);
      }
      saved.workspace_roots.push_back(std::move(root));
    }
    saved.deny = NonEmptyLines(http::FormValue(form, "deny").value_or(""));
  }
  if (!current.from_file.contains("fetch_url")) {
    saved.fetch_url.enabled = http::FormValue(form, "fetch_url").has_value();
  }
  if (Status s = agent_.settings->Save(std::move(saved)); !s.ok()) return Fail(request, s);
  return SettingsPage(request, "", "Saved.");
}

namespace {

// A name for a model server or an MCP server: what conversations and tool names refer to it by.
bool IsPlainName(std::string_view name) {
  return !name.empty() && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

// The MCP server the settings page's "Add a server" form describes.
Result<agent::McpServerConfig> FormMcpServer(const http::FormFields& form) {
  agent::McpServerConfig server;
  server.name = Trimmed(http::FormValue(form, "name").value_or(""));
  if (!IsPlainName(server.name)) {
    return Status::InvalidArgument(
        "an MCP server's name is 1 to 32 letters, digits, - and _ (its tools are called "
        "<name>__<tool>)");
  }
  server.command = Trimmed(http::FormValue(form, "command").value_or(""));
  if (server.command.empty()) return Status::InvalidArgument("the MCP server needs a command");
  server.args = NonEmptyLines(http::FormValue(form, "args").value_or(""));
  std::vector<std::string> lines = NonEmptyLines(http::FormValue(form, "env").value_or(""));
  for (size_t i = 0; i < lines.size(); ++i) {
    // The line is not quoted back: it may hold a token.
    std::string where = "environment line " + std::to_string(i + 1);
    size_t equals = lines[i].find('=');
    std::string name = Trimmed(lines[i].substr(0, equals));
    bool valid = equals != std::string::npos && !name.empty() &&
                 !std::isdigit(static_cast<unsigned char>(name[0])) &&
                 std::all_of(name.begin(), name.end(), [](char c) {
                   return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                 });
    if (!valid) {
      return Status::InvalidArgument(where +
                                     " is not NAME=value (a name of letters, digits and _)");
    }
    if (!server.env.emplace(name, lines[i].substr(equals + 1)).second) {
      return Status::InvalidArgument(where + " sets " + name + " again");
    }
  }
  return server;
}

}  // namespace

http::Response App::AddMcpServer(const http::Request& request, const http::FormFields& form) {
  if (agent_.settings == nullptr) return Fail(request, Status::NotFound("no agent here"));
  if (agent_.settings->Current().from_file.contains("mcp_servers")) {
    return Fail(request,
                Status::InvalidArgument("MCP servers are set in " + agent_.settings->config_path() +
                                        "; change them there"));
  }
  Result<agent::McpServerConfig> server = FormMcpServer(form);
  if (!server.ok()) return Fail(request, server.status());
  auto changing = agent_.settings->BeginChange();
  agent::AgentConfig saved = agent_.settings->Saved();
  for (const agent::McpServerConfig& existing : saved.mcp_servers) {
    if (existing.name == server->name) {
      return Fail(request, Status::InvalidArgument("there is already an MCP server called \"" +
                                                   server->name + "\""));
    }
  }
  if (saved.mcp_servers.size() >= kMaxMcpServers) {
    return Fail(request, Status::TooLarge("at most " + std::to_string(kMaxMcpServers) +
                                          " MCP servers can be configured"));
  }
  saved.mcp_servers.push_back(std::move(*server));
  if (Status s = agent_.settings->Save(std::move(saved)); !s.ok()) return Fail(request, s);
  return SettingsPage(request, "");
}

http::Response App::ChangeServers(const http::Request& request, const http::FormFields& form,
                                  std::string_view action) {
  if (agent_.settings == nullptr) return Fail(request, Status::NotFound("no agent here"));
  if (agent_.settings->Current().from_file.contains("providers")) {
    return Fail(request,
                Status::InvalidArgument("the model servers are set in " +
                                        agent_.settings->config_path() + "; change them there"));
  }
  auto changing = agent_.settings->BeginChange();
  agent::AgentConfig saved = agent_.settings->Saved();
  std::string name = Trimmed(http::FormValue(form, "name").value_or(""));
  const agent::ProviderConfig* existing = name.empty() ? nullptr : saved.FindProvider(name);
  if (action == "add") {
    if (!IsPlainName(name)) {
      return Fail(request,
                  Status::InvalidArgument("a server's name is 1 to 32 letters, digits, - and _"));
    }
    if (existing != nullptr) {
      return Fail(request,
                  Status::InvalidArgument("there is already a server called \"" + name + "\""));
    }
    if (saved.providers.size() >= kMaxModelServers) {
      return Fail(request, Status::TooLarge("at most " + std::to_string(kMaxModelServers) +
                                            " model servers can be configured"));
    }
    Result<agent::ProviderConfig> provider = FormProvider(form, nullptr);
    if (!provider.ok()) return Fail(request, provider.status());
    provider->name = name;
    if (saved.providers.empty()) saved.default_provider = name;
    saved.providers.push_back(std::move(*provider));
  } else {
    if (existing == nullptr) {
      return Fail(request, Status::NotFound("no model server called \"" + name.substr(0, 64) +
                                            "\" is saved here"));
    }
    if (action == "default") {
      saved.default_provider = name;
    } else {
      std::erase_if(saved.providers,
                    [&](const agent::ProviderConfig& p) { return p.name == name; });
      if (saved.default_provider == name) {
        saved.default_provider = saved.providers.empty() ? "" : saved.providers.front().name;
      }
    }
  }
  if (Status s = agent_.settings->Save(std::move(saved)); !s.ok()) return Fail(request, s);
  return SettingsPage(request, "");
}

http::Response App::RemoveMcpServer(const http::Request& request, const http::FormFields& form) {
  if (agent_.settings == nullptr) return Fail(request, Status::NotFound("no agent here"));
  if (agent_.settings->Current().from_file.contains("mcp_servers")) {
    return Fail(request,
                Status::InvalidArgument("MCP servers are set in " + agent_.settings->config_path() +
                                        "; change them there"));
  }
  std::string name(http::FormValue(form, "name").value_or(""));
  auto changing = agent_.settings->BeginChange();
  agent::AgentConfig saved = agent_.settings->Saved();
  auto found = std::find_if(saved.mcp_servers.begin(), saved.mcp_servers.end(),
                            [&](const agent::McpServerConfig& s) { return s.name == name; });
  if (found == saved.mcp_servers.end()) {
    return Fail(request, Status::NotFound("no MCP server called \"" + name + "\" is saved here"));
  }
  saved.mcp_servers.erase(found);
  if (Status s = agent_.settings->Save(std::move(saved)); !s.ok()) return Fail(request, s);
  return SettingsPage(request, "");
}

http::Response App::TestConnection(const http::Request& request, const http::FormFields& form) {
  if (agent_.settings == nullptr) return Fail(request, Status::NotFound("no agent here"));
  agent::AgentConfig current = agent_.settings->Current();
  Result<agent::ProviderConfig> provider = Status::NotFound("no server is configured");
  if (current.from_file.contains("providers")) {
    if (const auto* p = current.FindProvider(current.default_provider)) provider = *p;
  } else {
    agent::AgentConfig saved = agent_.settings->Saved();
    provider = FormProvider(form, saved.FindProvider(saved.default_provider));
  }
  if (!provider.ok()) return Fragment(views_->ModelList(provider.status()));
  llm::ClientOptions options;
  options.connect_timeout_ms = 3000;
  options.idle_timeout_s = 10;
  llm::CancelSignal cancel;
  return Fragment(views_->ModelList(llm::ListModels(provider->endpoint, options, cancel)));
}

http::Response App::RevokeGrant(const http::Request& request, const http::FormFields& form) {
  Status s = store_.DeleteToolGrant(http::FormValue(form, "key").value_or(""));
  if (!s.ok()) return Fail(request, s);
  return SettingsPage(request, "");
}

http::Response App::Logout(const http::Request& request) {
  auto cookie = http::CookieValue(request.headers.cookie, kCookieName);
  if (cookie) {
    Status s = auth_.RevokeSession(*cookie);
    if (!s.ok()) return Fail(request, s);
  }
  http::Response r = http::Response::Text(200, "Signed out.\n");
  r.Header("Set-Cookie",
           std::string(kCookieName) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  r.Header("HX-Redirect", "/");
  return r;
}

http::Response App::RevokeAll() {
  auto revoked = auth_.RevokeAllSessions();
  if (!revoked.ok()) return http::Response::Text(500, revoked.status().message() + "\n");
  hub_.Broadcast("signed-out", "all");
  http::Response r = http::Response::Text(200, "Every session is signed out.\n");
  r.Header("Set-Cookie",
           std::string(kCookieName) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  r.Header("HX-Redirect", "/");
  return r;
}

http::Response App::Unauthorized(const http::Request& request) {
  if (request.IsHtmx() || request.path == "/events" || request.path.starts_with("/assets/")) {
    // The page is stale (signed out elsewhere, or the session expired): reload it, which shows
    // the sign-in page below.
    return http::Response::Text(401, "Sign in to Hearth first.\n").Header("HX-Refresh", "true");
  }
  return http::Response::Html(
      401, views_->NoticePage("Hearth needs you to sign in",
                              "This browser has no Hearth session, or it expired.", kSignInHint));
}

http::Response App::Fail(const http::Request& request, const Status& status) {
  int code = StatusToHttp(status);
  std::string heading;
  switch (code) {
    case 400:
      heading = "That request was malformed.";
      break;
    case 403:
      heading = "Refused.";
      break;
    case 404:
      heading = "Not found.";
      break;
    case 413:
      heading = "Too large.";
      break;
    case 503:
      heading = "Busy.";
      break;
    default:
      heading = "Something went wrong.";
  }
  std::string text = status.message();
  if (code == 503) text += " Try again in a moment.";
  if (request.IsHtmx()) {
    http::Response r = http::Response::Html(code, views_->Error(heading, text).html);
    r.Header("HX-Retarget", "#errors").Header("HX-Reswap", "innerHTML");
    return r;
  }
  if (request.method == "GET") {
    return http::Response::Html(code, views_->NoticePage(heading, text, Html{}));
  }
  return http::Response::Text(code, heading + " " + text + "\n");
}

http::Response App::ConversationFragment(const http::Request& request, const store::Conversation& c,
                                         const std::vector<store::Message>& messages) {
  auto items = ListItems(std::nullopt, c.id);
  if (!items.ok()) return Fail(request, items.status());
  Html html = ConversationView(c, messages);
  html.html += views_->NavigationUpdate(c.title, *items).html;
  return Fragment(html);
}

Result<Html> App::ListItems(std::optional<store::ConversationCursor> after, int64_t current_id) {
  auto list = store_.ListConversations(after, options_.list_page_size);
  if (!list.ok()) return list.status();
  return views_->ConversationItems(*list, current_id, options_.list_page_size);
}

http::Response App::Fragment(const Html& html) { return http::Response::Html(200, html.html); }

}  // namespace hearth::web
