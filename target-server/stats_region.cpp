#include "stats_region.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <new>

#include "clock.h"

namespace tsrv {

struct StatsRegion::Header {
  unsigned workers;
  unsigned threads;
  char rng_mode[16];
  uint64_t start_ns;
  std::atomic<uint64_t> workers_replaced{0};
  // Counts of workers that exited; only the parent writes it, after the worker is reaped.
  ThreadCounters retired;
};

struct alignas(64) StatsRegion::WorkerSlot {
  std::atomic<int> pid{0};
  uint64_t started_ns = 0;
  // followed by `threads` ThreadCounters
  ThreadCounters* threads() { return reinterpret_cast<ThreadCounters*>(this + 1); }
};

namespace {
constexpr size_t kHeaderBytes = 4096;
size_t slot_bytes(unsigned threads) {
  // The slot header is one cache line, so the counters after it stay line-aligned.
  static_assert(sizeof(StatsRegion::WorkerSlot) == 64);
  return sizeof(StatsRegion::WorkerSlot) + threads * sizeof(ThreadCounters);
}
}  // namespace

void CounterTotals::add(const ThreadCounters& t) {
  requests += t.requests.load(std::memory_order_relaxed);
  bytes_written += t.bytes_written.load(std::memory_order_relaxed);
  rng_acquisitions += t.rng_acquisitions.load(std::memory_order_relaxed);
  rng_contended += t.rng_contended.load(std::memory_order_relaxed);
  rng_wait_ns += t.rng_wait_ns.load(std::memory_order_relaxed);
}

void CounterTotals::add(const CounterTotals& t) {
  requests += t.requests;
  bytes_written += t.bytes_written;
  rng_acquisitions += t.rng_acquisitions;
  rng_contended += t.rng_contended;
  rng_wait_ns += t.rng_wait_ns;
}

StatsRegion* StatsRegion::create(unsigned workers, unsigned threads, std::string_view rng_mode,
                                 std::string* error) {
  static_assert(sizeof(Header) <= kHeaderBytes);
  if (workers == 0) workers = 1;
  size_t bytes = kHeaderBytes + workers * slot_bytes(threads);
  void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    *error = std::string("mmap of the shared stats region failed: ") + strerror(errno);
    return nullptr;
  }
  auto* region = new StatsRegion();
  region->header_ = new (mem) Header();
  region->header_->workers = workers;
  region->header_->threads = threads;
  strncpy(region->header_->rng_mode, std::string(rng_mode).c_str(),
          sizeof(region->header_->rng_mode) - 1);
  region->header_->start_ns = monotonic_ns();
  for (unsigned w = 0; w < workers; ++w) {
    WorkerSlot* s = new (region->slot(w)) WorkerSlot();
    for (unsigned t = 0; t < threads; ++t) new (&s->threads()[t]) ThreadCounters();
  }
  return region;
}

StatsRegion::WorkerSlot* StatsRegion::slot(unsigned worker) const {
  auto* base = reinterpret_cast<char*>(header_) + kHeaderBytes;
  return reinterpret_cast<WorkerSlot*>(base + worker * slot_bytes(header_->threads));
}

ThreadCounters& StatsRegion::counters(unsigned worker, unsigned thread) {
  return slot(worker)->threads()[thread];
}

void StatsRegion::claim_worker(unsigned worker, int pid) {
  WorkerSlot* s = slot(worker);
  s->started_ns = monotonic_ns();
  s->pid.store(pid, std::memory_order_release);
}

void StatsRegion::retire_worker(unsigned worker) {
  WorkerSlot* s = slot(worker);
  for (unsigned t = 0; t < header_->threads; ++t) {
    ThreadCounters& c = s->threads()[t];
    ThreadCounters& r = header_->retired;
    ThreadCounters::add(r.requests, c.requests.exchange(0));
    ThreadCounters::add(r.bytes_written, c.bytes_written.exchange(0));
    ThreadCounters::add(r.rng_acquisitions, c.rng_acquisitions.exchange(0));
    ThreadCounters::add(r.rng_contended, c.rng_contended.exchange(0));
    ThreadCounters::add(r.rng_wait_ns, c.rng_wait_ns.exchange(0));
  }
  s->pid.store(0, std::memory_order_release);
  header_->workers_replaced.fetch_add(1);
}

int StatsRegion::worker_pid(unsigned worker) const {
  return slot(worker)->pid.load(std::memory_order_acquire);
}

namespace {
void append_totals(std::string& out, const CounterTotals& t) {
  out += "\"requests\":" + std::to_string(t.requests);
  out += ",\"bytes_written\":" + std::to_string(t.bytes_written);
  out += ",\"rng_acquisitions\":" + std::to_string(t.rng_acquisitions);
  out += ",\"rng_contended\":" + std::to_string(t.rng_contended);
  out += ",\"rng_wait_ns\":" + std::to_string(t.rng_wait_ns);
}
}  // namespace

std::string StatsRegion::to_json() const {
  const Header& h = *header_;
  CounterTotals total;
  total.add(h.retired);
  std::string workers_json;
  for (unsigned w = 0; w < h.workers; ++w) {
    WorkerSlot* s = slot(w);
    CounterTotals wt;
    for (unsigned t = 0; t < h.threads; ++t) wt.add(s->threads()[t]);
    total.add(wt);
    if (w) workers_json += ',';
    workers_json += "{\"index\":" + std::to_string(w) +
                    ",\"pid\":" + std::to_string(s->pid.load(std::memory_order_acquire)) + ',';
    append_totals(workers_json, wt);
    workers_json += '}';
  }
  std::string out = "{\"rng\":\"" + std::string(h.rng_mode) + "\"";
  out += ",\"workers_configured\":" + std::to_string(h.workers);
  out += ",\"threads_per_worker\":" + std::to_string(h.threads);
  out += ",\"uptime_ns\":" + std::to_string(monotonic_ns() - h.start_ns);
  out += ",\"workers_replaced\":" + std::to_string(h.workers_replaced.load());
  out += ",\"total\":{";
  append_totals(out, total);
  out += "},\"workers\":[" + workers_json + "]}\n";
  return out;
}

}  // namespace tsrv
