// Hands out one shared Module per distinct mapping, so callers (the pprof builder) can
// dedupe Mappings by pointer: the same mapping seen from two sessions (a process before and
// after a re-snapshot, or two processes with one library at one address) is one object.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <tuple>

#include "symbolize/frame.h"

namespace waitprof {

class ModuleRegistry {
 public:
  std::shared_ptr<const Module> intern(Module module);
  size_t size() const { return modules_.size(); }

 private:
  using Key =
      std::tuple<std::string, std::string, uint64_t, uint64_t, uint64_t, bool, bool, bool, bool>;
  std::map<Key, std::shared_ptr<const Module>> modules_;
};

}  // namespace waitprof
