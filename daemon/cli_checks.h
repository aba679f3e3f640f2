// Command-line checks whose messages say, in the user's words, what is wrong and what would
// be right ("--pid: abc is not a process id"), where CLI11's own print its internals (a
// floating-point range, a transform table).
#pragma once

#include <CLI/CLI.hpp>

#include <map>
#include <string>

namespace waitprof {

// A positive number that fits a pid_t; whether such a process exists is record's to say.
CLI::Validator process_id_check();

// One of `names` (case-insensitive), turned into its value for CLI11 to store; otherwise
// "<text> is not <what>: choose one of a, b, c".
template <typename T>
CLI::Validator choice_of(const std::map<std::string, T>& names, const std::string& what) {
  std::string choices;
  for (const auto& [name, value] : names) choices += (choices.empty() ? "" : ", ") + name;
  return CLI::Validator(
      [names, what, choices](std::string& text) -> std::string {
        std::string lower = CLI::detail::to_lower(text);
        auto it = names.find(lower);
        if (it == names.end()) return text + " is not " + what + ": choose one of " + choices;
        text = std::to_string(static_cast<long long>(it->second));
        return {};
      },
      choices);
}

}  // namespace waitprof
