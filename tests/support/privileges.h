// Tests that load BPF need root. Elsewhere they skip; under CI=true a skip would hide that
// nothing was proven, so it fails instead.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace waitprof_test {

inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci && std::strcmp(ci, "true") == 0;
}

}  // namespace waitprof_test

#define REQUIRE_ROOT_OR_SKIP()                                                                   \
  do {                                                                                           \
    if (geteuid() != 0) {                                                                        \
      if (waitprof_test::running_in_ci()) FAIL() << "CI=true but not root: BPF test cannot run"; \
      GTEST_SKIP() << "needs root to load BPF programs";                                         \
    }                                                                                            \
  } while (0)
