// A process tree with known shape for the process-tracking tests. At start it forks one
// child (alive before any recording attaches), prints "ready", and on SIGUSR1 forks two more
// children that each fork a grandchild. Everything sleeps until SIGTERM.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

static void sleep_forever() {
  for (;;) pause();
}

// Each process dies with its parent, so however the root ends (its own group kill, or the
// test's SIGKILL), nothing outlives it holding the test runner's output pipes.
static pid_t fork_dying_with_parent() {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(0);
  }
  return pid;
}

static pid_t spawn(bool with_grandchild) {
  const pid_t pid = fork_dying_with_parent();
  if (pid == 0) {
    if (with_grandchild && fork_dying_with_parent() == 0) sleep_forever();
    sleep_forever();
  }
  return pid;
}

int main() {
  setpgid(0, 0);  // its own group: the final kill(0, ...) must not reach the test runner
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  spawn(false);
  printf("ready %d\n", getpid());
  fflush(stdout);
  int sig = 0;
  while (sigwait(&set, &sig) == 0 && sig == SIGUSR1) {
    spawn(true);
    spawn(true);
    printf("forked\n");
    fflush(stdout);
  }
  kill(0, SIGKILL);  // the whole process group, grandchildren included
  return 0;
}
