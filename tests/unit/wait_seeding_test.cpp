#include "record/wait_seeding.h"

#include <gtest/gtest.h>

namespace waitprof {
namespace {

TEST(ProcSyscall, BlockedInFutexGivesNumberAndArguments) {
  auto s = parse_proc_syscall("202 0x55d0c0a0b040 0x80 0x2 0x0 0x0 0x0 0x7ffd3a1c 0x7f12ab\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->nr, 202);
  EXPECT_EQ(s->args[0], 0x55d0c0a0b040u);
  EXPECT_EQ(s->args[1], 0x80u);
  EXPECT_EQ(s->args[2], 2u);
}

TEST(ProcSyscall, BlockedOutsideASyscallIsMinusOne) {
  auto s = parse_proc_syscall("-1 0x7ffd3a1c 0x7f12ab\n");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->nr, -1);
}

TEST(ProcSyscall, RunningAndGarbageAreNotWaits) {
  EXPECT_FALSE(parse_proc_syscall("running\n"));
  EXPECT_FALSE(parse_proc_syscall(""));
  EXPECT_FALSE(parse_proc_syscall("abc 0x1"));
  EXPECT_FALSE(parse_proc_syscall("202 0x1 0x2"));  // truncated
}

}  // namespace
}  // namespace waitprof
