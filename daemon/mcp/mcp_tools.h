// SPDX-License-Identifier: Apache-2.0
// The agent's view of MCP servers: each tool a server lists becomes a tools::Tool.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/client.h"
#include "tools/tool.h"

namespace hearth::mcp {

// The longest tool name Hearth gives a model (OpenAI's limit; others are laxer).
inline constexpr size_t kMaxToolName = 64;

// The name the model sees for `tool` of `server`: "<server>__<tool>", each byte outside
// [A-Za-z0-9_-] replaced by "_". A name longer than kMaxToolName keeps its head and ends in
// "_" and 8 hex digits of the SHA-256 of the unabridged name, so distinct long names stay
// distinct.
std::string AgentToolName(std::string_view server, std::string_view tool);

// 16 hex digits of the SHA-256 of what the server runs: its command, its arguments and its
// environment, and (when it has any) its permissions, each length-prefixed so no two
// configurations share an encoding.
std::string ServerDigest(const ServerConfig& server);

// The tools of the client's last listing (McpClient::tools(); nothing is started here), in
// the server's order, named by AgentToolName (a name that sanitising made equal to an earlier
// one ends in a digest of the unabridged name instead). Each needs approval, and its grant_key() is
// "mcp:<agent tool name>@<ServerDigest>": "always allow" lasts while the server's command,
// arguments and environment stay the same. Descriptions say which server the tool comes from
// and are cut at 4 KiB; a schema that is not an object becomes {"type": "object"}. Each tool's
// origin() names the server and what it may reach (DescribePermissions). Calls go to
// McpClient::CallTool with the context's cancel flag. The tools share the client.
std::vector<std::unique_ptr<tools::Tool>> MakeMcpTools(const std::shared_ptr<McpClient>& client);

}  // namespace hearth::mcp
