#include "http_parser.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace tsrv {
namespace {

using namespace std::string_literals;

ParseResult parse(std::string_view s, HttpRequest& req, const ParseLimits& limits = {},
                  size_t scanned = 0) {
  return parse_request(s.data(), s.size(), req, limits, scanned);
}

ParseStatus status_of(std::string_view s, const ParseLimits& limits = {}) {
  HttpRequest req;
  return parse(s, req, limits).status;
}

std::string_view header(const HttpRequest& req, std::string_view name) {
  for (size_t i = 0; i < req.num_headers; ++i) {
    if (req.headers[i].name == name) {
      return req.headers[i].value;
    }
  }
  ADD_FAILURE() << "no header " << name;
  return {};
}

// Follows the documented `scanned` contract: the old length while the head is still
// incomplete, the head size once only the body is missing.
size_t next_hint(const HttpRequest& req, size_t len) {
  return req.head_bytes != 0 ? req.head_bytes : len;
}

// Feeds s one byte at a time with the scanned hint; returns the first non-incomplete result
// (or the last one) and the request it produced.
ParseResult parse_bytewise(std::string_view s, HttpRequest& req, const ParseLimits& limits = {}) {
  ParseResult r{ParseStatus::kIncomplete, 0};
  size_t scanned = 0;
  for (size_t n = 1; n <= s.size(); ++n) {
    r = parse_request(s.data(), n, req, limits, scanned);
    if (r.status != ParseStatus::kIncomplete) {
      return r;
    }
    scanned = next_hint(req, n);
  }
  return r;
}

void expect_same_request(const HttpRequest& a, const HttpRequest& b) {
  EXPECT_EQ(a.method, b.method);
  EXPECT_EQ(a.target, b.target);
  EXPECT_EQ(a.minor_version, b.minor_version);
  EXPECT_EQ(a.head_bytes, b.head_bytes);
  EXPECT_EQ(a.content_length, b.content_length);
  EXPECT_EQ(a.keep_alive, b.keep_alive);
  ASSERT_EQ(a.num_headers, b.num_headers);
  for (size_t i = 0; i < a.num_headers; ++i) {
    EXPECT_EQ(a.headers[i].name, b.headers[i].name);
    EXPECT_EQ(a.headers[i].value, b.headers[i].value);
  }
}

const std::vector<std::string> kValidRequests = {
    "GET / HTTP/1.1\r\n\r\n",
    "GET /read?id=42 HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: wrk\r\nAccept: */*\r\n\r\n",
    "POST /write HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world",
    "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "GET /lf HTTP/1.1\nHost: h\nX: y\n\n",
    "PUT /mixed HTTP/1.1\r\nA: 1\nContent-Length: 3\r\n\nabc",
    "OPTIONS * HTTP/1.1\r\nX-Empty:\r\nX-Tab:\tv\tw\t\r\n\r\n",
    "GET /\xc3\xa9t\xc3\xa9 HTTP/1.1\r\nX-Obs: caf\xc3\xa9\r\n\r\n",
};

const std::vector<std::string> kMalformedRequests = {
    "\r\n\r\n",
    "\n\n",
    " GET / HTTP/1.1\r\n\r\n",
    "GET  / HTTP/1.1\r\n\r\n",
    "GET / HTTP/1.1 \r\n\r\n",
    "GET /  HTTP/1.1\r\n\r\n",
    "GET\r\n\r\n",
    "GET /\r\n\r\n",
    "GET / \r\n\r\n",
    "GET / HTTP/1.2\r\n\r\n",
    "GET / HTTP/2.0\r\n\r\n",
    "GET / HTTP/1.10\r\n\r\n",
    "GET / HTTP/1.\r\n\r\n",
    "GET / http/1.1\r\n\r\n",
    "GET / HTTP/1.1\r\r\n\r\n",
    "GET / HTTP/1.1\rX\n\r\n",
    "G\x01T / HTTP/1.1\r\n\r\n",
    "G\0T / HTTP/1.1\r\n\r\n"s,
    "GE(T / HTTP/1.1\r\n\r\n",
    "GET /a\x01 HTTP/1.1\r\n\r\n",
    "GET /a\0b HTTP/1.1\r\n\r\n"s,
    "GET /a\tb HTTP/1.1\r\n\r\n",
    "GET /a\x7f HTTP/1.1\r\n\r\n",
    "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
    "GET / HTTP/1.1\r\nName : v\r\n\r\n",
    "GET / HTTP/1.1\r\nName\t: v\r\n\r\n",
    "GET / HTTP/1.1\r\n: v\r\n\r\n",
    "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
    "GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n",
    "GET / HTTP/1.1\r\n A: b\r\n\r\n",
    "GET / HTTP/1.1\r\nN\x01me: v\r\n\r\n",
    "GET / HTTP/1.1\r\nN\0me: v\r\n\r\n"s,
    "GET / HTTP/1.1\r\nNa(me: v\r\n\r\n",
    "GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
    "GET / HTTP/1.1\r\nA: b\0c\r\n\r\n"s,
    "GET / HTTP/1.1\r\nA: b\x7f\r\n\r\n",
    "GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
    "GET / HTTP/1.1\r\nA: b\r\r\n\r\n",
    "GET / HTTP/1.1\r\n\rX: b\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length:\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: 1,1\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999999\r\n\r\n",
    "GET / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 2\r\n\r\nab",
};

TEST(HttpParser, SimpleGet) {
  const std::string s = "GET /read HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
  HttpRequest req;
  const ParseResult r = parse(s, req);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, s.size());
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/read");
  EXPECT_EQ(req.path(), "/read");
  EXPECT_EQ(req.minor_version, 1);
  EXPECT_EQ(req.head_bytes, s.size());
  EXPECT_EQ(req.content_length, 0u);
  EXPECT_TRUE(req.keep_alive);
  ASSERT_EQ(req.num_headers, 2u);
  EXPECT_EQ(req.headers[0].name, "Host");
  EXPECT_EQ(req.headers[0].value, "example.com");
  EXPECT_EQ(req.headers[1].name, "Accept");
  EXPECT_EQ(req.headers[1].value, "*/*");
}

