// SPDX-License-Identifier: Apache-2.0
#include "tools/file_tools.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "testing/files.h"
#include "testing/temp_dir.h"

namespace hearth::tools {
namespace {

using unit::ReadFile;
using unit::WriteFile;

using sandbox::DenyList;
using sandbox::Workspace;

Json::Value Args(std::initializer_list<std::pair<const char*, Json::Value>> fields) {
  Json::Value args(Json::objectValue);
  for (const auto& [key, value] : fields) args[key] = value;
  return args;
}

size_t CountLines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

// A fake home with secrets where they usually are, a project, and a folder beside the home:
//   <tmp>/home/{.ssh/{id_rsa, known_hosts}, .env, secret.pem, .config/gcloud/creds}
//   <tmp>/home/proj/{README.md, src/main.cpp}
//   <tmp>/outside/plain.txt
// The workspace root is the home itself, so the deny-list is all that guards the secrets.
class FileToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* dir : {"home", "home/.ssh", "home/.config", "home/.config/gcloud", "home/proj",
                            "home/proj/src", "outside"}) {
      ASSERT_EQ(mkdir(tmp_.File(dir).c_str(), 0700), 0) << dir;
    }
    WriteFile(Home(".ssh/id_rsa"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
    WriteFile(Home(".ssh/known_hosts"), "github.com ssh-ed25519 AAAA\n");
    WriteFile(Home(".env"), "API_TOKEN=hunter2\n");
    WriteFile(Home("secret.pem"), "-----BEGIN CERTIFICATE-----\n");
    WriteFile(Home(".config/gcloud/creds"), "gcloud refresh token\n");
    WriteFile(Home("proj/README.md"), "# Project\n");
    WriteFile(Home("proj/src/main.cpp"), "int main() { return 0; }\n");
    WriteFile(tmp_.File("outside/plain.txt"), "outside the workspace\n");
  }

  std::string Home(const std::string& rest = "") const {
    return rest.empty() ? tmp_.File("home") : tmp_.File("home/" + rest);
  }
  void Link(const std::string& target, const std::string& home_relative) {
    ASSERT_EQ(symlink(target.c_str(), Home(home_relative).c_str()), 0) << home_relative;
  }
  // Opens the workspace and the tools; call after arranging the files.
  void MakeTools(Workspace::Openat2Fn openat2 = nullptr, const FileToolLimits& limits = {}) {
    Result<Workspace> workspace = Workspace::Open({Home()}, DenyList(), openat2);
    ASSERT_TRUE(workspace.ok()) << workspace.status().ToString();
    for (auto& tool :
         MakeFileTools(std::make_shared<const Workspace>(std::move(workspace).value()), limits)) {
      tools_[tool->schema().name] = std::move(tool);
    }
    context_.on_denial = [this](const Denial& denial) { denials_.push_back(denial); };
  }
  ToolResult Call(const std::string& tool, const Json::Value& args) {
    EXPECT_EQ(tools_.count(tool), 1u) << tool;
    return tools_.at(tool)->Call(args, context_);
  }

  unit::TempDir tmp_;
  std::map<std::string, std::unique_ptr<Tool>> tools_;
  ToolContext context_;
  std::vector<Denial> denials_;
};

using FileTools = FileToolsTest;
using FileToolListDir = FileToolsTest;
using FileToolReadFile = FileToolsTest;
using FileToolSearchFiles = FileToolsTest;

TEST_F(FileTools, AreThreeReadOnlyToolsWithObjectSchemasNamingTheWorkspace) {
  MakeTools();
  ASSERT_EQ(tools_.size(), 3u);
  std::map<std::string, std::string> required = {
      {"list_dir", ""}, {"read_file", "path"}, {"search_files", "query"}};
  for (const auto& [name, tool] : tools_) {
    ASSERT_EQ(required.count(name), 1u) << name;
    EXPECT_FALSE(tool->needs_approval()) << name;
    const Json::Value& parameters = tool->schema().parameters;
    EXPECT_EQ(parameters["type"].asString(), "object") << name;
    EXPECT_TRUE(parameters["properties"].isObject()) << name;
    if (!required[name].empty()) {
      EXPECT_EQ(parameters["required"][0].asString(), required[name]) << name;
    }
    EXPECT_NE(tool->schema().description.find(Home()), std::string::npos) << name;
  }
}

TEST_F(FileTools, RefuseBadArgumentsByExplainingTheExpectedOnes) {
  MakeTools();
  std::vector<std::pair<std::string, Json::Value>> calls = {
      {"read_file", Args({})},
      {"read_file", Args({{"path", 3}})},
      {"read_file", Args({{"path", "proj/README.md"}, {"start_line", "2"}})},
      {"read_file", Args({{"path", "proj/README.md"}, {"start_line", 0}})},
      {"read_file", Args({{"path", "proj/README.md"}, {"start_line", 5}, {"end_line", 2}})},
      {"read_file", Json::Value("proj/README.md")},
      {"list_dir", Args({{"path", true}})},
      {"search_files", Args({})},
      {"search_files", Args({{"query", ""}})},
      {"search_files", Args({{"query", "x"}, {"content", "yes"}})},
      {"search_files", Args({{"query", "x"}, {"max_results", 2.5}})},
  };
  for (const auto& [tool, args] : calls) {
    ToolResult result = Call(tool, args);
    EXPECT_TRUE(result.is_error) << tool << " " << args.toStyledString();
    EXPECT_TRUE(result.text.starts_with("bad arguments for " + tool)) << result.text;
    EXPECT_NE(result.text.find("Expected {"), std::string::npos) << result.text;
  }
  EXPECT_TRUE(denials_.empty());
}

long Openat2Missing(int, const char*, struct open_how*, size_t) {
  errno = ENOSYS;
  return -1;
}

TEST_F(FileTools, RefuseEverythingWhenTheKernelLacksOpenat2) {
  MakeTools(&Openat2Missing);
  for (const auto& [tool, args] : std::vector<std::pair<std::string, Json::Value>>{
           {"list_dir", Args({})},
           {"read_file", Args({{"path", "proj/README.md"}})},
           {"search_files", Args({{"query", "main"}})}}) {
    ToolResult result = Call(tool, args);
    EXPECT_TRUE(result.is_error) << tool;
    EXPECT_NE(result.text.find("openat2"), std::string::npos) << result.text;
  }
  EXPECT_TRUE(denials_.empty());
}

TEST_F(FileTools, ReportEveryDenialExactlyOnce) {
  Link("../.ssh", "proj/keys");                    // a directory symlink into .ssh
  Link("../.ssh/known_hosts", "proj/hosts.txt");   // a file symlink into .ssh
  Link(tmp_.File("outside"), "proj/out");          // an absolute symlink out of the root
  Link("../../outside/plain.txt", "proj/up.txt");  // a relative one
  Link("loop", "proj/loop");
  std::vector<std::pair<std::string, Json::Value>> attempts = {
      {"read_file", Args({{"path", ".ssh/id_rsa"}})},
      {"read_file", Args({{"path", Home(".ssh/id_rsa")}})},
      {"read_file", Args({{"path", "./x/../.ssh/known_hosts"}})},
      {"read_file", Args({{"path", ".//.ssh/known_hosts"}})},
      {"read_file", Args({{"path", ".env"}})},
      {"read_file", Args({{"path", "secret.pem"}})},
      {"read_file", Args({{"path", ".config/gcloud/creds"}})},
      {"read_file", Args({{"path", "proj/keys/known_hosts"}})},
      {"read_file", Args({{"path", "proj/hosts.txt"}})},
      {"read_file", Args({{"path", "../outside/plain.txt"}})},
      {"read_file", Args({{"path", tmp_.File("outside/plain.txt")}})},
      {"read_file", Args({{"path", "proj/out/plain.txt"}})},
      {"read_file", Args({{"path", "proj/up.txt"}})},
      {"read_file", Args({{"path", "proj/loop"}})},
      {"read_file", Args({{"path", "/proc/self/root" + Home(".ssh/id_rsa")}})},
      {"read_file", Args({{"path", "/proc/self/cwd/" + Home("proj/README.md")}})},
      {"list_dir", Args({{"path", ".ssh"}})},
      {"list_dir", Args({{"path", "./x/../.ssh"}})},
      {"list_dir", Args({{"path", "proj/keys"}})},
      {"list_dir", Args({{"path", "/etc"}})},
      {"search_files", Args({{"query", "KEY"}, {"path", ".ssh"}, {"content", true}})},
      {"search_files", Args({{"query", "x"}, {"path", "proj/out"}})},
  };
  MakeTools();
  for (const auto& [tool, args] : attempts) {
    size_t before = denials_.size();
    ToolResult result = Call(tool, args);
    std::string target = args["path"].asString();
    EXPECT_TRUE(result.is_error) << tool << " " << target;
    EXPECT_TRUE(result.text.starts_with("denied: "))
        << tool << " " << target << ": " << result.text;
    EXPECT_EQ(result.text.find("BEGIN"), std::string::npos) << result.text;
    ASSERT_EQ(denials_.size(), before + 1) << tool << " " << target;
    EXPECT_EQ(denials_.back().tool, tool);
    EXPECT_EQ(denials_.back().target, target);
    EXPECT_EQ(denials_.back().reason, result.text);
  }
}

TEST_F(FileTools, DoNotReportFailuresThatAreNotDenials) {
  ASSERT_EQ(mkfifo(Home("proj/notes.txt").c_str(), 0600), 0);
  MakeTools();
  for (const std::string& path :
       {std::string("proj/missing.txt"), std::string("proj/notes.txt"), std::string("proj/src"),
        std::string("proj/a\0b", 8), std::string(5000, 'x')}) {
    ToolResult result = Call("read_file", Args({{"path", path}}));
    EXPECT_TRUE(result.is_error) << path.substr(0, 20);
    EXPECT_FALSE(result.text.starts_with("denied")) << result.text;
  }
  EXPECT_TRUE(denials_.empty());
}

TEST_F(FileTools, NeverThrowEvenWhenTheDenialCallbackDoes) {
  MakeTools();
  context_.on_denial = [](const Denial&) { throw std::runtime_error("audit log is full"); };
  ToolResult result;
  EXPECT_NO_THROW(result = Call("read_file", Args({{"path", ".ssh/id_rsa"}})));
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("audit log is full"), std::string::npos) << result.text;
}

