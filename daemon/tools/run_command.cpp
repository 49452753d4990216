// SPDX-License-Identifier: Apache-2.0
#include "tools/run_command.h"

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "base/paths.h"
#include "base/utf8.h"
#include "sandbox/child_process.h"
#include "tools/output_refusals.h"

namespace hearth::tools {
namespace {

using sandbox::ChildOptions;
using sandbox::ChildProcess;
using sandbox::PreparedPolicy;

constexpr size_t kMaxCommandLength = 64 * 1024;
constexpr size_t kMaxReportedWords = 8;
constexpr size_t kMaxReportedRefusals = 8;
constexpr std::chrono::milliseconds kStopGrace{1000};

// The words of a command line, roughly as the shell would split them: quotes removed, operators
// and redirections as separators. Good enough to spot paths; not a shell parser.
std::vector<std::string> Words(std::string_view command) {
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (char c : command) {
    if (quote != 0) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '|' || c == '&' || c == '<' ||
               c == '>' || c == '(' || c == ')' || c == '`') {
      flush();
    } else {
      word += c;
    }
  }
  flush();
  return words;
}

ToolResult Error(std::string text) { return ToolResult{true, std::move(text)}; }

// "30 s", "0.5 s".
std::string Seconds(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + " s";
  std::string fraction = std::to_string(ms % 1000 + 1000).substr(1);  // three digits
  while (fraction.back() == '0') fraction.pop_back();
  return std::to_string(ms / 1000) + "." + fraction + " s";
}

class RunCommandTool final : public Tool {
 public:
  explicit RunCommandTool(RunCommandOptions options) : options_(std::move(options)) {
    if (options_.home.empty()) {
      const char* home = getenv("HOME");
      options_.home = home != nullptr && home[0] == '/' ? home : "/";
    }
    for (const std::string& root : options_.policy.workspace_roots) {
      std::string real = RealPath(root);
      roots_.push_back({LexicallyNormal(root), real.empty() ? LexicallyNormal(root) : real});
    }
    for (const std::string& path : options_.policy.read_only_paths) {
      std::string real = RealPath(path);
      if (!real.empty()) read_only_.push_back(real);
    }
    schema_.name = "run_command";
    schema_.description =
        "Run a shell command line with /bin/sh -c in Hearth's sandbox. It may read and write the "
        "workspace folders (except private files such as keys and .env files, which it cannot "
        "touch, and write-protected ones such as .git, .bashrc and .vscode/tasks.json, which it "
        "can only read), read system files, and nothing else" +
        std::string(options_.policy.allow_network ? "" : "; there is no network") +
        ". stdin is empty; stdout and stderr come back together, at most " +
        std::to_string(options_.output_cap / 1024) + " KiB. The command is stopped after " +
        Seconds(options_.timeout) + ".";
    Json::Value params(Json::objectValue);
    params["type"] = "object";
    params["properties"]["command"]["type"] = "string";
    params["properties"]["command"]["description"] = "The command line, e.g. \"make test\".";
    params["properties"]["cwd"]["type"] = "string";
    params["properties"]["cwd"]["description"] =
        "Where to run it: a folder relative to the first workspace folder, or an absolute path "
        "inside a workspace folder. Default: the first workspace folder.";
    params["required"].append("command");
    params["additionalProperties"] = false;
    schema_.parameters = std::move(params);
  }

  const llm::ToolSchema& schema() const override { return schema_; }
  bool needs_approval() const override { return true; }
  ToolResult Call(const Json::Value& arguments, const ToolContext& context) const override;
  std::vector<std::string> ApprovalNotes(const Json::Value& arguments) const override;

 private:
  struct Root {
    std::string given;  // lexically normalised
    std::string real;
  };