TEST(HttpParser, ViewsPointIntoCallerBuffer) {
  const std::string s = "GET /x HTTP/1.1\r\nA: b\r\n\r\n";
  HttpRequest req;
  ASSERT_EQ(parse(s, req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.method.data(), s.data());
  EXPECT_EQ(req.target.data(), s.data() + 4);
  EXPECT_EQ(req.headers[0].name.data(), s.data() + 17);
  EXPECT_EQ(req.headers[0].value.data(), s.data() + 20);
}

TEST(HttpParser, AllValidSamplesParse) {
  for (const std::string& s : kValidRequests) {
    SCOPED_TRACE(s);
    HttpRequest req;
    const ParseResult r = parse(s, req);
    ASSERT_EQ(r.status, ParseStatus::kComplete);
    EXPECT_EQ(r.consumed, s.size());
    EXPECT_EQ(r.consumed, req.head_bytes + req.content_length);
  }
}

TEST(HttpParser, HeaderValuesTrimmed) {
  const std::string s =
      "GET / HTTP/1.1\r\n"
      "A:   spaced   \r\n"
      "B:\t\ttabbed\t \r\n"
      "C:inner  \t space\r\n"
      "D:\r\n"
      "E:    \t \r\n"
      "F: x\n"
      "\r\n";
  HttpRequest req;
  ASSERT_EQ(parse(s, req).status, ParseStatus::kComplete);
  ASSERT_EQ(req.num_headers, 6u);
  EXPECT_EQ(header(req, "A"), "spaced");
  EXPECT_EQ(header(req, "B"), "tabbed");
  EXPECT_EQ(header(req, "C"), "inner  \t space");
  EXPECT_EQ(header(req, "D"), "");
  EXPECT_EQ(header(req, "E"), "");
  EXPECT_EQ(header(req, "F"), "x");
}

TEST(HttpParser, HeaderNamesKeepCaseAndAllowAllTchars) {
  const std::string s = "GET / HTTP/1.1\r\nX-Abc!#$%&'*+-.^_`|~09: v\r\n\r\n";
  HttpRequest req;
  ASSERT_EQ(parse(s, req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.headers[0].name, "X-Abc!#$%&'*+-.^_`|~09");
}

TEST(HttpParser, LongValuesAndTargets) {
  // Long enough to exercise the word-at-a-time scan, with the stop byte at every alignment.
  for (size_t n = 0; n < 40; ++n) {
    const std::string target = "/" + std::string(n, 'a');
    const std::string value = "x" + std::string(n, 'v') + "\t" + std::string(n, 'w') + "y";
    std::string s = "GET " + target;
    s += " HTTP/1.1\r\nX: ";
    s += value;
    s += "\r\n\r\n";
    HttpRequest req;
    ASSERT_EQ(parse(s, req).status, ParseStatus::kComplete) << n;
    EXPECT_EQ(req.target, target);
    EXPECT_EQ(req.headers[0].value, value);

    std::string bad = s;
    bad[4 + target.size() - 1] = '\x7f';
    EXPECT_EQ(status_of(bad), ParseStatus::kInvalid) << n;
    bad = s;
    bad[s.size() - 5] = '\x1f';  // last value byte
    EXPECT_EQ(status_of(bad), ParseStatus::kInvalid) << n;
  }
}

TEST(HttpParser, PathStripsQuery) {
  HttpRequest req;
  ASSERT_EQ(parse("GET /read?id=1&x=2 HTTP/1.1\r\n\r\n", req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.target, "/read?id=1&x=2");
  EXPECT_EQ(req.path(), "/read");
  ASSERT_EQ(parse("GET /read HTTP/1.1\r\n\r\n", req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.path(), "/read");
  ASSERT_EQ(parse("GET /? HTTP/1.1\r\n\r\n", req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.path(), "/");
  ASSERT_EQ(parse("GET /a?b?c HTTP/1.1\r\n\r\n", req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.path(), "/a");
  ASSERT_EQ(parse("GET ?q HTTP/1.1\r\n\r\n", req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.path(), "");
  EXPECT_EQ(HttpRequest{}.path(), "");
}

TEST(HttpParser, KeepAliveDefaultsByVersion) {
  HttpRequest req;
  ASSERT_EQ(parse("GET / HTTP/1.1\r\n\r\n", req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.minor_version, 1);
  EXPECT_TRUE(req.keep_alive);
  ASSERT_EQ(parse("GET / HTTP/1.0\r\n\r\n", req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.minor_version, 0);
  EXPECT_FALSE(req.keep_alive);
}

struct ConnectionCase {
  const char* version;
  const char* connection_headers;
  bool keep_alive;
};

TEST(HttpParser, ConnectionHeader) {
  const ConnectionCase cases[] = {
      {"1.1", "Connection: close\r\n", false},
      {"1.1", "Connection: Close\r\n", false},
      {"1.1", "connection: CLOSE\r\n", false},
      {"1.1", "Connection: keep-alive\r\n", true},
      {"1.1", "Connection: Upgrade, close\r\n", false},
      {"1.1", "Connection: close,Upgrade\r\n", false},
      {"1.1", "Connection:  te ,\t close \t\r\n", false},
      {"1.1", "Connection: closed\r\n", true},
      {"1.1", "Connection: xclose\r\n", true},
      {"1.1", "Connection: \"close\"\r\n", true},
      {"1.1", "Connection: ,,\r\n", true},
      {"1.1", "X-Connection: close\r\n", true},
      {"1.1", "Connection: keep-alive\r\nConnection: close\r\n", false},
      {"1.1", "Connection: close, keep-alive\r\n", false},
      {"1.0", "Connection: keep-alive\r\n", true},
      {"1.0", "Connection: Keep-Alive\r\n", true},
      {"1.0", "Connection: Upgrade , KEEP-ALIVE\r\n", true},
      {"1.0", "Connection: keep-alive2\r\n", false},
      {"1.0", "Connection: upgrade\r\n", false},
      {"1.0", "Connection: keep-alive, close\r\n", false},
      {"1.0", "Connection: keep-alive\r\nConnection: close\r\n", false},
  };
  for (const ConnectionCase& c : cases) {
    const std::string s =
        "GET / HTTP/"s + c.version + "\r\nHost: h\r\n" + c.connection_headers + "\r\n";
    SCOPED_TRACE(s);
    HttpRequest req;
    ASSERT_EQ(parse(s, req).status, ParseStatus::kComplete);
    EXPECT_EQ(req.keep_alive, c.keep_alive);
  }
}

TEST(HttpParser, BareLfAndMixedLineEndings) {
  HttpRequest req;
  const std::string lf = "GET /lf HTTP/1.0\nHost: h\nConnection: keep-alive\n\n";
  ASSERT_EQ(parse(lf, req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.head_bytes, lf.size());
  EXPECT_EQ(req.target, "/lf");
  EXPECT_TRUE(req.keep_alive);
  EXPECT_EQ(header(req, "Host"), "h");

  const std::string mixed = "GET / HTTP/1.1\nA: 1\r\nB: 2\n\r\n";
  ASSERT_EQ(parse(mixed, req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.head_bytes, mixed.size());
  EXPECT_EQ(header(req, "B"), "2");
}

TEST(HttpParser, ResetsOutputsOnEveryCall) {
  HttpRequest req;
  ASSERT_EQ(parse("POST /a HTTP/1.0\r\nA: 1\r\nB: 2\r\nContent-Length: 1\r\n\r\nx", req).status,
            ParseStatus::kComplete);
  EXPECT_EQ(req.num_headers, 3u);
  EXPECT_EQ(req.content_length, 1u);
  EXPECT_FALSE(req.keep_alive);

  ASSERT_EQ(parse("GET /b HTTP/1.1\r\n\r\n", req).status, ParseStatus::kComplete);
  EXPECT_EQ(req.num_headers, 0u);
  EXPECT_EQ(req.content_length, 0u);
  EXPECT_TRUE(req.keep_alive);
  EXPECT_EQ(req.minor_version, 1);
  EXPECT_EQ(req.target, "/b");

  ASSERT_EQ(parse("GET /c HTTP/1.1\r\nA: 1\r\n", req).status, ParseStatus::kIncomplete);
  EXPECT_EQ(req.num_headers, 0u);
  EXPECT_EQ(req.head_bytes, 0u);
  EXPECT_TRUE(req.method.empty());
  EXPECT_TRUE(req.target.empty());
}

TEST(HttpParser, IncompleteAtEveryPrefix) {
  for (const std::string& s : kValidRequests) {
    SCOPED_TRACE(s);
    size_t prev_hint = 0;
    for (size_t n = 0; n < s.size(); ++n) {
      HttpRequest req;
      const ParseResult r = parse_request(s.data(), n, req, {}, 0);
      ASSERT_EQ(r.status, ParseStatus::kIncomplete) << "prefix " << n;
      EXPECT_EQ(r.consumed, 0u);

      HttpRequest hinted;
      const ParseResult rh = parse_request(s.data(), n, hinted, {}, prev_hint);
      ASSERT_EQ(rh.status, ParseStatus::kIncomplete) << "prefix " << n;
      EXPECT_EQ(rh.consumed, 0u);
      EXPECT_EQ(hinted.head_bytes, req.head_bytes);
      prev_hint = next_hint(req, n);
    }
    HttpRequest req;
    EXPECT_EQ(parse_request(s.data(), s.size(), req, {}, prev_hint).status, ParseStatus::kComplete);
  }
}

TEST(HttpParser, IncompleteBodyStillReportsHead) {
  const std::string s = "POST /w HTTP/1.1\r\nContent-Length: 5\r\n\r\nab";
  HttpRequest req;
  const ParseResult r = parse(s, req);
  EXPECT_EQ(r.status, ParseStatus::kIncomplete);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(req.head_bytes, s.size() - 2);
  EXPECT_EQ(req.content_length, 5u);
  EXPECT_EQ(req.target, "/w");
}

TEST(HttpParser, ScannedHintEveryValueMatchesFresh) {
  // Any hint up to the first prefix that completes the head is a legal one.
  for (const std::string& s : kValidRequests) {
    SCOPED_TRACE(s);
    HttpRequest fresh;
    const ParseResult expected = parse(s, fresh);
    for (size_t k = 0; k <= fresh.head_bytes; ++k) {
      HttpRequest req;
      const ParseResult r = parse(s, req, {}, k);
      ASSERT_EQ(r.status, expected.status) << "scanned " << k;
      ASSERT_EQ(r.consumed, expected.consumed) << "scanned " << k;
      expect_same_request(req, fresh);
    }
  }
}

TEST(HttpParser, ByteAtATimeMatchesSingleCall) {
  std::vector<std::string> inputs = kValidRequests;
  inputs.insert(inputs.end(), kMalformedRequests.begin(), kMalformedRequests.end());
  inputs.push_back("GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
  inputs.push_back("POST / HTTP/1.1\r\nContent-Length: 70000\r\n\r\n");
  for (const std::string& s : inputs) {
    SCOPED_TRACE(s);
    HttpRequest whole;
    const ParseResult expected = parse(s, whole);
    HttpRequest bytewise;
    const ParseResult r = parse_bytewise(s, bytewise);
    ASSERT_EQ(r.status, expected.status);
    EXPECT_EQ(r.consumed, expected.consumed);
    if (expected.status == ParseStatus::kComplete) {
      expect_same_request(bytewise, whole);
    }
  }
}

TEST(HttpParser, ByteAtATimeLargeHeadHitsLimitAtSameByte) {
  ParseLimits limits;
  limits.max_head_bytes = 300;
  std::string s = "GET / HTTP/1.1\r\n";
  while (s.size() < 400) {
    s += "X-Pad: aaaaaaaaaaaaaaaa\r\n";
  }
  s += "\r\n";
  size_t scanned = 0;
  for (size_t n = 1; n <= s.size(); ++n) {
    HttpRequest req;
    const ParseResult r = parse_request(s.data(), n, req, limits, scanned);
    const ParseStatus want = n > 300 ? ParseStatus::kHeadTooLarge : ParseStatus::kIncomplete;
    ASSERT_EQ(r.status, want) << n;
    ASSERT_EQ(parse_request(s.data(), n, req, limits, 0).status, want) << n;
    scanned = n;
  }
}

TEST(HttpParser, Pipelined) {
  const std::string a = "GET /one HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string b = "POST /two?x HTTP/1.1\r\nContent-Length: 4\r\n\r\nbody";
  const std::string c = "GET /three HTTP/1.0\nConnection: close\n\n";
  const std::string all = a + b + c;

  HttpRequest req;
  size_t off = 0;
  ParseResult r = parse_request(all.data() + off, all.size() - off, req);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, a.size());
  EXPECT_EQ(req.target, "/one");
  EXPECT_TRUE(req.keep_alive);
  off += r.consumed;

  r = parse_request(all.data() + off, all.size() - off, req);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, b.size());
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path(), "/two");
  EXPECT_EQ(req.content_length, 4u);
  EXPECT_EQ(std::string_view(all.data() + off + req.head_bytes, req.content_length), "body");
  off += r.consumed;

  r = parse_request(all.data() + off, all.size() - off, req);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, c.size());
  EXPECT_EQ(req.target, "/three");
  EXPECT_FALSE(req.keep_alive);
  off += r.consumed;
  EXPECT_EQ(off, all.size());

  r = parse_request(all.data() + off, all.size() - off, req);
  EXPECT_EQ(r.status, ParseStatus::kIncomplete);
}

TEST(HttpParser, PipelinedPartialSecondRequest) {
  const std::string all = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\nHo";
  HttpRequest req;
  ParseResult r = parse(all, req);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(req.target, "/1");
  r = parse(std::string_view(all).substr(r.consumed), req);
  EXPECT_EQ(r.status, ParseStatus::kIncomplete);
}

TEST(HttpParser, ContentLengthBody) {
  HttpRequest req;
  const std::string head = "POST /w HTTP/1.1\r\nContent-Length: 10\r\n\r\n";
  for (size_t body = 0; body < 10; ++body) {
    const ParseResult r = parse(head + std::string(body, 'b'), req);
    EXPECT_EQ(r.status, ParseStatus::kIncomplete) << body;
    EXPECT_EQ(r.consumed, 0u);
  }
  ParseResult r = parse(head + std::string(10, 'b'), req);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, head.size() + 10);
  EXPECT_EQ(req.head_bytes, head.size());
  EXPECT_EQ(req.content_length, 10u);
  // Bytes after the body belong to the next request.
  r = parse(head + std::string(15, 'b'), req);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(r.consumed, head.size() + 10);

  ASSERT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", req).status,
            ParseStatus::kComplete);
  EXPECT_EQ(req.content_length, 0u);
  ASSERT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 007\r\n\r\n1234567", req).status,
            ParseStatus::kComplete);
  EXPECT_EQ(req.content_length, 7u);
  ASSERT_EQ(parse("POST / HTTP/1.1\r\nCONTENT-LENGTH:\t 3 \t\r\n\r\nabc", req).status,
            ParseStatus::kComplete);
  EXPECT_EQ(req.content_length, 3u);
}

TEST(HttpParser, ContentLengthDuplicates) {
  HttpRequest req;
  ASSERT_EQ(
      parse("POST / HTTP/1.1\r\nContent-Length: 3\r\ncontent-length: 003\r\n\r\nabc", req).status,
      ParseStatus::kComplete);
  EXPECT_EQ(req.content_length, 3u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd"),
            ParseStatus::kInvalid);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: x\r\n\r\nabc"),
            ParseStatus::kInvalid);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 99999999\r\n\r\n"),
            ParseStatus::kInvalid);
}

TEST(HttpParser, BodyTooLarge) {
  ParseLimits limits;
  limits.max_body_bytes = 100;
  HttpRequest req;
  EXPECT_EQ(parse("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n", req, limits).status,
            ParseStatus::kIncomplete);
  // Decided from the head alone: no body byte has arrived.
  const ParseResult r = parse("POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", req, limits);
  EXPECT_EQ(r.status, ParseStatus::kBodyTooLarge);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 70000\r\n\r\n"),
            ParseStatus::kBodyTooLarge);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n"),
            ParseStatus::kBodyTooLarge);
  // Until the head is complete, nothing is decided.
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 70000\r\n"), ParseStatus::kIncomplete);
}

TEST(HttpParser, MalformedRequestsAreInvalid) {
  for (const std::string& s : kMalformedRequests) {
    SCOPED_TRACE(testing::PrintToString(s));
    HttpRequest req;
    const ParseResult r = parse(s, req);
    EXPECT_EQ(r.status, ParseStatus::kInvalid);
    EXPECT_EQ(r.consumed, 0u);
  }
}

TEST(HttpParser, ErrorsWaitForEndOfHead) {
  // A verdict before the blank line would depend on how the bytes were split.
  EXPECT_EQ(status_of("G\x01T / HTTP/1.1\r\n"), ParseStatus::kIncomplete);
  EXPECT_EQ(status_of("GET / HTTP/9.9\r\nA: b\r\n"), ParseStatus::kIncomplete);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nNoColon\r\n"), ParseStatus::kIncomplete);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nNoColon\r\n\r\n"), ParseStatus::kInvalid);
}