TEST_F(FileToolListDir, ListsEntriesSortedWithTypeAndSize) {
  Link("README.md", "proj/link");
  MakeTools();
  ToolResult result = Call("list_dir", Args({{"path", "proj"}}));
  ASSERT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text,
            "proj: 3 entries\n"
            "file  README.md  10 bytes\n"
            "link  link\n"
            "dir   src/\n");
}

TEST_F(FileToolListDir, OmitsDeniedEntriesWithoutNamingThem) {
  MakeTools();
  ToolResult result = Call("list_dir", Args({}));
  ASSERT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text, ".: 2 entries\ndir   .config/\ndir   proj/\n");
  ToolResult config = Call("list_dir", Args({{"path", ".config"}}));
  EXPECT_EQ(config.text, ".config is empty.\n");
  EXPECT_TRUE(denials_.empty());
}

TEST_F(FileToolListDir, ShowsTheFirst500NamesAndCountsTheRest) {
  ASSERT_EQ(mkdir(Home("proj/many").c_str(), 0700), 0);
  for (int i = 519; i >= 0; --i) {
    char name[16];
    snprintf(name, sizeof name, "f%03d", i);
    WriteFile(Home("proj/many/") + name, "");
  }
  MakeTools();
  ToolResult result = Call("list_dir", Args({{"path", "proj/many"}}));
  ASSERT_FALSE(result.is_error) << result.text;
  EXPECT_TRUE(result.text.starts_with("proj/many: 520 entries\nfile  f000  0 bytes\n"));
  EXPECT_NE(result.text.find("file  f499  0 bytes\n… 20 more entries"), std::string::npos);
  EXPECT_EQ(result.text.find("f500"), std::string::npos);
  EXPECT_EQ(CountLines(result.text), 502u);
}

