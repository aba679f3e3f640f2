// libFuzzer target for parse_request: memory safety comes from ASan/UBSan, the rest from the
// invariants below, which abort() so the fuzzer keeps the input.

#include "http_parser.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

using tsrv::HttpRequest;
using tsrv::ParseLimits;
using tsrv::ParseResult;
using tsrv::ParseStatus;

#define FUZZ_CHECK(cond)                                                               \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      (void)std::fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

bool inside(std::string_view v, const char* buf, size_t len) {
  const auto lo = reinterpret_cast<uintptr_t>(buf);
  const auto p = reinterpret_cast<uintptr_t>(v.data());
  if (v.data() == nullptr) {
    return v.empty();
  }
  return p >= lo && p - lo <= len && v.size() <= len - (p - lo);
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

void check_result(const char* buf, size_t len, const HttpRequest& req, const ParseResult& r,
                  const ParseLimits& limits) {
  FUZZ_CHECK(r.consumed <= len);
  FUZZ_CHECK(req.num_headers <= tsrv::kMaxHeaders);
  FUZZ_CHECK(inside(req.method, buf, len));
  FUZZ_CHECK(inside(req.target, buf, len));
  for (size_t i = 0; i < req.num_headers; ++i) {
    FUZZ_CHECK(inside(req.headers[i].name, buf, len));
    FUZZ_CHECK(inside(req.headers[i].value, buf, len));
  }
  if (r.status != ParseStatus::kComplete) {
    FUZZ_CHECK(r.consumed == 0);
    // While waiting for the head, no half-parsed request may leak out.
    if (r.status == ParseStatus::kIncomplete && req.head_bytes == 0) {
      FUZZ_CHECK(req.num_headers == 0 && req.method.empty());
    }
    // These two are decided from a complete head only.
    if (r.status == ParseStatus::kUnsupported || r.status == ParseStatus::kBodyTooLarge) {
      FUZZ_CHECK(req.head_bytes != 0 && req.head_bytes <= limits.max_head_bytes);
    }
    if (r.status == ParseStatus::kBodyTooLarge) {
      FUZZ_CHECK(req.content_length > limits.max_body_bytes);
    }
    return;
  }

  FUZZ_CHECK(r.consumed == req.head_bytes + req.content_length);
  FUZZ_CHECK(req.head_bytes <= limits.max_head_bytes);
  FUZZ_CHECK(req.content_length <= limits.max_body_bytes);
  FUZZ_CHECK(req.minor_version == 0 || req.minor_version == 1);
  FUZZ_CHECK(!req.method.empty() && !req.target.empty());
  FUZZ_CHECK(req.method.data() == buf);
  FUZZ_CHECK(req.path().data() == req.target.data() && req.path().size() <= req.target.size());
  // The head ends with a blank line, and that blank line is the first one.
  const std::string_view head(buf, req.head_bytes);
  FUZZ_CHECK(head.size() >= 2 && head.back() == '\n');
  FUZZ_CHECK(head[head.size() - 2] == '\n' ||
             (head.size() >= 3 && head[head.size() - 2] == '\r' && head[head.size() - 3] == '\n'));
  const size_t first_lflf = head.find("\n\n");
  const size_t first_lfcrlf = head.find("\n\r\n");
  FUZZ_CHECK(first_lflf == std::string_view::npos || first_lflf + 2 == head.size());
  FUZZ_CHECK(first_lfcrlf == std::string_view::npos || first_lfcrlf + 3 == head.size());
  for (size_t i = 0; i < req.num_headers; ++i) {
    const std::string_view name = req.headers[i].name;
    const std::string_view value = req.headers[i].value;
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(value.empty() || (!is_ows(value.front()) && !is_ows(value.back())));
    for (char c : name) {
      FUZZ_CHECK(c > 0x20 && c < 0x7f && c != ':');
    }
    for (char c : value) {
      const auto u = static_cast<unsigned char>(c);
      FUZZ_CHECK((u >= 0x20 && u != 0x7f) || c == '\t');
    }
  }
  for (char c : req.target) {
    FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && c != 0x7f);
  }
}