TEST(HttpParser, TransferEncodingUnsupported) {
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ParseStatus::kUnsupported);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\ntransfer-encoding: identity\r\n\r\n"),
            ParseStatus::kUnsupported);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTRANSFER-ENCODING:\r\n\r\n"), ParseStatus::kUnsupported);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"),
            ParseStatus::kUnsupported);
  EXPECT_EQ(status_of("POST / HTTP/1.1\r\nTransfer-Encodings: chunked\r\n\r\n"),
            ParseStatus::kComplete);
}

TEST(HttpParser, HeadTooLarge) {
  ParseLimits limits;
  limits.max_head_bytes = 64;
  const std::string prefix = "GET / HTTP/1.1\r\nX: ";
  const std::string suffix = "\r\n\r\n";
  const std::string exact = prefix + std::string(64 - prefix.size() - suffix.size(), 'a') + suffix;
  ASSERT_EQ(exact.size(), 64u);
  EXPECT_EQ(status_of(exact, limits), ParseStatus::kComplete);

  const std::string over = prefix + std::string(65 - prefix.size() - suffix.size(), 'a') + suffix;
  EXPECT_EQ(status_of(over, limits), ParseStatus::kHeadTooLarge);
  // The verdict comes as soon as the buffer passes the limit, blank line or not.
  EXPECT_EQ(status_of(over.substr(0, 64), limits), ParseStatus::kIncomplete);
  EXPECT_EQ(status_of(over.substr(0, 65), limits), ParseStatus::kHeadTooLarge);
  EXPECT_EQ(status_of(std::string(65, 'G'), limits), ParseStatus::kHeadTooLarge);
  EXPECT_EQ(status_of(std::string(64, 'G'), limits), ParseStatus::kIncomplete);
  // A body after a head that fits does not count against the head.
  const std::string body_req =
      "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'b');
  EXPECT_EQ(status_of(body_req, limits), ParseStatus::kComplete);

  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n"),
            ParseStatus::kHeadTooLarge);
  EXPECT_EQ(status_of("GET / HTTP/1.1\r\nX: " + std::string(9000, 'a')),
            ParseStatus::kHeadTooLarge);

  ParseLimits zero;
  zero.max_head_bytes = 0;
  EXPECT_EQ(status_of("", zero), ParseStatus::kIncomplete);
  EXPECT_EQ(status_of("G", zero), ParseStatus::kHeadTooLarge);
}

