// A small profile whose every frame, value and label is known, shared by the builder tests
// and the `go tool pprof` reader tests.
#pragma once

#include <memory>
#include <vector>

#include "pprof/profile_builder.h"

namespace waitprof_test {

inline std::shared_ptr<const waitprof::Module> demo_binary() {
  auto m = std::make_shared<waitprof::Module>();
  m->path = "/usr/bin/target-server";
  m->build_id = "0123456789abcdef0123456789abcdef01234567";
  m->start = 0x400000;
  m->limit = 0x500000;
  m->file_offset = 0x1000;
  m->has_functions = m->has_filenames = m->has_line_numbers = m->has_inline_frames = true;
  return m;
}

inline std::shared_ptr<const waitprof::Module> demo_kernel() {
  auto m = std::make_shared<waitprof::Module>();
  m->path = "[kernel.kallsyms]";
  m->start = 0xffffffff81000000;
  m->limit = 0xffffffff83000000;
  m->has_functions = true;
  return m;
}

inline waitprof::SourceLine line(const char* fn, const char* sys, const char* file, int64_t ln,
                                 int64_t start) {
  return waitprof::SourceLine{fn, sys, file, ln, start};
}

inline waitprof::ProfileHeader demo_header() {
  waitprof::ProfileHeader h;
  h.sample_types = {{"contentions", "count"}, {"delay", "nanoseconds"}};
  h.default_sample_type = "delay";
  h.period_type = {"contentions", "count"};
  h.period = 1;
  h.time_nanos = 1700000000000000000;
  h.duration_nanos = 5000000000;
  h.comments = {"waitprof demo"};
  return h;
}

// Stacks, leaf first:
//   lock:  kernel futex_wait_queue ← std::mutex::lock() inlined into
//          tsrv::LockedRng::next_index() ← main
//   pool:  tsrv::ProductPool::take() ← main
//   lost:  an address no mapping covers
// Samples: lock/worker-1 twice (1+2 contentions, 1000+2000 ns), pool/worker-2 with a
// request_size of 2048 bytes (1, 500 ns),
// lock/worker-2 (4, 40000 ns), lost (1, 7 ns).
inline waitprof::ProfileBuilder demo_builder() {
  using waitprof::Frame;
  using waitprof::Label;
  auto bin = demo_binary();
  auto kernel = demo_kernel();
  const Frame futex{
      0xffffffff81234560, kernel, {line("futex_wait_queue", "futex_wait_queue", "", 0, 0)}};
  const Frame next_index{0x401100,
                         bin,
                         {line("std::mutex::lock()", "_ZNSt5mutex4lockEv",
                               "/usr/include/c++/12/bits/std_mutex.h", 100, 98),
                          line("tsrv::LockedRng::next_index()", "_ZN4tsrv9LockedRng10next_indexEv",
                               "/src/target-server/locked_rng.cpp", 42, 40)}};
  const Frame take{0x401300,
                   bin,
                   {line("tsrv::ProductPool::take()", "_ZN4tsrv11ProductPool4takeEv",
                         "/src/target-server/product_pool.cpp", 77, 70)}};
  const Frame main_frame{
      0x401200, bin, {line("main", "main", "/src/target-server/main.cpp", 12, 5)}};
  const Frame lost{0xdeadbeef, nullptr, {}};

  const std::vector<Frame> lock{futex, next_index, main_frame};
  const std::vector<Frame> pool{take, main_frame};
  const std::vector<Frame> unknown{lost};
  const std::vector<Label> w1{Label::string("thread", "worker-1"), Label::number("tid", 101)};
  const std::vector<Label> w2{Label::string("thread", "worker-2"), Label::number("tid", 102)};
  const std::vector<Label> w2_request{Label::string("thread", "worker-2"),
                                      Label::number("tid", 102),
                                      Label::number("request_size", 2048, "bytes")};
  const std::vector<Label> none;

  waitprof::ProfileBuilder b(demo_header());
  const int64_t v1[] = {1, 1000}, v2[] = {2, 2000}, v3[] = {1, 500}, v4[] = {4, 40000},
                v5[] = {1, 7};
  b.add_sample(lock, v1, w1);
  b.add_sample(pool, v3, w2_request);
  b.add_sample(lock, v2, w1);
  b.add_sample(lock, v4, w2);
  b.add_sample(unknown, v5, none);
  return b;
}

}  // namespace waitprof_test