void check_same(const ParseResult& a, const HttpRequest& ra, const ParseResult& b,
                const HttpRequest& rb) {
  FUZZ_CHECK(a.status == b.status);
  FUZZ_CHECK(a.consumed == b.consumed);
  FUZZ_CHECK(ra.head_bytes == rb.head_bytes);
  if (a.status != ParseStatus::kComplete) {
    return;
  }
  FUZZ_CHECK(ra.content_length == rb.content_length);
  FUZZ_CHECK(ra.keep_alive == rb.keep_alive);
  FUZZ_CHECK(ra.minor_version == rb.minor_version);
  FUZZ_CHECK(ra.num_headers == rb.num_headers);
  FUZZ_CHECK(ra.method == rb.method && ra.target == rb.target);
}

// The scanned contract a server follows: the previous length while the head is incomplete,
// the head size once only the body is missing.
size_t next_hint(const HttpRequest& req, size_t len) {
  return req.head_bytes != 0 ? req.head_bytes : len;
}

// Delivers buf one byte at a time with hints. The verdict must be the single-call one, and
// reached on the same prefix: once the head is in, later bytes cannot change it.
void check_bytewise(const char* buf, size_t len, const ParseLimits& limits,
                    const ParseResult& expected, const HttpRequest& expected_req) {
  HttpRequest req;
  size_t scanned = 0;
  for (size_t n = 0; n <= len; ++n) {
    const ParseResult r = tsrv::parse_request(buf, n, req, limits, scanned);
    check_result(buf, n, req, r, limits);
    if (r.status != ParseStatus::kIncomplete) {
      check_same(r, req, expected, expected_req);
      return;
    }
    scanned = next_hint(req, n);
  }
  FUZZ_CHECK(expected.status == ParseStatus::kIncomplete);
}

// One hint from an arbitrary earlier prefix, checked against scanned = 0 on the whole buffer.
void check_hint_from_prefix(const char* buf, size_t len, size_t prefix, const ParseLimits& limits,
                            const ParseResult& expected, const HttpRequest& expected_req) {
  HttpRequest req;
  const ParseResult earlier = tsrv::parse_request(buf, prefix, req, limits, 0);
  if (earlier.status != ParseStatus::kIncomplete) {
    return;
  }
  const size_t hint = next_hint(req, prefix);
  const ParseResult r = tsrv::parse_request(buf, len, req, limits, hint);
  check_result(buf, len, req, r, limits);
  check_same(r, req, expected, expected_req);
}

void walk(const char* data, size_t size, const ParseLimits& limits) {
  HttpRequest req;  // reused on purpose: every call must reset it
  size_t off = 0;
  for (int i = 0; i < 64 && off <= size; ++i) {
    const char* buf = data + off;
    const size_t len = size - off;
    const ParseResult r = tsrv::parse_request(buf, len, req, limits, 0);
    check_result(buf, len, req, r, limits);

    HttpRequest again;
    check_same(tsrv::parse_request(buf, len, again, limits, 0), again, r, req);
    if (len <= 4096) {
      check_bytewise(buf, len, limits, r, req);
    }
    check_hint_from_prefix(buf, len, len / 2, limits, r, req);
    check_hint_from_prefix(buf, len, len > 0 ? len - 1 : 0, limits, r, req);
    if (req.head_bytes > 0) {
      check_hint_from_prefix(buf, len, req.head_bytes - 1, limits, r, req);
    }

    if (r.status != ParseStatus::kComplete) {
      return;
    }
    FUZZ_CHECK(r.consumed > 0);
    off += r.consumed;
  }
}

}  // namespace

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer links against
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const char* buf = reinterpret_cast<const char*>(data);
  walk(buf, size, ParseLimits{});
  walk(buf, size, ParseLimits{64, 16});
  walk(buf, size, ParseLimits{0, 0});
  return 0;
}
