// libFuzzer target for serve's request parsing: the input is "PATH?k=v&k=v…", split as
// libmicrohttpd hands it over (path, then decoded key/value pairs); the parser must answer
// every input with a request or an error, and a request's filter must be usable.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "serve/pprof_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t question = input.find('?');
  const std::string_view path = input.substr(0, question);
  waitprof::QueryArgs args;
  if (question != std::string_view::npos) {
    std::string_view query = input.substr(question + 1);
    while (!query.empty()) {
      const size_t amp = query.find('&');
      const std::string_view pair = query.substr(0, amp);
      const size_t eq = pair.find('=');
      args.emplace_back(std::string(pair.substr(0, eq)),
                        eq == std::string_view::npos ? std::string() : std::string(pair.substr(eq + 1)));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  auto result = waitprof::parse_pprof_request(path, args, waitprof::RequestLimits{600});
  if (auto* r = std::get_if<waitprof::PprofRequest>(&result)) {
    if (r->seconds < 0 || r->seconds > 600 || r->debug < 0 || r->debug > 2) __builtin_trap();
    (void)r->filter.keeps(1, "x", 1);
  } else if (auto* e = std::get_if<waitprof::RequestError>(&result)) {
    if ((e->status != 400 && e->status != 404) || e->message.empty()) __builtin_trap();
  }
  return 0;
}
