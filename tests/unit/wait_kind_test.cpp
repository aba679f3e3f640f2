// What a futex wait waited for, from the frames glibc 2.36 leaves between a program and its
// futex call (names as this project's symbolizer gives them with and without libc's DWARF).
#include "record/wait_kind.h"

#include <gtest/gtest.h>

#include "profile.h"

namespace {

using waitprof::Frame;
using waitprof::WaitKind;

std::shared_ptr<const waitprof::Module> module(const char* path) {
  auto m = std::make_shared<waitprof::Module>();
  m->path = path;
  return m;
}

const auto kLibc = module("/usr/lib/x86_64-linux-gnu/libc.so.6");
const auto kProgram = module("/usr/sbin/server");

// A frame with its inlined functions, innermost first.
Frame frame(const std::shared_ptr<const waitprof::Module>& m, std::vector<const char*> names) {
  Frame f;
  f.module = m;
  for (const char* n : names) f.lines.push_back({n, n, "", 0, 0});
  return f;
}

WaitKind kind_of(std::vector<Frame> frames, int64_t op = 0) {
  return waitprof::classify_futex_wait(frames, op);
}

const Frame kCaller = frame(kProgram, {"worker_loop"});

TEST(WaitKind, GlibcPrimitivesByTheirInnermostFrame) {
  EXPECT_EQ(kind_of({frame(kLibc, {"futex_wait", "__GI___lll_lock_wait"}),
                     frame(kLibc, {"lll_mutex_lock_optimized", "___pthread_mutex_lock"}), kCaller}),
            WaitKind::kMutex);
  // Without libc's DWARF: the exported names.
  EXPECT_EQ(kind_of({frame(kLibc, {"__lll_lock_wait"}), frame(kLibc, {"pthread_mutex_lock"}),
                     kCaller}),
            WaitKind::kMutex);
  EXPECT_EQ(kind_of({frame(kLibc, {"__futex_abstimed_wait_common64"}),
                     frame(kLibc, {"__pthread_cond_wait_common", "___pthread_cond_wait"}), kCaller}),
            WaitKind::kCondvar);
  EXPECT_EQ(kind_of({frame(kLibc, {"__futex_abstimed_wait_common64"}),
                     frame(kLibc, {"__pthread_clockjoin_ex"}), kCaller}),
            WaitKind::kJoin);
  EXPECT_EQ(kind_of({frame(kLibc, {"__futex_abstimed_wait_common64"}),
                     frame(kLibc, {"do_futex_wait"}), frame(kLibc, {"__new_sem_wait_slow64"}),
                     kCaller}),
            WaitKind::kSemaphore);
  EXPECT_EQ(kind_of({frame(kLibc, {"__futex_abstimed_wait64"}),
                     frame(kLibc, {"__pthread_rwlock_rdlock_full64", "___pthread_rwlock_rdlock"}),
                     kCaller}),
            WaitKind::kRwlock);
  EXPECT_EQ(kind_of({frame(kLibc, {"futex_wait_simple", "___pthread_barrier_wait"}), kCaller}),
            WaitKind::kBarrier);
}

TEST(WaitKind, TimedLocksSignalsAndOtherCLibraries) {
  EXPECT_EQ(kind_of({frame(kLibc, {"__futex_abstimed_wait64", "__lll_clocklock_wait"}),
                     frame(kLibc, {"__pthread_mutex_clocklock_common"}), kCaller}),
            WaitKind::kMutex);
  // A signal waiting for the old group's waiters to leave is still the condvar's business.
  EXPECT_EQ(kind_of({frame(kLibc, {"futex_wait_simple", "__condvar_quiesce_and_switch_g1"}),
                     frame(kLibc, {"___pthread_cond_signal"}), kCaller}),
            WaitKind::kCondvar);
  // musl: the POSIX names carry it.
  const auto musl = module("/lib/ld-musl-x86_64.so.1");
  EXPECT_EQ(kind_of({frame(musl, {"__timedwait_cp"}), frame(musl, {"__pthread_cond_timedwait"}),
                     kCaller}),
            WaitKind::kCondvar);
  EXPECT_EQ(kind_of({frame(musl, {"__timedwait_cp"}), frame(musl, {"__pthread_timedjoin_np"}),
                     kCaller}),
            WaitKind::kJoin);
  // Linked statically: glibc's frames are in the program's image.
  EXPECT_EQ(kind_of({frame(kProgram, {"futex_wait", "__lll_lock_wait"}),
                     frame(kProgram, {"___pthread_mutex_lock"}), kCaller}),
            WaitKind::kMutex);
  EXPECT_EQ(kind_of({frame(kProgram, {"__futex_abstimed_wait_common64"}),
                     frame(kProgram, {"__pthread_cond_wait_common"}), kCaller}),
            WaitKind::kCondvar);
  // A leaf no module covers says nothing: not a lock.
  Frame lost;
  lost.address = 0x1234;
  EXPECT_EQ(kind_of({lost, kCaller}), WaitKind::kUnknown);
  // Rust's std Condvar makes its own futex call.
  EXPECT_EQ(kind_of({frame(kLibc, {"syscall"}),
                     frame(kProgram, {"std::sys::unix::locks::futex_condvar::Condvar::wait"}),
                     kCaller}),
            WaitKind::kCondvar);
}

TEST(WaitKind, ACondvarWaiterRetakingItsMutexWaitsForTheMutex) {
  EXPECT_EQ(kind_of({frame(kLibc, {"futex_wait", "__GI___lll_lock_wait"}),
                     frame(kLibc, {"__pthread_mutex_cond_lock"}),
                     frame(kLibc, {"__pthread_cond_wait_common", "___pthread_cond_wait"}), kCaller}),
            WaitKind::kMutex);
}

TEST(WaitKind, TheProgramsOwnFutexCallIsCustom) {
  // Through libc's syscall(), as InnoDB's locks.
  EXPECT_EQ(kind_of({frame(kLibc, {"syscall"}), frame(kProgram, {"srw_mutex_impl<true>::wait"}),
                     kCaller}),
            WaitKind::kCustom);
  // Its own syscall instruction: no glibc frame at all.
  EXPECT_EQ(kind_of({frame(kProgram, {"my_futex_wait"}), kCaller}), WaitKind::kCustom);
  // A caller's name that looks like a primitive does not count: only glibc's frames do.
  EXPECT_EQ(kind_of({frame(kLibc, {"syscall"}), frame(kProgram, {"my_pthread_cond_wait"})}),
            WaitKind::kCustom);
  // libstdc++'s atomic wait under std::counting_semaphore is a semaphore.
  EXPECT_EQ(kind_of({frame(kLibc, {"syscall"}),
                     frame(module("/usr/lib/x86_64-linux-gnu/libstdc++.so.6"),
                           {"std::__detail::__platform_wait<int>"}),
                     frame(kProgram, {"std::counting_semaphore<1l>::acquire()"}), kCaller}),
            WaitKind::kSemaphore);
}

TEST(WaitKind, GoRuntimeParkingAndUnknownWaits) {
  EXPECT_EQ(kind_of({frame(module("/srv/app"), {"runtime.futex"}),
                     frame(module("/srv/app"), {"runtime.futexsleep"}),
                     frame(module("/srv/app"), {"runtime.notesleep"})}),
            WaitKind::kGoRuntime);
  // Go 1.19's symbol for the assembly function behind the register ABI.
  EXPECT_EQ(kind_of({frame(module("/srv/app"), {"runtime.futex.abi0"}),
                     frame(module("/srv/app"), {"runtime.notesleep"})}),
            WaitKind::kGoRuntime);
  // A glibc wait the table does not know: not called a lock.
  EXPECT_EQ(kind_of({frame(kLibc, {"__futex_abstimed_wait_common64"}),
                     frame(kLibc, {"__pthread_once_slow"}), kCaller}),
            WaitKind::kUnknown);
  // No stack: only the PI ops tell.
  EXPECT_EQ(kind_of({}, 0), WaitKind::kUnknown);
  EXPECT_EQ(kind_of({}, 6 /* FUTEX_LOCK_PI */), WaitKind::kMutex);
}

TEST(WaitKind, LabelsNameTheirKindsBack) {
  for (WaitKind k : {WaitKind::kMutex, WaitKind::kRwlock, WaitKind::kCondvar, WaitKind::kJoin,
                     WaitKind::kSemaphore, WaitKind::kBarrier, WaitKind::kCustom,
                     WaitKind::kGoRuntime, WaitKind::kUnknown}) {
    EXPECT_EQ(waitprof::wait_kind_named(waitprof::wait_kind_name(k)), k);
  }
  EXPECT_FALSE(waitprof::wait_kind_named("poll"));
  EXPECT_FALSE(waitprof::wait_kind_named("runqueue"));
}

TEST(WaitKind, ProfilesTakeTheirKinds) {
  EXPECT_TRUE(waitprof::is_lock(WaitKind::kCustom));
  EXPECT_FALSE(waitprof::is_lock(WaitKind::kCondvar));
  EXPECT_TRUE(waitprof::is_synchronization(WaitKind::kJoin));
  EXPECT_FALSE(waitprof::is_synchronization(WaitKind::kGoRuntime));
}

TEST(WaitKind, OffcpuLabelsNonFutexWaitsByStateAndSyscall) {
  const std::vector<Frame> none;
  EXPECT_EQ(waitprof::offcpu_wait_label(none, WAITPROF_OFFCPU_RUNQUEUE, "futex"), "runqueue");
  EXPECT_EQ(waitprof::offcpu_wait_label(none, WAITPROF_OFFCPU_UNINTERRUPTIBLE, "read"), "io");
  EXPECT_EQ(waitprof::offcpu_wait_label(none, WAITPROF_OFFCPU_SLEEPING, "epoll_wait"), "poll");
  EXPECT_EQ(waitprof::offcpu_wait_label(none, WAITPROF_OFFCPU_SLEEPING, "clock_nanosleep"), "sleep");
  EXPECT_EQ(waitprof::offcpu_wait_label(
                {frame(kLibc, {"__pthread_cond_wait_common"}), kCaller}, WAITPROF_OFFCPU_SLEEPING,
                "futex"),
            "condvar");
}

}  // namespace

