// The library half of unwind_shapes: call chains built without frame pointers, as Debian
// builds its libraries, so only call-frame information can find each caller. Every function
// a test names is noinline (and called through the library's PLT from the program), except
// the one forced inline, whose frame only DWARF's inline scopes can name.
#include "unwind_chain.h"

#include <time.h>
#include <unistd.h>

#include <condition_variable>
#include <mutex>

namespace chain {

namespace {
int g_write_fd = -1;
std::mutex g_lock;
std::mutex g_idle_mutex;
std::condition_variable g_idle;
bool g_never = false;
}  // namespace

std::mutex& contended_lock() { return g_lock; }

// Forced inline into middle_b: a frame of its own only in DWARF.
__attribute__((always_inline)) inline void inline_step(void (*leaf)()) {
  leaf();
  asm volatile("" ::: "memory");  // keep the call from becoming a tail call
}

__attribute__((noinline)) void take_lock_c() {
  std::lock_guard<std::mutex> hold(g_lock);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void middle_b(void (*leaf)()) {
  inline_step(leaf);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void outer_a(void (*leaf)()) {
  middle_b(leaf);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void wait_idle_c() {
  std::unique_lock<std::mutex> lock(g_idle_mutex);
  g_idle.wait(lock, [] { return g_never; });
}

void set_write_fd(int fd) { g_write_fd = fd; }

__attribute__((noinline)) void write_full_pipe_c() {
  static const char kBlock[4096] = {};
  for (;;) {
    if (write(g_write_fd, kBlock, sizeof(kBlock)) < 0) return;
  }
}

__attribute__((noinline)) void sleep_c() {
  const timespec five_ms{0, 5'000'000};
  nanosleep(&five_ms, nullptr);
  asm volatile("" ::: "memory");
}

}  // namespace chain
