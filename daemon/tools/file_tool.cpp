// SPDX-License-Identifier: Apache-2.0
#include "tools/file_tool.h"

#include <exception>

#include "base/utf8.h"

namespace hearth::tools {

std::string ShownName(std::string_view name) {
  static const char kHex[] = "0123456789abcdef";
  std::string escaped;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) {
      escaped += "\\x";
      escaped += kHex[u >> 4];
      escaped += kHex[u & 0xF];
    } else {
      escaped += c;
    }
  }
  return ToValidUtf8(escaped);
}

std::string Size(uint64_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

bool Cancelled(const ToolContext& context) {
  return context.cancel != nullptr && context.cancel->load(std::memory_order_relaxed);
}

bool ReadString(const Json::Value& args, const char* key, std::optional<std::string>* out,
                std::string* problem) {
  if (!args.isObject() || !args.isMember(key) || args[key].isNull()) return true;
  if (!args[key].isString()) {
    *problem = std::string("\"") + key + "\" must be a string";
    return false;
  }
  *out = args[key].asString();
  return true;
}

bool ReadInteger(const Json::Value& args, const char* key, std::optional<int64_t>* out,
                 std::string* problem) {
  if (!args.isObject() || !args.isMember(key) || args[key].isNull()) return true;
  if (!args[key].isInt64()) {
    *problem = std::string("\"") + key + "\" must be a whole number";
    return false;
  }
  *out = args[key].asInt64();
  return true;
}

bool ReadBool(const Json::Value& args, const char* key, std::optional<bool>* out,
              std::string* problem) {
  if (!args.isObject() || !args.isMember(key) || args[key].isNull()) return true;
  if (!args[key].isBool()) {
    *problem = std::string("\"") + key + "\" must be true or false";
    return false;
  }
  *out = args[key].asBool();
  return true;
}

Json::Value Property(const char* type, const std::string& description) {
  Json::Value property(Json::objectValue);
  property["type"] = type;
  property["description"] = description;
  return property;
}

std::string PathHelp(const sandbox::Workspace& workspace) {
  std::vector<std::string> roots = workspace.roots();
  if (roots.empty()) return " No workspace folder is configured, so every path is refused.";
  std::string help = " Relative paths start at the workspace folder " + roots.front() + ".";
  if (roots.size() > 1) {
    help += " Absolute paths may point inside any workspace folder:";
    for (const std::string& root : roots) help += " " + root;
    help += ".";
  }
  help +=
      " Nothing outside the workspace can be reached, and private files (SSH and GPG keys, cloud "
      "credentials, .env files, *.pem and *.key files) are never readable.";
  return help;
}

ToolResult FileTool::Call(const Json::Value& arguments, const ToolContext& context) const {
  try {
    if (!arguments.isObject() && !arguments.isNull()) {
      return BadArguments("the arguments must be a JSON object");
    }
    if (!workspace_->availability().ok()) return Failure(workspace_->availability().message());
    return Run(arguments, context);
  } catch (const std::exception& e) {
    return Failure(schema_.name + " failed unexpectedly: " + e.what());
  } catch (...) {
    return Failure(schema_.name + " failed unexpectedly");
  }
}

ToolResult FileTool::BadArguments(const std::string& problem) const {
  return Failure("bad arguments for " + schema_.name + ": " + problem + ". Expected " + usage_);
}

ToolResult FileTool::Refused(const Status& status, std::string_view target,
                             const ToolContext& context) const {
  if (status.code() == Status::Code::kPermissionDenied && context.on_denial) {
    context.on_denial(Denial{schema_.name, std::string(target), status.message()});
  }
  return Failure(status.message());
}

}  // namespace hearth::tools
