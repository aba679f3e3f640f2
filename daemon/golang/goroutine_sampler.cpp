#include "golang/goroutine_sampler.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <string_view>

#include "golang/go_runtime_layout.h"
#include "golang/goroutine_reader.h"

namespace waitprof {

namespace {

uint64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// A reading late by more than this (the sampler's thread starved on a loaded machine) charges
// only this: what the goroutines did in the gap is unknown.
constexpr uint64_t kMaxChargeNs = 1'000'000'000;

// The sampler's thread is busy at most 1/this of the time.
constexpr uint64_t kMaxBusyShareInverse = 10;

// The reasons whose waits Go's block profile records (blockevent in chanrecv, chansend,
// selectgo, semacquire1, notifyListWait). Not: a nil channel, an empty select, I/O, sleep,
// the GC and the runtime's own idle goroutines.
constexpr std::array<std::string_view, 9> kBlockingReasons{
    "chan receive",       "chan send",         "select",
    "semacquire",         "sync.Cond.Wait",    "sync.Mutex.Lock",
    "sync.RWMutex.RLock", "sync.RWMutex.Lock", "sync.WaitGroup.Wait",
};

// The reasons of a semaphore wait: their sudog's elem is the semaphore, whose releases the
// mutex profile matches. (A channel's elem is the waiter's data slot: no identity worth a key.)
bool is_semaphore_wait(std::string_view reason) {
  return reason == "semacquire" || reason.starts_with("sync.Mutex") ||
         reason.starts_with("sync.RWMutex") || reason == "sync.WaitGroup.Wait";
}

}  // namespace

// A goroutine's wait while it lasts: seen again with the same sp, sudog, reason and park
// count, it is still the same wait. (Without the count, the same goroutine parked at the same
// place again — a loop's Lock, a connection's next request — looks like one wait lasting as
// long as it is found parked at every reading, and all of it is lost if the process exits or
// the recording stops meanwhile: 14% of a contended lock's waiting in a test.)
struct OpenWait {
  std::tuple<uint64_t, uint64_t, uint8_t, uint8_t> identity;
  GoroutineSampler::Key key;
  uint64_t ns = 0;  // sampled so far
};

struct GoroutineSampler::Process {
  std::unique_ptr<GoroutineReader> reader;
  std::vector<bool> wanted;  // by reason index
  uint64_t last_ns = 0;
  std::map<uint64_t, OpenWait> waiting;  // by goid
};

bool GoroutineSampler::counts_as_blocking(const std::string& reason) {
  for (std::string_view r : kBlockingReasons) {
    if (r == reason) return true;
  }
  return false;
}

GoroutineSampler::GoroutineSampler(int frequency_hz)
    : frequency_hz_(frequency_hz > 0 ? frequency_hz : 1) {
  // The thread starts with every signal blocked: a SIGINT meant for the command's signalfd
  // (record's Ctrl-C, blocked in the main thread only once the attach is done) would
  // otherwise go to this thread and kill the process.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  thread_ = std::thread([this] { run(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

GoroutineSampler::~GoroutineSampler() {
  stop();
}

void GoroutineSampler::track(pid_t pid) {
  std::lock_guard lock(mu_);
  gone_.erase(pid);
  pending_.insert(pid);
  wake_.notify_all();
}

void GoroutineSampler::untrack(pid_t pid) {
  std::lock_guard lock(mu_);
  pending_.erase(pid);
  gone_.insert(pid);
}

void GoroutineSampler::wait_until_open(int timeout_ms) {
  std::unique_lock lock(mu_);
  opened_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                   [&] { return stopping_ || (pending_.empty() && opening_ == 0); });
}

void GoroutineSampler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    wake_.notify_all();
    opened_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

std::shared_ptr<const GoRuntimeLayout> GoroutineSampler::layout_for(pid_t pid, std::string& error) {
  const std::string exe = "/proc/" + std::to_string(pid) + "/exe";
  struct stat st {};
  if (stat(exe.c_str(), &st) != 0) {
    error = "it exited";
    return nullptr;
  }
  const std::pair<uint64_t, uint64_t> id{st.st_dev, st.st_ino};
  if (auto it = layouts_.find(id); it != layouts_.end()) return it->second;
  Result<GoRuntimeLayout> layout = read_go_runtime_layout(exe);
  if (!layout) {
    error = layout.error().message;
    return nullptr;
  }
  auto shared = std::make_shared<const GoRuntimeLayout>(*layout);
  layouts_[id] = shared;
  return shared;
}

void GoroutineSampler::run() {
  // A reading must happen when its timer fires, not when the scheduler next finds the thread
  // a CPU: on a host the targets and their load keep busy, a normal thread runs late and
  // mostly when some thread has just blocked, which is not a random moment of the goroutines'
  // waits (a loaded net/http server's sync.Cond waits last as long as the OS keeps the
  // waker's thread off the CPU). Measured against Go's own block profile on 2 busy cores:
  // 0.75-0.90 of it under SCHED_OTHER, 0.92-1.04 under SCHED_FIFO. The lowest real-time
  // priority is enough to preempt the targets; a reading is bounded (kMaxGoroutines) and the
  // kernel's real-time throttling caps the class anyway.
  sched_param param{};
  param.sched_priority = sched_get_priority_min(SCHED_FIFO);
  if (int err = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param); err != 0) {
    std::lock_guard lock(mu_);
    stats_.realtime_error = std::strerror(err);
  }
  const uint64_t period = 1'000'000'000ull / static_cast<uint64_t>(frequency_hz_);
  uint64_t next = now_ns();
  for (;;) {
    std::set<pid_t> opening, closing;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, std::chrono::nanoseconds(next > now_ns() ? next - now_ns() : 0),
                     [&] { return stopping_ || !pending_.empty(); });
      if (stopping_) return;
      opening.swap(pending_);
      opening_ = opening.size();
      closing.swap(gone_);
    }
    if (!closing.empty()) {
      std::lock_guard lock(mu_);
      for (pid_t pid : closing) processes_.erase(pid);
    }
    for (pid_t pid : opening) {
      std::string error;
      std::shared_ptr<const GoRuntimeLayout> layout = layout_for(pid, error);
      Result<std::unique_ptr<GoroutineReader>> reader =
          layout ? GoroutineReader::open(pid, layout)
                 : Result<std::unique_ptr<GoroutineReader>>(Error{error});
      if (!reader) {
        std::lock_guard lock(mu_);
        stats_.unsampled[pid] = reader.error().message;
        continue;
      }
      auto p = std::make_unique<Process>();
      p->reader = std::move(*reader);
      for (const std::string& reason : p->reader->wait_reasons()) {
        p->wanted.push_back(counts_as_blocking(reason));
      }
      std::lock_guard lock(mu_);
      processes_[pid] = std::move(p);
    }
    if (!opening.empty()) {
      std::lock_guard lock(mu_);
      opening_ = 0;
      opened_.notify_all();
    }
    const uint64_t now = now_ns();
    if (now < next) continue;  // woken early to open a process
    sample_once(now);
    next += period;
    if (next <= now) next = now + period;  // fell behind: skip, do not burst
    // At most a tenth of a CPU, however many goroutines there are to read: a real-time
    // thread reading without pause would take a core from the targets. The readings then come
    // less often; each charges the time since the previous one, so totals stay right while
    // readings are less than kMaxChargeNs apart (a process of ~100,000 goroutines and more
    // is read further apart than that, and undercounted).
    next = std::max(next, now + kMaxBusyShareInverse * (now_ns() - now));
  }
}

