// SPDX-License-Identifier: Apache-2.0
// API keys and MCP environment values: in a real GNOME Keyring on a private session bus, or in a
// 0600 file without one; never in hearth.db or its WAL, including keys an older Hearth put there.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "agent/settings.h"
#include "base/random.h"
#include "harness.h"
#include "private_bus.h"
#include "store/store.h"

extern char** environ;

namespace hearth::testing {
namespace {

constexpr auto npos = std::string::npos;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// The bytes of the database file and of its WAL, as `grep` would see them.
std::string DatabaseBytes(const UserDirs& dirs) {
  return ReadAll(dirs.db_path()) + ReadAll(dirs.db_path() + "-wal");
}

// The environment of a tool run for `dirs`, on `bus` (or on none).
std::vector<std::string> ToolEnv(const UserDirs& dirs, const std::string& bus) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    if (kv.starts_with("XDG_") || kv.starts_with("HOME=") || kv.starts_with("DBUS_")) continue;
    env.emplace_back(kv);
  }
  for (const std::string& kv : dirs.Env()) env.push_back(kv);
  if (!bus.empty()) env.push_back("DBUS_SESSION_BUS_ADDRESS=" + bus);
  return env;
}

struct ToolResult {
  int code = -1;
  std::string out;
};

// Runs a command to completion (each is bounded by `timeout`), feeding it `input`.
ToolResult RunTool(std::vector<std::string> argv, std::vector<std::string> env,
                   const std::string& input = "") {
  argv.insert(argv.begin(), {"timeout", "20"});
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return {};
  std::vector<char*> args, envp;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    execvpe(args[0], args.data(), envp.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  if (!input.empty()) (void)!write(in[1], input.data(), input.size());
  close(in[1]);
  ToolResult result;
  char buffer[4096];
  ssize_t n;
  while ((n = read(out[0], buffer, sizeof buffer)) > 0) result.out.append(buffer, n);
  close(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  result.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

// A real gnome-keyring-daemon serving org.freedesktop.secrets on `bus`, its login keyring
// created and unlocked with a password given on stdin, kept under the test's HOME.
class GnomeKeyring {
 public:
  GnomeKeyring(const UserDirs& dirs, const PrivateBus& bus) : dirs_(dirs), bus_(bus) {
    int in[2];
    if (pipe2(in, O_CLOEXEC) != 0) return;
    std::vector<std::string> argv = {"gnome-keyring-daemon", "--foreground", "--unlock",
                                     "--components=secrets"};
    std::vector<std::string> env = ToolEnv(dirs, bus.address());
    std::vector<char*> args, envp;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (std::string& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string log = dirs.root() + "/gnome-keyring.log";
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(in[0], STDIN_FILENO);
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      execvpe(args[0], args.data(), envp.data());
      _exit(127);
    }
    close(in[0]);
    (void)!write(in[1], "test-password", 13);
    close(in[1]);
  }
  ~GnomeKeyring() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }

  // Waits (gdbus wait, bounded) until the keyring owns its name on the bus.
  bool WaitReady() const {
    return pid_ > 0 &&
           RunTool({"gdbus", "wait", "--session", "--timeout", "15", "org.freedesktop.secrets"},
                   ToolEnv(dirs_, bus_.address()))
                   .code == 0;
  }
  // `secret-tool lookup name NAME`: the value the keyring holds, or "" with a non-zero code.
  ToolResult Lookup(const std::string& name) const {
    return RunTool({"secret-tool", "lookup", "name", name}, ToolEnv(dirs_, bus_.address()));
  }
  // Locks every collection, as a screen locker or `Lock` in Passwords and Keys would.
  bool LockAll() const {
    return RunTool(
               {"gdbus", "call", "--session", "--dest", "org.freedesktop.secrets", "--object-path",
                "/org/freedesktop/secrets", "--method", "org.freedesktop.Secret.Service.Lock",
                "['/org/freedesktop/secrets/collection/login']"},
               ToolEnv(dirs_, bus_.address()))
               .code == 0;
  }

 private:
  const UserDirs& dirs_;
  const PrivateBus& bus_;
  pid_t pid_ = -1;
};

std::string UniqueSecret(const std::string& prefix) {
  unsigned char bytes[8];
  FillRandom(bytes, sizeof bytes);
  return prefix + HexEncode(bytes, sizeof bytes);
}

class Secrets : public ::testing::Test {
 protected:
  void StartDaemon(const std::string& bus_address) {
    Daemon::Options options;
    options.bus_address = bus_address;
    daemon_ = std::make_unique<Daemon>(dirs_, options);
    ASSERT_TRUE(daemon_->WaitReady()) << daemon_->Stderr();
    client_ = std::make_unique<Client>(daemon_->port(), daemon_->AppHost());
    ASSERT_EQ(client_->Login(daemon_->LoginPath()).status, 303);
  }
  void StopDaemon() {
    if (!daemon_) return;
    EXPECT_EQ(daemon_->Terminate().code, 0) << daemon_->Stderr();
    daemon_.reset();
  }
  void TearDown() override { StopDaemon(); }

  // Saves a key for the default model server and an MCP server with a token in its environment.
  void SaveKeys(const std::string& api_key, const std::string& token) {
    HttpResponse saved = client_->Post(
        "/settings/agent", "provider_type=openai&base_url=" + FormEncode("http://127.0.0.1:9/v1") +
                               "&model=m&api_key=" + FormEncode(api_key));
    ASSERT_EQ(saved.status, 200) << saved.body;
    HttpResponse added = client_->Post("/settings/mcp/add",
                                       "name=gh&command=true&env=" + FormEncode("TOKEN=" + token));
    ASSERT_EQ(added.status, 200) << added.body;
  }

  UserDirs dirs_;
  std::unique_ptr<Daemon> daemon_;
  std::unique_ptr<Client> client_;
};

bool HaveGnomeKeyring() {
  return access("/usr/bin/gnome-keyring-daemon", X_OK) == 0 &&
         access("/usr/bin/secret-tool", X_OK) == 0;
}

TEST_F(Secrets, AKeySavedInSettingsGoesToTheKeyringAndNeverIntoTheDatabase) {
  if (!HaveGnomeKeyring()) GTEST_SKIP() << "gnome-keyring or libsecret-tools is not installed";
  PrivateBus bus(dirs_.Env());
  GnomeKeyring keyring(dirs_, bus);
  ASSERT_TRUE(keyring.WaitReady()) << ReadAll(dirs_.root() + "/gnome-keyring.log");
  ASSERT_NO_FATAL_FAILURE(StartDaemon(bus.address()));
  std::string api_key = UniqueSecret("sk-keyring-");
  std::string token = UniqueSecret("ghp-keyring-");
  ASSERT_NO_FATAL_FAILURE(SaveKeys(api_key, token));

  ToolResult looked_up = keyring.Lookup("provider/default/api_key");
  EXPECT_EQ(looked_up.code, 0);
  EXPECT_EQ(looked_up.out, api_key);
  EXPECT_EQ(keyring.Lookup("mcp/gh/env/TOKEN").out, token);
  std::string page = client_->Get("/settings").body;
  EXPECT_NE(page.find("kept in GNOME Keyring / Secret Service."), npos) << page;
  EXPECT_EQ(page.find(api_key), npos);
  EXPECT_FALSE(std::filesystem::exists(dirs_.root() + "/config/hearth/secrets.json"));

  // Neither while Hearth runs (the WAL) nor after it stopped (checkpointed into the file).
  std::string bytes = DatabaseBytes(dirs_);
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find(api_key), npos);
  EXPECT_EQ(bytes.find(token), npos);
  StopDaemon();
  bytes = DatabaseBytes(dirs_);
  EXPECT_EQ(bytes.find(api_key), npos);
  EXPECT_EQ(bytes.find(token), npos);

  // Started again, Hearth reads the key back from the keyring.
  ASSERT_NO_FATAL_FAILURE(StartDaemon(bus.address()));
  page = client_->Get("/settings").body;
  EXPECT_NE(page.find("saved (leave empty to keep it)"), npos) << page;
  EXPECT_EQ(page.find("is not in"), npos) << page;
}

TEST_F(Secrets, ALockedKeyringIsReportedAndNothingFallsBackToTheFile) {
  if (!HaveGnomeKeyring()) GTEST_SKIP() << "gnome-keyring or libsecret-tools is not installed";
  PrivateBus bus(dirs_.Env());
  GnomeKeyring keyring(dirs_, bus);
  ASSERT_TRUE(keyring.WaitReady()) << ReadAll(dirs_.root() + "/gnome-keyring.log");
  ASSERT_NO_FATAL_FAILURE(StartDaemon(bus.address()));
  std::string api_key = UniqueSecret("sk-locked-");
  ASSERT_NO_FATAL_FAILURE(SaveKeys(api_key, "t"));
  StopDaemon();
  ASSERT_TRUE(keyring.LockAll());

  ASSERT_NO_FATAL_FAILURE(StartDaemon(bus.address()));
  std::string page = client_->Get("/settings").body;
  EXPECT_NE(page.find("is locked"), npos) << page;
  EXPECT_NE(page.find("could not be read"), npos) << page;
  // Saving would forget the key the keyring still holds: refused, and said why.
  HttpResponse saved = client_->Post(
      "/settings/agent",
      "provider_type=openai&base_url=" + FormEncode("http://127.0.0.1:9/v1") + "&model=other");
  EXPECT_NE(saved.status, 200);
  EXPECT_NE(saved.body.find("is locked"), npos) << saved.body;
  EXPECT_FALSE(std::filesystem::exists(dirs_.root() + "/config/hearth/secrets.json"));
  // The database still names the key (a locked keyring answers no lookup, so this is the check).
  EXPECT_NE(DatabaseBytes(dirs_).find("\"api_key_secret\""), npos);
}

TEST_F(Secrets, WithoutASecretServiceAKeyGoesToA0600FileInTheConfigDirectory) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon(""));
  std::string api_key = UniqueSecret("sk-file-");
  std::string token = UniqueSecret("ghp-file-");
  ASSERT_NO_FATAL_FAILURE(SaveKeys(api_key, token));

  std::string file = dirs_.root() + "/config/hearth/secrets.json";
  struct stat st;
  ASSERT_EQ(stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  std::string text = ReadAll(file);
  EXPECT_NE(text.find(api_key), npos);
  EXPECT_NE(text.find(token), npos);
  EXPECT_NE(client_->Get("/settings").body.find("kept in file ~/config/hearth/secrets.json, 0600"),
            npos);
  EXPECT_EQ(DatabaseBytes(dirs_).find(api_key), npos);
  StopDaemon();
  EXPECT_EQ(DatabaseBytes(dirs_).find(api_key), npos);
  EXPECT_EQ(DatabaseBytes(dirs_).find(token), npos);

  // A file others may read is refused, and Settings says how to fix it.
  ASSERT_EQ(chmod(file.c_str(), 0644), 0);
  ASSERT_NO_FATAL_FAILURE(StartDaemon(""));
  EXPECT_NE(client_->Get("/settings").body.find("chmod 600"), npos);
}

