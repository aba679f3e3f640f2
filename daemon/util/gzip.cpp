#include "util/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <climits>

namespace waitprof {

namespace {

// windowBits 15 is zlib's largest window; +16 selects the gzip wrapper instead of zlib's.
constexpr int kGzipWindowBits = 15 + 16;
// zlib counts in uInt; feed and drain big buffers in pieces it can express.
constexpr size_t kMaxStep = UINT_MAX;

Error zlib_error(const std::string& what, int code, const z_stream& zs) {
  return Error{what + ": " + (zs.msg ? zs.msg : zError(code))};
}

// Ends the stream on every return path once its init succeeded.
struct Deflater {
  z_stream zs{};
  bool live = false;
  ~Deflater() {
    if (live) deflateEnd(&zs);
  }
};
struct Inflater {
  z_stream zs{};
  bool live = false;
  ~Inflater() {
    if (live) inflateEnd(&zs);
  }
};

}  // namespace

bool looks_gzipped(std::string_view data) {
  return data.size() >= 2 && static_cast<unsigned char>(data[0]) == 0x1f &&
         static_cast<unsigned char>(data[1]) == 0x8b;
}

Result<std::string> gzip_compress(std::string_view data) {
  Deflater d;
  z_stream& zs = d.zs;
  const int init =
      deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kGzipWindowBits, 8, Z_DEFAULT_STRATEGY);
  if (init != Z_OK) return zlib_error("gzip: initializing deflate", init, zs);
  d.live = true;

  // deflateBound is enough for one pass; the loop still grows the buffer if it was not.
  std::string out(std::max<size_t>(deflateBound(&zs, data.size()), 64), '\0');
  size_t produced = 0;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  size_t remaining = data.size();
  int flush = Z_NO_FLUSH;
  int rc = Z_OK;
  do {
    const size_t step = std::min(remaining, kMaxStep);
    zs.avail_in = static_cast<uInt>(step);
    remaining -= step;
    flush = remaining == 0 ? Z_FINISH : Z_NO_FLUSH;
    do {
      if (produced == out.size()) out.resize(out.size() * 2);
      zs.next_out = reinterpret_cast<Bytef*>(out.data() + produced);
      zs.avail_out = static_cast<uInt>(std::min(out.size() - produced, kMaxStep));
      const uInt room = zs.avail_out;
      rc = deflate(&zs, flush);
      if (rc == Z_STREAM_ERROR) return zlib_error("gzip: compressing", rc, zs);
      produced += room - zs.avail_out;
    } while (zs.avail_out == 0);
  } while (flush != Z_FINISH);
  if (rc != Z_STREAM_END) return Error{"gzip: compressing: stream did not finish"};
  out.resize(produced);
  return out;
}

Result<std::string> gzip_decompress(std::string_view data, size_t max_size) {
  if (!looks_gzipped(data)) return Error{"gunzip: not gzip data (bad magic bytes)"};
  Inflater i;
  z_stream& zs = i.zs;
  const int init = inflateInit2(&zs, kGzipWindowBits);
  if (init != Z_OK) return zlib_error("gunzip: initializing inflate", init, zs);
  i.live = true;

  std::string out;
  char buf[64 * 1024];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  for (;;) {
    // Top up avail_in from what is left of `data` in uInt-sized steps.
    const size_t fed = static_cast<size_t>(reinterpret_cast<const char*>(zs.next_in) - data.data());
    zs.avail_in = static_cast<uInt>(std::min(data.size() - fed, kMaxStep));
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
    if (out.size() > max_size) {
      return Error{"gunzip: output exceeds " + std::to_string(max_size) + " bytes"};
    }
    const size_t left =
        data.size() - static_cast<size_t>(reinterpret_cast<const char*>(zs.next_in) - data.data());
    if (rc == Z_STREAM_END) {
      if (left == 0) break;
      // Another member follows (files joined with cat are valid gzip); anything else is junk.
      if (!looks_gzipped(data.substr(data.size() - left))) {
        return Error{"gunzip: trailing garbage after gzip data"};
      }
      inflateReset(&zs);
      continue;
    }
    // No progress possible with all input consumed: the stream ends early.
    if (rc == Z_BUF_ERROR && left == 0) return Error{"gunzip: truncated gzip data"};
    if (rc != Z_OK && rc != Z_BUF_ERROR) return zlib_error("gunzip", rc, zs);
  }
  return out;
}

}  // namespace waitprof