void GoroutineSampler::sample_once(uint64_t now) {
  const uint64_t period = 1'000'000'000ull / static_cast<uint64_t>(frequency_hz_);
  for (auto it = processes_.begin(); it != processes_.end();) {
    Process& p = *it->second;
    const pid_t pid = it->first;
    const uint64_t began = now_ns();
    Result<GoroutineReader::Reading> reading = p.reader->read(p.wanted);
    const double seconds = static_cast<double>(now_ns() - began) / 1e9;
    if (!reading) {
      // Gone (or its memory unreadable): nothing more will come of it.
      std::lock_guard lock(mu_);
      ++stats_.failed_readings;
      stats_.reading_seconds += seconds;
      it = processes_.erase(it);
      continue;
    }
    const uint64_t charge = std::min(p.last_ns ? now - p.last_ns : period, kMaxChargeNs);
    p.last_ns = now;
    std::map<uint64_t, OpenWait> waiting;
    std::lock_guard lock(mu_);
    ++stats_.readings;
    stats_.reading_seconds += seconds;
    stats_.seen += reading->waits.size() + reading->moved;
    stats_.moved += reading->moved;
    stats_.moved_kept += reading->moved_kept;
    stats_.max_goroutines = std::max<uint64_t>(stats_.max_goroutines, reading->goroutines);
    // A goroutine that moved while read may well still be in its wait: keep its wait open
    // without charging it, rather than end it.
    const bool unsure = reading->moved > 0;
    std::set<uint64_t> queued;  // semaphores with a sleeper now
    for (const GoroutineWait& w : reading->waits) {
      const std::string& reason = p.reader->wait_reasons()[w.reason];
      if (w.object && is_semaphore_wait(reason) && queued.insert(w.object).second) {
        queues_[{pid, w.object}] += charge;
      }
      const auto identity = std::make_tuple(w.sched_sp, w.sudog, w.reason, w.parks);
      auto seen = p.waiting.find(w.goid);
      if (seen != p.waiting.end() && seen->second.identity == identity) {
        seen->second.ns += charge;
        waiting.emplace(w.goid, std::move(seen->second));
        p.waiting.erase(seen);
        continue;
      }
      waiting.emplace(w.goid, OpenWait{identity,
                                       Key{pid, reason, is_semaphore_wait(reason) ? w.object : 0,
                                           w.stack, w.stack_end},
                                       charge});
    }
    // The waits not seen again have ended: charged now, whole, as Go's block profile
    // charges a wait when it ends (a goroutine parked for the process's lifetime, a signal
    // handler's or a worker pool's idle receive, is in neither profile until it wakes).
    for (auto& [goid, open] : p.waiting) {
      if (unsure && !waiting.contains(goid)) {
        waiting.emplace(goid, std::move(open));
        continue;
      }
      auto& [waits, ns] = totals_[open.key];
      ++waits;
      ns += open.ns;
    }
    p.waiting = std::move(waiting);
    ++it;
  }
}

std::vector<GoroutineWaitTotal> GoroutineSampler::totals() const {
  std::lock_guard lock(mu_);
  std::vector<GoroutineWaitTotal> out;
  out.reserve(totals_.size());
  for (const auto& [key, value] : totals_) {
    const auto& [tgid, reason, object, stack, end] = key;
    out.push_back({tgid, reason, object, stack, end, value.first, value.second});
  }
  return out;
}

std::vector<SemaphoreQueueTotal> GoroutineSampler::queue_totals() const {
  std::lock_guard lock(mu_);
  std::vector<SemaphoreQueueTotal> out;
  out.reserve(queues_.size());
  for (const auto& [key, ns] : queues_) out.push_back({key.first, key.second, ns});
  return out;
}

GoroutineSamplerStats GoroutineSampler::stats() const {
  std::lock_guard lock(mu_);
  GoroutineSamplerStats s = stats_;
  for (const auto& [pid, p] : processes_) {
    for (const auto& [goid, open] : p->waiting) {
      ++s.open_waits;
      s.open_wait_ns += open.ns;
    }
  }
  return s;
}

}  // namespace waitprof
