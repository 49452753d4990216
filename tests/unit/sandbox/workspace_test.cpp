// SPDX-License-Identifier: Apache-2.0
#include "sandbox/workspace.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <string>
#include <vector>

#include "testing/files.h"
#include "testing/temp_dir.h"

namespace hearth::sandbox {
namespace {

using unit::ReadFile;
using unit::WriteFile;

using Code = Status::Code;

std::string ReadAll(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, static_cast<size_t>(n));
  return out;
}

// A home directory with secrets in the usual places, a project, and a folder beside the home:
//   <tmp>/home/{.ssh/{id_rsa, known_hosts}, .env, secret.pem, .config/gcloud/creds,
//   .config/app.conf} <tmp>/home/proj/{README.md, src/main.cpp} <tmp>/outside/plain.txt
class WorkspaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* dir : {"home", "home/.ssh", "home/.config", "home/.config/gcloud", "home/proj",
                            "home/proj/src", "outside"}) {
      ASSERT_EQ(mkdir(tmp_.File(dir).c_str(), 0700), 0) << dir;
    }
    WriteFile(Home(".ssh/id_rsa"), "PRIVATE KEY\n");
    WriteFile(Home(".ssh/known_hosts"), "github.com ssh-ed25519 AAAA\n");
    WriteFile(Home(".env"), "TOKEN=1\n");
    WriteFile(Home("secret.pem"), "CERT\n");
    WriteFile(Home(".config/gcloud/creds"), "gcloud\n");
    WriteFile(Home(".config/app.conf"), "ok\n");
    WriteFile(Home("proj/README.md"), "# Project\n");
    WriteFile(Home("proj/src/main.cpp"), "int main() {}\n");
    WriteFile(tmp_.File("outside/plain.txt"), "outside\n");
  }

  std::string Home(const std::string& rest = "") const {
    return rest.empty() ? tmp_.File("home") : tmp_.File("home/" + rest);
  }
  void Link(const std::string& target, const std::string& home_relative) {
    ASSERT_EQ(symlink(target.c_str(), Home(home_relative).c_str()), 0) << home_relative;
  }
  Workspace Open(std::vector<std::string> roots, DenyList deny = DenyList()) {
    Result<Workspace> workspace = Workspace::Open(roots, std::move(deny));
    EXPECT_TRUE(workspace.ok()) << workspace.status().ToString();
    EXPECT_TRUE(workspace->availability().ok()) << workspace->availability().ToString();
    return std::move(workspace).value();
  }
  static void ExpectDenied(const Status& status, const std::string& what) {
    EXPECT_EQ(status.code(), Code::kPermissionDenied) << what << ": " << status.ToString();
    EXPECT_TRUE(status.message().starts_with("denied: ")) << what << ": " << status.message();
  }

  unit::TempDir tmp_;
};

using AWorkspace = WorkspaceTest;
using AWorkspaceRootedInAProject = WorkspaceTest;

TEST_F(AWorkspace, ReadsAFileByRelativeAndAbsolutePath) {
  Workspace workspace = Open({Home()});
  Result<UniqueFd> relative = workspace.OpenForRead("proj/README.md");
  ASSERT_TRUE(relative.ok()) << relative.status().ToString();
  EXPECT_EQ(ReadAll(relative->get()), "# Project\n");
  Result<UniqueFd> absolute = workspace.OpenForRead(Home("proj/src/main.cpp"));
  ASSERT_TRUE(absolute.ok()) << absolute.status().ToString();
  EXPECT_EQ(ReadAll(absolute->get()), "int main() {}\n");
}

TEST_F(AWorkspace, RefusesDenyListedPathsHoweverTheyAreWritten) {
  Workspace workspace = Open({Home()});
  for (const std::string& path :
       {std::string(".ssh/id_rsa"), std::string(".env"), std::string("secret.pem"),
        std::string(".config/gcloud/creds"), std::string(".//.ssh/id_rsa"),
        std::string("proj/../.ssh/id_rsa"), std::string("./proj/./../.env"),
        std::string(".SSH/id_rsa"), Home(".ssh/id_rsa"), Home("proj/../secret.pem")}) {
    Status status = workspace.OpenForRead(path).status();
    ExpectDenied(status, path);
    EXPECT_NE(status.message().find("deny-list"), std::string::npos) << status.message();
  }
  ExpectDenied(workspace.OpenDirectory("./x/../.ssh").status(), "./x/../.ssh");
  ExpectDenied(workspace.OpenDirectory(".config/gcloud").status(), ".config/gcloud");
}

