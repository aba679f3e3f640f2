// `waitprof record` against programs whose truth is known: per-thread on-CPU time from
// /proc/PID/task/TID/schedstat, and the target server's own /stats counters (RNG lock wait,
// bytes written). Each test names its tolerance.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "proc_scan.h"
#include "support/child_process.h"
#include "support/http_client.h"
#include "support/privileges.h"
#include "support/profile_query.h"
#include "support/recording.h"
#include "support/schedstat.h"
#include "util/read_file.h"

namespace {

using waitprof_test::ChildProcess;
using waitprof_test::has_call_chain;
using waitprof_test::ProfileQuery;
using waitprof_test::QueriedSample;

namespace fs = std::filesystem;

using waitprof_test::exit_code;
using waitprof_test::read_json;
using waitprof_test::record_to_end;
using waitprof_test::Recording;

fs::path fresh_dir(const std::string& name) {
  return waitprof_test::fresh_dir("waitprof-record-test-", name);
}

// wait_shapes prints "thread <role> <tid>" per thread, then "ready"; each thread is named
// after its role.
std::map<std::string, pid_t> read_thread_ids(ChildProcess& p) {
  EXPECT_TRUE(p.wait_for_line("ready"));
  return waitprof_test::threads_by_name(p.pid());
}

double ratio(double measured, double truth) {
  return truth == 0 ? (measured == 0 ? 1 : 0) : measured / truth;
}

nlohmann::json server_stats(int port) {
  return nlohmann::json::parse(waitprof_test::http_get(port, "/stats").body, nullptr, false);
}

// wrk against the target server's /read for `seconds`.
void run_wrk(int port, int seconds, int connections) {
  waitprof_test::run_wrk("http://127.0.0.1:" + std::to_string(port) + "/read", seconds,
                         connections);
}

// --- cpu and offcpu against schedstat --------------------------------------------------------

TEST(Record, CpuAndOffcpuAgreeWithSchedstat) {
  REQUIRE_ROOT_OR_SKIP();
  ChildProcess shapes({WAIT_SHAPES_PATH});
  const auto tids = read_thread_ids(shapes);
  ASSERT_TRUE(tids.count("spinner") && tids.count("sleeper") && tids.count("half"));
  const fs::path dir = fresh_dir("shapes");

  // schedstat is sampled every 2 ms from before the recording starts until after it ends,
  // and read at the window's exact start and stop (summary.json's monotonic timestamps), so
  // no delay of this test under load shifts the truth.
  std::vector<std::string> roles;
  std::vector<pid_t> role_tids;
  for (const auto& [role, tid] : tids) {
    roles.push_back(role);
    role_tids.push_back(tid);
  }
  waitprof_test::OnCpuSampler sampler(shapes.pid(), role_tids);
  const uint64_t steal_before = waitprof_test::steal_ns();
  Recording rec({"--pid", std::to_string(shapes.pid()), "--frequency", "997", "--thread-labels",
                 "--profiles", "cpu,offcpu", "--output", dir.string()});
  ASSERT_TRUE(rec.started());
  std::this_thread::sleep_for(std::chrono::seconds(4));
  auto [code, out] = rec.interrupt();
  sampler.stop();
  const double steal = static_cast<double>(waitprof_test::steal_ns() - steal_before);
  printf("measured: hypervisor steal during the recording %.1f ms\n", steal / 1e6);
  ASSERT_EQ(code, 0) << out;

  const nlohmann::json summary = read_json(dir / "summary.json");
  ASSERT_FALSE(summary.is_discarded()) << out;
  const uint64_t start_ns = summary["window_monotonic_ns"]["start"].get<uint64_t>();
  const uint64_t stop_ns = summary["window_monotonic_ns"]["stop"].get<uint64_t>();
  const double window_ns = static_cast<double>(stop_ns - start_ns);
  ProfileQuery cpu((dir / "cpu.pb.gz").string());
  ProfileQuery offcpu((dir / "offcpu.pb.gz").string());
  ASSERT_TRUE(cpu.ok()) << cpu.error();
  ASSERT_TRUE(offcpu.ok()) << offcpu.error();
  const auto cpu_by_tid = cpu.total_by_label("cpu", "tid");
  const auto off_by_tid = offcpu.total_by_label("delay", "tid");
  const auto switches_by_tid = offcpu.total_by_label("switches", "tid");

  // "wait_shapes" is the main thread, blocked in pthread_join (a futex wait) since before
  // the recording began: its whole window must count, from the wait seeded out of /proc.
  for (const std::string role : {"spinner", "sleeper", "half", "wait_shapes"}) {
    const pid_t tid = tids.at(role);
    const size_t i = static_cast<size_t>(std::find(roles.begin(), roles.end(), role) - roles.begin());
    const std::optional<double> on_start = sampler.on_cpu_at(i, start_ns);
    const std::optional<double> on_stop = sampler.on_cpu_at(i, stop_ns);
    ASSERT_TRUE(on_start && on_stop) << "the schedstat samples do not span the recording";
    const double on_ns = *on_stop - *on_start;
    const double on_share = on_ns / window_ns;
    const double off_ns = window_ns - on_ns;
    const double cpu_ns = static_cast<double>(cpu_by_tid.count(std::to_string(tid))
                                                  ? cpu_by_tid.at(std::to_string(tid)) : 0);
    const double recorded_off_ns = static_cast<double>(
        off_by_tid.count(std::to_string(tid)) ? off_by_tid.at(std::to_string(tid)) : 0);
    printf("measured: %s cpu %.1f ms vs schedstat %.1f ms (ratio %.4f); offcpu %.1f ms vs "
           "wall - on-CPU %.1f ms (ratio %.4f)\n",
           role.c_str(), cpu_ns / 1e6, on_ns / 1e6, ratio(cpu_ns, on_ns), recorded_off_ns / 1e6,
           off_ns / 1e6, ratio(recorded_off_ns, off_ns));
    SCOPED_TRACE(std::string(role) + ": on-CPU share " + std::to_string(on_share) +
                 ", cpu profile " + std::to_string(cpu_ns / 1e6) + " ms vs schedstat " +
                 std::to_string(on_ns / 1e6) + " ms; offcpu " + std::to_string(recorded_off_ns / 1e6) +
                 " ms vs wall - on-CPU " + std::to_string(off_ns / 1e6) + " ms");
    // cpu: samples × period against schedstat's on-CPU time, within 10% for threads that run
    // a fifth of the time or more (sampling noise at ~1 kHz over 4 s is ~2-3%). The sleeper
    // runs ~1000 bursts of a few µs per second: timer sampling cannot see bursts shorter than
    // its interrupt-disabled windows, so it is held to 1% of the window, absolute.
    if (on_ns > 0.2 * window_ns) {
      EXPECT_NEAR(ratio(cpu_ns, on_ns), 1.0, 0.10);
    } else {
      EXPECT_NEAR(cpu_ns, on_ns, 0.01 * window_ns);
    }
    // offcpu: wall time − on-CPU time, within 2%, plus the hypervisor's steal time (which the
    // kernel leaves out of on-CPU time but which is no off-CPU wait: see steal_ns()). The
    // spinner never sleeps, so all its off-CPU time is runqueue time, which schedstat's
    // run_delay measures without steal: for it, that is the truth. Within 5% plus 25 µs per
    // preemption: when it is preempted hundreds of times a second, offcpu comes out below
    // run_delay by about 17 µs per preemption (0.7–1% under three busy loops, 8% once while
    // the unit tests loaded the machine, and up to 25% of a few ms on a quiet one). The likely
    // cause is on schedstat's side: a wakeup that preempts sets the runqueue's clock-skip flag,
    // so __schedule reuses the clock read at the wakeup, and a remote wakeup's resched IPI
    // takes µs to tens of µs to land in a VM; that interval, in which the spinner still runs,
    // goes to run_delay and out of on-CPU time. sched_switch, which waitprof times, fires when
    // the switch really happens.
    if (role == "spinner") {
      const std::optional<double> rq_start = sampler.runqueue_at(i, start_ns);
      const std::optional<double> rq_stop = sampler.runqueue_at(i, stop_ns);
      ASSERT_TRUE(rq_start && rq_stop);
      const double run_delay = *rq_stop - *rq_start;
      printf("measured: spinner offcpu %.1f ms vs schedstat run_delay %.1f ms (ratio %.4f)\n",
             recorded_off_ns / 1e6, run_delay / 1e6, ratio(recorded_off_ns, run_delay));
      const double preemptions = static_cast<double>(
          switches_by_tid.count(std::to_string(tid)) ? switches_by_tid.at(std::to_string(tid)) : 0);
      // Above: plus the hypervisor's steal. A switch-in the kernel did not trace is derived
      // from the thread's run time since (end_untraced_wait), which leaves out the steal
      // while it ran, so that wait's end comes out late by it (CI saw +12.6 ms over a
      // 21.9 ms run_delay with 580 ms stolen).
      EXPECT_LE(recorded_off_ns,
                run_delay + std::max(0.05 * run_delay, 0.002 * window_ns) + steal);
      EXPECT_GE(recorded_off_ns,
                run_delay - std::max(0.05 * run_delay, 0.002 * window_ns) - 25e3 * preemptions)
          << preemptions << " preemptions";
    } else {
      EXPECT_NEAR(recorded_off_ns, off_ns, std::max(0.02 * off_ns, 0.002 * window_ns) + steal);
    }
  }

  // Known call chains. The spinner's CPU time is in spin_leaf ← spin_middle ← spin_outer.
  const std::string spinner = std::to_string(tids.at("spinner"));
  const int64_t spinner_cpu = cpu.total("cpu", [&](const QueriedSample& s) {
    return s.labels.at("tid") == spinner;
  });
  const int64_t spinner_chain = cpu.total("cpu", [&](const QueriedSample& s) {
    return s.labels.at("tid") == spinner &&
           has_call_chain(s.functions, {"spin_leaf", "spin_middle", "spin_outer"});
  });
  EXPECT_GT(ratio(spinner_chain, spinner_cpu), 0.9);
  // The sleeper waits in clock_nanosleep, called from sleep_inner, called from sleep_outer.
  // Debian's libc has no frame pointers, so the walk skips sleep_inner (the caller of the libc
  // function): expect the leaf in libc, then sleep_outer.
  const std::string sleeper = std::to_string(tids.at("sleeper"));
  const int64_t sleeper_off = offcpu.total("delay", [&](const QueriedSample& s) {
    return s.labels.at("tid") == sleeper;
  });
  const int64_t sleeper_chain = offcpu.total("delay", [&](const QueriedSample& s) {
    return s.labels.at("tid") == sleeper && s.labels.at("state") == "sleeping" &&
           s.labels.at("syscall") == "clock_nanosleep" && !s.functions.empty() &&
           s.functions.front().find("nanosleep") != std::string::npos &&
           has_call_chain(s.functions, {"sleep_outer"});
  });
  EXPECT_GT(ratio(sleeper_chain, sleeper_off), 0.95);
  // Thread and process labels.
  for (const QueriedSample& s : offcpu.samples()) {
    EXPECT_EQ(s.labels.at("pid"), std::to_string(shapes.pid()));
    EXPECT_EQ(s.labels.at("process"), "wait_shapes");
  }
  EXPECT_EQ(summary["drops"]["stacks_full"], 0);
  EXPECT_GE(summary["waits_in_progress_at_start"].get<int>(), 1);
  fs::remove_all(dir);
}

// --- lock and send against the target server's counters -------------------------------------

class ServerRecording : public ::testing::Test {
 protected:
  void start_server(const std::string& rng, int workers, int threads) {
    port_ = waitprof_test::free_port();
    server_ = std::make_unique<ChildProcess>(std::vector<std::string>{
        TARGET_SERVER_PATH, "--port", std::to_string(port_), "--workers", std::to_string(workers),
        "--threads", std::to_string(threads), "--rng", rng});
    ASSERT_TRUE(server_->wait_for_line("listening"));
  }