// --- goroutines: Go's wait reason, and for a bare semaphore the frames above the park, as
// go_frames.h leaves them ------------------------------------------------------------------

const auto kGoProgram = module("/srv/goprefork");

WaitKind goroutine_kind(std::vector<Frame> frames, const char* reason) {
  return waitprof::classify_goroutine_wait(frames, reason);
}

TEST(GoroutineWaitKind, ReasonsThatSayItAll) {
  const std::vector<Frame> any{frame(kGoProgram, {"main.handler"})};
  EXPECT_EQ(goroutine_kind(any, "chan receive"), WaitKind::kChannel);
  EXPECT_EQ(goroutine_kind(any, "chan send"), WaitKind::kChannel);
  EXPECT_EQ(goroutine_kind(any, "select"), WaitKind::kChannel);
  EXPECT_EQ(goroutine_kind(any, "sync.Cond.Wait"), WaitKind::kCondvar);
  EXPECT_EQ(goroutine_kind(any, "sync.Mutex.Lock"), WaitKind::kMutex);  // Go 1.20 on
  EXPECT_EQ(goroutine_kind(any, "sync.RWMutex.RLock"), WaitKind::kRwlock);
  EXPECT_EQ(goroutine_kind(any, "sync.WaitGroup.Wait"), WaitKind::kJoin);  // Go 1.25 on
}

