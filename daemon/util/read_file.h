#pragma once

#include <filesystem>
#include <string>

#include "util/result.h"

namespace waitprof {

// The whole file, byte for byte, read until EOF rather than up to its stat size: /proc and
// sysfs files report size 0 yet have content. Works for binary files too.
Result<std::string> read_text_file(const std::filesystem::path& path);

}  // namespace waitprof
