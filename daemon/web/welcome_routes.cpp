// SPDX-License-Identifier: Apache-2.0
// The first run: the model servers found on this computer, and saving one in one click.
#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

#include "http/form.h"
#include "web/app.h"
#include "web/route_helpers.h"

namespace hearth::web {
namespace {

// As settings_routes.cpp's limit on the servers Settings lets one add.
constexpr size_t kMaxModelServers = 16;

}  // namespace

bool App::NeedsModelServer() const {
  if (agent_.settings == nullptr) return false;
  agent::AgentConfig config = agent_.settings->Current();
  return config.FindProvider(config.default_provider) == nullptr;
}

http::Response App::FoundServers() {
  // Loaded by the welcome view after it is shown (hx-trigger="load"), so the probe, bounded
  // by LocalServerFinder's cap, never holds up a page.
  return Fragment(views_->FoundServers(local_servers_.Find()));
}

http::Response App::UseFoundServer(const http::Request& request, const http::FormFields& form) {
  if (agent_.settings == nullptr) return Fail(request, Status::NotFound("no agent here"));
  std::string_view port_text = http::FormValue(form, "port").value_or("");
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  std::optional<agent::UsualServer> server;
  if (error == std::errc() && end == port_text.data() + port_text.size() && port <= 65535) {
    server = local_servers_.Server(static_cast<uint16_t>(port));
  }
  if (!server) {
    return Fail(request, Status::InvalidArgument(
                             "Hearth offers only the model servers on the usual ports; add any "
                             "other in Settings"));
  }
  std::string model = Trimmed(http::FormValue(form, "model").value_or(""));
  // Only a server that answers now is saved, with a model it lists: the list is the one the
  // page was made from while the cache holds it, else the server is asked again.
  const agent::FoundServer* found = nullptr;
  std::vector<agent::FoundServer> servers = local_servers_.Find();
  for (const agent::FoundServer& f : servers) {
    if (f.server.usual_port == server->usual_port) found = &f;
  }
  if (found == nullptr) {
    return Fail(request,
                Status::Unavailable(server->label + " no longer answers on port " +
                                    std::to_string(server->port) +
                                    ": start it and reload the page, or add a server in Settings"));
  }
  if (!model.empty() &&
      std::find(found->models.begin(), found->models.end(), model) == found->models.end()) {
    return Fail(request, Status::InvalidArgument(server->label + " does not list the model \"" +
                                                 model.substr(0, 64) +
                                                 "\" now: reload the page and choose again"));
  }
  if (agent_.settings->Current().from_file.contains("providers")) {
    return Fail(request,
                Status::InvalidArgument("the model servers are set in " +
                                        agent_.settings->config_path() + "; change them there"));
  }
  auto changing = agent_.settings->BeginChange();
  agent::AgentConfig saved = agent_.settings->Saved();
  const llm::Endpoint endpoint = server->Endpoint();
  agent::ProviderConfig* same = nullptr;
  for (agent::ProviderConfig& p : saved.providers) {
    if (p.endpoint.base_url == endpoint.base_url && p.endpoint.wire == endpoint.wire) same = &p;
  }
  if (same != nullptr) {
    // Already saved (not as the default): made the default, with the model chosen.
    if (!model.empty()) same->default_model = model;
    saved.default_provider = same->name;
  } else {
    if (saved.providers.size() >= kMaxModelServers) {
      return Fail(request, Status::TooLarge("at most " + std::to_string(kMaxModelServers) +
                                            " model servers can be configured: remove one in "
                                            "Settings first"));
    }
    agent::ProviderConfig provider;
    provider.name = server->name;
    for (int n = 2; saved.FindProvider(provider.name) != nullptr; ++n) {
      provider.name = server->name + "-" + std::to_string(n);
    }
    provider.endpoint = endpoint;
    provider.default_model = model;
    saved.default_provider = provider.name;
    saved.providers.push_back(std::move(provider));
  }
  if (Status s = agent_.settings->Save(std::move(saved)); !s.ok()) return Fail(request, s);
  return Fragment(views_->ServerChosen(*server, model));
}

}  // namespace hearth::web
