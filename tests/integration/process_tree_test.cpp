// Real BPF: proctree.bpf.c must track every descendant of a root, whether it existed before
// attach (found in /proc) or was forked after (seen at sched_process_fork), and drop exits.
#include "process_tree.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include "proc_scan.h"
#include "support/child_process.h"
#include "support/privileges.h"

namespace {

TEST(ProcessTree, TracksExistingAndNewDescendantsAndExits) {
  REQUIRE_ROOT_OR_SKIP();
  std::vector<waitprof_proc_event> events;
  auto tree =
      waitprof::ProcessTree::open(true, [&](const waitprof_proc_event& e) { events.push_back(e); });
  ASSERT_TRUE(tree) << tree.error().message;

  // setsid-like isolation: fork_tree kills its process group at the end, so give it its own.
  waitprof_test::ChildProcess prog({FORK_TREE_PATH});
  ASSERT_TRUE(prog.wait_for_line("ready"));
  const pid_t root = prog.pid();
  auto existing = waitprof::list_descendants(root);
  ASSERT_EQ(existing.size(), 1u);

  ASSERT_TRUE((*tree)->add_root(root).ok());
  EXPECT_TRUE((*tree)->is_target(root));
  EXPECT_TRUE((*tree)->is_target(existing[0])) << "pre-existing child not added from /proc";

  kill(root, SIGUSR1);
  ASSERT_TRUE(prog.wait_for_line("forked"));
  // 2 children + 2 grandchildren, all forked after attach.
  for (int i = 0; i < 50 && events.size() < 4; ++i) ASSERT_TRUE((*tree)->poll(100).ok());
  std::set<pid_t> forked;
  for (const auto& e : events) {
    if (e.kind == WAITPROF_PROC_FORK) forked.insert(static_cast<pid_t>(e.tgid));
  }
  auto now = waitprof::list_descendants(root);
  std::set<pid_t> expected(now.begin(), now.end());
  expected.erase(existing[0]);
  EXPECT_EQ(forked, expected);
  for (pid_t p : now) EXPECT_TRUE((*tree)->is_target(p)) << p;
  EXPECT_FALSE((*tree)->is_target(getpid())) << "the test process is no target";

  // A thread is not a new process: no FORK event for it.
  const size_t before_thread = events.size();
  std::thread([] {}).join();
  ASSERT_TRUE((*tree)->poll(50).ok());
  EXPECT_EQ(events.size(), before_thread);

  kill(root, SIGTERM);  // fork_tree SIGKILLs its group
  prog.stop(0);
  size_t exits = 0;
  for (int i = 0; i < 50 && exits < now.size() + 1; ++i) {
    ASSERT_TRUE((*tree)->poll(100).ok());
    exits = 0;
    for (const auto& e : events) exits += e.kind == WAITPROF_PROC_EXIT;
  }
  EXPECT_EQ(exits, now.size() + 1);
  EXPECT_FALSE((*tree)->is_target(root));
  for (pid_t p : now) EXPECT_FALSE((*tree)->is_target(p));
  for (uint64_t d : (*tree)->drops()) EXPECT_EQ(d, 0u);
}

TEST(ProcessTree, WithoutFollowChildrenOnlyTheRootIsTracked) {
  REQUIRE_ROOT_OR_SKIP();
  auto tree = waitprof::ProcessTree::open(false, [](const waitprof_proc_event&) {});
  ASSERT_TRUE(tree) << tree.error().message;
  waitprof_test::ChildProcess prog({FORK_TREE_PATH});
  ASSERT_TRUE(prog.wait_for_line("ready"));
  ASSERT_TRUE((*tree)->add_root(prog.pid()).ok());
  kill(prog.pid(), SIGUSR1);
  ASSERT_TRUE(prog.wait_for_line("forked"));
  for (pid_t p : waitprof::list_descendants(prog.pid())) EXPECT_FALSE((*tree)->is_target(p));
  kill(prog.pid(), SIGTERM);
}

}  // namespace