std::string request_with_headers(size_t n) {
  std::string s = "GET / HTTP/1.1\r\n";
  for (size_t i = 0; i < n; ++i) {
    s += "H" + std::to_string(i) + ": v\r\n";
  }
  return s + "\r\n";
}

TEST(HttpParser, HeaderCountLimit) {
  const std::string max = request_with_headers(kMaxHeaders);
  HttpRequest req;
  const ParseResult r = parse(max, req);
  ASSERT_EQ(r.status, ParseStatus::kComplete);
  EXPECT_EQ(req.num_headers, kMaxHeaders);
  EXPECT_EQ(req.headers[kMaxHeaders - 1].name, "H63");
  EXPECT_EQ(status_of(request_with_headers(kMaxHeaders + 1)), ParseStatus::kHeadTooLarge);
  EXPECT_EQ(status_of(request_with_headers(200)), ParseStatus::kHeadTooLarge);
}

TEST(HttpParser, EmptyInput) {
  HttpRequest req;
  EXPECT_EQ(parse_request(nullptr, 0, req).status, ParseStatus::kIncomplete);
  EXPECT_EQ(parse_request("", 0, req, {}, 5).status, ParseStatus::kIncomplete);
}

// Places inputs so their last byte sits right before a PROT_NONE page: any read past the end
// of the buffer faults instead of silently reading neighbouring heap memory.
class GuardedBuffer {
 public:
  explicit GuardedBuffer(size_t capacity) {
    page_ = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    data_bytes_ = (capacity / page_ + 1) * page_;
    void* p = mmap(nullptr, data_bytes_ + page_, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      std::abort();
    }
    base_ = static_cast<char*>(p);
    if (mprotect(base_ + data_bytes_, page_, PROT_NONE) != 0) {
      std::abort();
    }
  }
  ~GuardedBuffer() { munmap(base_, data_bytes_ + page_); }
  GuardedBuffer(const GuardedBuffer&) = delete;
  GuardedBuffer& operator=(const GuardedBuffer&) = delete;

