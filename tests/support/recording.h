// Running `waitprof record` from the integration tests, and reading what it wrote.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace waitprof_test {

// A wait status as a shell's $?: the exit code, or -1 for a process killed by a signal.
int exit_code(int status);

// An output directory that does not exist yet: <tmp>/<prefix><name>-<our pid>.
std::filesystem::path fresh_dir(const std::string& prefix, const std::string& name);

// The JSON file at path; a discarded value when it is missing or malformed.
nlohmann::json read_json(const std::filesystem::path& path);

// Runs `waitprof record ARGS…` to its end (at most 120 s of output), stdout and stderr
// together: its exit code and what it printed.
std::pair<int, std::string> record_to_end(std::vector<std::string> args);

}  // namespace waitprof_test