TEST_F(AWorkspace, NamesThePathAsGivenInItsRefusal) {
  Workspace workspace = Open({Home()});
  EXPECT_EQ(workspace.OpenForRead(".ssh/id_rsa").status().message(),
            "denied: .ssh/id_rsa is on the deny-list");
}

TEST_F(AWorkspace, RefusesSymlinksThatLeadIntoTheDenyList) {
  Link("../.ssh", "proj/keys");               // a directory
  Link("../.ssh/id_rsa", "proj/key.txt");     // a file
  Link(".config/gcloud/creds", "creds.txt");  // a multi-component pattern
  Link("proj/keys", "chain");                 // a link to a link
  Workspace workspace = Open({Home()});
  // None of these names is denied as written: only where they lead is.
  for (const char* path :
       {"proj/keys/known_hosts", "proj/key.txt", "creds.txt", "chain/known_hosts"}) {
    Status status = workspace.OpenForRead(path).status();
    ExpectDenied(status, path);
    EXPECT_NE(status.message().find("leads to a path on the deny-list"), std::string::npos)
        << status.message();
  }
  ExpectDenied(workspace.OpenDirectory("proj/keys").status(), "proj/keys");
}

TEST_F(AWorkspace, FollowsSymlinksThatStayInsideAndAllowed) {
  Link("proj/README.md", "readme-link");
  Workspace workspace = Open({Home()});
  Result<UniqueFd> fd = workspace.OpenForRead("readme-link");
  ASSERT_TRUE(fd.ok()) << fd.status().ToString();
  EXPECT_EQ(ReadAll(fd->get()), "# Project\n");
}

TEST_F(AWorkspaceRootedInAProject, RefusesEveryWayOut) {
  Link("/etc", "proj/etc");
  Link("../../outside", "proj/up");
  Link(tmp_.File("outside/plain.txt"), "proj/abs.txt");
  Link("/proc/self/root" + tmp_.File("outside/plain.txt"), "proj/magic.txt");
  Workspace workspace = Open({Home("proj")});
  for (const std::string& path :
       {std::string("../../outside/plain.txt"), std::string("src/../../../outside/plain.txt"),
        std::string("/etc/passwd"), tmp_.File("outside/plain.txt"), Home("proj/../.env"),
        Home("proj/../../outside/plain.txt"), std::string("etc/passwd"),
        std::string("up/plain.txt"), std::string("abs.txt"), std::string("magic.txt"),
        "/proc/self/root" + Home(".ssh/id_rsa"), "/proc/self/root" + tmp_.File("outside/plain.txt"),
        "/proc/self/cwd/" + tmp_.File("outside/plain.txt"), Home("project2/x"),
        std::string("../secret.pem"), Home(".ssh/id_rsa")}) {
    ExpectDenied(workspace.OpenForRead(path).status(), path);
  }
  EXPECT_EQ(workspace.OpenForRead("../../outside/plain.txt").status().message(),
            "denied: ../../outside/plain.txt is outside the workspace roots");
}

TEST(AWorkspaceRootedInProc, DoesNotFollowMagicLinks) {
  Result<Workspace> workspace = Workspace::Open({"/proc/self"}, DenyList());
  ASSERT_TRUE(workspace.ok()) << workspace.status().ToString();
  ASSERT_TRUE(workspace->availability().ok());
  // Both would reach the whole file system through /proc's magic links.
  for (const char* path : {"root/etc/hostname", "cwd", "/proc/self/root/etc/hostname"}) {
    Status status = workspace->OpenForRead(path).status();
    EXPECT_EQ(status.code(), Code::kPermissionDenied) << path << ": " << status.ToString();
  }
  EXPECT_EQ(workspace->OpenDirectory("root").status().code(), Code::kPermissionDenied);
}

