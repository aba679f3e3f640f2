// Threads that wait on every kind of synchronization glibc offers, each through a known call
// chain, for the lock/block/mutex profile tests. `wait_kinds SECONDS` prints "thread <role>
// <tid>" per thread and "ready", runs SECONDS seconds, stops and joins every role, then prints
// its own clock of each kind's waits, "clock <kind> <ns> <count>", and "done", and exits 0.
// Roles (all functions in namespace waitkinds):
//   locker1, locker2: contend_outer → take_contended (pthread_mutex_lock on the global
//             g_contended, clocked when trylock found it taken: clock mutex), then
//             hold_contended (1 ms nanosleep holding it), release_contended
//             (pthread_mutex_unlock: the release site the mutex profile charges), and
//             pause_unlocked (200 µs outside the lock, so the two alternate).
//   idle1..3: idle_outer → idle_wait, pthread_cond_timedwait 50 ms never signalled (a thread
//             cache): condvar time, never lock time (clock condvar).
//   joiner:   join_outer → join_child, pthread_create of child_nap (20 ms nanosleep) then
//             pthread_join, clocked (clock join).
//   sem_waiter: sem_outer → sem_take, sem_wait on g_sem (clock semaphore);
//   sem_poster: post_outer → sem_give, sem_post every 10 ms.
//   rw_writer: write_outer → write_hold, wrlock g_rwlock, hold 1 ms, unlock, then 1 ms apart;
//   rw_reader: read_outer → read_take (pthread_rwlock_rdlock on g_rwlock, clocked: clock
//             rwlock), held 50 µs, unlocked, 100 µs apart.
//   custom_waiter: custom_outer → custom_wait, the program's own futex lock on g_custom_word
//             (syscall(SYS_futex, FUTEX_WAIT_PRIVATE) while it is 0, then takes it back to 0),
//             each futex call clocked (clock custom);
//   custom_waker: custom_wake_outer → custom_release, every 2 ms sets the word to 1 and
//             FUTEX_WAKE_PRIVATEs it.
//   barrier_a: barrier_outer → barrier_meet, pthread_barrier_wait on the 2-thread g_barrier;
//   barrier_b: barrier_late_outer → barrier_meet after a 5 ms nanosleep, so barrier_a waits
//             about 5 ms each round (both clocked: clock barrier).
// Built with frame pointers and noinline (and a compiler barrier after each last call, so no
// call becomes a jump) so every frame named here is on the stack.
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <thread>
#include <vector>

#include "role_threads.h"

