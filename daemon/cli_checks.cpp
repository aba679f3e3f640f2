#include "cli_checks.h"

#include <cerrno>
#include <cstdlib>

namespace waitprof {

CLI::Validator process_id_check() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const long pid = std::strtol(text.c_str(), &end, 10);
        if (text.empty() || *end != '\0' || errno != 0 || pid <= 0 || pid > 2147483647) {
          return text + " is not a process id";
        }
        return {};
      },
      "PID");
}

}  // namespace waitprof
