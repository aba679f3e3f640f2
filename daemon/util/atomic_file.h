// Output files are replaced whole or not at all: a reader (pprof, a dashboard polling the
// file) never sees a half-written profile, and a full disk or a crash keeps the previous one.
#pragma once

#include <filesystem>
#include <string_view>

#include "util/result.h"

namespace waitprof {

// Writes `contents` to a new file next to `path` (mode 0644 less the umask), fsyncs it,
// renames it over `path` and fsyncs the directory. On failure `path` is untouched, the
// temporary file is removed, and the error names `path` and the errno text. (Only if the
// final directory fsync fails is the new file already in place when the error comes back.)
// A symlink at `path` is replaced by the file, not followed.
Status write_file_atomically(const std::filesystem::path& path, std::string_view contents);

}  // namespace waitprof