TEST_F(Secrets, ASessionBusWithoutASecretServiceMeansTheFile) {
  PrivateBus bus(dirs_.Env());
  ASSERT_NO_FATAL_FAILURE(StartDaemon(bus.address()));
  ASSERT_NO_FATAL_FAILURE(SaveKeys(UniqueSecret("sk-bus-"), "t"));
  EXPECT_NE(client_->Get("/settings").body.find("kept in file ~/config/hearth/secrets.json"), npos);
}

TEST_F(Secrets, ASecretServiceThatNeverAnswersIsReportedAndNoFileTakesItsPlace) {
  PrivateBus bus(dirs_.Env());
  // Activatable, but what the bus starts never takes the name: every call waits for Hearth's
  // own timeout.
  bus.AddService("org.freedesktop.secrets", "/bin/sleep 600");
  ASSERT_EQ(
      RunTool({"gdbus", "call", "--session", "--dest", "org.freedesktop.DBus", "--object-path",
               "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.ReloadConfig"},
              ToolEnv(dirs_, bus.address()))
          .code,
      0);
  ASSERT_NO_FATAL_FAILURE(StartDaemon(bus.address()));
  std::string page = client_->Get("/settings").body;
  EXPECT_NE(page.find("kept in GNOME Keyring / Secret Service."), npos) << page;
  EXPECT_NE(page.find("did not answer"), npos) << page;
  HttpResponse saved = client_->Post(
      "/settings/agent", "provider_type=openai&base_url=" + FormEncode("http://127.0.0.1:9/v1") +
                             "&model=m&api_key=sk-nowhere");
  EXPECT_NE(saved.status, 200);
  EXPECT_NE(saved.body.find("did not answer"), npos) << saved.body;
  EXPECT_FALSE(std::filesystem::exists(dirs_.root() + "/config/hearth/secrets.json"));
  EXPECT_EQ(DatabaseBytes(dirs_).find("sk-nowhere"), npos);
}

