// SPDX-License-Identifier: Apache-2.0
// tools: what the agent can do on the user's machine, each call confined by the sandbox.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <json/value.h>

#include "llm/chat.h"

namespace hearth::tools {

// What a call gives back to the model. `is_error` results are still shown to the model (so it can
// correct itself) and to the user. `text` is capped by the tool (see each tool's limits).
struct ToolResult {
  bool is_error = false;
  std::string text;
};

// A refused attempt, for the audit log the UI shows: which tool, what it tried to reach, why.
struct Denial {
  std::string tool;
  std::string target;  // the path or command as the model gave it
  std::string reason;
};

// Something else the audit log keeps: a program's run in the sandbox (how it was confined, how it
// ended), or a refusal that program met while it ran. Not a refusal of the call itself.
struct AuditNote {
  std::string tool;
  std::string target;  // the command, or what the program was refused
  std::string text;
};

// Where a tool comes from, for its card and its approval form. Empty for Hearth's own tools.
struct ToolOrigin {
  std::string mcp_server;   // the MCP server's name, as the user gave it
  std::string permissions;  // what that server may reach (mcp::DescribePermissions)
};

// A change a call would make, shown in the approval form as a diff before the user answers.
struct ChangePreview {
  std::string summary;  // one sentence: what the diff compares, its size, whether it is cut
  std::string diff;     // unified-diff hunks (tools/diff.h); may be empty, the summary says why
};

// What a tool may use while it runs. Not owned by the tool.
struct ToolContext {
  // Set by another thread when the user presses Stop; long-running tools check it.
  const std::atomic<bool>* cancel = nullptr;
  // Called for every refusal by the sandbox or the deny-list. May be empty.
  std::function<void(const Denial&)> on_denial;
  // Called for what a tool that starts programs has to record (see AuditNote). May be empty.
  std::function<void(const AuditNote&)> on_audit_note;
};

// One tool. Implementations are thread-compatible: the agent calls one tool at a time per run,
// but several runs (conversations) may call the same tool object concurrently, so Call must not
// mutate shared state without its own lock. Call never throws: every failure is a ToolResult with
// is_error set and a message written for the model and the user.
class Tool {
 public:
  virtual ~Tool() = default;
  virtual const llm::ToolSchema& schema() const = 0;
  // True for tools that change things or run programs: the user approves each call (or the tool).
  virtual bool needs_approval() const = 0;
  // What the user's "always allow" is remembered under. The name, unless the tool's behaviour
  // depends on more than its name: an MCP server's tool includes a digest of the server's
  // command, so a changed server asks again.
  virtual std::string grant_key() const { return schema().name; }
  // What the user should know before approving this call, one sentence each: that the sandbox
  // will refuse it, say. Judged from the arguments alone, before anything runs; never throws.
  virtual std::vector<std::string> ApprovalNotes(const Json::Value& /*arguments*/) const {
    return {};
  }
  // The change the call would make, for tools that change files; read through the same checks
  // as the call itself, bounded, and judged before anything runs. nullopt when there is nothing
  // to show (a new file, a refused path). Never throws.
  virtual std::optional<ChangePreview> ApprovalPreview(const Json::Value& /*arguments*/) const {
    return std::nullopt;
  }
  virtual ToolOrigin origin() const { return {}; }
  virtual ToolResult Call(const Json::Value& arguments, const ToolContext& context) const = 0;
};

}  // namespace hearth::tools
