#include "support/recording.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "support/child_process.h"

namespace waitprof_test {

int exit_code(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::filesystem::path fresh_dir(const std::string& prefix, const std::string& name) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / (prefix + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream f(path);
  return nlohmann::json::parse(f, nullptr, /*allow_exceptions=*/false);
}

std::pair<int, std::string> record_to_end(std::vector<std::string> args) {
  args.insert(args.begin(), {WAITPROF_PATH, "record"});
  ChildProcess p(args, /*merge_stderr=*/true);
  std::string out = p.read_all(120000);
  return {exit_code(p.stop(0, 60000)), out};
}

}  // namespace waitprof_test