TEST_F(FileToolListDir, EscapesControlCharactersSoNamesCannotForgeEntries) {
  WriteFile(Home("proj/a\nfile  fake.txt"), "");
  MakeTools();
  ToolResult result = Call("list_dir", Args({{"path", "proj"}}));
  EXPECT_NE(result.text.find("file  a\\x0afile  fake.txt  0 bytes\n"), std::string::npos)
      << result.text;
}

TEST_F(FileToolReadFile, ReadsASmallFileWhole) {
  MakeTools();
  ToolResult result = Call("read_file", Args({{"path", "proj/README.md"}}));
  EXPECT_FALSE(result.is_error);
  EXPECT_EQ(result.text, "proj/README.md, lines 1-1 of 1:\n# Project\n");
}

TEST_F(FileToolReadFile, ReadsALineRange) {
  std::string text;
  for (int i = 1; i <= 10; ++i) text += "line " + std::to_string(i) + "\n";
  WriteFile(Home("proj/ten.txt"), text);
  MakeTools();
  ToolResult result =
      Call("read_file", Args({{"path", "proj/ten.txt"}, {"start_line", 3}, {"end_line", 5}}));
  EXPECT_EQ(result.text, "proj/ten.txt, lines 3-5:\nline 3\nline 4\nline 5\n");
  ToolResult tail = Call("read_file", Args({{"path", "proj/ten.txt"}, {"start_line", 9}}));
  EXPECT_EQ(tail.text, "proj/ten.txt, lines 9-10 of 10:\nline 9\nline 10\n");
  ToolResult past = Call("read_file", Args({{"path", "proj/ten.txt"}, {"start_line", 11}}));
  EXPECT_TRUE(past.is_error);
  EXPECT_EQ(past.text, "proj/ten.txt has 10 lines; start_line 11 is past the end");
}

