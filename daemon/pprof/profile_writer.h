// pprof files on disk: gzip-compressed serialized Profile messages.
#pragma once

#include <filesystem>

#include "profile.pb.h"
#include "util/result.h"

namespace waitprof {

// Checks the profile (check_profile, and that a set default_sample_type names one of the
// sample types), serializes and gzips it, and replaces `path` atomically: readers see the old
// file or the new one, never a partial one.
// The bytes of a pprof file: the profile checked as write_profile checks it, serialized and
// gzipped.
Result<std::string> encode_profile(const perftools::profiles::Profile& profile);

Status write_profile(const perftools::profiles::Profile& profile,
                     const std::filesystem::path& path);

// Reads a pprof file, gzipped (as pprof writes them) or plain, and checks it (check_profile),
// so callers may trust its indices and IDs.
Result<perftools::profiles::Profile> read_profile(const std::filesystem::path& path);

}  // namespace waitprof
