#include "record/wait_kind.h"

#include <array>
#include <string_view>
#include <utility>

#include "profile.h"

namespace waitprof {

namespace {

// Substrings of the glibc 2.3x function names between a primitive's entry point and its futex
// call, as the symbol tables (pthread_cond_wait) and DWARF (___pthread_cond_wait,
// __pthread_cond_wait_common, __condvar_quiesce_and_switch_g1, __lll_lock_wait_private) name
// them. Matched against glibc's own frames only, leaf first, so the innermost primitive
// decides: a condvar waiter re-taking its mutex (__pthread_mutex_cond_lock under
// pthread_cond_wait) waits for the mutex.
constexpr std::array<std::pair<std::string_view, WaitKind>, 16> kGlibcPrimitives{{
    {"pthread_mutex_", WaitKind::kMutex},
    {"lll_lock_wait", WaitKind::kMutex},
    {"lll_clocklock", WaitKind::kMutex},
    {"pthread_rwlock_", WaitKind::kRwlock},
    {"pthread_cond_", WaitKind::kCondvar},
    {"__condvar_", WaitKind::kCondvar},
    {"pthread_join", WaitKind::kJoin},
    {"pthread_clockjoin", WaitKind::kJoin},
    {"pthread_timedjoin", WaitKind::kJoin},
    {"pthread_tryjoin", WaitKind::kJoin},
    {"sem_wait", WaitKind::kSemaphore},
    {"sem_timedwait", WaitKind::kSemaphore},
    {"sem_clockwait", WaitKind::kSemaphore},
    {"do_futex_wait", WaitKind::kSemaphore},  // sem_waitcommon.c's, static
    {"pthread_barrier_", WaitKind::kBarrier},
    {"__libc_lock_", WaitKind::kMutex},
}};

// C++ primitives that wait through std::atomic<T>::wait, i.e. libstdc++'s own futex call
// (through libc's syscall()): their names appear in the frames just above it.
constexpr std::array<std::pair<std::string_view, WaitKind>, 4> kStdPrimitives{{
    {"counting_semaphore", WaitKind::kSemaphore},
    {"binary_semaphore", WaitKind::kSemaphore},
    {"std::latch", WaitKind::kBarrier},
    {"std::barrier", WaitKind::kBarrier},
}};
constexpr size_t kStdFramesLooked = 6;

bool in_glibc(const Frame& frame) {
  if (!frame.module) return false;
  const std::string& path = frame.module->path;
  const std::string_view base = std::string_view(path).substr(path.rfind('/') + 1);
  return base.starts_with("libc.so") || base.starts_with("libc-") ||
         base.starts_with("libpthread");
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
    case WaitKind::kUnknown: return "unknown";
  }
  return "unknown";
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
  for (; i < user_frames.size() && in_glibc(user_frames[i]); ++i) {
    if (match(kGlibcPrimitives, user_frames[i], kind)) return kind;
  }
  // glibc frames that are no primitive: the program's own futex call made through syscall(),
  // or (no glibc frame at all) through its own syscall instruction. Anything else is a glibc
  // wait this table does not know.
  const bool own_call = i == 0 || (i == 1 && named(user_frames[0], "syscall"));
  if (!own_call) return WaitKind::kUnknown;
  for (size_t j = i; j < user_frames.size() && j < i + kStdFramesLooked; ++j) {
    if (match(kStdPrimitives, user_frames[j], kind)) return kind;
  }
  return WaitKind::kCustom;
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
