#include "request_handler.h"

namespace tsrv {

namespace {

constexpr std::string_view kServerHeader = "Server: target-server\r\n";

std::string make_response(std::string_view status, std::string_view content_type,
                          std::string_view body, std::string_view connection = {}) {
  std::string r;
  r.reserve(160 + body.size());
  r += "HTTP/1.1 ";
  r += status;
  r += "\r\n";
  r += kServerHeader;
  r += "Content-Type: ";
  r += content_type;
  r += "\r\nContent-Length: ";
  r += std::to_string(body.size());
  r += "\r\n";
  if (!connection.empty()) {
    r += "Connection: ";
    r += connection;
    r += "\r\n";
  }
  r += "\r\n";
  r += body;
  return r;
}

std::string error_with_close(std::string_view status) {
  std::string body(status);
  body += "\n";
  return make_response(status, "text/plain", body, "close");
}

// Static: built on first use, alive for the process, so they can be queued by reference.
const std::string kBadRequest = error_with_close("400 Bad Request");
const std::string kNotFound = make_response("404 Not Found", "text/plain", "404 Not Found\n");
const std::string kMethodNotAllowed = error_with_close("405 Method Not Allowed");
const std::string kPayloadTooLarge = error_with_close("413 Content Too Large");
const std::string kHeadersTooLarge = error_with_close("431 Request Header Fields Too Large");
const std::string kNotImplemented = error_with_close("501 Not Implemented");

// What the head must say about the connection: nothing for the HTTP/1.1 default.
std::string_view connection_header(const HttpRequest& req) {
  if (!req.keep_alive) return "close";
  return req.minor_version == 0 ? "keep-alive" : std::string_view{};
}

}  // namespace

RequestHandler::RequestHandler(const ProductPool& products, RngMode mode, const StatsRegion& stats)
    : mode_(mode), stats_(stats) {
  read_responses_.reserve(products.size());
  for (size_t i = 0; i < products.size(); ++i) {
    std::string r = make_response("200 OK", "application/json", products.json(i));
    read_head_bytes_.push_back(r.size() - products.json(i).size());
    read_responses_.push_back(std::move(r));
  }
}

std::string_view RequestHandler::error_response(ParseStatus status) {
  switch (status) {
    case ParseStatus::kHeadTooLarge:
      return kHeadersTooLarge;
    case ParseStatus::kBodyTooLarge:
      return kPayloadTooLarge;
    case ParseStatus::kUnsupported:
      return kNotImplemented;
    default:
      return kBadRequest;
  }
}

bool RequestHandler::handle(const HttpRequest& req, OutputQueue& out,
                            ThreadCounters& counters) const {
  ThreadCounters::add(counters.requests, 1);
  const bool is_get = req.method == "GET";
  const bool is_head = req.method == "HEAD";
  const std::string_view path = req.path();
  if (path == "/read" || path == "/stats") {
    if (!is_get && !is_head) {
      out.push_borrowed(kMethodNotAllowed);
      return false;
    }
    return path == "/read" ? serve_read(req, is_head, out, counters)
                           : serve_stats(req, is_head, out);
  }
  out.push_borrowed(kNotFound);
  return req.keep_alive;
}

// noinline on the request path: these frames are the call chain the profiler's lock and
// send stacks are checked against.
__attribute__((noinline)) size_t RequestHandler::pick_product_index(
    ThreadCounters& counters) const {
  const size_t n = read_responses_.size();
  return mode_ == RngMode::kLocked ? g_product_rng.next_index(n, counters)
                                   : g_product_index_pool.next_index();
}

__attribute__((noinline)) bool RequestHandler::serve_read(const HttpRequest& req, bool head_only,
                                                          OutputQueue& out,
                                                          ThreadCounters& counters) const {
  const size_t i = pick_product_index(counters);
  const std::string_view response = read_responses_[i];
  const std::string_view connection = connection_header(req);
  if (connection.empty()) {
    out.push_borrowed(head_only ? response.substr(0, read_head_bytes_[i]) : response);
    return true;
  }
  push_dynamic(out, response.substr(read_head_bytes_[i]), connection, head_only);
  return req.keep_alive;
}

bool RequestHandler::serve_stats(const HttpRequest& req, bool head_only, OutputQueue& out) const {
  push_dynamic(out, stats_.to_json(), connection_header(req), head_only);
  return req.keep_alive;
}

void RequestHandler::push_dynamic(OutputQueue& out, std::string_view json_body,
                                  std::string_view connection, bool head_only) {
  std::string r = make_response("200 OK", "application/json", json_body, connection);
  if (head_only) r.resize(r.size() - json_body.size());  // HEAD: same head, no body
  out.push_owned(std::move(r));
}

}  // namespace tsrv
