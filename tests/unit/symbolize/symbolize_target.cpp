// A program whose functions, inline frames and call lines the symbolizer tests know: it
// prints "name=value" lines (addresses and the __LINE__ of each call that produced one),
// closes stdout, and waits to be killed.
//   symbolize_target         just that
//   symbolize_target fork    also forks a child that waits (same mappings) and one that exits
//                            at once; prints their pids
#include <search.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

// Each call whose line is recorded must share its line with the __LINE__ that records it.
// clang-format off

namespace waitprof_target {

void* g_inline_return;
int g_leaf_call_line;
int g_caller_call_line;
void* g_libc_return;
int g_compare_calls;

// Larger than a page, so most of it lies in the anonymous .bss mapping past the last file
// page, where the tests look up an address in it as a lock's would be.
struct BigState {
  char bytes[64 * 1024];
};
BigState g_big_state;

// The address its caller resumes at: a return address inside the caller's code.
__attribute__((noipa)) void* return_address() { return __builtin_return_address(0); }

const int kMangledLine = __LINE__ + 1;
__attribute__((noipa)) int mangled_function(int x) {
  return x * 3 + 1;
}

const int kLeafLine = __LINE__ + 1;
__attribute__((always_inline)) inline int inlined_leaf(int x) {
  g_inline_return = return_address(); g_leaf_call_line = __LINE__;
  return x + 1;
}

const int kCallerLine = __LINE__ + 1;
__attribute__((noipa)) int inline_caller(int x) {
  const int r = inlined_leaf(x); g_caller_call_line = __LINE__;
  return r * 2;
}

// lfind calls this from inside libc, so its return address is a libc address with line
// information only libc's separate debug file has. (Not qsort: sanitizers intercept it.)
int compare(const void* a, const void* b) {
  if (g_compare_calls++ == 0) g_libc_return = __builtin_return_address(0);
  return *static_cast<const int*>(a) - *static_cast<const int*>(b);
}

}  // namespace waitprof_target

int main(int argc, char** argv) {
  using namespace waitprof_target;
  const bool fork_mode = argc > 1 && std::strcmp(argv[1], "fork") == 0;
  pid_t waiting_child = 0;
  pid_t exited_child = 0;
  if (fork_mode) {
    waiting_child = fork();
    if (waiting_child == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      (void)std::fclose(stdout);
      for (;;) pause();
    }
    exited_child = fork();
    if (exited_child == 0) _exit(0);
    waitpid(exited_child, nullptr, 0);
  }

  int values[] = {5, 3, 9, 1};
  size_t count = 4;
  const int key = 9;
  const void* found = lfind(&key, values, &count, sizeof(int), compare);
  void* main_return = return_address(); const int main_call_line = __LINE__;

  std::printf("pid=%d\n", getpid());
  std::printf("mangled_function=%p\n", reinterpret_cast<void*>(&mangled_function));
  std::printf("mangled_line=%d\n", kMangledLine);
  std::printf("mangled_body_line=%d\n", kMangledLine + 1);
  std::printf("result=%d\n", inline_caller(mangled_function(values[0])));
  std::printf("inline_return=%p\n", g_inline_return);
  std::printf("leaf_call_line=%d\n", g_leaf_call_line);
  std::printf("leaf_line=%d\n", kLeafLine);
  std::printf("caller_call_line=%d\n", g_caller_call_line);
  std::printf("caller_line=%d\n", kCallerLine);
  std::printf("main_return=%p\n", main_return);
  std::printf("main_call_line=%d\n", main_call_line);
  std::printf("libc_return=%p\n", g_libc_return);
  std::printf("found=%d\n", found != nullptr);
  g_big_state.bytes[0] = 1;
  std::printf("big_state=%p\n", static_cast<void*>(&g_big_state));
  std::printf("big_state_size=%zu\n", sizeof(g_big_state));
  if (fork_mode) std::printf("waiting_child=%d\nexited_child=%d\n", waiting_child, exited_child);
  std::printf("ready=1\n");
  (void)std::fclose(stdout);
  for (;;) pause();
}
// clang-format on
