// Answers `waitprof serve`'s requests as Go's net/http/pprof answers them: the same paths,
// parameters, content types, file names and error texts, for every process of the tree.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>

#include "serve/http_server.h"
#include "serve/live_recording.h"
#include "serve/pprof_request.h"

namespace waitprof {

class PprofHandler {
 public:
  PprofHandler(LiveRecording& live, RequestLimits limits) : live_(live), limits_(limits) {}

  HttpResponse handle(const HttpRequest& request);

  // Ends every wait for `seconds` now: requests in progress answer with what their window
  // holds so far (the daemon is stopping).
  void stop();

  // Counts a response sent (HttpServerOptions::on_response).
  void count_response(int status);

 private:
  HttpResponse answer(const PprofRequest& request);
  HttpResponse window_profile(const PprofRequest& request, ProfileKind kind, const char* name);
  HttpResponse goroutine(const PprofRequest& request);
  HttpResponse index();
  std::string metrics();
  // Sleeps until `until_ns` (CLOCK_MONOTONIC) or stop().
  void wait_until(uint64_t until_ns);

  LiveRecording& live_;
  RequestLimits limits_;
  std::atomic<bool> cpu_in_use_{false};
  std::mutex mu_;
  std::condition_variable stopped_cv_;
  bool stopped_ = false;
  std::map<int, uint64_t> responses_by_status_;
  double response_seconds_ = 0;
};

}  // namespace waitprof