TEST_F(AWorkspace, RefusesASymlinkLoop) {
  Link("loop", "proj/loop");
  Workspace workspace = Open({Home()});
  Status status = workspace.OpenForRead("proj/loop").status();
  ExpectDenied(status, "proj/loop");
  EXPECT_NE(status.message().find("loop"), std::string::npos) << status.message();
}

TEST_F(AWorkspace, RefusesAFifoNamedLikeAFileWithoutBlocking) {
  ASSERT_EQ(mkfifo(Home("proj/notes.txt").c_str(), 0600), 0);
  Workspace workspace = Open({Home()});
  auto opened = std::async(std::launch::async, [&workspace] {
    return workspace.OpenForRead("proj/notes.txt").status();
  });
  if (opened.wait_for(std::chrono::seconds(5)) == std::future_status::timeout) {
    ADD_FAILURE() << "OpenForRead blocked on a FIFO";
    // A writer unblocks the reader's open, so the test ends instead of hanging.
    int writer = open(Home("proj/notes.txt").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (writer >= 0) close(writer);
  }
  Status status = opened.get();
  EXPECT_EQ(status.code(), Code::kInvalidArgument) << status.ToString();
  EXPECT_NE(status.message().find("FIFO"), std::string::npos) << status.message();
}

TEST_F(AWorkspace, RefusesASocketAndADirectoryForReading) {
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string socket_path = Home("proj/data.sock");
  ASSERT_LT(socket_path.size(), sizeof address.sun_path);
  socket_path.copy(address.sun_path, socket_path.size());
  ASSERT_EQ(bind(sock, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  Workspace workspace = Open({Home()});
  EXPECT_EQ(workspace.OpenForRead("proj/data.sock").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(workspace.OpenForRead("proj/src").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(workspace.OpenDirectory("proj/README.md").status().code(), Code::kInvalidArgument);
  close(sock);
}

TEST_F(AWorkspace, RefusesMalformedPathsAsInvalidArguments) {
  Workspace workspace = Open({Home()});
  for (const std::string& path : {std::string(), std::string("proj/README.md\0.ssh/id_rsa", 26),
                                  std::string(5000, 'a'), "proj/" + std::string(300, 'b')}) {
    Status status = workspace.OpenForRead(path).status();
    EXPECT_EQ(status.code(), Code::kInvalidArgument) << path.size() << ": " << status.ToString();
    EXPECT_LT(status.message().size(), 400u) << "a message must not echo a huge path";
  }
}

TEST_F(AWorkspace, SaysWhatIsMissingAndThatTildeIsNotExpanded) {
  Workspace workspace = Open({Home()});
  Status missing = workspace.OpenForRead("proj/nothing.txt").status();
  EXPECT_EQ(missing.code(), Code::kNotFound);
  EXPECT_EQ(missing.message(), "proj/nothing.txt does not exist");
  Status tilde = workspace.OpenForRead("~/proj/README.md").status();
  EXPECT_EQ(tilde.code(), Code::kNotFound);
  EXPECT_NE(tilde.message().find("\"~\" is not expanded"), std::string::npos);
}

TEST_F(AWorkspace, ListsOnlyEntriesTheDenyListAllows) {
  Workspace workspace = Open({Home()});
  Result<Directory> home = workspace.OpenDirectory(".");
  ASSERT_TRUE(home.ok()) << home.status().ToString();
  EXPECT_EQ(home->path(), ".");
  std::set<std::string> names;
  ASSERT_TRUE(workspace
                  .ForEachEntry(*home,
                                [&](const DirEntry& e) {
                                  names.insert(e.name);
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(names, (std::set<std::string>{".config", "proj"}));

  Result<Directory> config = workspace.OpenDirectory(".config");
  ASSERT_TRUE(config.ok());
  names.clear();
  ASSERT_TRUE(workspace
                  .ForEachEntry(*config,
                                [&](const DirEntry& e) {
                                  names.insert(e.name);
                                  EXPECT_EQ(e.type, EntryType::kFile);
                                  EXPECT_EQ(e.size, 3);
                                  return true;
                                })
                  .ok());
  EXPECT_EQ(names, (std::set<std::string>{"app.conf"}));
}

TEST_F(AWorkspace, WalksThroughFdsWithoutFollowingSymlinks) {
  Link("proj", "proj-link");
  Link("proj/README.md", "readme-link");
  Workspace workspace = Open({Home()});
  Result<Directory> home = workspace.OpenDirectory(".");
  ASSERT_TRUE(home.ok());
  Result<Directory> proj = workspace.OpenSubdirectory(*home, "proj");
  ASSERT_TRUE(proj.ok()) << proj.status().ToString();
  EXPECT_EQ(proj->path(), "proj");
  Result<UniqueFd> readme = workspace.OpenFileForRead(*proj, "README.md");
  ASSERT_TRUE(readme.ok()) << readme.status().ToString();
  EXPECT_EQ(ReadAll(readme->get()), "# Project\n");

  EXPECT_FALSE(workspace.OpenSubdirectory(*home, "proj-link").ok());
  EXPECT_FALSE(workspace.OpenFileForRead(*home, "readme-link").ok());
  ExpectDenied(workspace.OpenSubdirectory(*home, ".ssh").status(), ".ssh");
  ExpectDenied(workspace.OpenFileForRead(*home, ".env").status(), ".env");
  for (const char* name : {"..", ".", "proj/README.md", ""}) {
    EXPECT_EQ(workspace.OpenFileForRead(*home, name).status().code(), Code::kInvalidArgument)
        << name;
  }
}

TEST_F(AWorkspace, ShowsPathsUnderOtherRootsAsAbsolute) {
  ASSERT_EQ(mkdir(tmp_.File("notes").c_str(), 0700), 0);
  Workspace workspace = Open({Home("proj"), tmp_.File("notes")});
  Result<Directory> notes = workspace.OpenDirectory(tmp_.File("notes"));
  ASSERT_TRUE(notes.ok()) << notes.status().ToString();
  EXPECT_EQ(notes->path(), tmp_.File("notes"));
  Result<Directory> src = workspace.OpenDirectory(Home("proj/src"));
  ASSERT_TRUE(src.ok());
  EXPECT_EQ(src->path(), "src");
  EXPECT_EQ(workspace.roots(), (std::vector<std::string>{Home("proj"), tmp_.File("notes")}));
}

TEST_F(AWorkspace, AcceptsPathsUnderARootReachedThroughASymlink) {
  ASSERT_EQ(symlink(Home().c_str(), tmp_.File("home-link").c_str()), 0);
  Workspace workspace = Open({tmp_.File("home-link")});
  EXPECT_TRUE(workspace.OpenForRead(tmp_.File("home-link/proj/README.md")).ok());
  EXPECT_TRUE(workspace.OpenForRead(Home("proj/README.md")).ok());
  ExpectDenied(workspace.OpenForRead(tmp_.File("home-link/.ssh/id_rsa")).status(), "link");
}

TEST_F(AWorkspace, DeniesAnAbsoluteEntrySuchAsHearthsOwnData) {
  ASSERT_EQ(mkdir(Home("proj/hearth-data").c_str(), 0700), 0);
  WriteFile(Home("proj/hearth-data/hearth.db"), "db");
  Link("hearth-data", "proj/data-link");
  DenyList deny;
  ASSERT_TRUE(deny.Add(Home("proj/hearth-data")).ok());
  Workspace workspace = Open({Home("proj")}, std::move(deny));
  ExpectDenied(workspace.OpenForRead("hearth-data/hearth.db").status(), "relative");
  ExpectDenied(workspace.OpenForRead(Home("proj/hearth-data/hearth.db")).status(), "absolute");
  ExpectDenied(workspace.OpenForRead("data-link/hearth.db").status(), "symlink");
}

TEST_F(AWorkspace, OpensFilesForWritingOnlyWhereReadingIsAllowed) {
  Link("../.ssh", "proj/keys");
  Link("README.md", "proj/readme-link");
  ASSERT_EQ(link(Home("proj/README.md").c_str(), Home("proj/hard.md").c_str()), 0);
  Workspace workspace = Open({Home("proj")});

  Result<UniqueFd> created = workspace.OpenForWrite("src/new.txt", /*create=*/true);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  ASSERT_EQ(write(created->get(), "hi", 2), 2);
  std::ifstream in(Home("proj/src/new.txt"));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "hi");

  ExpectDenied(workspace.OpenForWrite(".env.local", true).status(), ".env.local");
  ExpectDenied(workspace.OpenForWrite("keys/authorized_keys", true).status(), "via symlink");
  EXPECT_NE(access(Home(".ssh/authorized_keys").c_str(), F_OK), 0);
  ExpectDenied(workspace.OpenForWrite("../../outside/new.txt", true).status(), "outside");
  EXPECT_NE(access(tmp_.File("outside/new.txt").c_str(), F_OK), 0);
  EXPECT_EQ(workspace.OpenForWrite("readme-link", true).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(workspace.OpenForWrite("hard.md", false).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(workspace.OpenForWrite("missing.txt", false).status().code(), Code::kNotFound);
  EXPECT_EQ(workspace.OpenForWrite("src", false).status().code(), Code::kInvalidArgument);
}

TEST_F(AWorkspace, CreatesNothingWhoseReachedPathIsDenied) {
  ASSERT_EQ(mkdir(Home("vault").c_str(), 0700), 0);
  Link("../vault", "proj/v");
  DenyList deny;
  ASSERT_TRUE(deny.Add("vault/secret*").ok());
  Workspace workspace = Open({Home()}, std::move(deny));
  // Neither "proj/v/secret.txt" as given nor its parent "vault" is denied; the two together are.
  ExpectDenied(workspace.OpenForWrite("proj/v/secret.txt", true).status(), "proj/v/secret.txt");
  EXPECT_NE(access(Home("vault/secret.txt").c_str(), F_OK), 0) << "created before the check";
  EXPECT_TRUE(workspace.OpenForWrite("proj/v/public.txt", true).ok());
}

// Names in `dir` that a write may have left behind.
std::vector<std::string> Temporaries(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string name = entry.path().filename();
    if (name.starts_with(".hearth-")) found.push_back(name);
  }
  return found;
}

TEST_F(AWorkspace, ReplacesAFileWholeKeepingItsPermissions) {
  ASSERT_EQ(chmod(Home("proj/README.md").c_str(), 0640), 0);
  struct stat before;
  ASSERT_EQ(stat(Home("proj/README.md").c_str(), &before), 0);
  Workspace workspace = Open({Home("proj")});

  Result<WriteOutcome> written =
      workspace.WriteFile("README.md", "# New\n", WriteMode::kCreateOrReplace);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_FALSE(written->created);
  EXPECT_EQ(written->previous_size, 10);
  EXPECT_EQ(ReadFile(Home("proj/README.md")), "# New\n");
  struct stat after;
  ASSERT_EQ(stat(Home("proj/README.md").c_str(), &after), 0);
  EXPECT_EQ(after.st_mode & 07777, 0640u);
  EXPECT_NE(after.st_ino, before.st_ino) << "written in place, not replaced";
  EXPECT_TRUE(Temporaries(Home("proj")).empty());

  Result<WriteOutcome> created = workspace.WriteFile("src/new.txt", "", WriteMode::kCreate);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_TRUE(created->created);
  EXPECT_EQ(ReadFile(Home("proj/src/new.txt")), "");
  EXPECT_EQ(workspace.WriteFile("src/new.txt", "x", WriteMode::kCreate).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(workspace.WriteFile("src/none.txt", "x", WriteMode::kReplace).status().code(),
            Code::kNotFound);
  EXPECT_NE(access(Home("proj/src/none.txt").c_str(), F_OK), 0);
}

TEST_F(AWorkspace, GivesANewFileTheUsualModeAndDropsSetIdBits) {
  ASSERT_EQ(chmod(Home("proj/README.md").c_str(), 06755), 0);
  Workspace workspace = Open({Home("proj")});
  ASSERT_TRUE(workspace.WriteFile("README.md", "#!/bin/sh\n", WriteMode::kReplace).ok());
  struct stat st;
  ASSERT_EQ(stat(Home("proj/README.md").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0755u);

  mode_t mask = umask(022);
  umask(mask);
  ASSERT_TRUE(workspace.WriteFile("new.txt", "x", WriteMode::kCreate).ok());
  ASSERT_EQ(stat(Home("proj/new.txt").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0666u & ~mask);

  EXPECT_EQ(workspace.WriteFile("src/", "x", WriteMode::kCreateOrReplace).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(workspace.WriteFile("README.md/", "x", WriteMode::kReplace).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(workspace.WriteFile("src/.", "x", WriteMode::kCreateOrReplace).status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(ReadFile(Home("proj/README.md")), "#!/bin/sh\n");
}

long Openat2WithoutTmpfile(int dirfd, const char* path, struct open_how* how, size_t size) {
  if ((how->flags & O_TMPFILE) == O_TMPFILE) {
    errno = EOPNOTSUPP;
    return -1;
  }
  return syscall(SYS_openat2, dirfd, path, how, size);
}

// Where the file system has no O_TMPFILE, a named temporary file does the same, and goes again.
TEST_F(AWorkspace, WritesThroughANamedTemporaryWhereThereIsNoTmpfile) {
  Result<Workspace> workspace = Workspace::Open({Home("proj")}, DenyList(), &Openat2WithoutTmpfile);
  ASSERT_TRUE(workspace.ok());
  ASSERT_TRUE(workspace->WriteFile("README.md", "replaced\n", WriteMode::kReplace).ok());
  ASSERT_TRUE(workspace->WriteFile("src/made.txt", "made\n", WriteMode::kCreate).ok());
  EXPECT_EQ(ReadFile(Home("proj/README.md")), "replaced\n");
  EXPECT_EQ(ReadFile(Home("proj/src/made.txt")), "made\n");
  EXPECT_EQ(workspace->WriteFile("src/made.txt", "x", WriteMode::kCreate).status().code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(Temporaries(Home("proj")).empty());
  EXPECT_TRUE(Temporaries(Home("proj/src")).empty());
}

TEST_F(AWorkspace, WritesNothingWhereReadingIsDenied) {
  Link("../.ssh", "proj/keys");
  Link("README.md", "proj/readme-link");
  Workspace workspace = Open({Home("proj")});
  const WriteMode mode = WriteMode::kCreateOrReplace;
  ExpectDenied(workspace.WriteFile(".env.local", "x", mode).status(), ".env.local");
  ExpectDenied(workspace.WriteFile("keys/authorized_keys", "x", mode).status(), "via symlink");
  ExpectDenied(workspace.WriteFile("keys/id_rsa", "x", mode).status(), "replace a key");
  ExpectDenied(workspace.WriteFile("../../outside/plain.txt", "x", mode).status(), "outside");
  ExpectDenied(workspace.WriteFile("/etc/passwd", "x", mode).status(), "absolute");
  EXPECT_NE(access(Home(".ssh/authorized_keys").c_str(), F_OK), 0);
  EXPECT_EQ(ReadFile(Home(".ssh/id_rsa")), "PRIVATE KEY\n");
  EXPECT_EQ(ReadFile(tmp_.File("outside/plain.txt")), "outside\n");
  // A symlink is not replaced by a file, nor written through.
  EXPECT_EQ(workspace.WriteFile("readme-link", "x", mode).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(workspace.WriteFile("src", "x", mode).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ReadFile(Home("proj/README.md")), "# Project\n");
  EXPECT_TRUE(Temporaries(Home("proj")).empty());
  EXPECT_TRUE(Temporaries(Home(".ssh")).empty());
}

TEST_F(AWorkspace, ReplacingAHardLinkedFileLeavesTheOtherNameAlone) {
  ASSERT_EQ(link(Home("proj/README.md").c_str(), Home("proj/hard.md").c_str()), 0);
  Workspace workspace = Open({Home("proj")});
  ASSERT_TRUE(workspace.WriteFile("hard.md", "changed\n", WriteMode::kReplace).ok());
  EXPECT_EQ(ReadFile(Home("proj/hard.md")), "changed\n");
  EXPECT_EQ(ReadFile(Home("proj/README.md")), "# Project\n");
}

TEST_F(AWorkspace, LeavesAFileChangedSinceItWasReadAlone) {
  Workspace workspace = Open({Home("proj")});
  Result<UniqueFd> fd = workspace.OpenForRead("README.md");
  ASSERT_TRUE(fd.ok());
  Result<FileVersion> version = VersionOf(fd->get());
  ASSERT_TRUE(version.ok());
  WriteFile(Home("proj/README.md"), "# Changed by the user meanwhile\n");
  Status status = workspace.WriteFile("README.md", "x", WriteMode::kReplace, &*version).status();
  EXPECT_EQ(status.code(), Code::kBusy) << status.ToString();
  EXPECT_EQ(ReadFile(Home("proj/README.md")), "# Changed by the user meanwhile\n");
  Result<UniqueFd> again = workspace.OpenForRead("README.md");
  ASSERT_TRUE(again.ok());
  Result<FileVersion> current = VersionOf(again->get());
  ASSERT_TRUE(current.ok());
  EXPECT_TRUE(workspace.WriteFile("README.md", "x", WriteMode::kReplace, &*current).ok());
}

// A write that fails half-way (here at the file-size limit, as a full disk would) leaves the old
// file whole and no temporary file. Run in a child: the limit is per process.
TEST_F(AWorkspace, LeavesTheOldFileWholeWhenAWriteFailsHalfWay) {
  Workspace workspace = Open({Home("proj")});
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {4096, 4096};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(10);
    Status status =
        workspace.WriteFile("README.md", std::string(10000, 'x'), WriteMode::kReplace).status();
    _exit(status.code() == Code::kTooLarge ? 0 : 11);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
  EXPECT_EQ(ReadFile(Home("proj/README.md")), "# Project\n");
  EXPECT_TRUE(Temporaries(Home("proj")).empty());
}

TEST_F(AWorkspace, MakesMissingParentsOnlyWhereAllowed) {
  ASSERT_EQ(mkdir(Home("vault").c_str(), 0700), 0);
  Link("../vault", "proj/v");
  DenyList deny;
  ASSERT_TRUE(deny.Add("vault/secret*").ok());
  Workspace workspace = Open({Home()}, std::move(deny));

  ASSERT_TRUE(workspace.MakeParents("proj/a/b/c/file.txt").ok());
  struct stat st;
  ASSERT_EQ(stat(Home("proj/a/b/c").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_NE(access(Home("proj/a/b/c/file.txt").c_str(), F_OK), 0) << "the file is not made";
  EXPECT_TRUE(workspace.MakeParents("proj/a/b/c/file.txt").ok()) << "again: nothing to do";

  ExpectDenied(workspace.MakeParents("proj/x/.ssh/config"), "a new .ssh");
  EXPECT_NE(access(Home("proj/x").c_str(), F_OK), 0) << "created before the check";
  ExpectDenied(workspace.MakeParents("proj/v/secrets/key"), "through a symlink");
  EXPECT_NE(access(Home("vault/secrets").c_str(), F_OK), 0);
  EXPECT_EQ(workspace.MakeParents("proj/y/../z/file").code(), Code::kInvalidArgument);
  EXPECT_TRUE(workspace.MakeParents("proj/a/../a/b/file").ok()) << "exists: \"..\" is fine";
  ExpectDenied(workspace.MakeParents("../outside/d/file"), "outside");
  EXPECT_EQ(workspace.MakeParents("proj/README.md/x").code(), Code::kInvalidArgument);
}

// Under the systemd unit the home folder is read-only to Hearth (ProtectHome=read-only); the
// error must say so and how to change it. A read-only bind mount in a private mount namespace
// stands in for it.
TEST_F(AWorkspace, SaysPlainlyWhenItsFolderIsReadOnly) {
  Workspace writable = Open({Home("proj")});
  EXPECT_TRUE(writable.ReadOnlyRoots().empty());
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) _exit(77);
    std::string proj = Home("proj");
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
        mount(proj.c_str(), proj.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
        mount(nullptr, proj.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0) {
      _exit(77);
    }
    Result<Workspace> workspace = Workspace::Open({proj}, DenyList());
    if (!workspace.ok()) _exit(10);
    if (workspace->ReadOnlyRoots() != std::vector<std::string>{proj}) _exit(11);
    Status status = workspace->WriteFile("README.md", "x", WriteMode::kCreateOrReplace).status();
    if (status.code() != Code::kIoError) _exit(12);
    if (status.message().find("read-only") == std::string::npos) _exit(13);
    if (status.message().find("ReadWritePaths") == std::string::npos) _exit(14);
    _exit(0);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  if (WEXITSTATUS(wstatus) == 77) GTEST_SKIP() << "no user namespaces here to mount read-only";
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
  EXPECT_EQ(ReadFile(Home("proj/README.md")), "# Project\n");
}

TEST_F(AWorkspace, RefusesRootsThatAreRelativeMissingOrDenied) {
  EXPECT_EQ(Workspace::Open({"relative/dir"}, DenyList()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Workspace::Open({Home("missing")}, DenyList()).status().code(), Code::kNotFound);
  EXPECT_EQ(Workspace::Open({Home(".ssh")}, DenyList()).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(Workspace::Open({Home("proj/../proj")}, DenyList()).status().code(),
            Code::kInvalidArgument);
}

TEST_F(AWorkspace, WithoutRootsRefusesEverything) {
  Result<Workspace> workspace = Workspace::Open({}, DenyList());
  ASSERT_TRUE(workspace.ok());
  ExpectDenied(workspace->OpenForRead("README.md").status(), "no roots");
  ExpectDenied(workspace->OpenDirectory(".").status(), "no roots");
}

int openat2_calls = 0;
long Openat2Missing(int, const char*, struct open_how*, size_t) {
  ++openat2_calls;
  errno = ENOSYS;
  return -1;
}

TEST_F(AWorkspace, IsUnavailableWithoutOpenat2AndNeverFallsBack) {
  openat2_calls = 0;
  Result<Workspace> workspace = Workspace::Open({Home()}, DenyList(), &Openat2Missing);
  ASSERT_TRUE(workspace.ok()) << workspace.status().ToString();
  EXPECT_EQ(workspace->availability().code(), Code::kUnavailable);
  EXPECT_NE(workspace->availability().message().find("openat2"), std::string::npos);
  for (Status status : {workspace->OpenForRead("proj/README.md").status(),
                        workspace->OpenDirectory("proj").status(),
                        workspace->OpenForWrite("proj/new.txt", true).status()}) {
    EXPECT_EQ(status.code(), Code::kUnavailable) << status.ToString();
  }
  EXPECT_EQ(openat2_calls, 1);  // the probe at Open, nothing after
  EXPECT_NE(access(Home("proj/new.txt").c_str(), F_OK), 0);
}

std::vector<uint64_t> resolve_flags;
long Openat2Recording(int dirfd, const char* path, struct open_how* how, size_t size) {
  resolve_flags.push_back(how->resolve);
  return syscall(SYS_openat2, dirfd, path, how, size);
}

// The deny-list check on the reached path would also catch most escapes; this makes sure the
// kernel's confinement is there in its own right.
TEST_F(AWorkspace, ResolvesEveryPathBeneathARootWithoutMagicLinks) {
  resolve_flags.clear();
  Result<Workspace> workspace = Workspace::Open({Home()}, DenyList(), &Openat2Recording);
  ASSERT_TRUE(workspace.ok());
  EXPECT_TRUE(workspace->OpenForRead("proj/README.md").ok());
  EXPECT_TRUE(workspace->OpenForWrite("proj/new.txt", true).ok());
  Result<Directory> home = workspace->OpenDirectory(".");
  ASSERT_TRUE(home.ok());
  size_t before_walk = resolve_flags.size();
  Result<Directory> proj = workspace->OpenSubdirectory(*home, "proj");
  ASSERT_TRUE(proj.ok());
  EXPECT_TRUE(workspace->OpenFileForRead(*proj, "README.md").ok());
  ASSERT_GE(resolve_flags.size(), before_walk + 2);
  for (size_t i = 0; i < resolve_flags.size(); ++i) {
    EXPECT_EQ(resolve_flags[i] & (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS),
              RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)
        << "call " << i;
    if (i >= before_walk) {
      EXPECT_NE(resolve_flags[i] & RESOLVE_NO_SYMLINKS, 0u) << "call " << i;
    }
  }
}

}  // namespace
}  // namespace hearth::sandbox
