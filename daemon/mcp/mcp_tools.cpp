// SPDX-License-Identifier: Apache-2.0
#include "mcp/mcp_tools.h"

#include <algorithm>
#include <set>
#include <utility>

#include "base/sha256.h"

namespace hearth::mcp {
namespace {

constexpr size_t kMaxDescription = 4096;

bool NameByte(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

void AppendField(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

class McpTool final : public tools::Tool {
 public:
  McpTool(std::shared_ptr<McpClient> client, const ToolInfo& info, std::string name,
          std::string digest)
      : client_(std::move(client)), remote_name_(info.name) {
    const std::string& server = client_->options().server.name;
    schema_.name = std::move(name);
    std::string description = "(from the MCP server \"" + server + "\") " + info.description;
    if (description.size() > kMaxDescription) {
      size_t cut = kMaxDescription;
      while (cut > 0 && (static_cast<unsigned char>(description[cut]) & 0xC0) == 0x80) --cut;
      description.resize(cut);
      description += "…";
    }
    schema_.description = std::move(description);
    schema_.parameters = info.input_schema;
    if (!schema_.parameters.isObject()) schema_.parameters = Json::Value(Json::objectValue);
    if (!schema_.parameters.isMember("type")) schema_.parameters["type"] = "object";
    grant_key_ = "mcp:" + schema_.name + "@" + digest;
    origin_ = {server, DescribePermissions(client_->options().server.permissions)};
  }

  const llm::ToolSchema& schema() const override { return schema_; }
  bool needs_approval() const override { return true; }
  std::string grant_key() const override { return grant_key_; }
  tools::ToolOrigin origin() const override { return origin_; }
  tools::ToolResult Call(const Json::Value& arguments,
                         const tools::ToolContext& context) const override {
    return client_->CallTool(remote_name_, arguments, context.cancel);
  }

 private:
  std::shared_ptr<McpClient> client_;
  std::string remote_name_;
  llm::ToolSchema schema_;
  std::string grant_key_;
  tools::ToolOrigin origin_;
};

// AgentToolName, ending in a digest of the unabridged name when `hashed` or too long.
std::string ToolName(std::string_view server, std::string_view tool, bool hashed) {
  std::string full = std::string(server) + "__" + std::string(tool);
  std::string name;
  name.reserve(full.size());
  for (char c : full) name += NameByte(c) ? c : '_';
  if (name.size() <= kMaxToolName && !hashed) return name;
  std::string suffix = "_" + Sha256Hex(full).substr(0, 8);
  name.resize(std::min(name.size(), kMaxToolName - suffix.size()));
  return name + suffix;
}

}  // namespace

std::string AgentToolName(std::string_view server, std::string_view tool) {
  return ToolName(server, tool, false);
}

std::string ServerDigest(const ServerConfig& server) {
  std::string encoded;
  AppendField(encoded, server.command);
  encoded += std::to_string(server.args.size()) + "#";
  for (const std::string& arg : server.args) AppendField(encoded, arg);
  encoded += std::to_string(server.env.size()) + "#";
  for (const auto& [name, value] : server.env) {
    AppendField(encoded, name);
    AppendField(encoded, value);
  }
  // Only when granted, so that the grants given to servers that have none stay valid.
  const ServerPermissions& permissions = server.permissions;
  if (!permissions.empty()) {
    encoded += permissions.network ? "net#" : "nonet#";
    encoded += std::to_string(permissions.read_paths.size()) + "#";
    for (const std::string& path : permissions.read_paths) AppendField(encoded, path);
    encoded += std::to_string(permissions.write_paths.size()) + "#";
    for (const std::string& path : permissions.write_paths) AppendField(encoded, path);
  }
  return Sha256Hex(encoded).substr(0, 16);
}

std::vector<std::unique_ptr<tools::Tool>> MakeMcpTools(const std::shared_ptr<McpClient>& client) {
  std::vector<std::unique_ptr<tools::Tool>> made;
  const std::string digest = ServerDigest(client->options().server);
  const std::string& server = client->options().server.name;
  std::set<std::string> names;
  for (const ToolInfo& info : client->tools()) {
    std::string name = ToolName(server, info.name, false);
    // "a.b" and "a_b" read the same once sanitised; the digest tells them apart.
    if (names.contains(name)) name = ToolName(server, info.name, true);
    if (!names.insert(name).second) continue;
    made.push_back(std::make_unique<McpTool>(client, info, std::move(name), digest));
  }
  return made;
}

}  // namespace hearth::mcp
