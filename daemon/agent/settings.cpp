#include "agent/settings.h"

#include "sandbox/deny_list.h"
#include "sandbox/landlock.h"
#include "sandbox/workspace.h"
#include "tools/file_tools.h"
#include "tools/run_command.h"

namespace hearth::agent {

Settings::Settings(store::Store& store, AgentConfig file_config, std::string config_path,
                   std::string data_dir, std::string home)
    : store_(store),
      file_(std::move(file_config)),
      config_path_(std::move(config_path)),
      data_dir_(std::move(data_dir)),
      home_(std::move(home)) {}

Status Settings::Load() {
  Status status;
  AgentConfig saved;
  Result<std::optional<std::string>> text = store_.GetSetting(kSettingKey);
  if (!text.ok()) {
    status = text.status();
  } else if (*text) {
    Result<AgentConfig> parsed = ParseConfig(**text, home_);
    if (parsed.ok()) {
      saved = std::move(*parsed);
      saved.from_file.clear();
    } else {
      status = parsed.status().WithContext("the saved agent settings");
    }
  }
  std::lock_guard lock(mu_);
  saved_ = std::move(saved);
  Rebuild();
  return status;
}

Status Settings::Save(AgentConfig saved) {
  saved.from_file.clear();
  std::string json = ConfigToJson(saved);
  // What is saved must read back: the same checks as the file's.
  Result<AgentConfig> check = ParseConfig(json, home_);
  if (!check.ok()) return check.status();
  if (Status s = store_.SetSetting(kSettingKey, json); !s.ok()) return s;
  std::lock_guard lock(mu_);
  saved_ = std::move(saved);
  Rebuild();
  return Status::Ok();
}

void Settings::Rebuild() {
  current_ = MergeConfig(file_, saved_);
  report_.clear();
  report_.push_back(sandbox::LandlockSummary());

  auto box = std::make_shared<ToolBox>();
  sandbox::DenyList deny;
  bool deny_ok = true;
  for (const std::string& entry : current_.deny) {
    if (Status s = deny.Add(entry); !s.ok()) {
      report_.push_back("Deny-list entry \"" + entry + "\" refused: " + s.message());
      deny_ok = false;
    }
  }
  if (!data_dir_.empty()) deny.Add(data_dir_);
  if (current_.workspace_roots.empty()) {
    report_.push_back("No workspace folder is set: the agent has no file tools.");
  } else if (!deny_ok) {
    report_.push_back("File tools are off until the deny-list is fixed.");
  } else {
    Result<sandbox::Workspace> workspace = sandbox::Workspace::Open(current_.workspace_roots, deny);
    if (!workspace.ok()) {
      report_.push_back("File tools are off: " + workspace.status().message());
    } else if (!workspace->availability().ok()) {
      report_.push_back("File tools are off: " + workspace->availability().message());
    } else {
      std::string roots;
      for (const std::string& root : workspace->roots()) roots += (roots.empty() ? "" : ", ") + root;
      report_.push_back("Workspace: " + roots);
      auto shared = std::make_shared<const sandbox::Workspace>(std::move(*workspace));
      for (auto& tool : tools::MakeFileTools(shared)) box->Add(std::move(tool));
      // Commands run in the same roots, confined by Landlock; without Landlock the tool refuses
      // every call and says why.
      tools::RunCommandOptions run;
      run.policy.workspace_roots = current_.workspace_roots;
      run.policy.deny_list = deny;
      run.home = current_.workspace_roots.front();
      box->Add(tools::MakeRunCommandTool(std::move(run)));
    }
  }
  tools_ = std::move(box);
}

AgentConfig Settings::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

AgentConfig Settings::Saved() const {
  std::lock_guard lock(mu_);
  return saved_;
}

std::shared_ptr<const ToolBox> Settings::Tools() const {
  std::lock_guard lock(mu_);
  return tools_;
}

std::vector<std::string> Settings::SandboxReport() const {
  std::lock_guard lock(mu_);
  return report_;
}

}  // namespace hearth::agent
