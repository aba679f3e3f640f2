#include "symbolize/module_registry.h"

namespace waitprof {

std::shared_ptr<const Module> ModuleRegistry::intern(Module m) {
  Key key{m.path,          m.build_id,         m.start,
          m.limit,         m.file_offset,      m.has_functions,
          m.has_filenames, m.has_line_numbers, m.has_inline_frames};
  auto it = modules_.find(key);
  if (it != modules_.end()) return it->second;
  auto shared = std::make_shared<const Module>(std::move(m));
  modules_.emplace(std::move(key), shared);
  return shared;
}

}  // namespace waitprof