// What an older Hearth saved: the settings document with the key and the token in plain text,
// saved twice (so an older copy also sits in the file's free space).
void WritePlainSettings(const UserDirs& dirs, const std::string& api_key,
                        const std::string& token) {
  auto store = store::Store::Open(dirs.db_path());
  ASSERT_TRUE(store.ok()) << store.status().message();
  std::string doc = R"({"providers": [{"name": "default", "type": "openai",
      "base_url": "http://127.0.0.1:9/v1", "api_key": ")" +
                    api_key + R"("}],
    "mcp_servers": [{"name": "gh", "command": "true", "args": [], "env": {"TOKEN": ")" +
                    token + R"("}}]})";
  ASSERT_TRUE((*store)->SetSetting(agent::Settings::kSettingKey, doc + " ").ok());
  ASSERT_TRUE((*store)->SetSetting(agent::Settings::kSettingKey, doc).ok());
}

TEST_F(Secrets, KeysAnOlderHearthSavedInTheDatabaseMoveToTheKeyringAndLeaveNoCopy) {
  if (!HaveGnomeKeyring()) GTEST_SKIP() << "gnome-keyring or libsecret-tools is not installed";
  std::filesystem::create_directories(dirs_.data_dir());
  std::string api_key = UniqueSecret("sk-upgrade-");
  std::string token = UniqueSecret("ghp-upgrade-");
  ASSERT_NO_FATAL_FAILURE(WritePlainSettings(dirs_, api_key, token));
  ASSERT_NE(DatabaseBytes(dirs_).find(api_key), npos);  // the test would see a copy

  PrivateBus bus(dirs_.Env());
  GnomeKeyring keyring(dirs_, bus);
  ASSERT_TRUE(keyring.WaitReady()) << ReadAll(dirs_.root() + "/gnome-keyring.log");
  ASSERT_NO_FATAL_FAILURE(StartDaemon(bus.address()));
  EXPECT_EQ(DatabaseBytes(dirs_).find(api_key), npos);
  EXPECT_EQ(DatabaseBytes(dirs_).find(token), npos);
  EXPECT_EQ(keyring.Lookup("provider/default/api_key").out, api_key);
  EXPECT_EQ(keyring.Lookup("mcp/gh/env/TOKEN").out, token);
  std::string page = client_->Get("/settings").body;
  EXPECT_NE(page.find("2 keys saved by an older Hearth moved from the database"), npos) << page;
  EXPECT_NE(page.find("saved (leave empty to keep it)"), npos) << page;
  StopDaemon();
  std::string bytes = DatabaseBytes(dirs_);
  EXPECT_EQ(bytes.find(api_key), npos);
  EXPECT_EQ(bytes.find(token), npos);
}

