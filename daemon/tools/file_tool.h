// SPDX-License-Identifier: Apache-2.0
// What the file tools (file_tools.cpp, write_tools.cpp) share: argument reading, how names and
// sizes are shown, and the base class that turns every failure into a result. Not for other
// modules: they see only file_tools.h.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "sandbox/workspace.h"
#include "tools/file_tools.h"
#include "tools/tool.h"

namespace hearth::tools {

// A name or a line as one line of output: control characters but tab escaped, so that a name
// holding a newline cannot forge entries, and valid UTF-8.
std::string ShownName(std::string_view name);

// "64 KiB", "8 MiB", "300 bytes".
std::string Size(uint64_t bytes);

bool Cancelled(const ToolContext& context);

inline ToolResult Failure(std::string text) { return ToolResult{true, std::move(text)}; }

// Optional arguments: absent and null are the same; the wrong type is a problem to report
// (false, with `problem` set).
bool ReadString(const Json::Value& args, const char* key, std::optional<std::string>* out,
                std::string* problem);
bool ReadInteger(const Json::Value& args, const char* key, std::optional<int64_t>* out,
                 std::string* problem);
bool ReadBool(const Json::Value& args, const char* key, std::optional<bool>* out,
              std::string* problem);

// A JSON Schema property.
Json::Value Property(const char* type, const std::string& description);

// What every description says about paths, naming the roots so the model can use them.
std::string PathHelp(const sandbox::Workspace& workspace);

// The shared part of the file tools: argument checks, refusals, the no-throw firewall.
class FileTool : public Tool {
 public:
  FileTool(std::shared_ptr<const sandbox::Workspace> workspace, const FileToolLimits& limits,
           llm::ToolSchema schema, std::string usage)
      : workspace_(std::move(workspace)),
        limits_(limits),
        schema_(std::move(schema)),
        usage_(std::move(usage)) {}

  const llm::ToolSchema& schema() const override { return schema_; }
  bool needs_approval() const override { return false; }
  ToolResult Call(const Json::Value& arguments, const ToolContext& context) const override;

 protected:
  virtual ToolResult Run(const Json::Value& arguments, const ToolContext& context) const = 0;

  const sandbox::Workspace& workspace() const { return *workspace_; }
  const FileToolLimits& limits() const { return limits_; }

  ToolResult BadArguments(const std::string& problem) const;
  // A failed Status for the model; sandbox refusals also go to the audit callback, once.
  ToolResult Refused(const Status& status, std::string_view target,
                     const ToolContext& context) const;

 private:
  std::shared_ptr<const sandbox::Workspace> workspace_;
  FileToolLimits limits_;
  llm::ToolSchema schema_;
  std::string usage_;
};

}  // namespace hearth::tools
