// SPDX-License-Identifier: Apache-2.0
#include "web/app.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <tuple>

#include <json/json.h>

#include "agent/server_probe.h"
#include "auth/app_host.h"
#include "http/form.h"
#include "sandbox/deny_list.h"
#include "sandbox/protected_list.h"
#include "web/route_helpers.h"

// The settings page and what it changes: the model servers, the agent, MCP servers, grants.
namespace hearth::web {
namespace {

// Model servers the settings page lets one add.
constexpr size_t kMaxModelServers = 16;

}  // namespace

http::Response App::SettingsPage(const http::Request& request, std::string_view saved,
                                 std::string_view agent_saved) {
  auto stats = store_.GetStats();
  // A damaged database may not count its rows; the page (and its banner) is shown all the same.
  if (!stats.ok() && store_.Writable().ok()) return Fail(request, stats.status());
  StatusInfo info;
  info.version = HEARTH_VERSION;
  info.address = auth::AppOrigin(options_.app_host, options_.port) + "/";
  info.socket_from_systemd = options_.socket_from_systemd;
  info.started_ms = options_.started_ms;
  info.db_path = store_.path();
  if (stats.ok()) info.stats = *stats;
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
      agent.timeouts = provider->timeouts;
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
    agent.unlocked_paths = config.unlocked_paths;
    agent.protected_defaults = sandbox::ProtectedList::DefaultPatterns();
    agent.sandbox_report = agent_.settings->SandboxReport();
    agent.secrets_report = agent_.settings->SecretsReport();
    agent.mcp_servers = McpServerInfos();
    agent.fetch_url = config.fetch_url.enabled;
    if (auto grants = store_.ListToolGrants(); grants.ok()) agent.grants = std::move(*grants);
    if (auto audit = store_.ListAuditEntries(10); audit.ok()) agent.audit = std::move(*audit);
    agent.saved = std::string(agent_saved);
  }
  Html main = views_->Settings(info, Theme(), saved, agent);
  if (request.IsHtmx()) return Fragment(main).Header("Vary", "HX-Request");
  auto items = ListItems(std::nullopt, 0);
  if (!items.ok()) return Fail(request, items.status());
  return http::Response::Html(
             200, views_->Page("Settings", Theme(), *items, main, true, DatabaseBanner()))
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
  if (previous != nullptr) provider.timeouts = previous->timeouts;
  for (auto [field, label, seconds] :
       {std::tuple{"first_byte_timeout_s", "Wait for the first byte",
                   &provider.timeouts.first_byte_s},
        std::tuple{"idle_timeout_s", "Wait between bytes", &provider.timeouts.idle_s}}) {
    std::string text = Trimmed(http::FormValue(form, field).value_or(""));
    if (text.empty()) continue;
    int value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 1 ||
        value > llm::kMaxTimeoutS) {
      return Status::InvalidArgument(std::string(label) +
                                     " must be a whole number of seconds from 1 to 86400 (24 "
                                     "hours); 600 is 10 minutes");
    }
    *seconds = value;
  }
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
  std::vector<std::string> unlocked_before = saved.unlocked_paths;
  if (!current.from_file.contains("unlocked_paths")) {
    saved.unlocked_paths.clear();
    for (std::string& path : NonEmptyLines(http::FormValue(form, "unlocked_paths").value_or(""))) {
      if (path == "~" || path.starts_with("~/")) {
        const char* home = std::getenv("HOME");
        if (home == nullptr) return Fail(request, Status::InvalidArgument("HOME is not set"));
        path = home + path.substr(1);
      }
      saved.unlocked_paths.push_back(std::move(path));
    }
  }
  std::vector<std::string> unlocked_after = saved.unlocked_paths;
  if (Status s = agent_.settings->Save(std::move(saved)); !s.ok()) return Fail(request, s);
  // Each unlock weakens the sandbox: it goes to the audit log beside the refusals it allows.
  auto audit = [&](const std::string& path, const char* reason) {
    (void)store_.AddAuditEntry(
        {.id = 0, .at_ms = clock_.NowMs(), .tool = "settings", .target = path, .reason = reason});
  };
  for (const std::string& path : unlocked_after) {
    if (std::find(unlocked_before.begin(), unlocked_before.end(), path) == unlocked_before.end()) {
      audit(path, "write protection unlocked in Settings: tools and commands may change it");
    }
  }
  for (const std::string& path : unlocked_before) {
    if (std::find(unlocked_after.begin(), unlocked_after.end(), path) == unlocked_after.end()) {
      audit(path, "write protection restored in Settings");
    }
  }
  return SettingsPage(request, "", "Saved.");
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
  // The probe's one-token answer may wait for the model to load.
  options.timeouts = {.first_byte_s = 60, .idle_s = 60};
  llm::CancelSignal cancel;
  agent::ProbeReport report =
      agent::ProbeServer(provider->endpoint, provider->default_model, options, cancel);
  // What was learnt replaces what was remembered about this server: a server restarted with
  // --jinja is believed at once. A server that could not be asked is remembered as unknown.
  if (!report.model.empty()) {
    (void)agent::SaveCapabilities(store_, provider->endpoint, report.model, report.capabilities);
  }
  return Fragment(views_->ConnectionReport(report));
}

http::Response App::RevokeGrant(const http::Request& request, const http::FormFields& form) {
  Status s = store_.DeleteToolGrant(http::FormValue(form, "key").value_or(""));
  if (!s.ok()) return Fail(request, s);
  return SettingsPage(request, "");
}

}  // namespace hearth::web
