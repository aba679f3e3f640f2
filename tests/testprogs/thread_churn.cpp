// Threads that come and go, each doing a known amount of waiting and sending, for the record
// test of waitprof's per-thread slots: a thread's sums must reach the profile when it exits,
// and its slot must be free for the next one.
//
//   thread_churn --threads N --writes M --bytes B --sleeps S
//
// Prints "ready" and waits for SIGUSR1. Then N worker threads run one after another; each
// sleeps S times for 1 ms (churn_sleep) and writes M blocks of B bytes to a loopback TCP
// connection (churn_send), then exits. A reader thread drains the connection. Prints
// "result writes=<calls> bytes=<sent> received=<read> done" and waits to be killed.
// Built with frame pointers and noinline so BPF's frame-pointer walk sees every frame.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

namespace churn {

struct Totals {
  unsigned long writes = 0;
  unsigned long bytes = 0;
};

__attribute__((noinline)) void churn_sleep() {
  timespec ts{0, 1'000'000};
  nanosleep(&ts, nullptr);
}

// One write(2) per block unless the kernel takes part of it: every call is counted, since the
// send profile counts calls.
__attribute__((noinline)) void churn_send(int fd, const std::vector<char>& block, Totals& t) {
  size_t done = 0;
  while (done < block.size()) {
    const ssize_t n = write(fd, block.data() + done, block.size() - done);
    ++t.writes;
    if (n < 0) {
      if (errno == EINTR) continue;
      perror("write");
      exit(1);
    }
    done += static_cast<size_t>(n);
    t.bytes += static_cast<unsigned long>(n);
  }
}

__attribute__((noinline)) void churn_worker(int fd, int writes, int sleeps,
                                            const std::vector<char>& block, Totals& t) {
  for (int i = 0; i < sleeps; ++i) churn_sleep();
  for (int i = 0; i < writes; ++i) churn_send(fd, block, t);
}

int arg(int argc, char** argv, const char* name, int fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == name) return std::atoi(argv[i + 1]);
  }
  return fallback;
}

}  // namespace churn

int main(int argc, char** argv) {
  prctl(PR_SET_PDEATHSIG, 9);  // never outlive the test that started us
  const int threads = churn::arg(argc, argv, "--threads", 200);
  const int writes = churn::arg(argc, argv, "--writes", 20);
  const int bytes = churn::arg(argc, argv, "--bytes", 1000);
  const int sleeps = churn::arg(argc, argv, "--sleeps", 3);

  // Every thread inherits the blocked SIGUSR1, so only sigwait below receives it.
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, nullptr);

  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(listener, 1) != 0 ||
      getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    perror("listen");
    return 1;
  }
  const int client = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    perror("connect");
    return 1;
  }
  const int server = accept(listener, nullptr, nullptr);
  unsigned long received = 0;
  std::thread reader([server, &received] {
    char buf[65536];
    for (;;) {
      const ssize_t n = read(server, buf, sizeof(buf));
      if (n <= 0) return;
      received += static_cast<unsigned long>(n);
    }
  });

  printf("ready\n");
  fflush(stdout);
  int sig = 0;
  sigwait(&usr1, &sig);

  const std::vector<char> block(static_cast<size_t>(bytes), 'x');
  churn::Totals totals;
  for (int i = 0; i < threads; ++i) {
    std::thread worker(churn::churn_worker, client, writes, sleeps, std::cref(block),
                       std::ref(totals));
    worker.join();
  }
  shutdown(client, SHUT_WR);
  reader.join();
  printf("result writes=%lu bytes=%lu received=%lu done\n", totals.writes, totals.bytes,
         received);
  fflush(stdout);
  for (;;) pause();
}