  // A recording of the server and its workers (`args` added), stopped with SIGINT after wrk
  // loaded it for `seconds` between two /stats reads: the counters' delta is what was
  // recorded.
  struct LoadedRecording {
    int code = -1;
    std::string out;
    nlohmann::json before, after;
    double counter_delta(const char* name) const {
      return after["total"][name].get<double>() - before["total"][name].get<double>();
    }
  };
  void record_under_load(const fs::path& dir, std::vector<std::string> args, int seconds,
                         LoadedRecording& r) {
    args.insert(args.begin(), {"--pid", std::to_string(server_->pid()), "--children", "--output",
                               dir.string()});
    Recording rec(args);
    ASSERT_TRUE(rec.started());
    r.before = server_stats(port_);
    ASSERT_NO_FATAL_FAILURE(run_wrk(port_, seconds, 64));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    r.after = server_stats(port_);
    std::tie(r.code, r.out) = rec.interrupt();
  }

  // The lock profile's delay on the RNG mutex over the server's own clock around a contended
  // lock() (rng_wait_ns).
  static double rng_lock_ratio(const fs::path& dir, const LoadedRecording& r) {
    const double truth = r.counter_delta("rng_wait_ns");
    EXPECT_GT(truth, 1e6) << "the locked server showed no lock wait under load: no test";
    ProfileQuery lock((dir / "lock.pb.gz").string());
    EXPECT_TRUE(lock.ok()) << lock.error();
    const auto by_lock = lock.total_by_label("delay", "lock");
    EXPECT_TRUE(by_lock.count("tsrv::g_product_rng")) << r.out;
    const double delay =
        by_lock.count("tsrv::g_product_rng") ? static_cast<double>(by_lock.at("tsrv::g_product_rng")) : 0;
    printf("measured: lock delay %.0f ns vs /stats rng_wait_ns %.0f (ratio %.4f)\n", delay, truth,
           ratio(delay, truth));
    return ratio(delay, truth);
  }