TEST(GoroutineWaitKind, Go119SemaphoresByTheirOwner) {
  // lockSlow's return address in the caller, where Lock is inlined.
  EXPECT_EQ(goroutine_kind({frame(kGoProgram, {"sync.(*Mutex).Lock", "math/rand.(*lockedSource).Int63"})},
                           "semacquire"),
            WaitKind::kMutex);
  EXPECT_EQ(goroutine_kind({frame(kGoProgram, {"sync.(*RWMutex).RLock"}),
                            frame(kGoProgram, {"main.reader"})},
                           "semacquire"),
            WaitKind::kRwlock);
  EXPECT_EQ(goroutine_kind({frame(kGoProgram, {"sync.(*WaitGroup).Wait"}), frame(kGoProgram, {"main.main"})},
                           "semacquire"),
            WaitKind::kJoin);
  EXPECT_EQ(goroutine_kind({frame(kGoProgram, {"internal/poll.(*fdMutex).rwlock"}),
                            frame(kGoProgram, {"internal/poll.(*FD).writeLock"})},
                           "semacquire"),
            WaitKind::kMutex);
}

TEST(GoroutineWaitKind, TheRuntimesOwnSemaphoresAreNoProgramWait) {
  // The GC's markDoneSema: Go's block profile leaves it out (semacquire1 without
  // semaBlockProfile).
  EXPECT_EQ(goroutine_kind({frame(kGoProgram, {"runtime.semacquire", "runtime.gcMarkDone"}),
                            frame(kGoProgram, {"runtime.gcAssistAlloc"})},
                           "semacquire"),
            WaitKind::kGoRuntime);
  EXPECT_FALSE(waitprof::is_synchronization(WaitKind::kGoRuntime));
  EXPECT_EQ(goroutine_kind({frame(kGoProgram, {"main.custom"})}, "semacquire"),
            WaitKind::kSemaphore);
}

TEST(GoroutineWaitKind, TheRuntimesOwnGoroutinesWaitsAreNoProgramWait) {
  // runtime.main's handshake with the sweeper and scavenger, before the program's main.
  EXPECT_EQ(goroutine_kind({frame(kGoProgram, {"runtime.chanrecv1"}),
                            frame(kGoProgram, {"runtime.gcenable"}),
                            frame(kGoProgram, {"runtime.main"})},
                           "chan receive"),
            WaitKind::kGoRuntime);
  // A receive in the program's code is the program's, runtime frames or not.
  EXPECT_EQ(goroutine_kind({frame(kGoProgram, {"runtime.chanrecv1"}),
                            frame(kGoProgram, {"main.worker"})},
                           "chan receive"),
            WaitKind::kChannel);
  // runtime/pprof is not the runtime.
  EXPECT_EQ(goroutine_kind({frame(kGoProgram, {"runtime.selectgo"}),
                            frame(kGoProgram, {"runtime/pprof.profileWriter"})},
                           "select"),
            WaitKind::kChannel);
}
