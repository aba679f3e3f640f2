// Single-pass HTTP/1.x head parser.
//
// Errors are only reported once the end of the head is known to be in the buffer. Reporting
// them earlier would make the result depend on how the bytes arrived (with a `scanned` hint the
// prefix is never re-validated), and the contract is that the hint changes cost, never results.
// Until the head is complete the answer is therefore always kIncomplete or kHeadTooLarge.
//
// Contract for `scanned`: it must not exceed the length of a buffer on which an earlier call
// found no end of head. After a kIncomplete whose head was complete (req.head_bytes != 0,
// body still missing), pass req.head_bytes, not the old length: the bytes past the head are
// body, and searching them for a blank line would never find the head again.

#include "http_parser.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

namespace tsrv {

std::string_view HttpRequest::path() const {
  return target.substr(0, target.find('?'));
}

namespace {

constexpr std::array<bool, 256> make_tchar_table() {
  std::array<bool, 256> t{};
  for (unsigned c = '0'; c <= '9'; ++c) {
    t[c] = true;
  }
  for (unsigned c = 'a'; c <= 'z'; ++c) {
    t[c] = true;
  }
  for (unsigned c = 'A'; c <= 'Z'; ++c) {
    t[c] = true;
  }
  for (char c : std::string_view("!#$%&'*+-.^_`|~")) {
    t[static_cast<unsigned char>(c)] = true;
  }
  return t;
}
constexpr std::array<bool, 256> kTchar = make_tchar_table();

inline bool is_tchar(char c) {
  return kTchar[static_cast<unsigned char>(c)];
}

// [b, e) as a view; e >= b always holds at the call sites.
inline std::string_view span(const char* b, const char* e) {
  return {b, static_cast<size_t>(e - b)};
}

constexpr uint64_t kOnes = 0x0101010101010101ULL;
constexpr uint64_t kHighs = 0x8080808080808080ULL;

// Word-at-a-time test for "some byte is < Below or is DEL". The classic has-less-than trick is
// exact for Below <= 128 and ignores bytes >= 0x80, which are allowed (obs-text).
template <unsigned Below>
inline bool word_has_stop(uint64_t x) {
  static_assert(Below <= 128);
  const uint64_t below = (x - kOnes * Below) & ~x & kHighs;
  const uint64_t y = x ^ (kOnes * 0x7f);
  const uint64_t del = (y - kOnes) & ~y & kHighs;
  return (below | del) != 0;
}

// First byte in [p, end) that is < Below or DEL, or end. Targets and header values are the
// long fields of a request, so they get 8 bytes per step; loads never cross `end`, which the
// guard-page tests rely on.
template <unsigned Below>
inline const char* find_stop(const char* p, const char* end) {
  while (end - p >= 8) {
    uint64_t x;
    std::memcpy(&x, p, sizeof x);
    if (word_has_stop<Below>(x)) {
      break;
    }
    p += 8;
  }
  for (; p < end; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c < Below || c == 0x7f) {
      break;
    }
  }
  return p;
}

// Offset just past the first blank line ("\n\n" or "\n\r\n") that starts at or after `from`
// and ends within `limit`, or 0. A blank line is exactly what the line parser treats as the
// end of the head, so both always agree on where it is.
size_t find_head_end(const char* buf, size_t from, size_t limit) {
  const char* p = buf + from;
  const char* const end = buf + limit;
  while (p < end) {
    const auto* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (nl == nullptr) {
      return 0;
    }
    const char* q = nl + 1;
    if (q < end && *q == '\r') {
      ++q;
    }
    if (q < end && *q == '\n') {
      return static_cast<size_t>(q + 1 - buf);
    }
    p = nl + 1;
  }
  return 0;
}

inline char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

// `lower` must already be lower case.
bool iequals(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) {
    return false;
  }
  for (size_t i = 0; i < s.size(); ++i) {
    if (ascii_lower(s[i]) != lower[i]) {
      return false;
    }
  }
  return true;
}

inline bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && is_ows(s.front())) {
    s.remove_prefix(1);
  }
  while (!s.empty() && is_ows(s.back())) {
    s.remove_suffix(1);
  }
  return s;
}

// Digits only: a sign, spaces or a list ("5, 5") could be read differently by a proxy in front
// of us, which is how request smuggling starts.
bool parse_content_length(std::string_view v, uint64_t& out) {
  if (v.empty()) {
    return false;
  }
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') {
      return false;
    }
    const auto d = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - d) / 10) {
      return false;
    }
    n = n * 10 + d;
  }
  out = n;
  return true;
}

struct ConnectionTokens {
  bool close = false;
  bool keep_alive = false;
};

void scan_connection(std::string_view v, ConnectionTokens& tokens) {
  while (!v.empty()) {
    const size_t comma = v.find(',');
    const std::string_view tok = trim_ows(v.substr(0, comma));
    if (iequals(tok, "close")) {
      tokens.close = true;
    } else if (iequals(tok, "keep-alive")) {
      tokens.keep_alive = true;
    }
    if (comma == std::string_view::npos) {
      break;
    }
    v.remove_prefix(comma + 1);
  }
}

void reset(HttpRequest& req) {
  req.method = {};
  req.target = {};
  req.minor_version = 1;
  req.num_headers = 0;  // entries past num_headers are stale by design: clearing 64 is waste
  req.head_bytes = 0;
  req.content_length = 0;
  req.keep_alive = true;
}

}  // namespace

