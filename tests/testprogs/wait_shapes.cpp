// Threads with known call chains and known shares of on- and off-CPU time, for the record
// tests. Prints one line per thread: "thread <role> <tid>", then "ready", and runs until
// killed. Roles:
//   spinner: on CPU all the time in spin_outer → spin_middle → spin_leaf
//   sleeper: nanosleep(1 ms) in a loop via sleep_outer → sleep_inner
//   half:    2 ms of spinning then 2 ms of sleep, via half_outer → (spin_leaf | sleep_inner)
// Built with frame pointers and noinline so BPF's frame-pointer walk sees every frame.
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>
#include <vector>

#include "role_threads.h"

namespace shapes {

std::atomic<unsigned long> g_sink{0};

__attribute__((noinline)) void spin_leaf(std::chrono::microseconds how_long) {
  const auto end = std::chrono::steady_clock::now() + how_long;
  unsigned long x = 0;
  while (std::chrono::steady_clock::now() < end) {
    for (int i = 0; i < 1000; ++i) x = x * 6364136223846793005ul + 1442695040888963407ul;
  }
  g_sink += x;
}

__attribute__((noinline)) void spin_middle() { spin_leaf(std::chrono::microseconds(100000)); }

__attribute__((noinline)) void spin_outer() {
  for (;;) spin_middle();
}

__attribute__((noinline)) void sleep_inner(long ns) {
  timespec ts{0, ns};
  nanosleep(&ts, nullptr);
}

__attribute__((noinline)) void sleep_outer() {
  for (;;) sleep_inner(1'000'000);
}

__attribute__((noinline)) void half_outer() {
  for (;;) {
    spin_leaf(std::chrono::microseconds(2000));
    sleep_inner(2'000'000);
  }
}

}  // namespace shapes

int main() {
  prctl(PR_SET_PDEATHSIG, 9);  // never outlive the test that started us
  const testprogs::Role roles[] = {{"spinner", shapes::spin_outer},
                                   {"sleeper", shapes::sleep_outer},
                                   {"half", shapes::half_outer}};
  std::vector<std::thread> threads = testprogs::start_roles(roles);
  for (std::thread& t : threads) t.join();
}
