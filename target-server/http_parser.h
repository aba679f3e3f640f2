// HTTP/1.1 request parser for the target server. It does no I/O and no allocation: views
// point into the caller's buffer, so a request stays valid only while that buffer does.
#pragma once

#include <cstddef>
#include <string_view>

namespace tsrv {

inline constexpr size_t kMaxHeaders = 64;

// Bounds past which the server answers 431/413 instead of buffering without limit.
struct ParseLimits {
  size_t max_head_bytes = 8192;   // request line + headers + blank line
  size_t max_body_bytes = 65536;  // Content-Length above this is refused
};

struct HttpHeader {
  std::string_view name;
  std::string_view value;  // leading/trailing whitespace trimmed
};

struct HttpRequest {
  std::string_view method;
  std::string_view target;  // request-target as sent, e.g. "/read?x=1"
  int minor_version = 1;    // HTTP/1.<minor_version>
  HttpHeader headers[kMaxHeaders];
  size_t num_headers = 0;
  size_t head_bytes = 0;      // request line + headers + the blank line
  size_t content_length = 0;  // body bytes that follow the head
  bool keep_alive = true;     // HTTP version default, overridden by a Connection header

  // The target without its query string.
  std::string_view path() const;
};

enum class ParseStatus {
  kComplete,      // a whole request (head and body) is in the buffer
  kIncomplete,    // more bytes are needed; call again with the longer buffer
  kInvalid,       // malformed: answer 400 and close
  kHeadTooLarge,  // head exceeds max_head_bytes or kMaxHeaders: answer 431 and close
  kBodyTooLarge,  // Content-Length exceeds max_body_bytes: answer 413 and close
  kUnsupported,   // valid but not served here (Transfer-Encoding): answer 501 and close
};

struct ParseResult {
  ParseStatus status;
  size_t consumed;  // head_bytes + content_length when kComplete, else 0
};

// Parses one request from the start of buf[0, len). `scanned` lets the search for the end of
// the head resume where an earlier call on the same request stopped, so a client that sends
// one byte at a time costs O(n), not O(n^2): pass 0 the first time, and after kIncomplete
// pass req.head_bytes if it is non-zero (the head is complete, the body is not), else len.
// Malformed input is reported once its blank line has arrived (until then: kIncomplete, or
// kHeadTooLarge past the limit), so the result never depends on how the bytes were split.
ParseResult parse_request(const char* buf, size_t len, HttpRequest& req,
                          const ParseLimits& limits = {}, size_t scanned = 0);

}  // namespace tsrv