ParseResult parse_request(const char* buf, size_t len, HttpRequest& req, const ParseLimits& limits,
                          size_t scanned) {
  reset(req);
  const size_t limit = std::min(len, limits.max_head_bytes);

  // No blank line within the limit: either wait for more or give up, depending only on len.
  const auto no_head = [&]() -> ParseResult {
    reset(req);
    return {len > limits.max_head_bytes ? ParseStatus::kHeadTooLarge : ParseStatus::kIncomplete, 0};
  };

  // Everything before scanned - 3 was already searched without finding a blank line; a
  // "\r\n\r\n" split across the two calls can start at most 3 bytes back.
  if (scanned > 3) {
    if (find_head_end(buf, std::min(scanned - 3, limit), limit) == 0) {
      return no_head();
    }
  }

  const char* p = buf;
  const char* const end = buf + limit;
  const char* line = buf;

  // A problem in the current line only counts once the head is known to be complete. Lines
  // before `line` were non-empty, so a blank line can only start at the '\n' ending the
  // previous one. Running out of bytes also lands here: the search then finds nothing.
  const auto fail = [&](ParseStatus status) -> ParseResult {
    const size_t from = line == buf ? 0 : static_cast<size_t>(line - buf) - 1;
    if (find_head_end(buf, from, limit) == 0) {
      return no_head();
    }
    return {status, 0};
  };

  // Request line: method SP target SP HTTP/1.x
  while (p < end && is_tchar(*p)) {
    ++p;
  }
  if (p == end || p == buf || *p != ' ') {
    return fail(ParseStatus::kInvalid);
  }
  req.method = span(buf, p);
  const char* const target = ++p;
  p = find_stop<0x21>(p, end);  // stops at SP and at any CTL
  if (p == end || p == target || *p != ' ') {
    return fail(ParseStatus::kInvalid);
  }
  req.target = span(target, p);
  ++p;
  if (end - p < 9 || std::memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1')) {
    return fail(ParseStatus::kInvalid);
  }
  req.minor_version = p[7] - '0';
  p += 8;
  if (*p == '\r') {
    ++p;
  }
  if (p == end || *p != '\n') {
    return fail(ParseStatus::kInvalid);
  }
  ++p;

  bool have_length = false;
  uint64_t content_length = 0;
  bool has_transfer_encoding = false;
  ConnectionTokens conn;

  for (;;) {
    line = p;
    if (p == end) {
      return no_head();
    }
    if (*p == '\n') {
      ++p;
      break;
    }
    if (*p == '\r') {
      if (end - p >= 2 && p[1] == '\n') {
        p += 2;
        break;
      }
      return fail(ParseStatus::kInvalid);
    }
    if (req.num_headers == kMaxHeaders) {
      return fail(ParseStatus::kHeadTooLarge);
    }

    // Name, then ':' with nothing in between: "Name : v" is rejected because proxies disagree
    // on it. A leading SP/HTAB (obs-fold) fails here too, as it is not a tchar.
    const char* const name = p;
    while (p < end && is_tchar(*p)) {
      ++p;
    }
    if (p == end || p == name || *p != ':') {
      return fail(ParseStatus::kInvalid);
    }
    const std::string_view name_sv = span(name, p);
    ++p;
    while (p < end && is_ows(*p)) {
      ++p;
    }
    const char* const value = p;
    for (;;) {
      p = find_stop<0x20>(p, end);
      if (p == end || *p != '\t') {
        break;
      }
      ++p;
    }
    if (p == end) {
      return no_head();
    }
    const char* value_end = p;
    if (*p == '\r') {
      ++p;
    }
    if (p == end || *p != '\n') {
      return fail(ParseStatus::kInvalid);
    }
    ++p;
    while (value_end > value && is_ows(value_end[-1])) {
      --value_end;
    }
    const std::string_view value_sv = span(value, value_end);
    req.headers[req.num_headers++] = HttpHeader{name_sv, value_sv};

    // Dispatch on length first: most headers match none of the three sizes.
    switch (name_sv.size()) {
      case 14:
        if (iequals(name_sv, "content-length")) {
          uint64_t n = 0;
          if (!parse_content_length(value_sv, n)) {
            return fail(ParseStatus::kInvalid);
          }
          if (have_length && n != content_length) {
            return fail(ParseStatus::kInvalid);
          }
          have_length = true;
          content_length = n;
        }
        break;
      case 17:
        if (iequals(name_sv, "transfer-encoding")) {
          has_transfer_encoding = true;
        }
        break;
      case 10:
        if (iequals(name_sv, "connection")) {
          scan_connection(value_sv, conn);
        }
        break;
      default:
        break;
    }
  }

  const auto head_bytes = static_cast<size_t>(p - buf);
  req.head_bytes = head_bytes;
  // "close" wins over "keep-alive" if a client sends both: closing is always safe.
  req.keep_alive = conn.close ? false : (conn.keep_alive || req.minor_version == 1);

  // Reported even when refused, so a 413 can be logged with the size that was asked for.
  req.content_length = static_cast<size_t>(std::min<uint64_t>(content_length, SIZE_MAX));
  if (has_transfer_encoding) {
    return {ParseStatus::kUnsupported, 0};
  }
  if (content_length > limits.max_body_bytes) {
    return {ParseStatus::kBodyTooLarge, 0};
  }
  if (len - head_bytes < req.content_length) {
    return {ParseStatus::kIncomplete, 0};
  }
  return {ParseStatus::kComplete, head_bytes + req.content_length};
}

}  // namespace tsrv
