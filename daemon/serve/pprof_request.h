// What a request to `waitprof serve` asks for, from its path and query arguments, checked
// against the daemon's limits: Go's /debug/pprof paths and parameters (seconds, debug), plus
// the filters a prefork tree needs (pid, process, tid). No I/O and no dependency but the
// standard library, so the fuzz target (tests/fuzz/pprof_request_fuzz.cpp) builds it alone.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace waitprof {

enum class Endpoint {
  kIndex,      // /debug/pprof/: the HTML page listing the profiles
  kProfile,    // cpu, as Go's /debug/pprof/profile
  kOffcpu,
  kLock,
  kBlock,
  kMutex,
  kSend,
  kGoroutine,  // a snapshot of every target thread (Go's goroutine profile, for threads)
  kMetrics,    // /metrics: the daemon's own figures, Prometheus text
};

// Which samples a request keeps; empty sets keep everything.
struct TargetFilter {
  std::set<int64_t> pids;
  std::set<std::string> processes;  // process names (comm), as the `process` label
  std::set<int64_t> tids;

  bool empty() const { return pids.empty() && processes.empty() && tids.empty(); }
  bool keeps(int64_t pid, const std::string& process, int64_t tid) const {
    return (pids.empty() || pids.count(pid)) && (processes.empty() || processes.count(process)) &&
           (tids.empty() || tids.count(tid));
  }
};

struct PprofRequest {
  Endpoint endpoint = Endpoint::kIndex;
  // Go's `seconds`: a profile of the next N seconds (a delta for block, mutex and the other
  // wait profiles; the cpu profile's duration). 0: not given — cpu then records Go's default
  // 30 s, the wait profiles answer with everything since the daemon started.
  int64_t seconds = 0;
  int debug = 0;  // Go's `debug`: 0 a pprof file, 1 legacy text, 2 (goroutine) every thread
  TargetFilter filter;
};

struct RequestError {
  int status = 400;  // HTTP status: 400 bad argument, 404 unknown path or profile
  std::string message;
};

struct RequestLimits {
  int64_t max_seconds = 600;
};

using QueryArgs = std::vector<std::pair<std::string, std::string>>;

// path: the URL path, percent-decoded, without the query; args: the query's key/value pairs,
// decoded, in order (a key may repeat).
std::variant<PprofRequest, RequestError> parse_pprof_request(std::string_view path,
                                                             const QueryArgs& args,
                                                             const RequestLimits& limits);

// The profile names the index page lists and the 404 message names, in Go's order first.
const std::vector<std::string>& served_profile_names();

}  // namespace waitprof
