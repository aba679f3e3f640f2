#include "symbolize/symbol_index.h"

#include <algorithm>

namespace waitprof {

namespace {

int binding_rank(unsigned char info) {
  switch (GELF_ST_BIND(info)) {
    case STB_GLOBAL:
      return 3;
    case STB_WEAK:
      return 2;
    case STB_LOCAL:
      return 1;
    default:
      return 0;
  }
}

}  // namespace

SymbolIndex::SymbolIndex(std::vector<Symbol> symbols) : symbols_(std::move(symbols)) {
  // Lookups scan downward from the closest start, so at one address the entry to prefer
  // goes last: better binding, then earlier in the symbol table (hence the reverse before
  // the stable sort).
  std::reverse(symbols_.begin(), symbols_.end());
  std::stable_sort(symbols_.begin(), symbols_.end(), [](const Symbol& a, const Symbol& b) {
    return a.address != b.address ? a.address < b.address : a.binding < b.binding;
  });
  max_end_.resize(symbols_.size());
  uint64_t max_end = 0;
  for (size_t i = 0; i < symbols_.size(); ++i) {
    if (symbols_[i].size != 0) max_end = std::max(max_end, symbols_[i].address + symbols_[i].size);
    max_end_[i] = max_end;
  }
}

SymbolIndex SymbolIndex::of_module(Dwfl_Module* mod) {
  std::vector<Symbol> symbols;
  const int count = dwfl_module_getsymtab(mod);
  if (count > 0) symbols.reserve(static_cast<size_t>(count));
  for (int i = 1; i < count; ++i) {
    GElf_Sym sym;
    GElf_Addr addr = 0;
    GElf_Word shndx = 0;
    const char* name = dwfl_module_getsym_info(mod, i, &sym, &addr, &shndx, nullptr, nullptr);
    // The same symbols dwfl_module_addrinfo considers.
    if (!name || name[0] == '\0' || shndx == SHN_UNDEF) continue;
    const int type = GELF_ST_TYPE(sym.st_info);
    if (type == STT_SECTION || type == STT_FILE || type == STT_TLS) continue;
    symbols.push_back(Symbol{addr, sym.st_size, binding_rank(sym.st_info), name});
  }
  return SymbolIndex(std::move(symbols));
}

const SymbolIndex::Symbol* SymbolIndex::lookup(uint64_t addr) const {
  auto above = std::upper_bound(symbols_.begin(), symbols_.end(), addr,
                                [](uint64_t a, const Symbol& s) { return a < s.address; });
  if (above == symbols_.begin()) return nullptr;
  const size_t last = static_cast<size_t>(above - symbols_.begin()) - 1;

  for (size_t i = last + 1; i-- > 0 && max_end_[i] > addr;) {
    const Symbol& s = symbols_[i];
    if (s.size != 0 && addr - s.address < s.size) return &s;
  }
  // No sized symbol covers addr. An assembly label counts only past every sized symbol's
  // end, or it would name the padding after a function.
  const uint64_t min_label = max_end_[last];
  for (size_t i = last + 1; i-- > 0 && symbols_[i].address >= min_label;) {
    if (symbols_[i].size == 0) return &symbols_[i];
  }
  return nullptr;
}

}  // namespace waitprof
