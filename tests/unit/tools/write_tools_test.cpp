// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "testing/files.h"
#include "testing/temp_dir.h"
#include "tools/file_tools.h"

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

// A home with secrets where they usually are and a project; the workspace root is the home, so
// the deny-list is all that guards the secrets:
//   <tmp>/home/{.ssh/id_rsa, .env, proj/notes.md, proj/src/main.c}   <tmp>/outside/plain.txt
class WriteToolsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* dir : {"home", "home/.ssh", "home/proj", "home/proj/src", "outside"}) {
      ASSERT_EQ(mkdir(tmp_.File(dir).c_str(), 0700), 0) << dir;
    }
    WriteFile(Home(".ssh/id_rsa"), "PRIVATE KEY\n");
    WriteFile(Home(".env"), "TOKEN=1\n");
    WriteFile(Home("proj/notes.md"), "# Notes\n\n- one\n- two\n");
    WriteFile(Home("proj/src/main.c"),
              "int f() { return 1; }\nint g() { return 1; }\nint main() { return f(); }\n");
    WriteFile(tmp_.File("outside/plain.txt"), "outside\n");
  }
  std::string Home(const std::string& rest = "") const {
    return rest.empty() ? tmp_.File("home") : tmp_.File("home/" + rest);
  }
  void MakeTools(const FileToolLimits& limits = {}) {
    Result<Workspace> workspace = Workspace::Open({Home()}, DenyList());
    ASSERT_TRUE(workspace.ok()) << workspace.status().ToString();
    for (auto& tool :
         MakeWriteTools(std::make_shared<const Workspace>(std::move(workspace).value()), limits)) {
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

using WriteTools = WriteToolsTest;
using WriteFileTool = WriteToolsTest;
using EditFileTool = WriteToolsTest;

TEST_F(WriteTools, AreTwoToolsThatNeedApproval) {
  MakeTools();
  ASSERT_EQ(tools_.size(), 2u);
  for (const char* name : {"write_file", "edit_file"}) {
    ASSERT_EQ(tools_.count(name), 1u) << name;
    EXPECT_TRUE(tools_[name]->needs_approval()) << name;
    EXPECT_EQ(tools_[name]->grant_key(), name);
    const Json::Value& parameters = tools_[name]->schema().parameters;
    EXPECT_EQ(parameters["required"][0].asString(), "path") << name;
    EXPECT_NE(tools_[name]->schema().description.find(Home()), std::string::npos) << name;
  }
}

TEST_F(WriteTools, RefuseBadArgumentsByExplainingTheExpectedOnes) {
  MakeTools();
  std::vector<std::pair<std::string, Json::Value>> calls = {
      {"write_file", Args({{"path", "proj/a.txt"}})},
      {"write_file", Args({{"content", "x"}})},
      {"write_file", Args({{"path", "proj/a.txt"}, {"content", 3}})},
      {"write_file", Json::Value("proj/a.txt")},
      {"edit_file", Args({{"path", "proj/notes.md"}, {"old_text", "one"}})},
      {"edit_file", Args({{"path", "proj/notes.md"}, {"old_text", ""}, {"new_text", "x"}})},
      {"edit_file", Args({{"path", "proj/notes.md"}, {"old_text", "one"}, {"new_text", "one"}})},
      {"edit_file",
       Args({{"path", "proj/notes.md"}, {"old_text", "a"}, {"new_text", "b"}, {"replace_all", 1}})},
  };
  for (const auto& [tool, args] : calls) {
    ToolResult result = Call(tool, args);
    EXPECT_TRUE(result.is_error) << tool << " " << args.toStyledString();
    EXPECT_TRUE(result.text.starts_with("bad arguments for " + tool)) << result.text;
  }
  EXPECT_FALSE(std::ifstream(Home("proj/a.txt")).good());
  EXPECT_EQ(ReadFile(Home("proj/notes.md")), "# Notes\n\n- one\n- two\n");
}

TEST_F(WriteFileTool, CreatesAFileAndItsMissingFolders) {
  MakeTools();
  ToolResult result = Call(
      "write_file", Args({{"path", "proj/docs/guide/intro.md"}, {"content", "# Intro\nHi\n"}}));
  ASSERT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text, "Created proj/docs/guide/intro.md (11 bytes, 2 lines).\n");
  EXPECT_EQ(ReadFile(Home("proj/docs/guide/intro.md")), "# Intro\nHi\n");
}

TEST_F(WriteFileTool, ReplacesAWholeFileAndSaysWhatItWas) {
  MakeTools();
  ToolResult result = Call("write_file", Args({{"path", Home("proj/notes.md")}, {"content", ""}}));
  ASSERT_FALSE(result.is_error) << result.text;
  EXPECT_NE(result.text.find("Replaced"), std::string::npos) << result.text;
  EXPECT_NE(result.text.find("it was 21 bytes"), std::string::npos) << result.text;
  EXPECT_EQ(ReadFile(Home("proj/notes.md")), "");
}

TEST_F(WriteFileTool, NeverWritesASecretOrOutsideAndReportsEachDenial) {
  MakeTools();
  const std::vector<std::string> targets = {".ssh/id_rsa",
                                            ".ssh/authorized_keys",
                                            ".env",
                                            "proj/.env.local",
                                            "proj/new/.ssh/config",
                                            "../outside/plain.txt",
                                            tmp_.File("outside/new.txt")};
  for (const std::string& target : targets) {
    ToolResult result = Call("write_file", Args({{"path", target}, {"content", "pwned\n"}}));
    EXPECT_TRUE(result.is_error) << target;
    EXPECT_TRUE(result.text.starts_with("denied: ")) << target << ": " << result.text;
  }
  ASSERT_EQ(denials_.size(), targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    EXPECT_EQ(denials_[i].tool, "write_file");
    EXPECT_EQ(denials_[i].target, targets[i]);
  }
  EXPECT_EQ(ReadFile(Home(".ssh/id_rsa")), "PRIVATE KEY\n");
  EXPECT_EQ(ReadFile(Home(".env")), "TOKEN=1\n");
  EXPECT_EQ(ReadFile(tmp_.File("outside/plain.txt")), "outside\n");
  EXPECT_FALSE(std::ifstream(Home(".ssh/authorized_keys")).good());
  EXPECT_FALSE(std::ifstream(Home("proj/new")).good()) << "a folder made before the refusal";
}

TEST_F(WriteFileTool, RefusesContentOverItsLimitWithoutTouchingTheFile) {
  FileToolLimits limits;
  limits.write_bytes = 16;
  MakeTools(limits);
  ToolResult result =
      Call("write_file", Args({{"path", "proj/notes.md"}, {"content", std::string(17, 'x')}}));
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("at most 16 bytes"), std::string::npos) << result.text;
  EXPECT_EQ(ReadFile(Home("proj/notes.md")), "# Notes\n\n- one\n- two\n");
  EXPECT_TRUE(denials_.empty());
}

