// SPDX-License-Identifier: Apache-2.0
// The MCP servers' part of the settings page: the list, the edit form, the question before
// removing one, and the permission fields.
#include <string>

#include "web/views.h"

namespace hearth::web {
namespace {

std::string Lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  return text;
}

std::string CommandLine(const McpServerInfo& server) {
  std::string command = server.command;
  for (const std::string& arg : server.args) command += " " + arg;
  return command;
}

}  // namespace

Html Views::McpServerItem(const McpServerInfo& server, bool locked) const {
  Html env;
  if (!server.env_names.empty()) {
    std::string names;
    for (const std::string& n : server.env_names) names += (names.empty() ? "" : ", ") + n;
    env.html = " <span class=\"mcp-env\">with " + Escape(names) + " set</span>";
  }
  Html tools;
  if (!server.tools.empty()) {
    tools.html = "<p class=\"mcp-tools\">Its tools: ";
    for (size_t i = 0; i < server.tools.size(); ++i) {
      tools.html += (i == 0 ? "<code>" : ", <code>") + Escape(server.tools[i]) + "</code>";
    }
    tools.html += "</p>";
  }
  Html actions;
  if (!locked) {
    std::string name = Escape(server.name);
    actions.html = "<button type=\"button\" hx-get=\"/settings/mcp/edit?name=" + name +
                   "\" hx-target=\"#mcp-server-" + name +
                   "\" hx-swap=\"outerHTML\">Edit</button> <button type=\"button\" "
                   "hx-get=\"/settings/mcp/remove?name=" +
                   name + "\" hx-target=\"#mcp-server-" + name +
                   "\" hx-swap=\"outerHTML\">Remove</button>";
  }
  return Html{Get("mcp_server")
                  .Render({{"name", server.name},
                           {"command", CommandLine(server)},
                           {"env", env},
                           {"permissions", server.permissions},
                           {"status", server.status},
                           {"tools", tools},
                           {"actions", actions}})};
}

Html Views::McpServerList(const std::vector<McpServerInfo>& servers, bool locked) const {
  if (servers.empty()) return Html{"<p>None.</p>"};
  Html list{"<ul class=\"mcp-servers\">"};
  for (const McpServerInfo& server : servers) list.html += McpServerItem(server, locked).html;
  list.html += "</ul>";
  return list;
}

Html Views::McpServerEditForm(const McpServerInfo& server) const {
  std::string env_help =
      server.env_names.empty()
          ? "None set now. Values are never shown again."
          : "Leave it empty to keep what is set now (values are never shown again); anything "
            "written here replaces all of it. Set now: ";
  for (size_t i = 0; i < server.env_names.size(); ++i) {
    env_help += (i == 0 ? "" : ", ") + server.env_names[i];
  }
  Html permissions =
      McpPermissionsFields({"mcp-edit", server.network, server.read_paths, server.write_paths, {}});
  return Html{Get("mcp_edit_form")
                  .Render({{"name", server.name},
                           {"command", server.command},
                           {"args", Lines(server.args)},
                           {"env_help", env_help},
                           {"permissions", permissions}})};
}

Html Views::McpRemoveConfirm(const McpServerInfo& server) const {
  return Html{Get("mcp_remove_confirm").Render({{"name", server.name}})};
}

Html Views::McpPermissionsFields(const McpPermissionsForm& form) const {
  Html offered;
  if (!form.offered.empty()) {
    offered.html = "<p class=\"mcp-offered\" role=\"status\">Its arguments name ";
    for (size_t i = 0; i < form.offered.size(); ++i) {
      offered.html += (i == 0 ? "<code>" : ", <code>") + Escape(form.offered[i]) + "</code>";
    }
    offered.html +=
        ": added below as readable. Move a folder to the other box to let the server change "
        "it, or remove it.</p>";
  }
  return Html{Get("mcp_permissions")
                  .Render({{"prefix", form.prefix},
                           {"network_checked", Html{form.network ? "checked" : ""}},
                           {"offered", offered},
                           {"read_paths", Lines(form.read_paths)},
                           {"write_paths", Lines(form.write_paths)}})};
}

}  // namespace hearth::web
