// bench/stack_fanout: a process with 2^depth distinct user call stacks, for measuring how
// waitprof's export grows with the number of unique stacks (bench/overhead.sh, export part).
//
// Each iteration walks a recursion of `depth` levels; level d calls either left() or right()
// depending on bit (depth-1-d) of the iteration counter (--order leaf-fastest, the default:
// consecutive iterations differ next to the leaf) or bit d (--order root-fastest: they differ
// only near the root, the leaf-side frames stay the same for 2^(depth-1) iterations), so
// iteration i runs through call path i mod 2^depth either way. At the leaf it spins for --spin-us (cpu samples) and then sleeps for
// --sleep-us (an off-CPU wait per iteration, with the whole path on the user stack).
// Frame pointers, no inlining and no sibling calls (see bench/CMakeLists.txt) keep every
// level a real frame, so a frame-pointer walk sees 2^depth different stacks.
#include <pthread.h>
#include <unistd.h>
#include <time.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

std::atomic<bool> g_stop{false};
int g_depth = 10;
bool g_root_fastest = false;
long g_spin_ns = 20'000;
long g_sleep_ns = 50'000;

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(ts.tv_nsec);
}

__attribute__((noinline)) void leaf() {
  const uint64_t until = now_ns() + static_cast<uint64_t>(g_spin_ns);
  while (now_ns() < until) asm volatile("" ::: "memory");
  if (g_sleep_ns > 0) {
    timespec ts{g_sleep_ns / 1'000'000'000, g_sleep_ns % 1'000'000'000};
    nanosleep(&ts, nullptr);
  }
  asm volatile("" ::: "memory");
}

void level(int d, uint64_t path);

__attribute__((noinline)) void left(int d, uint64_t path) {
  level(d + 1, path);
  asm volatile("" ::: "memory");  // no tail call: this frame stays on the stack
}

__attribute__((noinline)) void right(int d, uint64_t path) {
  level(d + 1, path);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void level(int d, uint64_t path) {
  if (d >= g_depth) {
    leaf();
  } else if ((path >> (g_root_fastest ? d : g_depth - 1 - d)) & 1) {
    right(d, path);
  } else {
    left(d, path);
  }
  asm volatile("" ::: "memory");
}

void worker(unsigned index, unsigned nthreads) {
  // Threads start at different paths so that together they cover all paths sooner.
  for (uint64_t i = index; !g_stop.load(std::memory_order_relaxed); i += nthreads) level(0, i);
}

void on_signal(int) { g_stop.store(true); }

[[noreturn]] void usage(const char* argv0, int code) {
  fprintf(code ? stderr : stdout,
          "Usage: %s [--depth K] [--threads T] [--spin-us S] [--sleep-us U] [--seconds N]\n"
          "          [--order leaf-fastest|root-fastest]\n"
          "Runs 2^K distinct call paths (default K=10) round-robin in T threads (default 1):\n"
          "each iteration spins S us (default 20) and sleeps U us (default 50) at the leaf.\n"
          "Stops after N seconds (default: on SIGINT/SIGTERM).\n",
          argv0);
  exit(code);
}

long parse_long(const char* argv0, const char* opt, const char* value, long min, long max) {
  if (!value) usage(argv0, 2);
  char* end = nullptr;
  errno = 0;
  const long v = strtol(value, &end, 10);
  if (errno || !end || *end || v < min || v > max) {
    fprintf(stderr, "stack_fanout: %s must be an integer in [%ld, %ld], got '%s'\n", opt, min, max,
            value);
    exit(2);
  }
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  long threads = 1, seconds = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "-h" || a == "--help") usage(argv[0], 0);
    if (a == "--depth") g_depth = static_cast<int>(parse_long(argv[0], "--depth", v, 0, 24));
    else if (a == "--threads") threads = parse_long(argv[0], "--threads", v, 1, 256);
    else if (a == "--spin-us") g_spin_ns = parse_long(argv[0], "--spin-us", v, 0, 1'000'000) * 1000;
    else if (a == "--sleep-us") g_sleep_ns = parse_long(argv[0], "--sleep-us", v, 0, 1'000'000) * 1000;
    else if (a == "--order" && v && (strcmp(v, "leaf-fastest") == 0 || strcmp(v, "root-fastest") == 0))
      g_root_fastest = strcmp(v, "root-fastest") == 0;
    else if (a == "--seconds") seconds = parse_long(argv[0], "--seconds", v, 0, 86400);
    else {
      fprintf(stderr, "stack_fanout: unknown option '%s' (see --help)\n", a.c_str());
      return 2;
    }
    ++i;
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::vector<std::thread> pool;
  for (long t = 0; t < threads; ++t) pool.emplace_back(worker, static_cast<unsigned>(t), static_cast<unsigned>(threads));
  printf("stack_fanout: pid %d, %llu call paths, %ld thread(s)\n", getpid(),
         1ull << g_depth, threads);
  fflush(stdout);
  const uint64_t deadline = seconds ? now_ns() + static_cast<uint64_t>(seconds) * 1'000'000'000u : 0;
  while (!g_stop.load()) {
    if (deadline && now_ns() >= deadline) g_stop.store(true);
    usleep(50'000);
  }
  for (std::thread& t : pool) t.join();
  return 0;
}