  const char* place(std::string_view s) {
    if (s.size() > data_bytes_) {
      std::abort();
    }
    char* dst = base_ + data_bytes_ - s.size();
    if (!s.empty()) {
      std::memcpy(dst, s.data(), s.size());
    }
    return dst;
  }

 private:
  size_t page_ = 0;
  size_t data_bytes_ = 0;
  char* base_ = nullptr;
};

TEST(HttpParserGuardPage, GuardReallyFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  GuardedBuffer guard(16);
  const char* p = guard.place("abc");
  EXPECT_EQ(p[2], 'c');
  EXPECT_DEATH(
      {
        volatile const char* q = p;
        [[maybe_unused]] char c = q[3];
      },
      "");
}

std::vector<std::string> guard_inputs() {
  std::vector<std::string> inputs = kValidRequests;
  inputs.insert(inputs.end(), kMalformedRequests.begin(), kMalformedRequests.end());
  for (const char* s : {
           "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 70000\r\n\r\n",
           "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab",
           "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n",
           "GET / HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r",
           "GET /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
           "GET / HTTP/1.1\n\r",
           "GET / HTTP/1.1\r\n\r",
       }) {
    inputs.emplace_back(s);
  }
  inputs.push_back(request_with_headers(kMaxHeaders + 1));
  inputs.push_back("GET / HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n");
  return inputs;
}

