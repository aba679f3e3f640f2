// summary.txt's arithmetic: where off-CPU time went by state and syscall, the top stacks, and
// names shortened for stack lines, on profiles whose every value is known.
#include <gtest/gtest.h>

#include "pprof/profile_builder.h"
#include "record/record_report.h"

namespace {

using waitprof::Frame;
using waitprof::Label;

std::shared_ptr<const waitprof::Module> binary() {
  auto m = std::make_shared<waitprof::Module>();
  m->path = "/usr/bin/server";
  m->start = 0x400000;
  m->limit = 0x500000;
  return m;
}

Frame frame(uint64_t address, const char* function) {
  return Frame{address, binary(), {waitprof::SourceLine{function, function, "", 0, 0}}};
}

waitprof::ProfileHeader offcpu_header() {
  waitprof::ProfileHeader h;
  h.sample_types = {{"switches", "count"}, {"delay", "nanoseconds"}};
  h.default_sample_type = "delay";
  h.period_type = {"switches", "count"};
  h.period = 1;
  return h;
}

void add(waitprof::ProfileBuilder& b, std::vector<Frame> stack, int64_t ns, const char* state,
         const char* syscall, const char* wait) {
  const int64_t values[] = {1, ns};
  const std::vector<Label> labels{Label::string("state", state),
                                  Label::string("syscall", syscall), Label::string("wait", wait)};
  b.add_sample(stack, values, labels);
}

// Stacks leaf first: lock wait 300 ns, epoll 500, nanosleep 100, D state 70, runqueue 30,
// an idle condvar 40, a join 20, a semaphore 10.
perftools::profiles::Profile offcpu_profile() {
  waitprof::ProfileBuilder b(offcpu_header());
  const Frame main_frame = frame(0x401000, "main");
  const Frame serve = frame(0x401100, "serve(int)");
  add(b, {frame(0x401200, "__lll_lock_wait"), serve, main_frame}, 200, "sleeping", "futex", "mutex");
  add(b, {frame(0x401200, "__lll_lock_wait"), serve, main_frame}, 100, "sleeping", "futex", "mutex");
  add(b, {frame(0x401300, "epoll_wait"), main_frame}, 500, "sleeping", "epoll_wait", "poll");
  add(b, {frame(0x401400, "nanosleep"), main_frame}, 100, "sleeping", "clock_nanosleep", "sleep");
  add(b, {frame(0x401500, "read"), serve, main_frame}, 70, "uninterruptible", "read", "io");
  add(b, {serve, main_frame}, 30, "runqueue", "none", "runqueue");
  add(b, {frame(0x401600, "pthread_cond_wait"), main_frame}, 40, "sleeping", "futex", "condvar");
  add(b, {frame(0x401700, "pthread_join"), main_frame}, 20, "sleeping", "futex", "join");
  add(b, {frame(0x401800, "sem_wait"), main_frame}, 10, "sleeping", "futex_wait", "semaphore");
  return std::move(b).build();
}

TEST(BlockedBreakdown, SplitsOffcpuTimeByWhatItWaitedFor) {
  const waitprof::BlockedBreakdown b = waitprof::blocked_breakdown(offcpu_profile());
  EXPECT_EQ(b.total_ns, 1070);
  // Futex waits that are no lock are not lock wait: an idle condvar, a join, a semaphore.
  EXPECT_EQ(b.lock_ns, 300);
  EXPECT_EQ(b.condvar_ns, 40);
  EXPECT_EQ(b.join_ns, 20);
  EXPECT_EQ(b.semaphore_ns, 10);
  EXPECT_EQ(b.io_ns, 70);
  EXPECT_EQ(b.runqueue_ns, 30);
  EXPECT_EQ(b.other_ns, 600);
  ASSERT_EQ(b.other_by_syscall.size(), 2u);
  EXPECT_EQ(b.other_by_syscall[0], (std::pair<std::string, int64_t>{"epoll_wait", 500}));
  EXPECT_EQ(b.other_by_syscall[1], (std::pair<std::string, int64_t>{"clock_nanosleep", 100}));
}

TEST(TopStacks, LargestFirstLeafFirstSamesStacksMerged) {
  const std::vector<waitprof::TopStack> top = waitprof::top_stacks(offcpu_profile(), 2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].value, 500);
  EXPECT_EQ(top[0].frames, (std::vector<std::string>{"epoll_wait", "main"}));
  // The two futex samples have one stack: merged into 300.
  EXPECT_EQ(top[1].value, 300);
  EXPECT_EQ(top[1].frames, (std::vector<std::string>{"__lll_lock_wait", "serve(int)", "main"}));
}

TEST(ShortFunctionName, DropsTemplateArgumentsAndParameters) {
  using waitprof::short_function_name;
  EXPECT_EQ(short_function_name("tsrv::EventLoop::run()"), "tsrv::EventLoop::run");
  EXPECT_EQ(short_function_name("tsrv::RequestHandler::pick_product_index(tsrv::ThreadCounters&) const"),
            "tsrv::RequestHandler::pick_product_index");
  EXPECT_EQ(short_function_name("std::mersenne_twister_engine<unsigned long, 64ul>::operator()()"),
            "std::mersenne_twister_engine<>::operator()");
  EXPECT_EQ(short_function_name("bool operator<(A const&, B const&)"), "bool operator<");
  EXPECT_EQ(short_function_name("main"), "main");
  EXPECT_EQ(short_function_name("tsrv::(anonymous namespace)::span(char const*)"),
            "tsrv::(anonymous namespace)::span");
  // Go's receivers are part of the name.
  EXPECT_EQ(short_function_name("internal/poll.(*FD).Write"), "internal/poll.(*FD).Write");
  EXPECT_EQ(short_function_name("net/http.(*conn).serve"), "net/http.(*conn).serve");
  EXPECT_EQ(short_function_name("libc.so.6+0x8f2a0"), "libc.so.6+0x8f2a0");
}

}  // namespace
