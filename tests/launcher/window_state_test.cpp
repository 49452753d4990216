// SPDX-License-Identifier: Apache-2.0
#include "launcher/window_state.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "base/paths.h"
#include "testing/temp_dir.h"

namespace hearth::launcher {
namespace {

TEST(WindowState, RoundTripsThroughTheFileFormat) {
  WindowState state{.width = 1234, .height = 777, .maximized = true};
  EXPECT_EQ(ParseWindowState(FormatWindowState(state)), state);
  EXPECT_EQ(FormatWindowState(state),
            "# Written by hearth when its window changes size.\n"
            "[window]\nwidth=1234\nheight=777\nmaximized=true\n");
}

TEST(WindowState, DefaultsToTheDocumentedSize) {
  WindowState state = ParseWindowState("");
  EXPECT_EQ(state.width, 1000);
  EXPECT_EQ(state.height, 720);
  EXPECT_FALSE(state.maximized);
}

TEST(WindowState, KeepsTheDefaultForEveryMalformedKey) {
  WindowState state =
      ParseWindowState("[window]\nwidth=wide\nheight=-5\nmaximized=yes please\nwidth=12345678\n");
  EXPECT_EQ(state, WindowState());
}

TEST(WindowState, SurvivesBinaryGarbage) {
  const char kGarbage[] = "[window]\nwidth=\x01\x02\xff\n\0\0\nheight=800\r\n\xfe";
  std::string garbage(kGarbage, sizeof kGarbage - 1);
  WindowState state = ParseWindowState(garbage);
  EXPECT_EQ(state.width, 1000);
  EXPECT_EQ(state.height, 800);
}

TEST(WindowState, BringsSizesIntoRange) {
  EXPECT_EQ(ParseWindowState("[window]\nwidth=10\nheight=20\n"),
            (WindowState{.width = 360, .height = 300}));
  EXPECT_EQ(ParseWindowState("[window]\nwidth=99999\nheight=99999\n"),
            (WindowState{.width = 16384, .height = 16384}));
  EXPECT_EQ(ParseWindowState(FormatWindowState(WindowState{.width = 1, .height = 1})),
            (WindowState{.width = 360, .height = 300}));
}

TEST(WindowState, ReadsOnlyItsOwnSectionAndToleratesSpacesAndComments) {
  WindowState state = ParseWindowState(
      "width=500\n[other]\nheight=500\n; comment\n[window]\n  width = 900 \n# height=1\n"
      "maximized=true\nunknown=1\n");
  EXPECT_EQ(state, (WindowState{.width = 900, .height = 720, .maximized = true}));
}

// Points XDG_CONFIG_HOME at a temporary directory for one test.
class WindowStateFile : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* old = getenv("XDG_CONFIG_HOME")) saved_ = old;
    setenv("XDG_CONFIG_HOME", dir_.path().c_str(), 1);
  }
  void TearDown() override {
    if (saved_) {
      setenv("XDG_CONFIG_HOME", saved_->c_str(), 1);
    } else {
      unsetenv("XDG_CONFIG_HOME");
    }
  }
  std::string Read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  unit::TempDir dir_;
  std::optional<std::string> saved_;
};

TEST_F(WindowStateFile, IsWrittenPrivatelyUnderTheConfigDirectoryAndReadBack) {
  WindowState state{.width = 900, .height = 650};
  ASSERT_TRUE(SaveWindowState(state).ok());
  std::string path = dir_.path() + "/hearth/window.ini";
  EXPECT_EQ(WindowStatePath().value(), path);
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((dir_.path() + "/hearth").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(Read(path), FormatWindowState(state));
  EXPECT_EQ(LoadWindowState(), state);
}

TEST_F(WindowStateFile, LoadsDefaultsWhenTheFileIsMissingOrHuge) {
  EXPECT_EQ(LoadWindowState(), WindowState());
  ASSERT_TRUE(EnsurePrivateDir(dir_.path() + "/hearth").ok());
  std::ofstream(dir_.path() + "/hearth/window.ini") << "[window]\nwidth=900\n"
                                                    << std::string(100000, '#');
  EXPECT_EQ(LoadWindowState(), WindowState());
}

}  // namespace
}  // namespace hearth::launcher
