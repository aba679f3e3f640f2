// gzip (RFC 1952) in memory: pprof files are gzip-compressed protobuf.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "util/result.h"

namespace waitprof {

// Deterministic: the header carries no timestamp or file name, so equal input gives equal
// output.
Result<std::string> gzip_compress(std::string_view data);

// Accepts concatenated gzip members, as gunzip does. Fails on truncated or corrupt input,
// trailing garbage, or output beyond `max_size` bytes (a guard against decompression bombs
// in files we did not write).
Result<std::string> gzip_decompress(std::string_view data, size_t max_size = size_t{1} << 30);

// True when `data` starts with the gzip magic bytes.
bool looks_gzipped(std::string_view data);

}  // namespace waitprof
