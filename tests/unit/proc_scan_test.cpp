#include "proc_scan.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace {

TEST(ProcScan, ParsesPpidPastHostileComm) {
  EXPECT_EQ(waitprof::parse_stat_ppid("42 (a) b) c) S 7 42 42 0"), 7);
  EXPECT_EQ(waitprof::parse_stat_ppid("1 (init) S 0 1 1"), 0);
  EXPECT_FALSE(waitprof::parse_stat_ppid("garbage"));
}

TEST(ProcScan, ListsDescendantsTransitively) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("proc_scan_" + std::to_string(getpid()));
  fs::remove_all(root);
  auto add = [&](int pid, int ppid) {
    fs::create_directories(root / std::to_string(pid));
    std::ofstream(root / std::to_string(pid) / "stat") << pid << " (w) S " << ppid << " 0 0\n";
  };
  add(10, 1);   // the root
  add(11, 10);  // worker
  add(12, 10);  // worker
  add(13, 12);  // worker's child
  add(20, 1);   // unrelated
  fs::create_directories(root / "self");
  EXPECT_EQ(waitprof::list_descendants(10, root.string()), (std::vector<pid_t>{11, 12, 13}));
  EXPECT_TRUE(waitprof::list_descendants(20, root.string()).empty());
  fs::remove_all(root);
}

TEST(ProcScan, ListThreadsReadsNumericTaskEntries) {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("proc_threads_" + std::to_string(getpid()));
  fs::remove_all(root);
  for (const char* entry : {"10", "12", "11", "attr"}) {
    fs::create_directories(root / "10" / "task" / entry);
  }
  EXPECT_EQ(waitprof::list_threads(10, root.string()), (std::vector<pid_t>{10, 11, 12}));
  EXPECT_TRUE(waitprof::list_threads(99, root.string()).empty());
  fs::remove_all(root);
}

TEST(StatState, ReadsTheLetterAfterTheCommEvenWithParens) {
  EXPECT_EQ(waitprof::parse_stat_state("123 (a) b) S 1 2 3"), 'S');
  EXPECT_EQ(waitprof::parse_stat_state("9 (kworker/0:1) D 2 0"), 'D');
  EXPECT_EQ(waitprof::parse_stat_state("no parens"), 0);
  EXPECT_EQ(waitprof::parse_stat_state("1 (x)"), 0);
}

}  // namespace