namespace waitkinds {

std::atomic<bool> g_stop{false};

int64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void nap_ns(long ns) {
  const timespec ts{ns / 1'000'000'000, ns % 1'000'000'000};
  nanosleep(&ts, nullptr);
}

// A kind's waits as the program itself saw them: the time around each blocking call.
struct Clock {
  const char* kind;
  std::atomic<int64_t> ns{0};
  std::atomic<int64_t> count{0};
  void add(int64_t since) {
    ns += now_ns() - since;
    ++count;
  }
};

Clock g_mutex_clock{"mutex"};
Clock g_rwlock_clock{"rwlock"};
Clock g_custom_clock{"custom"};
Clock g_condvar_clock{"condvar"};
Clock g_join_clock{"join"};
Clock g_semaphore_clock{"semaphore"};
Clock g_barrier_clock{"barrier"};

// --- the contended mutex ---------------------------------------------------------------------

pthread_mutex_t g_contended = PTHREAD_MUTEX_INITIALIZER;

// Only a lock that trylock found taken is clocked: the others never wait, and the lock
// profile has nothing of them either.
__attribute__((noinline)) void take_contended() {
  if (pthread_mutex_trylock(&g_contended) == 0) return;
  const int64_t t0 = now_ns();
  pthread_mutex_lock(&g_contended);
  g_mutex_clock.add(t0);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void hold_contended() {
  nap_ns(1'000'000);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void release_contended() {
  pthread_mutex_unlock(&g_contended);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void pause_unlocked() {
  nap_ns(200'000);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void contend_outer() {
  while (!g_stop.load()) {
    take_contended();
    hold_contended();
    release_contended();
    pause_unlocked();
  }
}

// --- the idle condvar pool -------------------------------------------------------------------

// Each idle thread has its own mutex and condvar: with one shared mutex, two timeouts now and
// then collide on re-taking it inside pthread_cond_timedwait, a (rightly) mutex wait that would
// blur the pool's "condvar only".
struct IdleSlot {
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
};
IdleSlot g_idle_pool[3];
std::atomic<int> g_idle_next{0};

__attribute__((noinline)) void idle_wait(IdleSlot& slot) {
  timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += 50'000'000;
  if (deadline.tv_nsec >= 1'000'000'000) {
    deadline.tv_nsec -= 1'000'000'000;
    ++deadline.tv_sec;
  }
  pthread_mutex_lock(&slot.mutex);
  const int64_t t0 = now_ns();
  pthread_cond_timedwait(&slot.cond, &slot.mutex, &deadline);
  g_condvar_clock.add(t0);
  pthread_mutex_unlock(&slot.mutex);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void idle_outer() {
  IdleSlot& slot = g_idle_pool[g_idle_next++ % 3];
  while (!g_stop.load()) idle_wait(slot);
}

// --- the join --------------------------------------------------------------------------------

void* child_nap(void*) {
  nap_ns(20'000'000);
  return nullptr;
}

__attribute__((noinline)) void join_child() {
  pthread_t child;
  if (pthread_create(&child, nullptr, child_nap, nullptr) != 0) abort();
  const int64_t t0 = now_ns();
  pthread_join(child, nullptr);
  g_join_clock.add(t0);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void join_outer() {
  while (!g_stop.load()) join_child();
}

// --- the semaphore ---------------------------------------------------------------------------

sem_t g_sem;

__attribute__((noinline)) void sem_take() {
  const int64_t t0 = now_ns();
  while (sem_wait(&g_sem) != 0 && errno == EINTR) {
  }
  g_semaphore_clock.add(t0);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void sem_outer() {
  while (!g_stop.load()) sem_take();
}

__attribute__((noinline)) void sem_give() {
  sem_post(&g_sem);
  asm volatile("" ::: "memory");
}

// One more post after the stop: the waiter may be in sem_wait already, and the post it then
// takes happened after the stop, so its next check sees it.
__attribute__((noinline)) void post_outer() {
  while (!g_stop.load()) {
    nap_ns(10'000'000);
    sem_give();
  }
  sem_give();
}

// --- the rwlock ------------------------------------------------------------------------------

pthread_rwlock_t g_rwlock = PTHREAD_RWLOCK_INITIALIZER;

__attribute__((noinline)) void write_hold() {
  pthread_rwlock_wrlock(&g_rwlock);
  nap_ns(1'000'000);
  pthread_rwlock_unlock(&g_rwlock);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void write_outer() {
  while (!g_stop.load()) {
    write_hold();
    nap_ns(1'000'000);
  }
}

__attribute__((noinline)) void read_take() {
  const int64_t t0 = now_ns();
  pthread_rwlock_rdlock(&g_rwlock);
  g_rwlock_clock.add(t0);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void read_outer() {
  while (!g_stop.load()) {
    read_take();
    nap_ns(50'000);
    pthread_rwlock_unlock(&g_rwlock);
    nap_ns(100'000);
  }
}

// --- the custom futex lock -------------------------------------------------------------------

// 1: released (there is something to take), 0: taken. The waiter's exchange reads the latest
// value, so the waker's last release after the stop is never lost between two of its loads.
std::atomic<uint32_t> g_custom_word{0};

__attribute__((noinline)) void custom_wait() {
  while (g_custom_word.exchange(0) == 0) {
    const int64_t t0 = now_ns();
    syscall(SYS_futex, &g_custom_word, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
    g_custom_clock.add(t0);
  }
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void custom_outer() {
  while (!g_stop.load()) custom_wait();
}

__attribute__((noinline)) void custom_release() {
  g_custom_word.store(1);
  syscall(SYS_futex, &g_custom_word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void custom_wake_outer() {
  while (!g_stop.load()) {
    nap_ns(2'000'000);
    custom_release();
  }
  custom_release();
}

// --- the barrier -----------------------------------------------------------------------------

pthread_barrier_t g_barrier;
// Set by barrier_b before it arrives for the last round, read by barrier_a after that round:
// both stop after the same round, so neither is left waiting for the other.
std::atomic<bool> g_barrier_last{false};

__attribute__((noinline)) void barrier_meet() {
  const int64_t t0 = now_ns();
  pthread_barrier_wait(&g_barrier);
  g_barrier_clock.add(t0);
  asm volatile("" ::: "memory");
}

__attribute__((noinline)) void barrier_outer() {
  do {
    barrier_meet();
  } while (!g_barrier_last.load());
}

__attribute__((noinline)) void barrier_late_outer() {
  bool last;
  do {
    nap_ns(5'000'000);
    last = g_stop.load();
    g_barrier_last.store(last);
    barrier_meet();
  } while (!last);
}

}  // namespace waitkinds

int main(int argc, char** argv) {
  using namespace waitkinds;
  prctl(PR_SET_PDEATHSIG, 9);  // never outlive the test that started us
  char* end = nullptr;
  const double seconds = argc == 2 ? std::strtod(argv[1], &end) : -1;
  if (argc != 2 || *end != '\0' || seconds < 0) {
    fprintf(stderr, "usage: wait_kinds SECONDS\n");
    return 2;
  }
  sem_init(&g_sem, 0, 0);
  pthread_barrier_init(&g_barrier, nullptr, 2);
  const testprogs::Role roles[] = {
      {"locker1", contend_outer},      {"locker2", contend_outer},
      {"idle1", idle_outer},           {"idle2", idle_outer},
      {"idle3", idle_outer},           {"joiner", join_outer},
      {"sem_waiter", sem_outer},       {"sem_poster", post_outer},
      {"rw_writer", write_outer},      {"rw_reader", read_outer},
      {"custom_waiter", custom_outer}, {"custom_waker", custom_wake_outer},
      {"barrier_a", barrier_outer},    {"barrier_b", barrier_late_outer}};
  std::vector<std::thread> threads = testprogs::start_roles(roles);
  nap_ns(static_cast<long>(seconds * 1e9));
  g_stop = true;
  for (std::thread& t : threads) t.join();
  for (const Clock* c : {&g_mutex_clock, &g_rwlock_clock, &g_custom_clock, &g_condvar_clock,
                         &g_join_clock, &g_semaphore_clock, &g_barrier_clock}) {
    printf("clock %s %lld %lld\n", c->kind, static_cast<long long>(c->ns.load()),
           static_cast<long long>(c->count.load()));
  }
  printf("done\n");
  return 0;
}