  int port_ = 0;
  std::unique_ptr<ChildProcess> server_;
};

TEST_F(ServerRecording, LockAndSendMatchServerCounters) {
  REQUIRE_ROOT_OR_SKIP();
  ASSERT_NO_FATAL_FAILURE(start_server("locked", 2, 8));
  const fs::path dir = fresh_dir("locked");
  LoadedRecording r;
  ASSERT_NO_FATAL_FAILURE(record_under_load(dir, {}, 5, r));
  const std::string& out = r.out;
  ASSERT_EQ(r.code, 0) << out;
  EXPECT_NE(out.find("stopped by SIGINT"), std::string::npos) << out;
  const double bytes_truth = r.counter_delta("bytes_written");

  // lock: time off CPU inside futex waits on the RNG mutex against the server's own clock
  // around a contended lock(). That clock also runs through the on-CPU part of each contended
  // lock() (the syscall's entry and exit, futex hashing, waits that return at once because
  // the lock changed hands), which the lock profile leaves to the cpu profile: 2.5-4% here.
  // Tolerance: 8% below, 2% above.
  const double lock_ratio = rng_lock_ratio(dir, r);
  EXPECT_GE(lock_ratio, 0.92);
  EXPECT_LE(lock_ratio, 1.02);
  ProfileQuery lock((dir / "lock.pb.gz").string());
  ASSERT_TRUE(lock.ok()) << lock.error();
  // Lock waits come from sched_switch: no syscall tracepoint sends every syscall of the
  // machine through the kernel's slow entry path.
  const std::string points = read_json(dir / "summary.json")["attach_points"].dump();
  EXPECT_EQ(points.find("syscalls:"), std::string::npos) << points;

  // The top stack on that lock is the story's: under pthread_mutex_lock, the RNG's
  // next_index, called by the handler that picks the product, down to the thread's entry.
  // libc has no frame pointers: only the CFI walk sees next_index, which called into it.
  const QueriedSample* top = nullptr;
  for (const QueriedSample& s : lock.samples()) {
    if (s.labels.at("lock") != "tsrv::g_product_rng") continue;
    if (!top || s.values[1] > top->values[1]) top = &s;
  }
  ASSERT_NE(top, nullptr);
  std::string stack;
  for (const auto& f : top->functions) stack += f + " <- ";
  EXPECT_TRUE(has_call_chain(top->functions, {"pthread_mutex_lock", "tsrv::LockedRng::next_index",
                                              "pick_product_index", "serve_read"}))
      << stack;
  const auto next_index = std::find_if(top->functions.begin(), top->functions.end(), [](auto& f) {
    return f.find("tsrv::LockedRng::next_index") != std::string::npos;
  });
  ASSERT_NE(next_index, top->functions.end()) << stack;
  ASSERT_NE(next_index + 1, top->functions.end()) << stack;
  EXPECT_NE(next_index[1].find("pick_product_index"), std::string::npos) << stack;
  EXPECT_TRUE(top->functions.back() == "clone3" || top->functions.back() == "_start") << stack;
  EXPECT_EQ(top->labels.at("wait"), "mutex");

  // mutex: the same waits, charged to the thread that released the RNG mutex and woke the
  // waiter. Its top stack is the unlock at the end of next_index, under pick_product_index.
  // Its total is the lock profile's less the waits no target's unlock ended (a waiter
  // preempted inside its futex call, a wake the kernel did not trace): tolerance 10% below,
  // 2% above the lock profile's.
  ProfileQuery mutex((dir / "mutex.pb.gz").string());
  ASSERT_TRUE(mutex.ok()) << mutex.error();
  const QueriedSample* holder = nullptr;
  for (const QueriedSample& s : mutex.samples()) {
    if (s.labels.at("lock") != "tsrv::g_product_rng") continue;
    if (!holder || s.values[1] > holder->values[1]) holder = &s;
  }
  ASSERT_NE(holder, nullptr) << "no release of the RNG mutex recorded";
  std::string holder_stack;
  for (const auto& f : holder->functions) holder_stack += f + " <- ";
  EXPECT_TRUE(has_call_chain(holder->functions, {"pthread_mutex_unlock",
                                                 "tsrv::LockedRng::next_index",
                                                 "pick_product_index", "serve_read"}))
      << holder_stack;
  EXPECT_FALSE(has_call_chain(holder->functions, {"pthread_mutex_lock"})) << holder_stack;
  EXPECT_EQ(holder->labels.at("wait"), "mutex");
  // The holders are the workers' event-loop threads, by their names (not the process's).
  for (const QueriedSample& s : mutex.samples()) {
    if (s.labels.at("lock") != "tsrv::g_product_rng") continue;
    EXPECT_EQ(s.labels.at("holder").rfind("http-loop-", 0), 0u) << s.labels.at("holder");
    EXPECT_NE(s.labels.at("holder_tid"), s.labels.at("pid")) << "a worker's main thread holds no RNG";
  }
  const auto on_rng = [](const QueriedSample& s) { return s.labels.at("lock") == "tsrv::g_product_rng"; };
  const double mutex_ratio = ratio(mutex.total("delay", on_rng), lock.total("delay", on_rng));
  printf("measured: mutex delay on the RNG mutex over the lock profile's: %.4f\n", mutex_ratio);
  EXPECT_GE(mutex_ratio, 0.90);
  EXPECT_LE(mutex_ratio, 1.02);
  // block holds the lock waits, as mutex, and the workers' idle waits besides.
  ProfileQuery block((dir / "block.pb.gz").string());
  ASSERT_TRUE(block.ok()) << block.error();
  EXPECT_EQ(block.total("delay", on_rng), lock.total("delay", on_rng));
  for (const QueriedSample& s : lock.samples()) {
    const std::string& wait = s.labels.at("wait");
    EXPECT_TRUE(wait == "mutex" || wait == "rwlock" || wait == "custom") << wait;
  }

  // And every profile's stacks reach their thread's entry: at least 95% of each one's value.
  const nlohmann::json summary = read_json(dir / "summary.json");
  for (const char* name : {"cpu", "offcpu", "lock", "block", "mutex", "send"}) {
    const double entry =
        summary["profiles"][name]["user_stacks_reaching_thread_entry_share"].get<double>();
    printf("measured: target server %s: %.4f of the value reaches the thread entry\n", name, entry);
    EXPECT_GE(entry, 0.95) << name;
  }

  // send: bytes handed to TCP by the server's threads against its bytes-written counter,
  // within 1% (the last /stats response is sent after its own snapshot: a few hundred bytes).
  ProfileQuery send((dir / "send.pb.gz").string());
  ASSERT_TRUE(send.ok()) << send.error();
  printf("measured: send %ld bytes vs /stats bytes_written %.0f (ratio %.5f)\n",
         static_cast<long>(send.total("bytes")), bytes_truth, ratio(send.total("bytes"), bytes_truth));
  EXPECT_NEAR(ratio(send.total("bytes"), bytes_truth), 1.0, 0.01)
      << "profile " << send.total("bytes") << " bytes, /stats " << bytes_truth;

  // summary.txt, also printed, tells it in the story's terms; every profile has its
  // flamegraph beside it, and the lock's shows the RNG path.
  waitprof::Result<std::string> report = waitprof::read_text_file(dir / "summary.txt");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_NE(out.find("Threads of PIDs"), std::string::npos) << out;
  EXPECT_NE(report->find("Threads of PIDs " + std::to_string(server_->pid())), std::string::npos)
      << *report;
  EXPECT_NE(report->find("by lock: tsrv::g_product_rng"), std::string::npos) << *report;
  EXPECT_NE(report->find("pick_product_index <- tsrv::RequestHandler::serve_read"),
            std::string::npos)
      << *report;
  EXPECT_NE(report->find("holders: whose critical section"), std::string::npos) << *report;
  for (const char* name : {"cpu", "offcpu", "lock", "block", "mutex", "send"}) {
    EXPECT_TRUE(fs::exists(dir / (std::string(name) + ".svg"))) << name;
  }
  waitprof::Result<std::string> lock_svg = waitprof::read_text_file(dir / "lock.svg");
  ASSERT_TRUE(lock_svg) << lock_svg.error().message;
  EXPECT_NE(lock_svg->find("pick_product_index"), std::string::npos);

  // Every worker appears (pid labels), each file is a valid pprof for `go tool pprof`.
  const auto pids = send.total_by_label("bytes", "pid");
  EXPECT_EQ(pids.size(), 2u) << "both workers send";
  for (const char* name : {"cpu", "offcpu", "lock", "block", "mutex", "send"}) {
    ProfileQuery q((dir / (std::string(name) + ".pb.gz")).string());
    EXPECT_TRUE(q.ok()) << name << ": " << q.error();
    EXPECT_FALSE(q.samples().empty()) << name;
  }
  fs::remove_all(dir);
}

// Without BTF for sched_switch (--force-raw-tp), the futex syscall tracepoints time lock
// waits from the call's entry to its exit instead: the span the server's own clock around a
// contended lock() sees, so within 5%.
TEST_F(ServerRecording, LockFallbackTimesFutexCallsFromEntryToExit) {
  REQUIRE_ROOT_OR_SKIP();
  ASSERT_NO_FATAL_FAILURE(start_server("locked", 2, 8));
  const fs::path dir = fresh_dir("lock-fallback");
  LoadedRecording r;
  ASSERT_NO_FATAL_FAILURE(
      record_under_load(dir, {"--profiles", "lock", "--force-raw-tp"}, 3, r));
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string points = read_json(dir / "summary.json")["attach_points"].dump();
  EXPECT_NE(points.find("syscalls:sys_enter_futex"), std::string::npos) << points;
  EXPECT_NEAR(rng_lock_ratio(dir, r), 1.0, 0.05);
  fs::remove_all(dir);
}

// A thread back where it waited or sent before takes its stack from its memo, not a walk,
// when every word the earlier walk read is unchanged (bpf/unwind.h). In verify mode every hit
// is walked too: on the target server under load, none may disagree.
TEST_F(ServerRecording, StackMemoAgreesWithFullWalks) {
  REQUIRE_ROOT_OR_SKIP();
  ASSERT_NO_FATAL_FAILURE(start_server("locked", 2, 8));
  const fs::path dir = fresh_dir("memo");
  Recording rec({"--pid", std::to_string(server_->pid()), "--children", "--verify-stack-memo",
                 "--output", dir.string()});
  ASSERT_TRUE(rec.started());
  ASSERT_NO_FATAL_FAILURE(run_wrk(port_, 3, 64));
  auto [code, out] = rec.interrupt();
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json unwind = read_json(dir / "summary.json")["unwind"];
  printf("measured: stack memo hits %ld, mismatches %ld, walks %ld\n",
         unwind["memo_hits"].get<long>(), unwind["memo_mismatches"].get<long>(),
         unwind["walks"].get<long>());
  EXPECT_GT(unwind["memo_hits"].get<long>(), 1000) << "the event loop's waits should repeat";
  EXPECT_EQ(unwind["memo_mismatches"].get<long>(), 0);
  fs::remove_all(dir);
}

TEST_F(ServerRecording, PoolModeHasNoRngLockStack) {
  REQUIRE_ROOT_OR_SKIP();
  ASSERT_NO_FATAL_FAILURE(start_server("pool", 2, 8));
  const fs::path dir = fresh_dir("pool");
  Recording rec({"--pid", std::to_string(server_->pid()), "--children", "--profiles",
                 "lock,mutex", "--output", dir.string()});
  ASSERT_TRUE(rec.started());
  ASSERT_NO_FATAL_FAILURE(run_wrk(port_, 3, 64));
  auto [code, out] = rec.interrupt();
  ASSERT_EQ(code, 0) << out;
  // The fix leaves no RNG lock to wait for, and so no holder of it either.
  for (const char* name : {"lock", "mutex"}) {
    ProfileQuery q((dir / (std::string(name) + ".pb.gz")).string());
    ASSERT_TRUE(q.ok()) << q.error();
    for (const QueriedSample& s : q.samples()) {
      EXPECT_NE(s.labels.at("lock"), "tsrv::g_product_rng") << name;
      EXPECT_FALSE(has_call_chain(s.functions, {"pick_product_index"})) << name;
    }
  }
  fs::remove_all(dir);
}

// --- prefork: every worker, including one forked after recording began ---------------------

TEST_F(ServerRecording, ChildrenIncludeWorkersForkedAndExitedDuringRecording) {
  REQUIRE_ROOT_OR_SKIP();
  ASSERT_NO_FATAL_FAILURE(start_server("locked", 2, 2));
  const std::vector<pid_t> original = waitprof::list_descendants(server_->pid());
  ASSERT_EQ(original.size(), 2u);
  const fs::path dir = fresh_dir("prefork");
  Recording rec({"--pid", std::to_string(server_->pid()), "--children", "--profiles",
                 "cpu,offcpu,send", "--output", dir.string()});
  ASSERT_TRUE(rec.started());
  ASSERT_NO_FATAL_FAILURE(run_wrk(port_, 2, 32));
  // The supervisor replaces a worker that dies: the replacement is forked while recording.
  kill(original[0], SIGKILL);
  std::vector<pid_t> now;
  for (int i = 0; i < 100; ++i) {
    now = waitprof::list_descendants(server_->pid());
    if (now.size() == 2 && now != original) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(now.size(), 2u);
  const pid_t replacement = now[0] == original[1] ? now[1] : now[0];
  ASSERT_NE(replacement, original[0]);
  ASSERT_NO_FATAL_FAILURE(run_wrk(port_, 2, 32));
  auto [code, out] = rec.interrupt();
  ASSERT_EQ(code, 0) << out;

  ProfileQuery offcpu((dir / "offcpu.pb.gz").string());
  ProfileQuery send((dir / "send.pb.gz").string());
  ASSERT_TRUE(offcpu.ok() && send.ok());
  const auto off_pids = offcpu.total_by_label("delay", "pid");
  for (pid_t pid : {server_->pid(), original[0], original[1], replacement}) {
    EXPECT_TRUE(off_pids.count(std::to_string(pid))) << "no offcpu samples from pid " << pid;
  }
  const auto send_pids = send.total_by_label("bytes", "pid");
  EXPECT_TRUE(send_pids.count(std::to_string(replacement))) << "the late worker served requests";
  // The killed worker's stacks still symbolize: its mappings were captured at first sight.
  const int64_t killed_named = send.total("bytes", [&](const QueriedSample& s) {
    return s.labels.at("pid") == std::to_string(original[0]) &&
           has_call_chain(s.functions, {"tsrv::"});
  });
  EXPECT_GT(killed_named, 0);
  const nlohmann::json summary = read_json(dir / "summary.json");
  EXPECT_GE(summary["targets"]["processes_forked"].get<int>(), 1);
  EXPECT_GE(summary["targets"]["processes_exited"].get<int>(), 1);
  fs::remove_all(dir);
}

// --- per-thread slots: a thread that exits hands over its sums and frees its slot ------------

// 300 threads run one after another with only 16 thread slots (bpf/thread_slots.bpf.h): each
// finds a free slot only if the ones before it freed theirs when they died, and their waits
// and sends reach the profiles only if their running sums were handed over then. Sends are
// counted exactly (the program counts its write calls and bytes); so are sleeps.
TEST(Record, ThreadsThatExitHandOverTheirSumsAndFreeTheirSlots) {
  REQUIRE_ROOT_OR_SKIP();
  constexpr long kThreads = 300, kWrites = 20, kBytes = 1000, kSleeps = 3;
  ChildProcess churn({THREAD_CHURN_PATH, "--threads", std::to_string(kThreads), "--writes",
                      std::to_string(kWrites), "--bytes", std::to_string(kBytes), "--sleeps",
                      std::to_string(kSleeps)});
  ASSERT_TRUE(churn.wait_for_line("ready"));
  const fs::path dir = fresh_dir("churn");
  Recording rec({"--pid", std::to_string(churn.pid()), "--profiles", "offcpu,send",
                 "--thread-labels", "--thread-slots", "16", "--output", dir.string()});
  ASSERT_TRUE(rec.started());
  kill(churn.pid(), SIGUSR1);
  ASSERT_TRUE(churn.wait_for_line(" done", 60000)) << churn.output();
  unsigned long writes = 0, bytes = 0, received = 0;
  const std::string& result = churn.output();
  ASSERT_EQ(sscanf(result.c_str() + result.find("result "), "result writes=%lu bytes=%lu received=%lu",
                   &writes, &bytes, &received),
            3)
      << result;
  ASSERT_EQ(bytes, static_cast<unsigned long>(kThreads * kWrites * kBytes));
  auto [code, out] = rec.interrupt();
  ASSERT_EQ(code, 0) << out;

  const nlohmann::json summary = read_json(dir / "summary.json");
  EXPECT_EQ(summary["drops"]["thread_slots_full"], 0) << out;
  ProfileQuery send((dir / "send.pb.gz").string());
  ProfileQuery offcpu((dir / "offcpu.pb.gz").string());
  ASSERT_TRUE(send.ok() && offcpu.ok()) << send.error() << offcpu.error();
  // Only the workers send: every call and byte, exactly.
  printf("measured: send %ld calls / %ld bytes vs %lu / %lu written\n",
         static_cast<long>(send.total("calls")), static_cast<long>(send.total("bytes")), writes,
         bytes);
  EXPECT_EQ(send.total("calls"), static_cast<int64_t>(writes));
  EXPECT_EQ(send.total("bytes"), static_cast<int64_t>(bytes));
  // Every worker's sleeps: one switch-out each. Workers are the threads that sent; a sleep
  // counts whatever its stack (a walk that fails is counted in drops.stack_walk_failures),
  // and every sleep with a stack names churn_worker (churn_sleep called into libc, whose
  // missing frame pointer hides it). Tolerance: 1% fewer, for a sleep whose timer fired
  // before the thread reached schedule() (an interrupt held it for the whole millisecond:
  // it never left the CPU; seen once in 3,000 sleeps of 200 us), and 2% more, for a sleep
  // preempted before it slept or woken early and sleeping again.
  std::set<std::string> workers;
  for (const QueriedSample& s : send.samples()) workers.insert(s.labels.at("tid"));
  EXPECT_EQ(workers.size(), static_cast<size_t>(kThreads));
  std::set<std::string> sleeping_threads;
  int64_t without_stack = 0;
  const int64_t sleeps = offcpu.total("switches", [&](const QueriedSample& s) {
    const bool worker_sleep =
        s.labels.at("syscall") == "clock_nanosleep" && workers.count(s.labels.at("tid"));
    if (!worker_sleep) return false;
    sleeping_threads.insert(s.labels.at("tid"));
    if (s.functions.empty()) {
      without_stack += s.values[0];
    } else {
      EXPECT_TRUE(has_call_chain(s.functions, {"churn_worker"})) << s.functions.front();
    }
    return true;
  });
  printf("measured: %ld worker sleeps from %zu threads (%ld without a stack), %ld expected\n",
         static_cast<long>(sleeps), sleeping_threads.size(), static_cast<long>(without_stack),
         kThreads * kSleeps);
  EXPECT_GE(sleeps, kThreads * kSleeps * 99 / 100);
  EXPECT_LE(sleeps, kThreads * kSleeps * 102 / 100);
  EXPECT_EQ(sleeping_threads.size(), static_cast<size_t>(kThreads));
  EXPECT_LE(without_stack, summary["drops"]["stack_walk_failures"].get<int64_t>());
  fs::remove_all(dir);
}

// --- a target that execs: stacks after the exec resolve against the new image --------------

// Stacks that differ only next to the root, behind frames of identical sizes: stack reuse
// (bpf/stack_store.bpf.h) must still tell them apart. An earlier cache that compared only the
// first two frames put 40% of this program's waits on another path's stack.
TEST(Record, StackMemoTellsApartStacksThatDifferOnlyNearTheRoot) {
  REQUIRE_ROOT_OR_SKIP();
  ChildProcess fanout({STACK_FANOUT_PATH, "--depth", "8", "--order", "root-fastest",
                       "--spin-us", "5", "--sleep-us", "50"});
  ASSERT_TRUE(fanout.wait_for_line("call paths"));
  const fs::path dir = fresh_dir("fanout");
  auto [code, out] = record_to_end({"--pid", std::to_string(fanout.pid()), "--duration", "2",
                                    "--profiles", "offcpu", "--output", dir.string()});
  ASSERT_EQ(code, 0) << out;
  ProfileQuery offcpu((dir / "offcpu.pb.gz").string());
  ASSERT_TRUE(offcpu.ok()) << offcpu.error();
  // Every one of the 256 paths sleeps at its leaf about 100 times in 2 s. Tolerance 5%: a
  // stack-map collision may cost a path its stack.
  std::set<std::vector<std::string>> sleeping_stacks;
  for (const QueriedSample& s : offcpu.samples()) {
    // The paths' sleeps (the recursion is on their stack; leaf() itself, which called into
    // libc, is not), not the main thread's nor a stack lost to a collision.
    const bool on_path = std::any_of(s.functions.begin(), s.functions.end(),
                                     [](const std::string& f) { return f.find("level(") != std::string::npos; });
    if (s.labels.at("syscall") == "clock_nanosleep" && on_path) sleeping_stacks.insert(s.functions);
  }
  printf("measured: %zu distinct sleeping stacks of 256 paths\n", sleeping_stacks.size());
  if (sleeping_stacks.size() > 256) {
    for (const auto& stack : sleeping_stacks) {
      std::string line;
      for (const std::string& f : stack) line += f + " <- ";
      printf("  %s\n", line.c_str());
    }
  }
  EXPECT_GE(sleeping_stacks.size(), 243u);
  EXPECT_LE(sleeping_stacks.size(), 256u);
  fs::remove_all(dir);
}

TEST(Record, ProcessThatExecsIsSymbolizedAsItsNewImage) {
  REQUIRE_ROOT_OR_SKIP();
  ChildProcess sh({"/bin/sh", "-c", std::string("sleep 1; exec ") + WAIT_SHAPES_PATH});
  const fs::path dir = fresh_dir("exec");
  auto [code, out] = record_to_end({"--pid", std::to_string(sh.pid()), "--children",
                                    "--duration", "3", "--profiles", "offcpu", "--output",
                                    dir.string()});
  ASSERT_EQ(code, 0) << out;
  ProfileQuery offcpu((dir / "offcpu.pb.gz").string());
  ASSERT_TRUE(offcpu.ok()) << offcpu.error();
  // After the exec the same pid runs wait_shapes: its sleeper's stacks name sleep_outer.
  const int64_t after_exec = offcpu.total("delay", [&](const QueriedSample& s) {
    return s.labels.at("pid") == std::to_string(sh.pid()) &&
           s.labels.at("process") == "wait_shapes" && has_call_chain(s.functions, {"sleep_outer"});
  });
  EXPECT_GT(after_exec, 1'000'000'000) << out;
  // Before it, sh waited for its child `sleep`, a target too (--children).
  const auto by_process = offcpu.total_by_label("delay", "process");
  EXPECT_TRUE(by_process.count("sleep")) << out;
  fs::remove_all(dir);
}

// --- go tool pprof reads every file -----------------------------------------------------------

TEST_F(ServerRecording, GoToolPprofReadsEveryProfile) {
  REQUIRE_ROOT_OR_SKIP();
  if (access("/usr/bin/go", X_OK) != 0) {
    if (waitprof_test::running_in_ci()) FAIL() << "go missing: scripts/setup.sh installs golang-go";
    GTEST_SKIP() << "go not installed";
  }
  ASSERT_NO_FATAL_FAILURE(start_server("locked", 2, 8));
  const fs::path dir = fresh_dir("gopprof");
  Recording rec({"--pid", std::to_string(server_->pid()), "--children", "--thread-labels",
                 "--output", dir.string()});
  ASSERT_TRUE(rec.started());
  ASSERT_NO_FATAL_FAILURE(run_wrk(port_, 2, 64));
  auto [code, out] = rec.interrupt();
  ASSERT_EQ(code, 0) << out;
  const fs::path gocache = dir / "gocache";
  for (const char* name : {"cpu", "offcpu", "lock", "block", "mutex", "send"}) {
    for (const std::vector<std::string>& view :
         {std::vector<std::string>{"-top"}, {"-traces"}, {"-tags"},
          {"-list", "EventLoop::run"}}) {
      std::vector<std::string> argv{"/usr/bin/env", "GOCACHE=" + gocache.string(),
                                    "HOME=" + dir.string(), "/usr/bin/go", "tool", "pprof",
                                    "-symbolize=none"};
      argv.insert(argv.end(), view.begin(), view.end());
      argv.push_back((dir / (std::string(name) + ".pb.gz")).string());
      ChildProcess go(argv, /*merge_stderr=*/true);
      const std::string text = go.read_all(60000);
      EXPECT_EQ(exit_code(go.stop(0, 60000)), 0) << name << " " << view[0] << ":\n" << text;
      if (view[0] == "-tags") {
        EXPECT_NE(text.find("process"), std::string::npos) << text;
      }
      if (view[0] == "-top" && std::string(name) == "lock") {
        EXPECT_NE(text.find("pick_product_index"), std::string::npos) << text;
      }
    }
  }
  fs::remove_all(dir);
}

// A Go program, built here with Debian's Go: waitprof names it and its Go version (the
// binary's build info, as `go version FILE` reads it), and its threads' futex waits are the
// Go scheduler's, in none of lock, block and mutex.
TEST(Record, GoProgramIsNamedAndItsSchedulerParkingIsNoLockWait) {
  REQUIRE_ROOT_OR_SKIP();
  const fs::path dir = fresh_dir("go");
  fs::create_directories(dir / "src");
  {
    std::ofstream(dir / "src" / "go.mod") << "module sleeper\ngo 1.19\n";
    // Goroutines that sleep and wake: the runtime parks and unparks its threads all along.
    std::ofstream(dir / "src" / "main.go")
        << "package main\nimport \"time\"\nfunc main() {\n"
           "  for i := 0; i < 4; i++ { go func() { for { time.Sleep(time.Millisecond) } }() }\n"
           "  time.Sleep(2 * time.Second)\n}\n";
  }
  ASSERT_NO_FATAL_FAILURE(
      waitprof_test::build_go_program(dir / "src", dir / "sleeper", dir));
  if (IsSkipped()) return;
  ChildProcess goversion({"/usr/bin/env", "GOCACHE=" + (dir / "gocache").string(),
                          "HOME=" + dir.string(), "/usr/bin/go", "env", "GOVERSION"});
  std::string version = goversion.read_all(60000);
  goversion.stop(0, 60000);
  while (!version.empty() && version.back() == '\n') version.pop_back();
  ASSERT_EQ(version.rfind("go1.", 0), 0u) << version;

  const fs::path out = dir / "out";
  auto [code, text] = record_to_end({"--output", out.string(), "--", (dir / "sleeper").string()});
  ASSERT_EQ(code, 0) << text;
  const nlohmann::json summary = read_json(out / "summary.json");
  const nlohmann::json go_versions = summary["targets"]["go_versions"];
  ASSERT_EQ(go_versions.size(), 1u) << summary["targets"].dump();
  EXPECT_EQ(go_versions.begin().value(), version);
  EXPECT_NE(text.find("Go programs: PIDs"), std::string::npos) << text;
  ProfileQuery offcpu((out / "offcpu.pb.gz").string());
  ASSERT_TRUE(offcpu.ok()) << offcpu.error();
  EXPECT_GT(offcpu.total("delay", [](const QueriedSample& s) {
    return s.labels.at("wait") == "go-runtime";
  }), 0) << "the Go scheduler parks its idle threads in runtime.futex";
  for (const char* name : {"lock", "block", "mutex"}) {
    ProfileQuery q((out / (std::string(name) + ".pb.gz")).string());
    ASSERT_TRUE(q.ok()) << q.error();
    for (const QueriedSample& s : q.samples()) {
      // The sleepers' waits are time.Sleep: no goroutine wait is in these profiles either.
      EXPECT_FALSE(s.labels.count("go_wait")) << name;
      EXPECT_NE(s.labels.at("wait"), "go-runtime") << name;
      EXPECT_FALSE(has_call_chain(s.functions, {"runtime.futex"})) << name;
    }
  }
  fs::remove_all(dir);
}

// --- robustness ---------------------------------------------------------------------------------

TEST(RecordErrors, NoSuchPid) {
  REQUIRE_ROOT_OR_SKIP();
  auto [code, out] = record_to_end({"--pid", "999999999", "--duration", "1"});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("waitprof: error: no process with pid 999999999"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(RecordErrors, UnwritableOutput) {
  REQUIRE_ROOT_OR_SKIP();
  auto [code, out] = record_to_end({"--pid", std::to_string(getpid()), "--duration", "1",
                                    "--output", "/proc/version/out"});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("waitprof: error:"), std::string::npos) << out;
  EXPECT_NE(out.find("/proc/version/out"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(RecordErrors, BadFlagValues) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--pid", "1", "--frequency", "0"},
        {"--pid", "1", "--profiles", "cpu,nonsense"},
        {"--pid", "1", "--duration", "-3"},
        {"--pid", "zero"},
        {"--duration", "1"}}) {
    auto [code, out] = record_to_end(args);
    EXPECT_NE(code, 0) << out;
    EXPECT_NE(code, -1) << out;
  }
}

TEST(RecordErrors, WithoutRoot) {
  REQUIRE_ROOT_OR_SKIP();
  ChildProcess p({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                  WAITPROF_PATH, "record", "--pid", "1", "--duration", "1", "--output",
                  "/tmp"},
                 /*merge_stderr=*/true);
  const std::string out = p.read_all();
  EXPECT_EQ(exit_code(p.stop(0)), 1) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find("needs root"), std::string::npos) << out;
}

TEST(RecordErrors, TargetExitingMidRecordingIsNotAnError) {
  REQUIRE_ROOT_OR_SKIP();
  ChildProcess sleeper({"/bin/sleep", "1.5"});
  const fs::path dir = fresh_dir("exits");
  const auto t0 = std::chrono::steady_clock::now();
  auto [code, out] = record_to_end({"--pid", std::to_string(sleeper.pid()), "--duration", "30",
                                    "--output", dir.string()});
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(code, 0) << out;
  EXPECT_LT(took, std::chrono::seconds(15)) << "recording should end when its targets exit";
  EXPECT_NE(out.find("exited"), std::string::npos) << out;
  const nlohmann::json summary = read_json(dir / "summary.json");
  ASSERT_FALSE(summary.is_discarded());
  EXPECT_EQ(summary["stopped_by"], "all targets exited");
  for (const char* name : {"cpu", "offcpu", "lock", "block", "mutex", "send"}) {
    EXPECT_TRUE(ProfileQuery((dir / (std::string(name) + ".pb.gz")).string()).ok()) << name;
  }
  fs::remove_all(dir);
}

TEST(RecordFallbacks, RawTracepointAndSendTracepointWork) {
  REQUIRE_ROOT_OR_SKIP();
  ChildProcess shapes({WAIT_SHAPES_PATH});
  read_thread_ids(shapes);
  const fs::path dir = fresh_dir("rawtp");
  auto [code, out] = record_to_end({"--pid", std::to_string(shapes.pid()), "--duration", "1",
                                    "--force-raw-tp", "--force-send-tracepoint", "--output",
                                    dir.string()});
  ASSERT_EQ(code, 0) << out;
  const nlohmann::json summary = read_json(dir / "summary.json");
  const std::string points = summary["attach_points"].dump();
  EXPECT_NE(points.find("sched_switch (raw_tp)"), std::string::npos) << points;
  EXPECT_NE(points.find("sock:sock_send_length"), std::string::npos) << points;
  ProfileQuery offcpu((dir / "offcpu.pb.gz").string());
  ASSERT_TRUE(offcpu.ok());
  EXPECT_GT(offcpu.total("delay", [](const QueriedSample& s) {
    return has_call_chain(s.functions, {"sleep_outer"});
  }), 500'000'000);
  fs::remove_all(dir);
}

}  // namespace
