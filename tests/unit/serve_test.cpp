// serve's pure parts: request parsing against Go's parameters and our limits, windows as the
// difference of two readings, filters, the token and listen-address policy, Go's text format.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "profile.pb.h"
#include "serve/http_server.h"
#include "serve/pprof_request.h"
#include "serve/profile_text.h"
#include "serve/sample_window.h"

namespace waitprof {
namespace {

const RequestLimits kLimits{600};

PprofRequest ok(std::string_view path, const QueryArgs& args = {}) {
  auto r = parse_pprof_request(path, args, kLimits);
  EXPECT_TRUE(std::holds_alternative<PprofRequest>(r)) << path;
  return std::holds_alternative<PprofRequest>(r) ? std::get<PprofRequest>(r) : PprofRequest{};
}

RequestError error(std::string_view path, const QueryArgs& args = {}) {
  auto r = parse_pprof_request(path, args, kLimits);
  EXPECT_TRUE(std::holds_alternative<RequestError>(r)) << path;
  return std::holds_alternative<RequestError>(r) ? std::get<RequestError>(r) : RequestError{0, ""};
}

TEST(ServeRequest, GoPathsAndDefaults) {
  EXPECT_EQ(ok("/debug/pprof/").endpoint, Endpoint::kIndex);
  EXPECT_EQ(ok("/debug/pprof").endpoint, Endpoint::kIndex);
  EXPECT_EQ(ok("/metrics").endpoint, Endpoint::kMetrics);
  EXPECT_EQ(ok("/debug/pprof/profile").endpoint, Endpoint::kProfile);
  EXPECT_EQ(ok("/debug/pprof/profile").seconds, 30);  // Go's default
  EXPECT_EQ(ok("/debug/pprof/block").seconds, 0);     // cumulative
  EXPECT_EQ(ok("/debug/pprof/mutex").endpoint, Endpoint::kMutex);
  EXPECT_EQ(ok("/debug/pprof/goroutine").endpoint, Endpoint::kGoroutine);
  EXPECT_EQ(ok("/debug/pprof/offcpu").endpoint, Endpoint::kOffcpu);
  EXPECT_EQ(ok("/debug/pprof/lock").endpoint, Endpoint::kLock);
  EXPECT_EQ(ok("/debug/pprof/send").endpoint, Endpoint::kSend);
  EXPECT_EQ(ok("/debug/pprof/block", {{"seconds", "60"}}).seconds, 60);
  EXPECT_EQ(ok("/debug/pprof/profile", {{"seconds", "5"}, {"debug", "1"}}).seconds, 5);
  EXPECT_EQ(ok("/debug/pprof/goroutine", {{"debug", "2"}}).debug, 2);
}

TEST(ServeRequest, BadArgumentsAre400AndUnknownNames404) {
  for (const char* s : {"abc", "0", "-1", "601", "1x", "", "99999999999999999999"}) {
    RequestError e = error("/debug/pprof/block", {{"seconds", s}});
    EXPECT_EQ(e.status, 400) << s;
  }
  EXPECT_EQ(error("/debug/pprof/goroutine", {{"debug", "3"}}).status, 400);
  EXPECT_EQ(error("/debug/pprof/block", {{"seconds", "5"}, {"debug", "1"}}).message,
            "seconds and debug params are incompatible");
  for (const char* p : {"abc", "0", "", "1,,2", "1,"}) {
    EXPECT_EQ(error("/debug/pprof/block", {{"pid", p}}).status, 400) << p;
  }
  EXPECT_EQ(error("/debug/pprof/block", {{"process", ""}}).status, 400);
  const RequestError heap = error("/debug/pprof/heap");
  EXPECT_EQ(heap.status, 404);
  EXPECT_EQ(heap.message.rfind("Unknown profile", 0), 0u) << heap.message;
  EXPECT_NE(heap.message.find("block"), std::string::npos) << "names what is served";
  EXPECT_EQ(error("/other").status, 404);
}

TEST(ServeRequest, FiltersTakeListsAndRepeats) {
  const PprofRequest r = ok("/debug/pprof/block", {{"pid", "12,34"},
                                                  {"pid", "5"},
                                                  {"process", "nginx,mariadbd"},
                                                  {"tid", "7"},
                                                  {"gc", "1"}});  // ignored, as Go does
  EXPECT_EQ(r.filter.pids, (std::set<int64_t>{5, 12, 34}));
  EXPECT_EQ(r.filter.processes, (std::set<std::string>{"nginx", "mariadbd"}));
  EXPECT_EQ(r.filter.tids, (std::set<int64_t>{7}));
  EXPECT_TRUE(r.filter.keeps(12, "nginx", 7));
  EXPECT_FALSE(r.filter.keeps(13, "nginx", 7));
  EXPECT_FALSE(r.filter.keeps(12, "other", 7));
  EXPECT_FALSE(r.filter.keeps(12, "nginx", 8));
  EXPECT_TRUE(TargetFilter{}.keeps(1, "x", 2));
}

RawSample sample(ProfileKind kind, uint32_t tgid, uint32_t tid, uint64_t stack, uint64_t count,
                 uint64_t total) {
  RawSample s;
  s.kind = kind;
  s.tgid = tgid;
  s.tid = tid;
  s.user_stack = {stack};
  s.count = count;
  s.total = total;
  return s;
}

TEST(ServeWindow, AWindowIsWhatTheMapsGrewBy) {
  const std::vector<RawSample> before{
      sample(ProfileKind::kLock, 1, 1, 0x10, 4, 400),  // grows
      sample(ProfileKind::kLock, 1, 1, 0x20, 1, 100),  // a wait open then, closed since
      sample(ProfileKind::kLock, 1, 1, 0x30, 2, 200),  // unchanged
      sample(ProfileKind::kLock, 1, 1, 0x40, 3, 300),  // reset: swept as idle, then seen again
      sample(ProfileKind::kLock, 1, 1, 0x50, 1, 10),   // gone (expired)
  };
  const std::vector<RawSample> after{
      sample(ProfileKind::kLock, 1, 1, 0x10, 6, 900),
      sample(ProfileKind::kLock, 1, 1, 0x20, 1, 250),
      sample(ProfileKind::kLock, 1, 1, 0x30, 2, 200),
      sample(ProfileKind::kLock, 1, 1, 0x40, 1, 100),
      sample(ProfileKind::kLock, 1, 1, 0x60, 1, 50),  // new
  };
  const std::vector<RawSample> w = samples_between(before, after);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_EQ(w[0].user_stack[0], 0x10u);
  EXPECT_EQ(w[0].count, 2u);
  EXPECT_EQ(w[0].total, 500u);
  EXPECT_EQ(w[1].user_stack[0], 0x20u);  // only its part inside the window
  EXPECT_EQ(w[1].count, 0u);
  EXPECT_EQ(w[1].total, 150u);
  EXPECT_EQ(w[2].user_stack[0], 0x40u);  // a reset: all of it
  EXPECT_EQ(w[2].count, 1u);
  EXPECT_EQ(w[2].total, 100u);
  EXPECT_EQ(w[3].user_stack[0], 0x60u);
  EXPECT_EQ(w[3].total, 50u);
  // From the empty reading at the start, everything.
  EXPECT_EQ(samples_between({}, after).size(), after.size());
}

TEST(ServeWindow, FiltersKeepProcessesThreadsAndTheWaitersOfMutexSamples) {
  RawSample holder = sample(ProfileKind::kMutex, 20, 21, 0x1, 1, 10);
  holder.waiter_tgid = 10;
  std::vector<RawSample> samples{sample(ProfileKind::kLock, 10, 11, 0x1, 1, 10),
                                 sample(ProfileKind::kLock, 20, 22, 0x1, 1, 10), holder};
  auto name = [](uint32_t tgid) { return tgid == 10 ? std::string("w10") : std::string("w20"); };
  TargetFilter by_pid;
  by_pid.pids = {10};
  EXPECT_EQ(filter_samples(samples, by_pid, name).size(), 2u) << "its lock wait and its waker";
  TargetFilter by_name;
  by_name.processes = {"w20"};
  EXPECT_EQ(filter_samples(samples, by_name, name).size(), 2u);
  TargetFilter by_tid;
  by_tid.tids = {11};
  ASSERT_EQ(filter_samples(samples, by_tid, name).size(), 1u);
  EXPECT_EQ(filter_samples(samples, by_tid, name)[0].tid, 11u);
  EXPECT_EQ(filter_samples(samples, TargetFilter{}, name).size(), 3u);
}

TEST(ServeHttp, TokenComparisonAndListenAddresses) {
  EXPECT_TRUE(token_matches("0123456789abcdef", "0123456789abcdef"));
  EXPECT_FALSE(token_matches("0123456789abcdeX", "0123456789abcdef"));
  EXPECT_FALSE(token_matches("0123456789abcde", "0123456789abcdef"));
  EXPECT_FALSE(token_matches("0123456789abcdef0", "0123456789abcdef"));
  EXPECT_FALSE(token_matches("", "0123456789abcdef"));
  struct Case {
    const char* text;
    bool valid, loopback;
  };
  for (const Case& c : {Case{"127.0.0.1:6060", true, true}, Case{"127.1.2.3:1", true, true},
                        Case{"[::1]:7000", true, true}, Case{"localhost:1", true, true},
                        Case{"0.0.0.0:6060", true, false}, Case{":6060", true, false},
                        Case{"10.1.2.3:80", true, false}, Case{"[::]:80", true, false},
                        Case{"6060", false, false}, Case{"127.0.0.1:99999", false, false},
                        Case{"127.0.0.1:x", false, false}, Case{"host.example:80", false, false}}) {
    Result<ListenAddress> a = parse_listen_address(c.text);
    EXPECT_EQ(static_cast<bool>(a), c.valid) << c.text;
    if (a) {
      EXPECT_EQ(a->loopback, c.loopback) << c.text;
    } else {
      EXPECT_NE(a.error().message.find("--listen"), std::string::npos) << c.text;
    }
  }
}

TEST(ServeText, ContentionTextAsGoPrintsIt) {
  perftools::profiles::Profile p;
  for (const char* s : {"", "contentions", "count", "delay", "nanoseconds", "lock_it", "file.cc"})
    p.add_string_table(s);
  auto* t = p.add_sample_type();
  t->set_type(1);
  t->set_unit(2);
  t = p.add_sample_type();
  t->set_type(3);
  t->set_unit(4);
  auto* f = p.add_function();
  f->set_id(1);
  f->set_name(5);
  f->set_filename(6);
  auto* l = p.add_location();
  l->set_id(1);
  l->set_address(0x401000);
  auto* line = l->add_line();
  line->set_function_id(1);
  line->set_line(42);
  auto* s = p.add_sample();
  s->add_location_id(1);
  s->add_value(3);
  s->add_value(1500);
  EXPECT_EQ(contention_text(p),
            "--- contention:\ncycles/second=1000000000\n1500 3 @ 0x401000\n"
            "#\t0x401000\tlock_it\tfile.cc:42\n\n");
}

}  // namespace
}  // namespace waitprof
