#include "worker.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "event_loop.h"

namespace tsrv {

int run_worker(const ServerConfig& config, unsigned worker_index, const RequestHandler& handler,
               StatsRegion& stats, void (*on_ready)(void*), void* ready_arg) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGHUP);
  // Blocked before any loop thread starts, so only sigwait below ever takes them.
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a peer that vanished is an EPIPE from writev, not a death

  // Each worker draws its own sequence, as separate processes with their own RNG would.
  g_product_rng.init(config.seed + 0x9e3779b97f4a7c15ull * (worker_index + 1), config.rng_draws);

  std::vector<std::unique_ptr<EventLoop>> loops;
  for (unsigned t = 0; t < config.threads; ++t) {
    std::string error;
    auto loop = EventLoop::create(config, handler, stats.counters(worker_index, t), &error);
    if (!loop) {
      fprintf(stderr, "target-server: worker %u: %s\n", worker_index, error.c_str());
      return kWorkerStartupFailed;
    }
    loops.push_back(std::move(loop));
  }
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < config.threads; ++t) {
    threads.emplace_back([&loops, t] {
      // Thread names label waitprof's per-thread samples.
      const std::string name = "http-loop-" + std::to_string(t);
      pthread_setname_np(pthread_self(), name.c_str());
      loops[t]->run();
    });
  }
  on_ready(ready_arg);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  for (auto& loop : loops) loop->stop();
  for (auto& t : threads) t.join();
  return 0;
}

}  // namespace tsrv