TEST_F(FileToolReadFile, CutsLongOutputAtALineAndSaysWhereToGoOn) {
  std::string text;
  for (int i = 1; i <= 20000; ++i)
    text += "line " + std::to_string(i) + " " + std::string(40, '.') + "\n";
  WriteFile(Home("proj/long.txt"), text);  // about 1 MiB, far beyond one answer
  MakeTools();
  ToolResult first = Call("read_file", Args({{"path", "proj/long.txt"}}));
  ASSERT_FALSE(first.is_error);
  EXPECT_LT(first.text.size(), size_t{65 * 1024});
  size_t at = first.text.find("call read_file with start_line=");
  ASSERT_NE(at, std::string::npos) << first.text.substr(first.text.size() - 200);
  int next = std::stoi(first.text.substr(at + 31));
  EXPECT_NE(first.text.find("line " + std::to_string(next - 1) + " ...."), std::string::npos);
  EXPECT_EQ(first.text.find("line " + std::to_string(next) + " ...."), std::string::npos);

  ToolResult later = Call("read_file", Args({{"path", "proj/long.txt"}, {"start_line", 19999}}));
  EXPECT_EQ(later.text, "proj/long.txt, lines 19999-20000 of 20000:\nline 19999 " +
                            std::string(40, '.') + "\nline 20000 " + std::string(40, '.') + "\n");
}

TEST_F(FileToolReadFile, ScansOnlyAsFarAsItsLimitAndSaysSo) {
  std::string text;
  for (int i = 1; i <= 100; ++i)
    text += "line " + std::to_string(i) + " " + std::string(93, '.') + "\n";
  WriteFile(Home("proj/log.txt"), text);  // 100 lines of 100 bytes
  FileToolLimits limits;
  limits.read_scan_bytes = 1024;
  MakeTools(nullptr, limits);
  ToolResult result = Call("read_file", Args({{"path", "proj/log.txt"}, {"start_line", 5}}));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_TRUE(result.text.starts_with("proj/log.txt, lines 5-10:\nline 5 ")) << result.text;
  EXPECT_TRUE(result.text.ends_with(
      "[stopped after scanning the first 1 KiB of proj/log.txt; lines past 10 cannot be read "
      "with read_file]\n"))
      << result.text;
  ToolResult beyond = Call("read_file", Args({{"path", "proj/log.txt"}, {"start_line", 50}}));
  EXPECT_TRUE(beyond.is_error);
  EXPECT_EQ(beyond.text,
            "line 50 of proj/log.txt lies beyond its first 1 KiB, which is as far as read_file "
            "reads");
}

TEST_F(FileToolReadFile, RefusesBinaryFiles) {
  WriteFile(Home("proj/image.png"), std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  MakeTools();
  ToolResult result = Call("read_file", Args({{"path", "proj/image.png"}}));
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("binary"), std::string::npos) << result.text;
}

