// The daemon's HTTP side, on GNU libmicrohttpd (Debian's libmicrohttpd: a small, fuzzed,
// security-maintained server library, what systemd-journal-remote serves with): it parses
// requests and answers malformed ones with 400 itself, bounds each connection's memory and
// idle time, and gives each connection its own thread, so a profile request that waits
// `seconds` or a stalled client never holds up another. What is ours: the access policy (a
// bearer token compared in constant time), the limits on headers and requests in flight, and
// the routing (pprof_handler.h).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "serve/pprof_request.h"
#include "util/result.h"

struct MHD_Daemon;

namespace waitprof {

struct HttpRequest {
  std::string method;
  std::string path;  // decoded, without the query
  QueryArgs args;    // decoded
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// "127.0.0.1:6060", "[::1]:6060", "localhost:6060", ":6060" or "0.0.0.0:6060" (every address).
struct ListenAddress {
  sockaddr_storage addr{};
  socklen_t length = 0;
  bool loopback = false;
  std::string text;
};
Result<ListenAddress> parse_listen_address(const std::string& text);

struct HttpServerOptions {
  ListenAddress listen;
  std::string token;  // empty: no Authorization needed
  unsigned max_connections = 32;
  unsigned max_in_flight = 16;      // requests being answered at once; more get 429
  unsigned idle_timeout_s = 15;     // a connection that sends nothing this long is closed
  size_t max_request_bytes = 32768;  // request line and headers (a GET has no body)
  size_t max_headers = 64;
  // Told the status of every response sent, the server's own refusals (401, 405, 429, 431)
  // included, for /metrics.
  std::function<void(int status)> on_response;
};

// Whether `given` equals `expected`, in time that depends only on their lengths' maximum.
bool token_matches(const std::string& given, const std::string& expected);

class HttpServer {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;
  static Result<std::unique_ptr<HttpServer>> start(const HttpServerOptions& options,
                                                   Handler handler);
  ~HttpServer();  // stops accepting and waits for the connections' threads
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;  // the bound port (useful with port 0)

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace waitprof
