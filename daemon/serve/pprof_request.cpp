#include "serve/pprof_request.h"

#include <charconv>
#include <map>

namespace waitprof {

namespace {

constexpr std::string_view kPrefix = "/debug/pprof/";

const std::map<std::string, Endpoint, std::less<>>& endpoints_by_name() {
  static const std::map<std::string, Endpoint, std::less<>> kByName{
      {"profile", Endpoint::kProfile}, {"offcpu", Endpoint::kOffcpu},
      {"lock", Endpoint::kLock},       {"block", Endpoint::kBlock},
      {"mutex", Endpoint::kMutex},     {"send", Endpoint::kSend},
      {"goroutine", Endpoint::kGoroutine}};
  return kByName;
}

// A decimal integer, all of `text`, within [lo, hi].
std::optional<int64_t> parse_integer(std::string_view text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || ptr != end || v < lo || v > hi) return std::nullopt;
  return v;
}

// Each comma-separated item of `value` as an id; false on the first that is not one.
bool add_ids(std::string_view value, std::set<int64_t>& out) {
  size_t start = 0;
  for (;;) {
    const size_t comma = value.find(',', start);
    const std::string_view item = value.substr(start, comma - start);
    std::optional<int64_t> id = parse_integer(item, 1, 4'194'304);  // PID_MAX_LIMIT
    if (!id) return false;
    out.insert(*id);
    if (comma == std::string_view::npos) return true;
    start = comma + 1;
  }
}

void add_names(std::string_view value, std::set<std::string>& out) {
  size_t start = 0;
  for (;;) {
    const size_t comma = value.find(',', start);
    if (comma > start) out.emplace(value.substr(start, comma - start));
    if (comma == std::string_view::npos) return;
    start = comma + 1;
  }
}

RequestError bad(std::string message) { return RequestError{400, std::move(message)}; }

}  // namespace

const std::vector<std::string>& served_profile_names() {
  static const std::vector<std::string> kNames{"profile", "block", "mutex", "goroutine",
                                               "offcpu",  "lock",  "send"};
  return kNames;
}

std::variant<PprofRequest, RequestError> parse_pprof_request(std::string_view path,
                                                             const QueryArgs& args,
                                                             const RequestLimits& limits) {
  PprofRequest request;
  if (path == "/metrics") {
    request.endpoint = Endpoint::kMetrics;
    return request;
  }
  if (path == "/" || path == "/debug/pprof") {
    // Go's mux redirects /debug/pprof to the slash form; the index answers both here.
    request.endpoint = Endpoint::kIndex;
    return request;
  }
  if (path.substr(0, kPrefix.size()) != kPrefix) return RequestError{404, "404 page not found"};
  const std::string_view name = path.substr(kPrefix.size());
  if (name.empty()) {
    request.endpoint = Endpoint::kIndex;
  } else {
    auto it = endpoints_by_name().find(name);
    if (it == endpoints_by_name().end()) {
      std::string known;
      for (const std::string& n : served_profile_names()) known += (known.empty() ? "" : ", ") + n;
      // Go answers an unknown name "Unknown profile"; the names served follow.
      return RequestError{404, "Unknown profile: " + std::string(name) + " (served: " + known +
                                   ")"};
    }
    request.endpoint = it->second;
  }

  bool has_debug = false;
  for (const auto& [key, value] : args) {
    if (key == "seconds") {
      std::optional<int64_t> s = parse_integer(value, 1, limits.max_seconds);
      if (!s) {
        return bad("invalid value for \"seconds\" - must be a positive integer of at most " +
                   std::to_string(limits.max_seconds) + " (--max-seconds)");
      }
      request.seconds = *s;
    } else if (key == "debug") {
      std::optional<int64_t> d = parse_integer(value, 0, 2);
      if (!d) return bad("invalid value for \"debug\" - must be 0, 1 or 2");
      request.debug = static_cast<int>(*d);
      has_debug = true;
    } else if (key == "pid") {
      if (!add_ids(value, request.filter.pids)) {
        return bad("invalid value for \"pid\" - must be process ids, comma-separated");
      }
    } else if (key == "tid") {
      if (!add_ids(value, request.filter.tids)) {
        return bad("invalid value for \"tid\" - must be thread ids, comma-separated");
      }
    } else if (key == "process") {
      if (value.empty()) return bad("invalid value for \"process\" - must be a process name");
      add_names(value, request.filter.processes);
    }
    // Anything else is ignored, as Go's handlers ignore parameters they do not take (gc=).
  }
  // Go: a delta profile is binary only.
  if (has_debug && request.seconds > 0 && request.endpoint != Endpoint::kProfile) {
    return bad("seconds and debug params are incompatible");
  }
  if (request.endpoint == Endpoint::kProfile && request.seconds == 0) request.seconds = 30;
  return request;
}

}  // namespace waitprof
