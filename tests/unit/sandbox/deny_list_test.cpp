// SPDX-License-Identifier: Apache-2.0
#include "sandbox/deny_list.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "testing/temp_dir.h"

namespace hearth::sandbox {
namespace {

TEST(DenyGlob, MatchesStarsAndQuestionMarksOverOneName) {
  EXPECT_TRUE(GlobMatch("*.pem", "server.pem"));
  EXPECT_TRUE(GlobMatch("*.pem", ".pem"));
  EXPECT_TRUE(GlobMatch("id_*", "id_ed25519.pub"));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXbYbZc"));
  EXPECT_TRUE(GlobMatch("file?.txt", "file1.txt"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("*.pem", "server.pem.txt"));
  EXPECT_FALSE(GlobMatch("id_*", "myid_rsa"));
  EXPECT_FALSE(GlobMatch("file?.txt", "file.txt"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXbYbZ"));
}

TEST(DenyGlob, IgnoresAsciiCase) {
  EXPECT_TRUE(GlobMatch(".ssh", ".SSH"));
  EXPECT_TRUE(GlobMatch("*.key", "TLS.KEY"));
}

TEST(ADefaultDenyList, DeniesEveryDefaultAtAnyDepth) {
  DenyList deny;
  for (const char* path : {".ssh",
                           ".ssh/id_rsa",
                           "home/.ssh/config",
                           ".gnupg/pubring.kbx",
                           ".aws/credentials",
                           ".config/gcloud/credentials.db",
                           "a/b/.config/gcloud",
                           ".netrc",
                           ".env",
                           ".env.local",
                           "app/.env.production",
                           "server.pem",
                           "deploy/tls.key",
                           "id_rsa",
                           "keys/id_ed25519.pub",
                           ".git-credentials",
                           ".docker/config.json",
                           ".kube/config",
                           ".npmrc",
                           ".pypirc",
                           ".azure/msal_token_cache.json",
                           ".vault-token",
                           ".terraform.d/credentials.tfrc.json",
                           ".cargo/credentials.toml",
                           ".config/gh/hosts.yml",
                           ".password-store/mail.gpg",
                           ".local/share/keyrings/login.keyring",
                           "passwords.kdbx",
                           ".mozilla/firefox/x/cookies.sqlite",
                           ".thunderbird/x/logins.json",
                           ".config/google-chrome/Default/Cookies",
                           ".config/chromium/Default/Login Data",
                           ".config/BraveSoftware/Brave-Browser"}) {
    EXPECT_TRUE(deny.Denies(path)) << path;
  }
}

TEST(ADefaultDenyList, AllowsOrdinaryPaths) {
  DenyList deny;
  for (const char* path :
       {"", ".", "src/main.cpp", "README.md", ".config/other/settings.json", "gcloud/readme",
        ".config", "environment.txt", "my.env", "keys/readme", "server.pem.txt", "myid_rsa",
        ".sshx/notes", "ssh/config", ".docker/daemon.json", ".config/ghostty", ".local/share/fonts",
        "cargo/credentials", "npmrc.example"}) {
    EXPECT_FALSE(deny.Denies(path)) << path;
  }
}

TEST(ADefaultDenyList, JudgesDotsAndEmptyComponentsLexically) {
  DenyList deny;
  EXPECT_TRUE(deny.Denies("a/../.ssh/id_rsa"));
  EXPECT_TRUE(deny.Denies(".//.ssh"));
  EXPECT_TRUE(deny.Denies("./x/../.ssh"));
  EXPECT_TRUE(deny.Denies("x/.ssh/../notes.txt"));  // it names .ssh on its way
  EXPECT_TRUE(deny.Denies(".config/x/../gcloud/credentials.db"));
  EXPECT_FALSE(deny.Denies(".config/./x/gcloud"));
}

TEST(ADefaultDenyList, IgnoresAsciiCaseForCaseFoldingFileSystems) {
  DenyList deny;
  EXPECT_TRUE(deny.Denies(".SSH/ID_RSA"));
  EXPECT_TRUE(deny.Denies("Certs/Server.PEM"));
  EXPECT_TRUE(deny.Denies(".Config/GCloud/x"));
}

TEST(ADenyList, MatchesAddedPatternsLikeTheDefaults) {
  DenyList deny;
  ASSERT_TRUE(deny.Add("secrets").ok());
  ASSERT_TRUE(deny.Add("build/*.tmp/").ok());
  EXPECT_TRUE(deny.Denies("x/secrets/y"));
  EXPECT_TRUE(deny.Denies("a/build/x.tmp"));
  EXPECT_TRUE(deny.Denies("a/build/x.tmp/inner"));
  EXPECT_FALSE(deny.Denies("build/x.txt"));
  EXPECT_FALSE(deny.Denies("x.tmp"));
}

TEST(ADenyList, RefusesMalformedAdditionsAndKeepsItsEntries) {
  DenyList deny;
  size_t before = deny.entries().size();
  for (const std::string& entry :
       {std::string(), std::string("a\0b", 3), std::string(5000, 'a'), std::string("../x"),
        std::string("a/../b"), std::string("./"), std::string(".")}) {
    Status added = deny.Add(entry);
    EXPECT_EQ(added.code(), Status::Code::kInvalidArgument) << entry.substr(0, 20);
  }
  EXPECT_EQ(deny.entries().size(), before);
}

TEST(ADenyList, StartsWithTheDefaultsAndKeepsAdditionsInOrder) {
  DenyList deny;
  ASSERT_TRUE(deny.Add("/data/hearth").ok());
  ASSERT_EQ(deny.entries().size(), DenyList::DefaultPatterns().size() + 1);
  EXPECT_EQ(deny.entries().front(), ".ssh");
  EXPECT_EQ(deny.entries().back(), "/data/hearth");
}

TEST(AnAbsoluteDenyEntry, DeniesThatPathAndEverythingUnderIt) {
  DenyList deny;
  ASSERT_TRUE(deny.Add("/data/hearth").ok());
  EXPECT_TRUE(deny.DeniesAbsolute("/data/hearth", "/"));
  EXPECT_TRUE(deny.DeniesAbsolute("/data//hearth/hearth.db", "/"));
  EXPECT_TRUE(deny.DeniesAbsolute("/data/other/../hearth/hearth.db", "/"));
  EXPECT_TRUE(deny.DeniesAbsolute("/data/hearth/../other", "/"));  // goes through it
  EXPECT_TRUE(deny.DeniesAbsolute("/Data/HEARTH/hearth.db", "/"));  // case-folding file systems
  EXPECT_FALSE(deny.DeniesAbsolute("/data/hearthx", "/"));
  EXPECT_FALSE(deny.DeniesAbsolute("/data", "/"));
  EXPECT_FALSE(deny.Denies("data/hearth"));  // a relative path is not that place
}

TEST(AnAbsoluteDenyEntry, IsAlsoRecordedByItsRealPath) {
  unit::TempDir dir;
  ASSERT_EQ(mkdir(dir.File("real").c_str(), 0700), 0);
  ASSERT_EQ(symlink(dir.File("real").c_str(), dir.File("alias").c_str()), 0);
  DenyList deny;
  ASSERT_TRUE(deny.Add(dir.File("alias")).ok());
  char* real = realpath(dir.File("real").c_str(), nullptr);
  ASSERT_NE(real, nullptr);
  std::string real_path = real;
  free(real);
  EXPECT_TRUE(deny.DeniesAbsolute(real_path + "/hearth.db", "/"));
  EXPECT_TRUE(deny.DeniesAbsolute(dir.File("alias/hearth.db"), "/"));
}

TEST(ADenyListJudgingAbsolutePaths, ChecksPatternsFromTheRootsOwnNameOn) {
  DenyList deny;
  // "id_*" above the root does not deny the whole workspace...
  EXPECT_FALSE(deny.DeniesAbsolute("/srv/id_users/me/notes.txt", "/srv/id_users/me"));
  // ...but a root inside .config still protects gcloud beneath it,
  EXPECT_TRUE(deny.DeniesAbsolute("/home/u/.config/gcloud/creds", "/home/u/.config"));
  // a root that is itself a denied name is denied,
  EXPECT_TRUE(deny.DeniesAbsolute("/home/u/.ssh", "/home/u/.ssh"));
  // and without a root every component counts.
  EXPECT_TRUE(deny.DeniesAbsolute("/srv/id_users/me/notes.txt", "/"));
  EXPECT_TRUE(deny.DeniesAbsolute("/home/u/proj/../.ssh/id_rsa", "/home/u/proj"));
}

}  // namespace
}  // namespace hearth::sandbox
