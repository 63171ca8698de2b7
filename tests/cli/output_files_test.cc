// `-o FILE` end to end (every command writes it through one helper): what is at FILE decides how
// it is written. A regular file is replaced whole with its mode and owner; a device, FIFO or
// symlink is written through and stays what it is; nothing planted beside it is followed.
// Devices and FIFOs are made here, in the test's own folder; never a real system path.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "cli_fixture.h"

namespace pgpart::e2e {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

// Offline: the report fixture's snapshot and policies, at the fixed clock.
std::vector<std::string> StatusTo(const std::string& out) {
  return {"status", "-f", SourcePath("tests/report/policies.yaml"), "--catalog",
          SourcePath("tests/report/snapshot.json"), "--at", kAt, "--format", "json", "-o", out};
}

// `status` exits 0, 2 (warnings) or 1 (errors); the fixture's tables have warnings, not errors.
void ExpectWritten(const RunResult& r) {
  EXPECT_FALSE(r.timed_out) << "pgpart hung";
  EXPECT_EQ(r.exit_code, 2) << r.err << r.out;
  EXPECT_EQ(r.err.find("cannot write"), std::string::npos) << r.err;
}

struct stat Lstat(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(lstat(path.c_str(), &st), 0) << path;
  return st;
}

// The names in `dir`: no temporary file may be left behind.
std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name != ".run") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(E2eOutputFilesTest, DeviceNodeIsWrittenThroughNeverReplacedByAnyCommand) {
  if (geteuid() != 0) GTEST_SKIP() << "mknod needs root (CI runs the tests as root)";
  const std::string dir = TestDir();
  const std::string null = dir + "/null";
  ASSERT_EQ(mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0) << strerror(errno);
  const std::string policies = SourcePath("tests/report/policies.yaml");
  const std::string snapshot = SourcePath("tests/report/snapshot.json");
  const std::vector<std::vector<std::string>> commands = {
      StatusTo(null),
      {"plan", "-f", policies, "--catalog", snapshot, "--at", kAt, "-o", null},
      {"report", "-f", policies, "--catalog", snapshot, "--at", kAt, "-o", null},
      {"forecast", "-f", policies, "--catalog", snapshot, "--at", kAt, "--until", "2027-06-01",
       "-o", null},
      {"snapshot", "--dsn", ServerDsn(), "-o", null},
  };
  for (const auto& command : commands) {
    RunResult r = RunPgpart(command, {}, seconds(60));
    EXPECT_FALSE(r.timed_out) << command[0];
    EXPECT_NE(r.exit_code, 1) << command[0] << ": " << r.err;
    const struct stat st = Lstat(null);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << command[0] << " replaced the device node";
    EXPECT_EQ(st.st_rdev, makedev(1, 3)) << command[0];
  }
  EXPECT_EQ(Names(dir), std::vector<std::string>{"null"});
}

