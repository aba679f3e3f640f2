#include "util/atomic_file.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "scratch_dir.h"
#include "util/read_file.h"

namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using waitprof::read_text_file;
using waitprof::Status;
using waitprof::write_file_atomically;
using waitprof_test::ScratchDir;

std::string contents_of(const fs::path& p) {
  auto r = read_text_file(p);
  return r ? *r : "<unreadable: " + r.error().message + ">";
}

void put(const fs::path& p, const std::string& s) {
  ASSERT_TRUE(write_file_atomically(p, s));
}

// Runs `body` in a forked child (for process-wide state: uid, rlimits, signals) and returns
// the text it produced; "<child died>" if it did not exit normally.
std::string in_child(const std::function<std::string()>& body) {
  int fds[2];
  if (pipe(fds) != 0) return "<pipe failed>";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const std::string out = body();
    ssize_t unused = write(fds[1], out.data(), out.size());
    (void)unused;
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof(buf))) > 0;) out.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? out : "<child died>";
}

std::string error_text(const Status& st) {
  return st ? "<ok>" : st.error().message;
}

TEST(AtomicFile, CreatesFileWithContentsAndMode0644) {
  ScratchDir dir;
  const mode_t old_umask = umask(022);
  const Status st = write_file_atomically(dir / "cpu.pb.gz", std::string("a\0b", 3));
  umask(old_umask);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(contents_of(dir / "cpu.pb.gz"), std::string("a\0b", 3));
  struct stat sb {};
  ASSERT_EQ(stat((dir / "cpu.pb.gz").c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 07777, 0644u);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"cpu.pb.gz"});
}

TEST(AtomicFile, WritesEmptyAndLargeContents) {
  ScratchDir dir;
  put(dir / "empty", "");
  EXPECT_EQ(contents_of(dir / "empty"), "");
  std::string big(5 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  put(dir / "big", big);
  EXPECT_EQ(contents_of(dir / "big"), big);
}

// The old file is replaced by a new inode, never truncated in place: another link to the old
// inode keeps the old bytes, which also shows a reader holding it open sees no partial state.
TEST(AtomicFile, ReplacesByRenameNotByTruncation) {
  ScratchDir dir;
  put(dir / "out", "old contents");
  ASSERT_EQ(link((dir / "out").c_str(), (dir / "old-link").c_str()), 0);
  put(dir / "out", "new");
  EXPECT_EQ(contents_of(dir / "out"), "new");
  EXPECT_EQ(contents_of(dir / "old-link"), "old contents");
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"old-link", "out"}));
}

TEST(AtomicFile, RelativePathWithoutDirectoryUsesCurrentDirectory) {
  ScratchDir dir;
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  const Status st = write_file_atomically("here.txt", "x");
  fs::current_path(cwd);
  ASSERT_TRUE(st) << st.error().message;
  EXPECT_EQ(contents_of(dir / "here.txt"), "x");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"here.txt"});
}

TEST(AtomicFile, DirectoryInPlaceOfTargetFailsAndStaysIntact) {
  ScratchDir dir;
  fs::create_directory(dir / "cpu.pb.gz");
  put(dir / "cpu.pb.gz" / "inner", "keep");
  const Status st = write_file_atomically(dir / "cpu.pb.gz", "profile");
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr((dir / "cpu.pb.gz").string()));
  EXPECT_THAT(st.error().message, HasSubstr("Is a directory"));
  EXPECT_TRUE(fs::is_directory(dir / "cpu.pb.gz"));
  EXPECT_EQ(contents_of(dir / "cpu.pb.gz" / "inner"), "keep");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"cpu.pb.gz"});  // no temporary left
}

TEST(AtomicFile, MissingDirectoryNamesPathAndErrno) {
  ScratchDir dir;
  const Status st = write_file_atomically(dir / "no-such-dir" / "cpu.pb.gz", "x");
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().message, HasSubstr("no-such-dir/cpu.pb.gz"));
  EXPECT_THAT(st.error().message, HasSubstr("No such file or directory"));
}

TEST(AtomicFile, RejectsPathWithoutFileName) {
  ScratchDir dir;
  EXPECT_FALSE(write_file_atomically(dir.path() / "", "x"));
  EXPECT_EQ(dir.entries(), std::vector<std::string>{});
}

TEST(AtomicFile, UnwritableDirectoryLeavesTargetUnchanged) {
  ScratchDir dir;
  ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);  // mkdtemp's 0700 would deny the child earlier
  fs::create_directory(dir / "ro");
  put(dir / "ro" / "cpu.pb.gz", "old");
  ASSERT_EQ(chmod((dir / "ro").c_str(), 0555), 0);
  // Root ignores permission bits, so the attempt runs as an unprivileged user in a child.
  const std::string message = in_child([&] {
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
      return std::string("<setuid>");
    return error_text(write_file_atomically(dir / "ro" / "cpu.pb.gz", "new"));
  });
  EXPECT_THAT(message, HasSubstr((dir / "ro" / "cpu.pb.gz").string()));
  EXPECT_THAT(message, HasSubstr("Permission denied"));
  EXPECT_EQ(contents_of(dir / "ro" / "cpu.pb.gz"), "old");
  EXPECT_EQ(dir.entries(dir / "ro"), std::vector<std::string>{"cpu.pb.gz"});
}

// A write that fails half way (here EFBIG from RLIMIT_FSIZE, standing in for a full disk)
// must leave the previous file whole and remove the partial temporary.
TEST(AtomicFile, FailedWriteLeavesTargetUnchangedAndNoTemporary) {
  ScratchDir dir;
  put(dir / "cpu.pb.gz", "previous profile");
  const std::string message = in_child([&] {
    // Ignored, so exceeding the limit fails write() with EFBIG instead of killing us.
    const rlimit limit{4096, 4096};
    if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &limit) != 0) {
      return std::string("<setup failed>");
    }
    return error_text(write_file_atomically(dir / "cpu.pb.gz", std::string(1 << 20, 'x')));
  });
  EXPECT_THAT(message, HasSubstr("writing " + (dir / "cpu.pb.gz").string()));
  EXPECT_THAT(message, HasSubstr("File too large"));
  EXPECT_EQ(contents_of(dir / "cpu.pb.gz"), "previous profile");
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"cpu.pb.gz"});
}

// Writers racing on one target each use their own temporary; the result is one whole
// version, never a mix.
TEST(AtomicFile, ConcurrentWritersLeaveOneWholeVersion) {
  ScratchDir dir;
  std::vector<std::string> versions;
  for (char c = 'a'; c < 'a' + 8; ++c) versions.push_back(std::string(256 << 10, c));
  std::vector<std::thread> threads;
  threads.reserve(versions.size());
  std::atomic<int> failures{0};
  for (const std::string& v : versions) {
    threads.emplace_back([&, v] {
      for (int i = 0; i < 5; ++i) {
        if (!write_file_atomically(dir / "out", v)) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_NE(std::find(versions.begin(), versions.end(), contents_of(dir / "out")), versions.end());
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"out"});
}

}  // namespace