TEST_F(FileToolReadFile, ReplacesInvalidUtf8) {
  WriteFile(Home("proj/latin1.txt"), "caf\xe9 \xc3\xa9\n");
  MakeTools();
  ToolResult result = Call("read_file", Args({{"path", "proj/latin1.txt"}}));
  EXPECT_FALSE(result.is_error);
  EXPECT_EQ(result.text, "proj/latin1.txt, lines 1-1 of 1:\ncaf\xEF\xBF\xBD \xc3\xa9\n");
}

TEST_F(FileToolReadFile, SaysAnEmptyFileIsEmpty) {
  WriteFile(Home("proj/empty.txt"), "");
  MakeTools();
  EXPECT_EQ(Call("read_file", Args({{"path", "proj/empty.txt"}})).text,
            "proj/empty.txt is empty.\n");
}

TEST_F(FileToolReadFile, RefusesAFifoWithoutBlocking) {
  ASSERT_EQ(mkfifo(Home("proj/pipe.txt").c_str(), 0600), 0);
  MakeTools();
  auto call = std::async(std::launch::async, [this] {
    return Call("read_file", Args({{"path", "proj/pipe.txt"}}));
  });
  if (call.wait_for(std::chrono::seconds(5)) == std::future_status::timeout) {
    ADD_FAILURE() << "read_file blocked on a FIFO";
    int writer = open(Home("proj/pipe.txt").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (writer >= 0) close(writer);
  }
  ToolResult result = call.get();
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("FIFO"), std::string::npos) << result.text;
}

TEST_F(FileToolSearchFiles, FindsNamesBySubstringOrWildcardIgnoringCase) {
  MakeTools();
  EXPECT_EQ(Call("search_files", Args({{"query", "MAIN"}})).text,
            "1 names matching \"MAIN\" under .:\nproj/src/main.cpp\n");
  EXPECT_EQ(Call("search_files", Args({{"query", "*.md"}})).text,
            "1 names matching \"*.md\" under .:\nproj/README.md\n");
  EXPECT_EQ(Call("search_files", Args({{"query", "src"}, {"path", "proj"}})).text,
            "1 names matching \"src\" under proj:\nproj/src/\n");
}

TEST_F(FileToolSearchFiles, FindsLinesByContentIgnoringCase) {
  WriteFile(Home("proj/src/util.cpp"), "// helpers\nint Add(int a) {\n  return a + 1;\n}\n");
  MakeTools();
  ToolResult result = Call("search_files", Args({{"query", "RETURN"}, {"content", true}}));
  EXPECT_EQ(result.text,
            "2 lines containing \"RETURN\" under .:\n"
            "proj/src/main.cpp:1: int main() { return 0; }\n"
            "proj/src/util.cpp:3: return a + 1;\n");
}

TEST_F(FileToolSearchFiles, NeverFindsDeniedFilesByNameOrContent) {
  Link("../.ssh", "proj/keys");
  Link("../.env", "proj/env.txt");
  MakeTools();
  for (const char* query :
       {"PRIVATE KEY", "hunter2", "CERTIFICATE", "refresh token", "ssh-ed25519"}) {
    ToolResult result = Call("search_files", Args({{"query", query}, {"content", true}}));
    EXPECT_FALSE(result.is_error) << query;
    EXPECT_TRUE(result.text.starts_with("No line")) << query << ": " << result.text;
  }
  for (const char* query : {"id_rsa", "ssh", "*.pem", ".env", "gcloud", "known"}) {
    ToolResult result = Call("search_files", Args({{"query", query}}));
    EXPECT_EQ(result.text.find(".ssh"), std::string::npos) << query << ": " << result.text;
    EXPECT_EQ(result.text.find("id_rsa\n"), std::string::npos) << query << ": " << result.text;
    EXPECT_EQ(result.text.find("secret.pem"), std::string::npos) << query << ": " << result.text;
    EXPECT_EQ(result.text.find("gcloud/"), std::string::npos) << query << ": " << result.text;
  }
  EXPECT_TRUE(denials_.empty()) << "entries skipped by the walk are not the model's attempts";
}