TEST_F(EditFileTool, ReplacesTextThatOccursOnceAndNamesTheLine) {
  MakeTools();
  ToolResult result = Call(
      "edit_file",
      Args({{"path", "proj/notes.md"}, {"old_text", "- two\n"}, {"new_text", "- two\n- three\n"}}));
  ASSERT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text,
            "Edited proj/notes.md: replaced 1 occurrence at line 4. The file now has 5 lines (29 "
            "bytes).\n");
  EXPECT_EQ(ReadFile(Home("proj/notes.md")), "# Notes\n\n- one\n- two\n- three\n");
}

TEST_F(EditFileTool, RefusesAmbiguousTextUnlessAskedToReplaceAll) {
  MakeTools();
  Json::Value args =
      Args({{"path", "proj/src/main.c"}, {"old_text", "return 1;"}, {"new_text", "return 2;"}});
  ToolResult ambiguous = Call("edit_file", args);
  EXPECT_TRUE(ambiguous.is_error);
  EXPECT_NE(ambiguous.text.find("occurs 2 times"), std::string::npos) << ambiguous.text;
  EXPECT_NE(ambiguous.text.find("lines 1 and 2"), std::string::npos) << ambiguous.text;
  EXPECT_NE(ambiguous.text.find("Nothing was changed"), std::string::npos) << ambiguous.text;
  EXPECT_EQ(ReadFile(Home("proj/src/main.c")),
            "int f() { return 1; }\nint g() { return 1; }\nint main() { return f(); }\n");

  args["replace_all"] = true;
  ToolResult all = Call("edit_file", args);
  ASSERT_FALSE(all.is_error) << all.text;
  EXPECT_NE(all.text.find("replaced 2 occurrences at lines 1 and 2"), std::string::npos)
      << all.text;
  EXPECT_EQ(ReadFile(Home("proj/src/main.c")),
            "int f() { return 2; }\nint g() { return 2; }\nint main() { return f(); }\n");
}

TEST_F(EditFileTool, SaysWhenTheTextIsNotThere) {
  MakeTools();
  ToolResult result = Call(
      "edit_file", Args({{"path", "proj/notes.md"}, {"old_text", "- One"}, {"new_text", "- 1"}}));
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("was not found"), std::string::npos) << result.text;
  EXPECT_EQ(ReadFile(Home("proj/notes.md")), "# Notes\n\n- one\n- two\n");
}

