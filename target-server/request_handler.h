// Turns parsed requests into responses: GET/HEAD /read (a random product), GET /stats,
// and the error statuses. Shared read-only by every event loop of a worker.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http_parser.h"
#include "index_picker.h"
#include "output_queue.h"
#include "product_pool.h"
#include "stats_region.h"

namespace tsrv {

class RequestHandler {
 public:
  RequestHandler(const ProductPool& products, RngMode mode, const StatsRegion& stats);

  // Queues the response to `req`; returns false when the connection must close after it.
  bool handle(const HttpRequest& req, OutputQueue& out, ThreadCounters& counters) const;

  // The response for a request the parser refused; the connection closes after it.
  static std::string_view error_response(ParseStatus status);

 private:
  bool serve_read(const HttpRequest& req, bool head_only, OutputQueue& out,
                  ThreadCounters& counters) const;
  bool serve_stats(const HttpRequest& req, bool head_only, OutputQueue& out) const;
  static void push_dynamic(OutputQueue& out, std::string_view json_body,
                           std::string_view connection, bool head_only);
  size_t pick_product_index(ThreadCounters& counters) const;

  // Whole HTTP/1.1 keep-alive responses, head and body, built once at startup.
  std::vector<std::string> read_responses_;
  std::vector<size_t> read_head_bytes_;
  RngMode mode_;
  const StatsRegion& stats_;
};

}  // namespace tsrv