TEST_F(Secrets, KeysAnOlderHearthSavedInTheDatabaseMoveToTheFileWithoutASecretService) {
  std::filesystem::create_directories(dirs_.data_dir());
  std::string api_key = UniqueSecret("sk-upgrade-file-");
  ASSERT_NO_FATAL_FAILURE(WritePlainSettings(dirs_, api_key, "tok"));
  ASSERT_NE(DatabaseBytes(dirs_).find(api_key), npos);
  ASSERT_NO_FATAL_FAILURE(StartDaemon(""));
  EXPECT_EQ(DatabaseBytes(dirs_).find(api_key), npos);
  EXPECT_NE(ReadAll(dirs_.root() + "/config/hearth/secrets.json").find(api_key), npos);
}

TEST_F(Secrets, KeysThatCouldNotMoveStayInUseAndLeaveWithTheNextSave) {
  std::filesystem::create_directories(dirs_.data_dir());
  std::string api_key = UniqueSecret("sk-stuck-");
  ASSERT_NO_FATAL_FAILURE(WritePlainSettings(dirs_, api_key, "tok"));
  // A secrets file others can read: Hearth will not put keys in it.
  std::string file = dirs_.root() + "/config/hearth/secrets.json";
  std::filesystem::create_directories(dirs_.root() + "/config/hearth");
  { std::ofstream(file) << R"({"version": 1, "secrets": {}})"; }
  ASSERT_EQ(chmod(file.c_str(), 0644), 0);

  ASSERT_NO_FATAL_FAILURE(StartDaemon(""));
  std::string page = client_->Get("/settings").body;
  EXPECT_NE(page.find("2 keys are still in the database"), npos) << page;
  EXPECT_NE(page.find("chmod 600"), npos) << page;
  EXPECT_NE(page.find("saved (leave empty to keep it)"), npos) << page;  // still used
  EXPECT_NE(DatabaseBytes(dirs_).find(api_key), npos);                   // nothing lost

  ASSERT_EQ(chmod(file.c_str(), 0600), 0);
  HttpResponse saved = client_->Post(
      "/settings/agent",
      "provider_type=openai&base_url=" + FormEncode("http://127.0.0.1:9/v1") + "&model=m");
  ASSERT_EQ(saved.status, 200) << saved.body;
  EXPECT_NE(ReadAll(file).find(api_key), npos);
  EXPECT_EQ(DatabaseBytes(dirs_).find(api_key), npos);
}

}  // namespace
}  // namespace hearth::testing