TEST(E2eOutputFilesTest, FifoWithAReaderGetsTheTextAndStaysAFifo) {
  const std::string fifo = TestDir() + "/out.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << strerror(errno);
  const int reader = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0) << strerror(errno);
  std::string received;
  std::thread drain([&] {
    // Reads until pgpart closes its end (EOF after it has written), bounded by the run's timeout.
    char buf[4096];
    const auto deadline = std::chrono::steady_clock::now() + seconds(70);
    bool writer_seen = false;
    while (std::chrono::steady_clock::now() < deadline) {
      const ssize_t n = read(reader, buf, sizeof buf);
      if (n > 0) {
        received.append(buf, static_cast<size_t>(n));
        writer_seen = true;
      } else if (n == 0 && writer_seen) {
        break;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  });
  RunResult r = RunPgpart(StatusTo(fifo), {}, seconds(60));
  drain.join();
  close(reader);
  ExpectWritten(r);
  EXPECT_TRUE(S_ISFIFO(Lstat(fifo).st_mode)) << "the FIFO was replaced";
  EXPECT_NE(received.find("\"tables\""), std::string::npos) << received;
}

TEST(E2eOutputFilesTest, FifoWithoutAReaderIsRefusedNotWaitedFor) {
  const std::string fifo = TestDir() + "/out.fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << strerror(errno);
  RunResult r = RunPgpart(StatusTo(fifo), {}, seconds(30));
  EXPECT_FALSE(r.timed_out) << "pgpart waited for a reader";
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is a FIFO with no reader"), std::string::npos) << r.err;
  EXPECT_TRUE(S_ISFIFO(Lstat(fifo).st_mode));
}

TEST(E2eOutputFilesTest, SymlinkToAFileIsWrittenThroughAndKept) {
  const std::string dir = TestDir();
  WriteFile(dir + "/real.json", "old");
  ASSERT_EQ(chmod((dir + "/real.json").c_str(), 0640), 0);
  ASSERT_EQ(symlink("real.json", (dir + "/link.json").c_str()), 0);
  ExpectWritten(RunPgpart(StatusTo(dir + "/link.json")));
  const struct stat link = Lstat(dir + "/link.json");
  EXPECT_TRUE(S_ISLNK(link.st_mode)) << "the symlink was replaced by a file";
  EXPECT_NE(ReadFile(dir + "/real.json").find("\"tables\""), std::string::npos);
  EXPECT_EQ(Lstat(dir + "/real.json").st_mode & 07777, 0640u);
  EXPECT_EQ(Names(dir), (std::vector<std::string>{"link.json", "real.json"}));
}

TEST(E2eOutputFilesTest, DanglingSymlinkIsRefused) {
  const std::string dir = TestDir();
  ASSERT_EQ(symlink("missing/target.json", (dir + "/link.json").c_str()), 0);
  RunResult r = RunPgpart(StatusTo(dir + "/link.json"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("symlink to a missing file"), std::string::npos) << r.err;
  EXPECT_TRUE(S_ISLNK(Lstat(dir + "/link.json").st_mode));
}

TEST(E2eOutputFilesTest, ReadOnlyFileIsRefusedAndUntouchedEvenForRoot) {
  const std::string dir = TestDir();
  const std::string file = dir + "/status.json";
  WriteFile(file, "keep me");
  ASSERT_EQ(chmod(file.c_str(), 0444), 0);
  const ino_t inode = Lstat(file).st_ino;
  RunResult r = RunPgpart(StatusTo(file));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("cannot write " + file + ": it is read-only"), std::string::npos) << r.err;
  EXPECT_EQ(ReadFile(file), "keep me");
  EXPECT_EQ(Lstat(file).st_ino, inode);
  EXPECT_EQ(Lstat(file).st_mode & 07777, 0444u);
  EXPECT_EQ(Names(dir), std::vector<std::string>{"status.json"});
}

TEST(E2eOutputFilesTest, ReplacedFileKeepsItsModeAndOwner) {
  const std::string dir = TestDir();
  const std::string file = dir + "/status.json";
  WriteFile(file, "old");
  ASSERT_EQ(chmod(file.c_str(), 0600), 0);
  const bool root = geteuid() == 0;
  if (root) {
    ASSERT_EQ(chown(file.c_str(), 4242, 4343), 0) << strerror(errno);
  }
  ExpectWritten(RunPgpart(StatusTo(file)));
  const struct stat st = Lstat(file);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0600u) << "a private file became readable by others";
  if (root) {
    EXPECT_EQ(st.st_uid, 4242u);
    EXPECT_EQ(st.st_gid, 4343u);
  }
  EXPECT_NE(ReadFile(file).find("\"tables\""), std::string::npos);
  EXPECT_EQ(Names(dir), std::vector<std::string>{"status.json"});
}

TEST(E2eOutputFilesTest, NewFileGetsTheUmaskModeAndNoTemporaryIsLeft) {
  const std::string dir = TestDir();
  const mode_t mask = umask(0);
  umask(mask);
  ExpectWritten(RunPgpart(StatusTo(dir + "/status.json")));
  EXPECT_EQ(Lstat(dir + "/status.json").st_mode & 07777, 0666u & ~mask);
  EXPECT_EQ(Names(dir), std::vector<std::string>{"status.json"});
}

TEST(E2eOutputFilesTest, HardLinkedFileIsRewrittenSoEveryNameSeesIt) {
  const std::string dir = TestDir();
  WriteFile(dir + "/a.json", "old");
  ASSERT_EQ(link((dir + "/a.json").c_str(), (dir + "/b.json").c_str()), 0);
  ExpectWritten(RunPgpart(StatusTo(dir + "/a.json")));
  EXPECT_EQ(Lstat(dir + "/a.json").st_ino, Lstat(dir + "/b.json").st_ino);
  EXPECT_NE(ReadFile(dir + "/b.json").find("\"tables\""), std::string::npos);
}

// The old code wrote FILE.tmp first, following what an attacker planted there.
TEST(E2eOutputFilesTest, SymlinkPlantedAtTheOldTemporaryNameIsNotFollowed) {
  const std::string dir = TestDir();
  WriteFile(dir + "/victim", "precious");
  ASSERT_EQ(symlink((dir + "/victim").c_str(), (dir + "/status.json.tmp").c_str()), 0);
  ExpectWritten(RunPgpart(StatusTo(dir + "/status.json")));
  EXPECT_EQ(ReadFile(dir + "/victim"), "precious");
  EXPECT_TRUE(S_ISLNK(Lstat(dir + "/status.json.tmp").st_mode));
  EXPECT_NE(ReadFile(dir + "/status.json").find("\"tables\""), std::string::npos);
}

TEST(E2eOutputFilesTest, FifoPlantedAtTheOldTemporaryNameDoesNotHang) {
  const std::string dir = TestDir();
  ASSERT_EQ(mkfifo((dir + "/status.json.tmp").c_str(), 0600), 0);
  RunResult r = RunPgpart(StatusTo(dir + "/status.json"), {}, seconds(30));
  ExpectWritten(r);
  EXPECT_TRUE(S_ISFIFO(Lstat(dir + "/status.json.tmp").st_mode));
  EXPECT_NE(ReadFile(dir + "/status.json").find("\"tables\""), std::string::npos);
}

TEST(E2eOutputFilesTest, FolderIsRefused) {
  const std::string dir = TestDir();
  fs::create_directories(dir + "/sub");
  RunResult r = RunPgpart(StatusTo(dir + "/sub"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot write " + dir + "/sub: Is a directory"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace pgpart::e2e
