// SPDX-License-Identifier: Apache-2.0
// /settings/mcp/...: adding, editing and removing MCP servers in Settings.
#include <algorithm>
#include <cstdlib>

#include "http/form.h"
#include "mcp/permissions.h"
#include "web/app.h"
#include "web/route_helpers.h"

namespace hearth::web {
namespace {

// MCP servers the settings page lets one add: each is a process of its own when in use.
constexpr size_t kMaxMcpServers = 16;

std::string HomeDir() {
  const char* home = std::getenv("HOME");
  return home != nullptr ? home : "";
}

// The folders of a textarea: "~/" expanded, trailing slashes dropped, each checked.
Result<std::vector<std::string>> FormFolders(const http::FormFields& form, std::string_view field,
                                             std::string_view what) {
  std::vector<std::string> folders;
  for (std::string& path : NonEmptyLines(http::FormValue(form, field).value_or(""))) {
    if (path == "~" || path.starts_with("~/")) {
      std::string home = HomeDir();
      if (home.empty()) return Status::InvalidArgument("HOME is not set: give whole paths");
      path = home + path.substr(1);
    }
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    if (Status s = mcp::CheckLentFolder(path); !s.ok()) {
      return s.WithContext(std::string("the folders it may ") + std::string(what));
    }
    if (std::find(folders.begin(), folders.end(), path) == folders.end()) folders.push_back(path);
  }
  return folders;
}

// The MCP server an add or edit form describes. Editing (`previous` set) keeps the name, and
// keeps the environment when the field is left empty (its values are never shown again).
Result<agent::McpServerConfig> FormMcpServer(const http::FormFields& form,
                                             const agent::McpServerConfig* previous) {
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
  if (lines.empty() && previous != nullptr) server.env = previous->env;
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
  server.network = http::FormValue(form, "network").has_value();
  auto read = FormFolders(form, "read_paths", "read");
  if (!read.ok()) return read.status();
  auto write = FormFolders(form, "write_paths", "read and write");
  if (!write.ok()) return write.status();
  server.write_paths = std::move(*write);
  // A folder in both boxes is lent read-write: listing it twice would only confuse.
  for (std::string& path : *read) {
    if (std::find(server.write_paths.begin(), server.write_paths.end(), path) ==
        server.write_paths.end()) {
      server.read_paths.push_back(std::move(path));
    }
  }
  return server;
}

Status FromFile(const agent::Settings& settings) {
  if (!settings.Current().from_file.contains("mcp_servers")) return Status::Ok();
  return Status::InvalidArgument("MCP servers are set in " + settings.config_path() +
                                 "; change them there");
}

}  // namespace

std::vector<McpServerInfo> App::McpServerInfos() const {
  std::vector<McpServerInfo> infos;
  if (agent_.settings == nullptr) return infos;
  agent::AgentConfig config = agent_.settings->Current();
  std::vector<agent::McpServerState> states = agent_.settings->McpServers();
  for (const agent::McpServerConfig& server : config.mcp_servers) {
    McpServerInfo info{.name = server.name,
                       .command = server.command,
                       .args = server.args,
                       .network = server.network,
                       .read_paths = server.read_paths,
                       .write_paths = server.write_paths};
    for (const auto& [name, value] : server.env) info.env_names.push_back(name);
    for (agent::McpServerState& state : states) {
      if (state.name != server.name) continue;
      info.permissions = std::move(state.permissions);
      info.status = std::move(state.status);
      info.tools = std::move(state.tools);
    }
    infos.push_back(std::move(info));
  }
  return infos;
}

http::Response App::McpRoute(const http::Request& request, std::string_view action,
                             const http::FormFields& form) {
  if (agent_.settings == nullptr) return Fail(request, Status::NotFound("no agent here"));
  const bool get = request.method == "GET" || request.method == "HEAD";
  if (!get && request.method != "POST") {
    return http::Response::Text(405, "Use GET or POST.\n").Header("Allow", "GET, POST");
  }
  if (action == "add" && !get) return AddMcpServer(request, form);
  if (action == "edit" && !get) return EditMcpServer(request, form);
  if (action == "remove" && !get) return RemoveMcpServer(request, form);
  if (action == "folders" && !get) {
    std::string prefix(http::FormValue(form, "form_prefix").value_or("mcp"));
    if (prefix != "mcp" && prefix != "mcp-edit") prefix = "mcp";
    McpPermissionsForm fields{.prefix = prefix,
                              .network = http::FormValue(form, "network").has_value()};
    fields.read_paths = NonEmptyLines(http::FormValue(form, "read_paths").value_or(""));
    fields.write_paths = NonEmptyLines(http::FormValue(form, "write_paths").value_or(""));
    std::vector<std::string> args = NonEmptyLines(http::FormValue(form, "args").value_or(""));
    for (const std::string& folder : mcp::FoldersNamedIn(args, HomeDir())) {
      auto listed = [&](const std::vector<std::string>& list) {
        return std::find(list.begin(), list.end(), folder) != list.end();
      };
      if (listed(fields.read_paths) || listed(fields.write_paths)) continue;
      fields.read_paths.push_back(folder);
      fields.offered.push_back(folder);
    }
    return Fragment(views_->McpPermissionsFields(fields));
  }
  if (get && (action == "edit" || action == "remove" || action == "item")) {
    std::string name(request.Query("name").value_or(""));
    std::vector<McpServerInfo> servers = McpServerInfos();
    auto found = std::find_if(servers.begin(), servers.end(),
                              [&](const McpServerInfo& s) { return s.name == name; });
    if (found == servers.end()) {
      return Fail(request, Status::NotFound("no MCP server called \"" + name.substr(0, 64) +
                                            "\" is saved here; reload Settings"));
    }
    const bool locked = !FromFile(*agent_.settings).ok();
    if (action == "item" || locked) return Fragment(views_->McpServerItem(*found, locked));
    if (action == "edit") return Fragment(views_->McpServerEditForm(*found));
    return Fragment(views_->McpRemoveConfirm(*found));
  }
  return Fail(request, Status::NotFound("no such MCP settings page"));
}

http::Response App::AddMcpServer(const http::Request& request, const http::FormFields& form) {
  if (Status s = FromFile(*agent_.settings); !s.ok()) return Fail(request, s);
  Result<agent::McpServerConfig> server = FormMcpServer(form, nullptr);
  if (!server.ok()) return Fail(request, server.status());
  const std::string name = server->name;
  {
    auto changing = agent_.settings->BeginChange();
    agent::AgentConfig saved = agent_.settings->Saved();
    for (const agent::McpServerConfig& existing : saved.mcp_servers) {
      if (existing.name == name) {
        return Fail(request, Status::InvalidArgument("there is already an MCP server called \"" +
                                                     name + "\""));
      }
    }
    if (saved.mcp_servers.size() >= kMaxMcpServers) {
      return Fail(request, Status::TooLarge("at most " + std::to_string(kMaxMcpServers) +
                                            " MCP servers can be configured"));
    }
    saved.mcp_servers.push_back(std::move(*server));
    if (Status s = agent_.settings->Save(std::move(saved)); !s.ok()) return Fail(request, s);
  }
  // Started now, so that the page shows its tools or why it failed (the status line, with the
  // end of its stderr), rather than the first conversation that needs it.
  (void)agent_.settings->StartMcpServer(name);
  return SettingsPage(request, "");
}

http::Response App::EditMcpServer(const http::Request& request, const http::FormFields& form) {
  if (Status s = FromFile(*agent_.settings); !s.ok()) return Fail(request, s);
  std::string name = Trimmed(http::FormValue(form, "name").value_or(""));
  {
    auto changing = agent_.settings->BeginChange();
    agent::AgentConfig saved = agent_.settings->Saved();
    auto found = std::find_if(saved.mcp_servers.begin(), saved.mcp_servers.end(),
                              [&](const agent::McpServerConfig& s) { return s.name == name; });
    if (found == saved.mcp_servers.end()) {
      return Fail(request, Status::NotFound("no MCP server called \"" + name.substr(0, 64) +
                                            "\" is saved here; reload Settings"));
    }
    Result<agent::McpServerConfig> server = FormMcpServer(form, &*found);
    if (!server.ok()) return Fail(request, server.status());
    *found = std::move(*server);
    // Saving retires the running server when what it runs changed (Settings::Rebuild).
    if (Status s = agent_.settings->Save(std::move(saved)); !s.ok()) return Fail(request, s);
  }
  (void)agent_.settings->StartMcpServer(name);
  return SettingsPage(request, "");
}

http::Response App::RemoveMcpServer(const http::Request& request, const http::FormFields& form) {
  if (Status s = FromFile(*agent_.settings); !s.ok()) return Fail(request, s);
  std::string name(http::FormValue(form, "name").value_or(""));
  auto changing = agent_.settings->BeginChange();
  agent::AgentConfig saved = agent_.settings->Saved();
  auto found = std::find_if(saved.mcp_servers.begin(), saved.mcp_servers.end(),
                            [&](const agent::McpServerConfig& s) { return s.name == name; });
  if (found == saved.mcp_servers.end()) {
    return Fail(request, Status::NotFound("no MCP server called \"" + name.substr(0, 64) +
                                          "\" is saved here; reload Settings"));
  }
  saved.mcp_servers.erase(found);
  // Saving stops its process before it returns (Settings::Rebuild retires the client).
  if (Status s = agent_.settings->Save(std::move(saved)); !s.ok()) return Fail(request, s);
  return SettingsPage(request, "");
}

}  // namespace hearth::web