TEST(HttpParserGuardPage, NoReadPastEndForAnyPrefix) {
  const std::vector<std::string> inputs = guard_inputs();
  size_t max_size = 0;
  for (const std::string& s : inputs) {
    max_size = std::max(max_size, s.size());
  }
  GuardedBuffer guard(max_size);
  ParseLimits tiny;
  tiny.max_head_bytes = 24;
  tiny.max_body_bytes = 4;

  for (const std::string& s : inputs) {
    SCOPED_TRACE(testing::PrintToString(s.substr(0, 80)));
    for (size_t n = 0; n <= s.size(); ++n) {
      const std::string_view prefix(s.data(), n);
      const char* p = guard.place(prefix);
      HttpRequest req;
      const ParseResult fresh = parse_request(p, n, req);
      const ParseResult hinted = parse_request(p, n, req, {}, n / 2);
      (void)hinted;
      const ParseResult small = parse_request(p, n, req, tiny);
      EXPECT_LE(fresh.consumed, n);
      EXPECT_LE(small.consumed, n);
      // The whole string gives the verdict; each prefix is that or still incomplete.
      HttpRequest whole;
      const ParseResult full = parse(s, whole);
      if (fresh.status != full.status) {
        EXPECT_EQ(fresh.status, ParseStatus::kIncomplete) << "prefix " << n;
      }
    }
  }
}

TEST(HttpParserGuardPage, BytewiseWithHintAtGuard) {
  const std::vector<std::string> inputs = guard_inputs();
  size_t max_size = 0;
  for (const std::string& s : inputs) {
    max_size = std::max(max_size, s.size());
  }
  GuardedBuffer guard(max_size);
  for (const std::string& s : inputs) {
    if (s.size() > 1000) {
      continue;
    }
    SCOPED_TRACE(testing::PrintToString(s));
    HttpRequest whole;
    const ParseResult expected = parse(s, whole);
    size_t scanned = 0;
    ParseResult r{ParseStatus::kIncomplete, 0};
    for (size_t n = 1; n <= s.size(); ++n) {
      const char* p = guard.place(std::string_view(s.data(), n));
      HttpRequest req;
      r = parse_request(p, n, req, {}, scanned);
      if (r.status != ParseStatus::kIncomplete) {
        break;
      }
      scanned = next_hint(req, n);
    }
    EXPECT_EQ(r.status, expected.status);
    EXPECT_EQ(r.consumed, expected.consumed);
  }
}

}  // namespace
}  // namespace tsrv
