// The code images one or more processes share, resolved through one libdwfl session with a
// per-address cache. Prefork workers forked from one parent map the same files at the same
// addresses, so they all land here and every address is resolved once.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "symbolize/dwfl_session.h"
#include "symbolize/frame.h"
#include "symbolize/maps_snapshot.h"
#include "symbolize/module_registry.h"

namespace waitprof {

struct ResolvedAddress {
  std::shared_ptr<const Module> module;  // null when no kept mapping covers the address
  std::vector<SourceLine> lines;
};

class AddressSpace {
 public:
  // A session that libdwfl refused still yields Modules from the maps, with no lines.
  explicit AddressSpace(MapsSnapshot maps);

  // lookup_addr is the address to name (already addr-1 for return addresses).
  const ResolvedAddress& resolve(uint64_t lookup_addr, ModuleRegistry& registry);
  // DwflSession::data_symbol's name of a data address, looked up once per address (every
  // futex wait's lock label asks); empty without a session.
  const std::string& data_symbol(uint64_t addr);
  // The return addresses of frames tail calls removed between a callee (named at
  // callee_lookup) and its caller (at return_address), innermost first; usually none.
  const std::vector<uint64_t>& tail_calls(uint64_t callee_lookup, uint64_t return_address);

 private:
  std::shared_ptr<const Module> module_for(const MapEntry& mapping, uint64_t addr,
                                           ModuleRegistry& registry);
  ResolvedAddress resolve_vdso(uint64_t addr, ModuleRegistry& registry);

  MapsSnapshot maps_;
  std::unique_ptr<DwflSession> dwfl_;
  std::unordered_map<uint64_t, std::shared_ptr<const Module>> modules_;  // by mapping start
  std::unordered_map<uint64_t, ResolvedAddress> resolved_;
  std::unordered_map<uint64_t, std::string> data_symbols_;
  struct PairHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& p) const {
      return std::hash<uint64_t>()(p.first * 0x9e3779b97f4a7c15ull ^ p.second);
    }
  };
  std::unordered_map<std::pair<uint64_t, uint64_t>, std::vector<uint64_t>, PairHash> tail_calls_;
  std::shared_ptr<const Module> vdso_module_;
};

}  // namespace waitprof
