// Threads waiting in known places, through code built without frame pointers (this program
// and libunwind_chain.so both are): the ground truth the exact-stacks tests compare waitprof's
// stacks against, with gdb's backtraces of the same threads. Prints "thread <role> <tid>"
// per thread, then "ready", and runs until killed. Roles:
//   locker:  outer_a → middle_b → (inline_step) → take_lock_c → std::mutex::lock, contended
//   holder:  holds that mutex, sleeping 20 ms at a time in hold_and_sleep → nanosleep
//   idle:    outer_a → … → wait_idle_c → std::condition_variable::wait, never signalled
//   writer:  outer_a → … → write_full_pipe_c → write on a pipe nobody reads
//   sleeper: outer_a → … → sleep_c → nanosleep 5 ms, over and over
// and the main thread in pthread_join. With --exit-after-ms N it exits N ms after "ready"
// (for a program that must be gone before the export).
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <ctime>
#include <mutex>
#include <thread>
#include <vector>

#include "role_threads.h"
#include "unwind_chain.h"

namespace shapes {

__attribute__((noinline)) void hold_and_sleep() {
  std::lock_guard<std::mutex> hold(chain::contended_lock());
  const timespec twenty_ms{0, 20'000'000};
  nanosleep(&twenty_ms, nullptr);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void holder() {
  for (;;) hold_and_sleep();
}

__attribute__((noinline)) void locker() {
  for (;;) chain::outer_a(chain::take_lock_c);
}

__attribute__((noinline)) void idle() { chain::outer_a(chain::wait_idle_c); }

__attribute__((noinline)) void writer() { chain::outer_a(chain::write_full_pipe_c); }

__attribute__((noinline)) void sleeper() {
  for (;;) chain::outer_a(chain::sleep_c);
}

}  // namespace shapes

int main(int argc, char** argv) {
  prctl(PR_SET_PDEATHSIG, 9);  // never outlive the test that started us
  const long exit_after_ms = argc == 3 && std::string(argv[1]) == "--exit-after-ms"
                                 ? std::strtol(argv[2], nullptr, 10)
                                 : -1;
  int fds[2];
  if (pipe(fds) != 0) return 1;
  chain::set_write_fd(fds[1]);
  const testprogs::Role roles[] = {{"holder", shapes::holder}, {"locker", shapes::locker},
                                   {"idle", shapes::idle},     {"writer", shapes::writer},
                                   {"sleeper", shapes::sleeper}};
  std::vector<std::thread> threads = testprogs::start_roles(roles);
  if (exit_after_ms >= 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(exit_after_ms));
    _exit(0);
  }
  for (std::thread& t : threads) t.join();
}
