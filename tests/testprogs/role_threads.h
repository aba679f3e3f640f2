// The test programs' threads, one per role: each named after its role (the tests find their
// tids by name), started one after the other, announced as "thread <role> <tid>" before it
// runs its role; "ready" once all are. The roles array must outlive the threads.
#pragma once

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <span>
#include <thread>
#include <vector>

namespace testprogs {

struct Role {
  const char* name;
  void (*fn)();
};

inline std::vector<std::thread> start_roles(std::span<const Role> roles) {
  std::atomic<int> started{0};
  std::vector<std::thread> threads;
  for (const Role& role : roles) {
    threads.emplace_back([&role, &started] {
      pthread_setname_np(pthread_self(), role.name);
      printf("thread %s %ld\n", role.name, static_cast<long>(syscall(SYS_gettid)));
      fflush(stdout);
      ++started;
      role.fn();
    });
    while (started.load() < static_cast<int>(threads.size())) std::this_thread::yield();
  }
  printf("ready\n");
  fflush(stdout);
  return threads;
}

}  // namespace testprogs
