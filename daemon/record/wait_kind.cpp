#include "record/wait_kind.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <utility>

#include "profile.h"

namespace waitprof {

namespace {

// Substrings of the C library's function names between a primitive's entry point and its
// futex call: glibc 2.3x's as the symbol tables (pthread_cond_wait) and DWARF
// (___pthread_cond_wait, __pthread_cond_wait_common, __condvar_quiesce_and_switch_g1,
// __lll_lock_wait_private, __lll_clocklock_wait) name them, and musl's (__pthread_mutex_timedlock,
// __pthread_timedjoin_np, sem_timedwait: the POSIX names carry them). Matched against the C
// library's own frames only, leaf first, so the innermost primitive decides: a condvar waiter
// re-taking its mutex (__pthread_mutex_cond_lock under pthread_cond_wait) waits for the mutex.
constexpr std::array<std::pair<std::string_view, WaitKind>, 14> kLibcPrimitives{{
    {"pthread_mutex_", WaitKind::kMutex},
    {"lll_lock_wait", WaitKind::kMutex},
    {"lll_clocklock", WaitKind::kMutex},
    {"pthread_rwlock_", WaitKind::kRwlock},
    {"pthread_cond_", WaitKind::kCondvar},
    {"__condvar_", WaitKind::kCondvar},
    {"pthread_join", WaitKind::kJoin},
    {"pthread_clockjoin", WaitKind::kJoin},
    {"pthread_timedjoin", WaitKind::kJoin},
    {"sem_wait", WaitKind::kSemaphore},
    {"sem_timedwait", WaitKind::kSemaphore},
    {"sem_clockwait", WaitKind::kSemaphore},
    {"do_futex_wait", WaitKind::kSemaphore},  // glibc's sem_waitcommon.c, static
    {"pthread_barrier_", WaitKind::kBarrier},
}};
// A program linked statically has its C library in its own image: its first frames are looked
// at by name, as many as a libc primitive has between its entry and its futex call.
constexpr size_t kStaticLibcFrames = 5;

// Primitives that make their own futex call (through libc's syscall()) above it: libstdc++'s
// std::atomic<T>::wait under the C++20 ones, Rust std's futex-based Condvar. Their names appear
// in the frames just above the call. (Rust's Mutex, RwLock and park are custom: locks or
// their own protocol.)
constexpr std::array<std::pair<std::string_view, WaitKind>, 6> kOwnCallPrimitives{{
    {"counting_semaphore", WaitKind::kSemaphore},
    {"binary_semaphore", WaitKind::kSemaphore},
    {"std::latch", WaitKind::kBarrier},
    {"std::barrier", WaitKind::kBarrier},
    {"futex_condvar", WaitKind::kCondvar},
    {"Condvar::wait", WaitKind::kCondvar},
}};
constexpr size_t kOwnCallFramesLooked = 6;

bool in_libc(const Frame& frame) {
  if (!frame.module) return false;
  const std::string& path = frame.module->path;
  const std::string_view base = std::string_view(path).substr(path.rfind('/') + 1);
  return base.starts_with("libc.so") || base.starts_with("libc-") ||
         base.starts_with("libpthread") || base.starts_with("libc.musl") ||
         base.starts_with("ld-musl");
}

template <size_t N>
bool match(const std::array<std::pair<std::string_view, WaitKind>, N>& table,
           const Frame& frame, WaitKind& kind) {
  for (const SourceLine& line : frame.lines) {
    for (const auto& [part, k] : table) {
      if (line.function.find(part) != std::string::npos) {
        kind = k;
        return true;
      }
    }
  }
  return false;
}

bool named(const Frame& frame, std::string_view name) {
  return !frame.lines.empty() && frame.lines[0].function == name;
}

}  // namespace

const char* wait_kind_name(WaitKind kind) {
  switch (kind) {
    case WaitKind::kMutex: return "mutex";
    case WaitKind::kRwlock: return "rwlock";
    case WaitKind::kCondvar: return "condvar";
    case WaitKind::kJoin: return "join";
    case WaitKind::kSemaphore: return "semaphore";
    case WaitKind::kBarrier: return "barrier";
    case WaitKind::kCustom: return "custom";
    case WaitKind::kGoRuntime: return "go-runtime";
    case WaitKind::kChannel: return "channel";
    case WaitKind::kUnknown: return "unknown";
  }
  return "unknown";
}

std::optional<WaitKind> wait_kind_named(std::string_view name) {
  for (WaitKind k : {WaitKind::kMutex, WaitKind::kRwlock, WaitKind::kCondvar, WaitKind::kJoin,
                     WaitKind::kSemaphore, WaitKind::kBarrier, WaitKind::kCustom,
                     WaitKind::kGoRuntime, WaitKind::kChannel, WaitKind::kUnknown}) {
    if (name == wait_kind_name(k)) return k;
  }
  return std::nullopt;
}

bool is_lock(WaitKind kind) {
  return kind == WaitKind::kMutex || kind == WaitKind::kRwlock || kind == WaitKind::kCustom;
}

bool is_synchronization(WaitKind kind) { return kind != WaitKind::kGoRuntime; }

WaitKind classify_futex_wait(const std::vector<Frame>& user_frames, int64_t futex_op) {
  if (user_frames.empty()) {
    // No stack: only the op can tell, and only for the PI operations, which glibc uses for
    // PI mutexes and for condvars paired with one.
    if (futex_op == 6 /* FUTEX_LOCK_PI */ || futex_op == 13 /* FUTEX_LOCK_PI2 */)
      return WaitKind::kMutex;
    if (futex_op == 11 /* FUTEX_WAIT_REQUEUE_PI */) return WaitKind::kCondvar;
    return WaitKind::kUnknown;
  }
  // Go's runtime makes its own futex calls from runtime.futex (sys_linux_amd64.s; its symbol
  // is runtime.futex.abi0 where the register ABI wraps assembly): every one parks an OS
  // thread of the scheduler (notesleep, stopm), never a goroutine's wait.
  if (!user_frames[0].lines.empty() &&
      (user_frames[0].lines[0].function == "runtime.futex" ||
       user_frames[0].lines[0].function.starts_with("runtime.futex."))) {
    return WaitKind::kGoRuntime;
  }
  size_t i = 0;
  WaitKind kind = WaitKind::kUnknown;
  for (; i < user_frames.size() && in_libc(user_frames[i]); ++i) {
    if (match(kLibcPrimitives, user_frames[i], kind)) return kind;
  }
  if (i == 0) {
    // No shared C library frame: the leaf is the program's (or its static C library's), or
    // unknown memory. Without a name and a module, nothing says what it is.
    if (!user_frames[0].module || user_frames[0].lines.empty()) return WaitKind::kUnknown;
    for (size_t j = 0; j < user_frames.size() && j < kStaticLibcFrames; ++j) {
      if (match(kLibcPrimitives, user_frames[j], kind)) return kind;
    }
  }
  // C library frames that are no primitive: the program's own futex call made through
  // syscall(), or (no C library frame) through its own syscall instruction. Anything else is a
  // libc wait this table does not know.
  const bool own_call = i == 0 || (i == 1 && named(user_frames[0], "syscall"));
  if (!own_call) return WaitKind::kUnknown;
  for (size_t j = i; j < user_frames.size() && j < i + kOwnCallFramesLooked; ++j) {
    if (match(kOwnCallPrimitives, user_frames[j], kind)) return kind;
  }
  return WaitKind::kCustom;
}

WaitKind classify_goroutine_wait(const std::vector<Frame>& user_frames, std::string_view reason) {
  // A goroutine of the runtime's own, waiting in runtime code only: runtime.main's handshake
  // with the sweeper and scavenger it starts (gcenable's channel), before the program's main
  // and before it could have turned Go's block profile on.
  const bool all_runtime =
      !user_frames.empty() &&
      std::all_of(user_frames.begin(), user_frames.end(), [](const Frame& f) {
        return std::all_of(f.lines.begin(), f.lines.end(), [](const SourceLine& l) {
          return l.function.starts_with("runtime.");
        });
      });
  if (all_runtime) return WaitKind::kGoRuntime;
  if (reason == "chan receive" || reason == "chan send" || reason == "select") {
    return WaitKind::kChannel;
  }
  if (reason == "sync.Cond.Wait") return WaitKind::kCondvar;
  if (reason == "sync.Mutex.Lock") return WaitKind::kMutex;
  if (reason.starts_with("sync.RWMutex")) return WaitKind::kRwlock;
  if (reason == "sync.WaitGroup.Wait") return WaitKind::kJoin;
  // A semaphore: the innermost sync type among the frames (inlined ones included) owns it.
  static constexpr std::array<std::pair<std::string_view, WaitKind>, 4> kOwners{{
      {"sync.(*Mutex).", WaitKind::kMutex},
      {"sync.(*RWMutex).", WaitKind::kRwlock},
      {"sync.(*WaitGroup).", WaitKind::kJoin},
      {"internal/poll.(*fdMutex).", WaitKind::kMutex},  // a file descriptor's read/write lock
  }};
  for (const Frame& frame : user_frames) {
    for (const SourceLine& line : frame.lines) {
      for (const auto& [prefix, kind] : kOwners) {
        if (line.function.starts_with(prefix)) return kind;
      }
    }
  }
  // The runtime's own semaphores (the GC's markDoneSema, worldsema), which it acquires with
  // runtime.semacquire: Go's block profile leaves them out (semacquire1 without
  // semaBlockProfile), as this one leaves out the scheduler's thread parking.
  if (!user_frames.empty() && !user_frames[0].lines.empty() &&
      user_frames[0].lines[0].function.starts_with("runtime.")) {
    return WaitKind::kGoRuntime;
  }
  return WaitKind::kSemaphore;
}

std::string offcpu_wait_label(const std::vector<Frame>& user_frames, uint32_t offcpu_state,
                              const std::string& syscall) {
  if (offcpu_state == WAITPROF_OFFCPU_RUNQUEUE) return "runqueue";
  if (offcpu_state == WAITPROF_OFFCPU_UNINTERRUPTIBLE) return "io";
  if (syscall == "futex" || syscall == "futex_wait" || syscall == "futex_waitv") {
    return wait_kind_name(classify_futex_wait(user_frames, -1));
  }
  if (syscall == "nanosleep" || syscall == "clock_nanosleep") return "sleep";
  if (syscall == "epoll_wait" || syscall == "epoll_pwait" || syscall == "epoll_pwait2" ||
      syscall == "poll" || syscall == "ppoll" || syscall == "select" || syscall == "pselect6") {
    return "poll";
  }
  return "other";
}

}  // namespace waitprof