TEST_F(FileToolSearchFiles, DoesNotFollowSymlinksOutOfTheTree) {
  Link("../../outside", "proj/out");
  MakeTools();
  ToolResult result = Call("search_files", Args({{"query", "outside the"}, {"content", true}}));
  EXPECT_TRUE(result.text.starts_with("No line")) << result.text;
  ToolResult names = Call("search_files", Args({{"query", "plain"}}));
  EXPECT_TRUE(names.text.starts_with("No name")) << names.text;
}

TEST_F(FileToolSearchFiles, StopsAtMaxResultsAndSaysSo) {
  for (int i = 0; i < 30; ++i) WriteFile(Home("proj/note" + std::to_string(i) + ".txt"), "");
  MakeTools();
  ToolResult result = Call("search_files", Args({{"query", "note"}, {"max_results", 5}}));
  EXPECT_EQ(CountLines(result.text), 7u) << result.text;
  EXPECT_NE(result.text.find("[stopped at 5 results"), std::string::npos) << result.text;
}

TEST_F(FileToolSearchFiles, StaysAbove12LevelsAndSaysSo) {
  std::string dir = Home("proj");
  for (int depth = 1; depth <= 14; ++depth) {
    dir += "/d" + std::to_string(depth);
    ASSERT_EQ(mkdir(dir.c_str(), 0700), 0);
    WriteFile(dir + "/level" + std::to_string(depth) + ".txt", "");
  }
  MakeTools();
  // proj is level 0 of the search; level N's file lies in directory dN.
  ToolResult result = Call("search_files", Args({{"query", "level"}, {"path", "proj"}}));
  EXPECT_NE(result.text.find("level12.txt"), std::string::npos) << result.text;
  EXPECT_EQ(result.text.find("level13.txt"), std::string::npos) << result.text;
  EXPECT_NE(result.text.find("[1 directories deeper than 12 levels"), std::string::npos)
      << result.text;
}

TEST_F(FileToolSearchFiles, ReadsOnlyTheFirstMiBOfEachFileAndSaysSo) {
  WriteFile(Home("proj/big.log"), std::string(size_t{1} << 20, 'a') + "\nneedle\n");
  WriteFile(Home("proj/small.log"), "a needle\n");
  MakeTools();
  ToolResult result = Call("search_files", Args({{"query", "needle"}, {"content", true}}));
  EXPECT_NE(result.text.find("proj/small.log:1: a needle"), std::string::npos) << result.text;
  EXPECT_EQ(result.text.find("big.log:"), std::string::npos) << result.text;
  EXPECT_NE(result.text.find("[1 files are larger than 1 MiB"), std::string::npos);
}

TEST_F(FileToolSearchFiles, SkipsBinaryFilesWhenSearchingContent) {
  WriteFile(Home("proj/blob.bin"), std::string("needle\0", 7));
  MakeTools();
  ToolResult result = Call("search_files", Args({{"query", "needle"}, {"content", true}}));
  EXPECT_TRUE(result.text.starts_with("No line")) << result.text;
}

TEST_F(FileToolSearchFiles, StopsWhenCancelled) {
  MakeTools();
  std::atomic<bool> cancel{true};
  context_.cancel = &cancel;
  ToolResult result = Call("search_files", Args({{"query", "main"}}));
  EXPECT_TRUE(result.is_error);
  EXPECT_EQ(result.text, "search_files was cancelled");
}

TEST_F(FileToolSearchFiles, StopsAfterVisitingItsLimitOfEntriesAndSaysSo) {
  ASSERT_EQ(mkdir(Home("proj/crowd").c_str(), 0700), 0);
  for (int i = 0; i < 60; ++i) WriteFile(Home("proj/crowd/") + std::to_string(i), "");
  FileToolLimits limits;
  limits.search_entries = 50;
  MakeTools(nullptr, limits);
  ToolResult result = Call("search_files", Args({{"query", "nothing-like-this"}}));
  EXPECT_NE(result.text.find("[stopped after looking at 50 entries"), std::string::npos)
      << result.text;
  ToolResult found = Call("search_files", Args({{"query", "main"}, {"path", "proj/src"}}));
  EXPECT_EQ(found.text.find("[stopped after looking"), std::string::npos)
      << "a walk within the limit says nothing: " << found.text;
}

}  // namespace
}  // namespace hearth::tools
