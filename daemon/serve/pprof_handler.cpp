#include "serve/pprof_handler.h"

#include <malloc.h>

#include <chrono>

#include "pprof/profile_writer.h"
#include "record/recording_session.h"
#include "serve/profile_text.h"

namespace waitprof {

namespace {

// Go's serveError: the status, a text body, and a header that tells pprof clients the
// error is the server's answer, not a proxy's.
HttpResponse go_error(int status, const std::string& message) {
  HttpResponse r;
  r.status = status;
  r.body = message + "\n";
  r.headers.emplace_back("X-Go-Pprof", "1");
  return r;
}

HttpResponse profile_bytes(const perftools::profiles::Profile& profile, const char* name) {
  Result<std::string> bytes = encode_profile(profile);
  if (!bytes) return go_error(500, std::string("encoding the profile: ") + bytes.error().message);
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.headers.emplace_back("Content-Disposition", std::string("attachment; filename=\"") + name + "\"");
  r.body = std::move(*bytes);
  return r;
}

HttpResponse text(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

struct Described {
  const char* name;
  ProfileKind kind;
  const char* what;
};

// The index's profiles: Go's names for Go's profiles, ours beside them.
constexpr Described kWindowProfiles[] = {
    {"block", ProfileKind::kBlock,
     "Every synchronization wait (locks, condition variables, joins, semaphores, barriers), "
     "charged to the waiter's stack, as Go's block profile"},
    {"mutex", ProfileKind::kMutex,
     "Lock waits charged to the stack of the thread that released the lock, as Go's mutex "
     "profile"},
    {"lock", ProfileKind::kLock, "Lock waits only (mutex, rwlock, the program's own futex locks), "
     "charged to the waiter"},
    {"offcpu", ProfileKind::kOffcpu,
     "All time off CPU, labelled with state, syscall and what it waited for"},
    {"send", ProfileKind::kSend, "Bytes handed to TCP, by the sender's stack"},
};

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

}  // namespace

void PprofHandler::stop() {
  std::lock_guard lock(mu_);
  stopped_ = true;
  stopped_cv_.notify_all();
}

void PprofHandler::wait_until(uint64_t until_ns) {
  std::unique_lock lock(mu_);
  for (;;) {
    const uint64_t now = monotonic_ns();
    if (stopped_ || now >= until_ns) return;
    stopped_cv_.wait_for(lock, std::chrono::nanoseconds(until_ns - now));
  }
}

void PprofHandler::count_response(int status) {
  std::lock_guard lock(mu_);
  ++responses_by_status_[status];
}

HttpResponse PprofHandler::handle(const HttpRequest& request) {
  const uint64_t begun = monotonic_ns();
  std::variant<PprofRequest, RequestError> parsed =
      parse_pprof_request(request.path, request.args, limits_);
  HttpResponse response;
  if (const RequestError* e = std::get_if<RequestError>(&parsed)) {
    response = go_error(e->status, e->message);
  } else {
    response = answer(std::get<PprofRequest>(parsed));
  }
  // What building the answer took goes back to the system now, not at some later request
  // (serve_command.cpp: malloc arenas).
  malloc_trim(0);
  std::lock_guard lock(mu_);
  response_seconds_ += static_cast<double>(monotonic_ns() - begun) / 1e9;
  return response;
}

HttpResponse PprofHandler::answer(const PprofRequest& request) {
  switch (request.endpoint) {
    case Endpoint::kIndex: return index();
    case Endpoint::kMetrics: {
      HttpResponse r = text(metrics());
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return r;
    }
    case Endpoint::kGoroutine: return goroutine(request);
    case Endpoint::kProfile: {
      // Go allows one CPU profile at a time and says so; overlapping requests of other
      // profiles are fine.
      if (cpu_in_use_.exchange(true)) {
        return go_error(500, "Could not enable CPU profiling: cpu profiling already in use");
      }
      HttpResponse r = window_profile(request, ProfileKind::kCpu, "profile");
      cpu_in_use_ = false;
      return r;
    }
    case Endpoint::kOffcpu: return window_profile(request, ProfileKind::kOffcpu, "offcpu");
    case Endpoint::kLock: return window_profile(request, ProfileKind::kLock, "lock");
    case Endpoint::kBlock: return window_profile(request, ProfileKind::kBlock, "block");
    case Endpoint::kMutex: return window_profile(request, ProfileKind::kMutex, "mutex");
    case Endpoint::kSend: return window_profile(request, ProfileKind::kSend, "send");
  }
  return go_error(404, "Unknown profile");
}

HttpResponse PprofHandler::window_profile(const PprofRequest& request, ProfileKind kind,
                                          const char* name) {
  if (!live_.records(kind)) {
    return go_error(404, std::string("Unknown profile: ") + name +
                             " is not recorded (start waitprof serve with it in --profiles)");
  }
  Result<Reading> from = request.seconds > 0 ? live_.read() : Result<Reading>(live_.at_start());
  if (!from) return go_error(500, "reading the profile maps: " + from.error().message);
  if (request.seconds > 0) {
    wait_until(from->monotonic_ns + static_cast<uint64_t>(request.seconds) * 1'000'000'000ull);
  }
  Result<Reading> to = live_.read();
  if (!to) return go_error(500, "reading the profile maps: " + to.error().message);
  Result<perftools::profiles::Profile> profile = live_.profile(kind, *from, *to, request.filter);
  if (!profile) return go_error(500, "building the profile: " + profile.error().message);
  if (request.debug > 0 && kind != ProfileKind::kCpu) return text(contention_text(*profile));
  return profile_bytes(*profile, name);
}

HttpResponse PprofHandler::goroutine(const PprofRequest& request) {
  Result<ThreadSnapshot> snapshot = live_.threads(request.filter);
  if (!snapshot) return go_error(500, "reading the threads: " + snapshot.error().message);
  if (request.debug > 0) return text(goroutine_text(*snapshot, request.debug));
  return profile_bytes(snapshot->profile, "goroutine");
}

HttpResponse PprofHandler::index() {
  std::string rows;
  auto row = [&](const std::string& count, const std::string& href, const std::string& name) {
    rows += "<tr><td>" + count + "</td><td><a href='" + href + "'>" + name + "</a></td></tr>\n";
  };
  Result<ThreadSnapshot> threads = live_.threads(TargetFilter{});
  const std::string thread_count =
      threads ? std::to_string(threads->profile.sample_size() + threads->running.size()) : "?";
  std::string descriptions;
  auto describe = [&](const std::string& name, const std::string& what) {
    descriptions += "<li><div class=profile-name>" + name + ": </div> " + html_escape(what) +
                    "</li>\n";
  };
  for (const Described& d : kWindowProfiles) {
    if (!live_.records(d.kind)) continue;
    row("", std::string(d.name) + "?debug=1", d.name);
    describe(d.name, d.what);
  }
  row(thread_count, "goroutine?debug=1", "goroutine");
  describe("goroutine", "Every target thread now: each blocked thread's stack, state, syscall "
                        "and wait kind (Go's goroutine profile, for threads)");
  if (live_.records(ProfileKind::kCpu)) {
    row("", "profile?seconds=30", "profile");
    describe("profile", "CPU profile of every target process. You can specify the duration "
                        "in the seconds GET parameter. After you get the profile file, use "
                        "the go tool pprof command to investigate the profile.");
  }
  HttpResponse r;
  r.content_type = "text/html; charset=utf-8";
  r.body = "<html>\n<head>\n<title>/debug/pprof/</title>\n<style>\n.profile-name{\n\tdisplay:"
           "inline-block;\n\twidth:6rem;\n}\n</style>\n</head>\n<body>\n/debug/pprof/\n<br>\n"
           "<p>waitprof serve: the profiles of every target process. Set debug=1 as a query "
           "parameter to export in legacy text format; seconds=N for the next N seconds; "
           "pid=, process=, tid= to keep some processes or threads.</p>\n<br>\n"
           "Types of profiles available:\n<table>\n<thead><td>Count</td><td>Profile</td>"
           "</thead>\n" + rows + "</table>\n<a href=\"goroutine?debug=2\">full goroutine stack "
           "dump</a>\n<br>\n<p>\nProfile Descriptions:\n<ul>\n" + descriptions +
           "</ul>\n</p>\n</body>\n</html>\n";
  return r;
}

std::string PprofHandler::metrics() {
  std::string out = live_.metrics();
  std::lock_guard lock(mu_);
  out += "# HELP waitprof_http_responses_total Responses sent, by HTTP status.\n"
         "# TYPE waitprof_http_responses_total counter\n";
  for (const auto& [status, n] : responses_by_status_) {
    out += "waitprof_http_responses_total{code=\"" + std::to_string(status) + "\"} " +
           std::to_string(n) + "\n";
  }
  char seconds[32];
  snprintf(seconds, sizeof(seconds), "%.6f", response_seconds_);
  out += "# HELP waitprof_http_response_seconds_total Time spent answering, summed (a profile "
         "request's includes its seconds= wait).\n# TYPE waitprof_http_response_seconds_total "
         "counter\nwaitprof_http_response_seconds_total " + std::string(seconds) + "\n";
  return out;
}

}  // namespace waitprof