TEST_F(EditFileTool, NeverTouchesASecretOrABinaryOrAMissingFile) {
  MakeTools();
  ToolResult secret =
      Call("edit_file",
           Args({{"path", ".ssh/id_rsa"}, {"old_text", "PRIVATE"}, {"new_text", "PUBLIC"}}));
  EXPECT_TRUE(secret.text.starts_with("denied: ")) << secret.text;
  ASSERT_EQ(denials_.size(), 1u);
  EXPECT_EQ(denials_[0].tool, "edit_file");
  EXPECT_EQ(ReadFile(Home(".ssh/id_rsa")), "PRIVATE KEY\n");

  WriteFile(Home("proj/blob.bin"), std::string("ab\0cd", 5));
  ToolResult binary =
      Call("edit_file", Args({{"path", "proj/blob.bin"}, {"old_text", "ab"}, {"new_text", "x"}}));
  EXPECT_TRUE(binary.is_error);
  EXPECT_NE(binary.text.find("binary"), std::string::npos) << binary.text;
  EXPECT_EQ(ReadFile(Home("proj/blob.bin")), std::string("ab\0cd", 5));

  ToolResult missing =
      Call("edit_file", Args({{"path", "proj/none.md"}, {"old_text", "a"}, {"new_text", "b"}}));
  EXPECT_TRUE(missing.is_error);
  EXPECT_NE(missing.text.find("does not exist"), std::string::npos) << missing.text;
  EXPECT_FALSE(std::ifstream(Home("proj/none.md")).good());
  EXPECT_EQ(denials_.size(), 1u) << "failures that are not denials are not audited";
}

TEST_F(EditFileTool, RefusesFilesAndResultsOverItsLimit) {
  FileToolLimits limits;
  limits.write_bytes = 24;
  MakeTools(limits);
  ToolResult grown =
      Call("edit_file",
           Args({{"path", "proj/notes.md"}, {"old_text", "two"}, {"new_text", "two and three"}}));
  EXPECT_TRUE(grown.is_error);
  EXPECT_NE(grown.text.find("at most 24 bytes"), std::string::npos) << grown.text;
  EXPECT_EQ(ReadFile(Home("proj/notes.md")), "# Notes\n\n- one\n- two\n");

  ToolResult large =
      Call("edit_file",
           Args({{"path", "proj/src/main.c"}, {"old_text", "main"}, {"new_text", "start"}}));
  EXPECT_TRUE(large.is_error);
  EXPECT_NE(large.text.find("at most 24 bytes"), std::string::npos) << large.text;
}

// The approval form says, before the user answers, that a protected write will be refused; the
// write is refused and reported all the same if the user allows it.
TEST_F(WriteTools, SayBeforeApprovalThatAProtectedWriteWillBeRefusedAndRefuseIt) {
  ASSERT_EQ(mkdir(Home("proj/.git").c_str(), 0700), 0);
  ASSERT_EQ(mkdir(Home("proj/.git/hooks").c_str(), 0700), 0);
  WriteFile(Home("proj/.git/config"), "[core]\n");
  MakeTools();
  Json::Value hook = Args({{"path", "proj/.git/hooks/pre-commit"}, {"content", "evil\n"}});
  std::vector<std::string> notes = tools_.at("write_file")->ApprovalNotes(hook);
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_TRUE(notes[0].starts_with("Hearth will refuse this whatever you answer: ")) << notes[0];
  EXPECT_NE(notes[0].find("write-protected"), std::string::npos) << notes[0];
  EXPECT_NE(notes[0].find(Home("proj/.git/hooks/pre-commit")), std::string::npos) << notes[0];
  Json::Value edit =
      Args({{"path", "proj/.git/config"}, {"old_text", "[core]"}, {"new_text", "[core]\nx=1"}});
  EXPECT_EQ(tools_.at("edit_file")->ApprovalNotes(edit).size(), 1u);
  EXPECT_TRUE(tools_.at("write_file")
                  ->ApprovalNotes(Args({{"path", "proj/a.txt"}, {"content", "x"}}))
                  .empty());

  ToolResult written = Call("write_file", hook);
  EXPECT_TRUE(written.is_error);
  EXPECT_TRUE(written.text.starts_with("denied: ")) << written.text;
  ToolResult edited = Call("edit_file", edit);
  EXPECT_TRUE(edited.is_error);
  EXPECT_TRUE(edited.text.starts_with("denied: ")) << edited.text;
  ASSERT_EQ(denials_.size(), 2u);
  EXPECT_EQ(denials_[0].tool, "write_file");
  EXPECT_EQ(denials_[0].target, "proj/.git/hooks/pre-commit");
  EXPECT_NE(denials_[0].reason.find("write-protected"), std::string::npos);
  EXPECT_EQ(denials_[1].tool, "edit_file");
  EXPECT_EQ(access(Home("proj/.git/hooks/pre-commit").c_str(), F_OK), -1);
  EXPECT_EQ(ReadFile(Home("proj/.git/config")), "[core]\n");
}

}  // namespace
}  // namespace hearth::tools
