// SPDX-License-Identifier: Apache-2.0
#include "web/app.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

#include <json/json.h>

#include "auth/app_host.h"
#include "auth/request_guard.h"
#include "http/form.h"
#include "sandbox/deny_list.h"
#include "web/assets.h"
#include "web/route_helpers.h"

namespace hearth::web {
namespace {

constexpr std::string_view kCookieName = "hearth_session";
constexpr std::string_view kNoModelNotice =
    "Your message is saved. No model is configured yet, so nobody can answer it: Hearth's agent "
    "and model settings arrive in a later version.";
constexpr std::string_view kNoServerNotice =
    "No model is configured, so nothing can answer yet; your message is saved. Add a model "
    "server in Settings (the welcome page offers any found on this computer), then send a "
    "message again.";
const Html kOpenSettings{"<p class=\"notice-action\"><a href=\"/settings\">Open Settings</a></p>"};
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
    case Status::Code::kUnavailable:  // e.g. a write to a damaged, read-only database
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

}  // namespace

App::App(store::Store& store, auth::Authenticator& auth, EventHub& hub, const Clock& clock,
         std::unique_ptr<Views> views, AppOptions options)
    : store_(store),
      auth_(auth),
      hub_(hub),
      clock_(clock),
      views_(std::move(views)),
      options_(std::move(options)),
      local_servers_(clock, options_.local_servers) {
  if (!options_.app_host.empty()) {
    app_authority_ = auth::AppAuthority(options_.app_host, options_.port);
    app_origin_ = auth::AppOrigin(options_.app_host, options_.port);
  }
}

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
    bool loopback = auth::IsLoopbackHost(request.headers.host, options_.port);
    if (!loopback && !auth::IsAppHost(request.headers.host, app_authority_)) {
      // A page that rebinds its own DNS name to 127.0.0.1 arrives with its own Host name. The
      // answer does not name Hearth's host: whoever sent this may not know it.
      return http::Response::Text(
          421,
          "Hearth does not answer to the host this request named. Open Hearth from your "
          "applications menu, or with the link `hearthd --login-url` prints.\n");
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
    if (loopback) return OnLoopbackAddress(request);
    if (request.path == "/login") return Login(request);

    // Several cookies of this name arrive when another page managed to set one beside ours
    // (with a longer path, it is even sent first): any of them that is a session will do, so
    // such a cookie neither signs the user out nor breaks a page.
    std::optional<auth::SessionInfo> info;
    for (const std::string& cookie : http::CookieValues(request.headers.cookie, kCookieName)) {
      auto found = auth_.Authenticate(cookie);
      if (!found.ok()) return Fail(request, found.status());
      info = *found;
      if (info) break;
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
    Status s = auth::CheckStateChange(request, app_origin_, session.csrf_token,
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
  if (path == "/welcome/servers") {
    if (auto r = only("GET")) return *r;
    return FoundServers();
  }
  if (path == "/welcome/servers/use") {
    if (auto r = only("POST")) return *r;
    return UseFoundServer(request, form);
  }
  if (path == "/settings/audit") {
    if (auto r = only("GET")) return *r;
    return AuditPage(request);
  }
  if (path == "/settings/agent") {
    if (auto r = only("POST")) return *r;
    return SaveAgentSettings(request, form);
  }
  if (path == "/settings/test") {
    if (auto r = only("POST")) return *r;
    return TestConnection(request, form);
  }
  if (path == "/settings/model-field") {
    if (auto r = only("GET")) return *r;
    std::string_view model = request.Query("model").value_or("");
    if (model.size() > 256) return Fail(request, Status::TooLarge("the model name is too long"));
    return Fragment(views_->ModelField(model));
  }
  if (path == "/settings/servers/add" || path == "/settings/servers/remove" ||
      path == "/settings/servers/default") {
    if (auto r = only("POST")) return *r;
    return ChangeServers(request, form, path.substr(std::string_view("/settings/servers/").size()));
  }
  if (path.starts_with("/settings/mcp/")) {
    return McpRoute(request, path.substr(std::string_view("/settings/mcp/").size()), form);
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

http::Response App::OnLoopbackAddress(const http::Request& request) {
  if (request.path == "/login" && request.method == "GET" && !app_origin_.empty()) {
    // A link to 127.0.0.1 (an old one, or typed by hand): its token is used up here and a
    // fresh one sent on to Hearth's own name, where the session cookie is set. Only a valid
    // token learns that name.
    auto fresh = auth_.ExchangeLoginToken(request.Query("token").value_or(""), 60'000);
    if (fresh.ok()) return http::Response::Redirect(app_origin_ + "/login?token=" + *fresh);
    return http::Response::Html(
        StatusToHttp(fresh.status()),
        views_->NoticePage("This login link does not work", fresh.status().message(), kSignInHint));
  }
  return http::Response::Html(
      421, views_->NoticePage("Hearth is not at this address",
                              "Hearth's pages are served under a name of their own, so that "
                              "other programs on this computer never see its cookie.",
                              kSignInHint));
}

http::Response App::Login(const http::Request& request) {
  if (request.method != "GET")
    return http::Response::Text(405, "Use GET.\n").Header("Allow", "GET");
  auto token = request.Query("token");
  auto session = auth_.RedeemLoginToken(token.value_or(""), request.headers.user_agent);
  if (!session.ok()) {
    int code = StatusToHttp(session.status());
    return http::Response::Html(
        code, views_->NoticePage("This login link does not work", session.status().message(),
                                 kSignInHint, DatabaseBanner()));
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
  if (live.html.empty() && !messages.empty() && messages.back().role == "user" &&
      NeedsModelServer()) {
    // The notice SendMessage showed, shown again after a reload while it still holds (it is not
    // stored: once a server is configured, it is gone).
    live = views_->NoticeMessage(kNoServerNotice, kOpenSettings);
  }
  return views_->Conversation(c, messages, options_.message_page_size, live, servers);
}

int64_t App::CurrentConversation(const http::Request& request) const {
  // HX-Current-URL is "http://h-….localhost:PORT/c/ID" when the page shows a conversation.
  std::string_view url = request.headers.hx_current_url;
  size_t pos = url.find("/c/");
  if (pos == std::string_view::npos) return 0;
  return ParseId(url.substr(pos + 3)).value_or(0);
}

Html App::DatabaseBanner() const {
  return views_->DatabaseBanner(store_.integrity(), store_.path());
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
    main = views_->Empty(NeedsModelServer() ? views_->FirstRunNotice() : Html{});
  }
  return http::Response::Html(200,
                              views_->Page(title, Theme(), *items, main, false, DatabaseBanner()));
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
  if (action == "regenerate" && method == "POST") return Regenerate(request, *c);
  if (action.starts_with("messages/")) return MessageRoute(request, *c, action.substr(9), form);
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
  if (NeedsModelServer()) {
    html.html += views_->NoticeMessage(kNoServerNotice, kOpenSettings).html;
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

http::Response App::Logout(const http::Request& request) {
  for (const std::string& cookie : http::CookieValues(request.headers.cookie, kCookieName)) {
    Status s = auth_.RevokeSession(cookie);
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
                              "This browser has no Hearth session, or it expired.", kSignInHint,
                              DatabaseBanner()));
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
      heading = status.code() == Status::Code::kBusy ? "Busy." : "Not available.";
      break;
    default:
      heading = "Something went wrong.";
  }
  std::string text = status.message();
  if (status.code() == Status::Code::kBusy) text += " Try again in a moment.";
  if (request.IsHtmx()) {
    http::Response r = http::Response::Html(code, views_->Error(heading, text).html);
    r.Header("HX-Retarget", "#errors").Header("HX-Reswap", "innerHTML");
    return r;
  }
  if (request.method == "GET") {
    return http::Response::Html(code, views_->NoticePage(heading, text, Html{}, DatabaseBanner()));
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
