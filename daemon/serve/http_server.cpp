#include "serve/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <atomic>
#include <charconv>
#include <cstring>

namespace waitprof {

struct HttpServer::Impl {
  HttpServerOptions options;
  Handler handler;
  MHD_Daemon* daemon = nullptr;
  std::atomic<unsigned> in_flight{0};
};

namespace {

// Marks the first call of the access handler for a request (headers read, nothing answered).
int kHeadersSeen;

struct Headers {
  size_t count = 0;
  std::string authorization;
};

MHD_Result count_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* h = static_cast<Headers*>(cls);
  ++h->count;
  if (key && strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION) == 0 && value) h->authorization = value;
  return MHD_YES;
}

MHD_Result add_argument(void* cls, MHD_ValueKind, const char* key, const char* value) {
  static_cast<QueryArgs*>(cls)->emplace_back(key ? key : "", value ? value : "");
  return MHD_YES;
}

MHD_Result send(const HttpServer::Impl& impl, MHD_Connection* connection, const HttpResponse& r) {
  if (impl.options.on_response) impl.options.on_response(r.status);
  MHD_Response* response = MHD_create_response_from_buffer(
      r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
  if (!response) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, r.content_type.c_str());
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : r.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  const MHD_Result queued = MHD_queue_response(connection, static_cast<unsigned>(r.status), response);
  MHD_destroy_response(response);
  return queued;
}

HttpResponse plain(int status, std::string message) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(message) + "\n";
  return r;
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char*, const char*, size_t* upload_size, void** request_state) {
  auto* impl = static_cast<HttpServer::Impl*>(cls);
  if (*request_state == nullptr) {
    *request_state = &kHeadersSeen;
    // Nothing here takes a body: refuse it before it is read.
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
      HttpResponse r = plain(405, "method not allowed: only GET and HEAD");
      r.headers.emplace_back(MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
      return send(*impl, connection, r);
    }
    return MHD_YES;
  }
  if (*upload_size != 0) {
    *upload_size = 0;
    return send(*impl, connection, plain(413, "a request body is not accepted"));
  }

  Headers headers;
  MHD_get_connection_values(connection, MHD_HEADER_KIND, count_header, &headers);
  if (headers.count > impl->options.max_headers) {
    return send(*impl, connection, plain(431, "too many header fields: at most " +
                                           std::to_string(impl->options.max_headers)));
  }
  if (!impl->options.token.empty()) {
    static const std::string kBearer = "Bearer ";
    const std::string& given = headers.authorization;
    const bool bearer = given.size() > kBearer.size() && given.compare(0, kBearer.size(), kBearer) == 0;
    if (!bearer || !token_matches(given.substr(kBearer.size()), impl->options.token)) {
      HttpResponse r = plain(401, "unauthorized: send Authorization: Bearer <the token in --token-file>");
      r.headers.emplace_back(MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"waitprof\"");
      return send(*impl, connection, r);
    }
  }
  // Counted after the cheap refusals: only requests that will do work hold a place.
  if (impl->in_flight.fetch_add(1) >= impl->options.max_in_flight) {
    impl->in_flight.fetch_sub(1);
    HttpResponse r = plain(429, "too many requests in flight: at most " +
                                    std::to_string(impl->options.max_in_flight) + "; retry later");
    r.headers.emplace_back("Retry-After", "1");
    return send(*impl, connection, r);
  }
  HttpRequest request{method, url, {}};
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, add_argument, &request.args);
  HttpResponse response = impl->handler(request);
  impl->in_flight.fetch_sub(1);
  return send(*impl, connection, response);
}

std::optional<uint16_t> parse_port(std::string_view text) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size() || v > 65535) {
    return std::nullopt;
  }
  return static_cast<uint16_t>(v);
}

}  // namespace

bool token_matches(const std::string& given, const std::string& expected) {
  const size_t n = std::max(given.size(), expected.size());
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char a = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    const unsigned char b = i < expected.size() ? static_cast<unsigned char>(expected[i]) : 0;
    diff |= a ^ b;
  }
  return diff == 0;
}

Result<ListenAddress> parse_listen_address(const std::string& text) {
  ListenAddress out;
  out.text = text;
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Error{"--listen " + text + ": expected HOST:PORT, e.g. 127.0.0.1:6060"};
  }
  std::string host = text.substr(0, colon);
  std::optional<uint16_t> port = parse_port(std::string_view(text).substr(colon + 1));
  if (!port) return Error{"--listen " + text + ": the port must be a number from 0 to 65535"};
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") host = "127.0.0.1";
  if (host.empty()) host = "0.0.0.0";
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(*port);
    out.length = sizeof(sockaddr_in);
    out.loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(*port);
    out.length = sizeof(sockaddr_in6);
    out.loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
  } else {
    return Error{"--listen " + text + ": " + host + " is not an IP address (or localhost)"};
  }
  return out;
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  if (impl_->daemon) MHD_stop_daemon(impl_->daemon);
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpServerOptions& options,
                                                      Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
  if (options.listen.addr.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  impl->daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, on_request, impl.get(), MHD_OPTION_SOCK_ADDR,
      reinterpret_cast<const sockaddr*>(&options.listen.addr), MHD_OPTION_CONNECTION_LIMIT,
      options.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT, options.max_connections,
      MHD_OPTION_CONNECTION_TIMEOUT, options.idle_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      options.max_request_bytes, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_END);
  if (!impl->daemon) {
    return Error{"cannot listen on " + options.listen.text +
                 ": the address is in use or not this host's (try another --listen port)"};
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const {
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
  return info ? info->port : 0;
}

}  // namespace waitprof
