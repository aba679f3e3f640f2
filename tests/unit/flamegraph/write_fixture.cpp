// Writes the fixture profile (fixture_profile.h) for the browser test: the flamegraph it sees
// is then rendered by the real `waitprof flamegraph` from a real .pb.gz file.
#include <cstdio>

#include "fixture_profile.h"
#include "pprof/profile_writer.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s OUT.pb.gz\n", argv[0]);
    return 2;
  }
  const waitprof::Status s = waitprof::write_profile(waitprof_test::fixture_profile(), argv[1]);
  if (!s) {
    fprintf(stderr, "write_fixture: %s\n", s.error().message.c_str());
    return 1;
  }
  return 0;
}
