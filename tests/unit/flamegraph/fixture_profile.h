// A lock profile whose every stack and value is known, shared by the unit tests and the
// browser test (tests/browser, through write_fixture). Delay per stack, root first:
//   main;serve;handle_request;tsrv::LockedRng::next_index();std::mutex::lock();futex_wait  3 s
//       (std::mutex::lock() is inlined into next_index: one Location with two Lines)
//   main;serve;handle_request;render_json                                                 1 s
//   main;serve;accept_loop;epoll_wait                                                  0.75 s
//   main;serve;accept_loop;tiny_frame                                                    1 µs
//   main;tsrv::Worker<std::map<int, int>>::run() &&                                    0.25 s
// Total 5.000001 s; tiny_frame is far narrower than a pixel.
#pragma once

#include <memory>
#include <vector>

#include "pprof/profile_builder.h"
#include "support/delay_profile.h"

namespace waitprof_test {

inline constexpr int64_t kFixtureTotalNs = 5'000'001'000;

inline std::shared_ptr<const waitprof::Module> fixture_module(const char* path, uint64_t start) {
  auto m = std::make_shared<waitprof::Module>();
  m->path = path;
  m->start = start;
  m->limit = start + 0x100000;
  m->file_offset = 0x1000;
  m->has_functions = true;
  return m;
}

inline waitprof::Frame fixture_frame(const std::shared_ptr<const waitprof::Module>& module,
                                     uint64_t address, std::vector<const char*> functions) {
  waitprof::Frame f{address, module, {}};
  for (const char* fn : functions) f.lines.push_back(waitprof::SourceLine{fn, fn, "", 0, 0});
  return f;
}

inline perftools::profiles::Profile fixture_profile() {
  using waitprof::Frame;
  auto bin = fixture_module("/usr/bin/target-server", 0x400000);
  waitprof::ProfileHeader h = waitprof_test::delay_profile_header(10'000'000'000);
  h.comments = {"waitprof fixture", "drops: none"};
  const Frame main_f = fixture_frame(bin, 0x401000, {"main"});
  const Frame serve = fixture_frame(bin, 0x401100, {"serve"});
  const Frame handle = fixture_frame(bin, 0x401200, {"handle_request"});
  const Frame next_index =
      fixture_frame(bin, 0x401300, {"std::mutex::lock()", "tsrv::LockedRng::next_index()"});
  const Frame futex = fixture_frame(bin, 0x401400, {"futex_wait"});
  const Frame render = fixture_frame(bin, 0x401500, {"render_json"});
  const Frame accept = fixture_frame(bin, 0x401600, {"accept_loop"});
  const Frame epoll = fixture_frame(bin, 0x401700, {"epoll_wait"});
  const Frame tiny = fixture_frame(bin, 0x401800, {"tiny_frame"});
  const Frame worker = fixture_frame(bin, 0x401900, {"tsrv::Worker<std::map<int, int>>::run() &&"});

  waitprof::ProfileBuilder b(h);
  const std::vector<waitprof::Label> none;
  auto add = [&](std::vector<Frame> leaf_first, int64_t count, int64_t delay_ns) {
    const int64_t v[] = {count, delay_ns};
    b.add_sample(leaf_first, v, none);
  };
  add({futex, next_index, handle, serve, main_f}, 30, 3'000'000'000);
  add({render, handle, serve, main_f}, 10, 1'000'000'000);
  add({epoll, accept, serve, main_f}, 5, 750'000'000);
  add({tiny, accept, serve, main_f}, 1, 1'000);
  add({worker, main_f}, 2, 250'000'000);
  return std::move(b).build();
}

}  // namespace waitprof_test