  void Deny(const ToolContext& context, std::string target, std::string reason) const {
    if (context.on_denial)
      context.on_denial(Denial{schema_.name, std::move(target), std::move(reason)});
  }
  // The real directory to run in, or a refusal (a ToolResult) when it is not allowed.
  std::variant<std::string, ToolResult> ResolveCwd(const Json::Value& arguments,
                                                   const ToolContext& context) const;
  // Words of the command that name paths `judge` picks (at most kMaxReportedWords).
  using Judge = bool (RunCommandTool::*)(const std::string& path) const;
  std::vector<std::string> WordsNaming(std::string_view command, const std::string& cwd,
                                       Judge judge) const;
  bool Denied(const std::string& path) const;
  // Write-protected: commands may read it but not change it.
  bool Protected(const std::string& path) const;
  // Records the run and the refusals its output reports, for the audit log.
  void Audit(const ToolContext& context, const std::string& command, const PreparedPolicy& policy,
             pid_t pid, const sandbox::RunOutput& run) const;

  RunCommandOptions options_;
  std::vector<Root> roots_;
  std::vector<std::string> read_only_;
  llm::ToolSchema schema_;
};

void RunCommandTool::Audit(const ToolContext& context, const std::string& command,
                           const PreparedPolicy& policy, pid_t pid,
                           const sandbox::RunOutput& run) const {
  if (!context.on_audit_note) return;
  size_t more = 0;
  std::vector<OutputRefusal> refusals = RefusalsInOutput(run.out, kMaxReportedRefusals, &more);
  for (const OutputRefusal& refusal : refusals) {
    context.on_audit_note(AuditNote{
        schema_.name, refusal.target,
        "refused while the command ran, as its output says: \"" + refusal.line +
            "\" (most likely the sandbox; the line is the program's own, not the kernel's)"});
  }
  std::string ended = run.timed_out   ? "timed out after " + Seconds(options_.timeout)
                      : run.cancelled ? std::string("cancelled")
                                      : run.exit.Describe();
  std::string reported = refusals.empty()
                             ? "no refusal in its output"
                             : std::to_string(refusals.size() + more) + " refusal(s) in its output";
  context.on_audit_note(AuditNote{
      schema_.name, command,
      "ran confined by " + sandbox::DescribeConfinement(options_.policy, policy.report()) +
          "; pid " + std::to_string(pid) + ", " + ended + "; " + reported});
}

bool RunCommandTool::Denied(const std::string& path) const {
  const sandbox::DenyList& deny = options_.policy.deny_list;
  for (const Root& root : roots_) {
    if (IsWithin(path, root.real)) return deny.DeniesAbsolute(path, root.real);
    if (IsWithin(path, root.given)) return deny.DeniesAbsolute(path, root.given);
  }
  // Outside the roots the kernel refuses everything but the system paths, which hold no user
  // secrets (their *.pem are CA certificates): judge the rest by the whole path.
  for (const std::string& dir : read_only_) {
    if (IsWithin(path, dir)) return false;
  }
  return deny.DeniesAbsolute(path, "/");
}

bool RunCommandTool::Protected(const std::string& path) const {
  const sandbox::ProtectedList& protect = options_.policy.protected_list;
  for (const Root& root : roots_) {
    if (IsWithin(path, root.real)) return protect.Protects(path, root.real);
    if (IsWithin(path, root.given)) return protect.Protects(path, root.given);
  }
  return false;  // outside the roots commands write nothing anyway
}

std::vector<std::string> RunCommandTool::WordsNaming(std::string_view command,
                                                     const std::string& cwd, Judge judge) const {
  std::vector<std::string> found;
  for (std::string word : Words(command)) {
    if (found.size() >= kMaxReportedWords) break;
    const std::string given = word;
    if (word.starts_with('-')) {
      size_t equals = word.find('=');
      if (equals == std::string::npos) continue;
      word.erase(0, equals + 1);  // --file=.ssh/id_rsa
    }
    if (word == "~" || word.starts_with("~/")) {
      word = options_.home + word.substr(1);
    } else if (word.starts_with("$HOME/") || word == "$HOME") {
      word = options_.home + word.substr(5);
    } else if (word.starts_with("${HOME}/") || word == "${HOME}") {
      word = options_.home + word.substr(7);
    }
    // Only the part before the first glob or expansion is a known path.
    size_t wild = word.find_first_of("*?[$");
    if (wild != std::string::npos) {
      size_t slash = word.rfind('/', wild);
      if (slash == std::string::npos) continue;
      word.resize(slash == 0 ? 1 : slash);
    }
    if (word.empty()) continue;
    std::string path = LexicallyNormal(word.front() == '/' ? word : cwd + "/" + word);
    std::string real = RealPath(path);  // a symlink inside the workspace may lead to a secret
    if ((this->*judge)(path) || (!real.empty() && (this->*judge)(real))) {
      if (std::find(found.begin(), found.end(), given) == found.end()) found.push_back(given);
    }
  }
  return found;
}

std::variant<std::string, ToolResult> RunCommandTool::ResolveCwd(const Json::Value& arguments,
                                                                 const ToolContext& context) const {
  if (roots_.empty()) {
    return Error("run_command has no workspace folder to run in; add one in Hearth's settings.");
  }
  std::string given;
  if (arguments.isMember("cwd") && !arguments["cwd"].isNull()) {
    if (!arguments["cwd"].isString()) return Error("\"cwd\" must be a string.");
    given = arguments["cwd"].asString();
    if (given.find('\0') != std::string::npos) return Error("\"cwd\" contains a NUL byte.");
  }
  std::string path = given.empty()          ? roots_[0].given
                     : given.front() == '/' ? LexicallyNormal(given)
                                            : LexicallyNormal(roots_[0].given + "/" + given);
  std::string real = RealPath(path);
  if (real.empty()) return Error("cwd " + path + " does not exist or cannot be reached.");
  for (const Root& root : roots_) {
    if (!IsWithin(real, root.real)) continue;
    if (options_.policy.deny_list.DeniesAbsolute(real, root.real) ||
        options_.policy.deny_list.DeniesAbsolute(path, root.given)) {
      std::string reason = "the folder is on Hearth's deny-list";
      Deny(context, given.empty() ? path : given, reason);
      return Error("denied: cwd " + path + ": " + reason + ".");
    }
    return real;
  }
  std::string reason = "commands run only inside the workspace folders";
  Deny(context, given.empty() ? path : given, reason);
  return Error("denied: cwd " + path + ": " + reason + ".");
}

ToolResult RunCommandTool::Call(const Json::Value& arguments, const ToolContext& context) const {
  if (!arguments.isObject() || !arguments["command"].isString()) {
    return Error("run_command needs {\"command\": string, \"cwd\"?: string}.");
  }
  const std::string command = arguments["command"].asString();
  if (command.find_first_not_of(" \t\n") == std::string::npos) {
    return Error("\"command\" is empty.");
  }
  if (command.size() > kMaxCommandLength) {
    return Error("\"command\" is longer than 64 KiB; write a script file and run that instead.");
  }
  if (command.find('\0') != std::string::npos) return Error("\"command\" contains a NUL byte.");

  int abi = options_.landlock_abi();
  int kernel_abi = sandbox::LandlockAbi();
  if (abi <= 0 || kernel_abi <= 0) {
    return Error(
        "run_command is unavailable: Hearth runs commands only inside its Landlock sandbox, and " +
        (kernel_abi <= 0 ? sandbox::LandlockSummary()
                         : std::string("Landlock is not available on this kernel")) +
        ". Nothing was run.");
  }

  if (context.cancel != nullptr && context.cancel->load()) {
    return Error("Cancelled before the command started; nothing was run.");
  }
  auto cwd = ResolveCwd(arguments, context);
  if (auto* refused = std::get_if<ToolResult>(&cwd)) return *refused;
  const std::string& dir = std::get<std::string>(cwd);

  std::vector<std::string> denied_words = WordsNaming(command, dir, &RunCommandTool::Denied);
  for (const std::string& word : denied_words) {
    Deny(context, word,
         "the command names a path on Hearth's deny-list; the sandbox keeps it closed");
  }
  std::vector<std::string> protected_words = WordsNaming(command, dir, &RunCommandTool::Protected);
  for (const std::string& word : protected_words) {
    Deny(context, word,
         "the command names a write-protected path; the sandbox lets commands read it, never "
         "change it");
  }

  Result<PreparedPolicy> policy =
      PreparedPolicy::PrepareForAbi(options_.policy, std::min(abi, kernel_abi));
  if (!policy.ok()) {
    return Error("The sandbox could not be prepared, so nothing was run: " +
                 policy.status().message());
  }

  ChildOptions child_options;
  child_options.argv = {"/bin/sh", "-c", command};
  child_options.cwd = dir;
  child_options.home = options_.home;
  child_options.extra_env = options_.extra_env;
  if (!options_.policy.scratch_dir.empty()) {
    child_options.extra_env.push_back("TMPDIR=" + options_.policy.scratch_dir);
  }
  child_options.stderr_mode = ChildOptions::Stderr::kIntoStdout;
  auto child = ChildProcess::Spawn(child_options, *policy);
  if (!child.ok()) return Error("The command could not be started: " + child.status().message());
  const pid_t pid = (**child).pid();

  sandbox::RunLimits limits;
  limits.timeout = options_.timeout;
  limits.output_cap = options_.output_cap;
  limits.cancel = context.cancel;
  limits.grace = kStopGrace;
  auto run = sandbox::RunToCompletion(**child, limits);
  if (!run.ok()) return Error("The command could not be watched: " + run.status().message());
  Audit(context, command, *policy, pid, *run);

  if (run->truncated()) DropIncompleteUtf8Tail(run->out);
  std::string text =
      run->out.empty() && !run->truncated() ? "(no output)\n" : ToValidUtf8(run->out);
  if (!text.empty() && text.back() != '\n') text += '\n';
  if (run->truncated()) {
    text += "[output truncated: the first " + std::to_string(run->out.size()) +
            " bytes are shown, " + std::to_string(run->dropped) + " more were dropped]\n";
  }
  if (run->timed_out) {
    text += "[timed out after " + Seconds(options_.timeout) +
            ": the command and everything it started were stopped]\n";
  } else if (run->cancelled) {
    text += "[cancelled: the command and everything it started were stopped]\n";
  }
  text += "[" + run->exit.Describe() + "]\n";
  for (const std::string& word : denied_words) {
    text += "[note: " + ToValidUtf8(word) +
            " is on Hearth's deny-list: the sandbox does not let commands read or change it]\n";
  }
  for (const std::string& word : protected_words) {
    text += "[note: " + ToValidUtf8(word) +
            " is write-protected: the sandbox lets commands read it but not change it; only the "
            "user can unlock it, in Hearth's Settings under \"Write-protected paths\"]\n";
  }
  const sandbox::PolicyReport& report = policy->report();
  if (report.unexamined_count > 0) {
    text += "[note: " + std::to_string(report.unexamined_count) +
            " folder(s) were too deep or too many to check for protected files and are closed "
            "to commands, e.g. " +
            ToValidUtf8(report.unexamined.front()) + "]\n";
  }
  return ToolResult{run->timed_out || run->cancelled || !run->exit.success(), std::move(text)};
}

std::vector<std::string> RunCommandTool::ApprovalNotes(const Json::Value& arguments) const {
  try {
    if (!arguments.isObject() || !arguments["command"].isString() || roots_.empty()) return {};
    std::string dir = roots_[0].real;
    if (arguments["cwd"].isString() && !arguments["cwd"].asString().empty()) {
      const std::string given = arguments["cwd"].asString();
      dir = RealPath(given.front() == '/' ? LexicallyNormal(given)
                                          : LexicallyNormal(roots_[0].given + "/" + given));
      if (dir.empty()) return {};
    }
    std::vector<std::string> words =
        WordsNaming(arguments["command"].asString(), dir, &RunCommandTool::Protected);
    if (words.empty()) return {};
    std::string list;
    for (const std::string& word : words) list += (list.empty() ? "" : ", ") + ToValidUtf8(word);
    return {"The command names write-protected paths (" + list +
            "): whatever you answer, the sandbox lets it read them but not change them. To let "
            "it change one, unlock that path in Settings under \"Write-protected paths\" first."};
  } catch (...) {
    return {};  // the call itself will say what is wrong
  }
}

}  // namespace

std::unique_ptr<Tool> MakeRunCommandTool(RunCommandOptions options) {
  return std::make_unique<RunCommandTool>(std::move(options));
}

}  // namespace hearth::tools
