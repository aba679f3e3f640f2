#include "symbolize/vdso_image.h"

#include <gelf.h>
#include <sys/auxv.h>

#include <algorithm>
#include <vector>

#include "symbolize/maps_snapshot.h"
#include "util/read_file.h"

namespace waitprof {

namespace {

struct VdsoSymbol {
  uint64_t offset = 0;  // from the image's start (its vaddrs start at 0, or are made so)
  uint64_t size = 0;
  std::string name;
};

// The image's function symbols, by offset.
std::vector<VdsoSymbol> read_symbols(const VdsoImage& image) {
  std::vector<VdsoSymbol> out;
  if (!image.data) return out;
  elf_version(EV_CURRENT);
  Elf* elf = elf_memory(static_cast<char*>(const_cast<void*>(image.data)), image.size);
  if (!elf) return out;
  // Symbol values are vaddrs; the first PT_LOAD says where the image starts.
  uint64_t base = 0;
  size_t phnum = 0;
  if (elf_getphdrnum(elf, &phnum) == 0) {
    for (size_t i = 0; i < phnum; ++i) {
      GElf_Phdr ph;
      if (gelf_getphdr(elf, static_cast<int>(i), &ph) && ph.p_type == PT_LOAD) {
        base = ph.p_vaddr - ph.p_offset;
        break;
      }
    }
  }
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || (shdr.sh_type != SHT_DYNSYM && shdr.sh_type != SHT_SYMTAB))
      continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || shdr.sh_entsize == 0) continue;
    const size_t count = shdr.sh_size / shdr.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
        continue;
      const char* name = elf_strptr(elf, shdr.sh_link, sym.st_name);
      if (name && *name) out.push_back({sym.st_value - base, sym.st_size, name});
    }
  }
  elf_end(elf);
  // The vDSO exports each function twice ("clock_gettime" and "__vdso_clock_gettime"): keep
  // the __vdso_ one, the name the kernel gives it.
  std::sort(out.begin(), out.end(), [](const VdsoSymbol& a, const VdsoSymbol& b) {
    if (a.offset != b.offset) return a.offset < b.offset;
    return a.name.rfind("__vdso_", 0) == 0 && b.name.rfind("__vdso_", 0) != 0;
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const VdsoSymbol& a, const VdsoSymbol& b) { return a.offset == b.offset; }),
            out.end());
  return out;
}

}  // namespace

const VdsoImage& own_vdso() {
  static const VdsoImage image = [] {
    VdsoImage v;
    const auto base = getauxval(AT_SYSINFO_EHDR);
    Result<std::string> maps = read_text_file("/proc/self/maps");
    if (!base || !maps) return v;
    const MapsSnapshot self = make_maps_snapshot(*maps);
    if (self.vdso && self.vdso->start == base) {
      v.data = reinterpret_cast<const void*>(base);
      v.size = self.vdso->end - self.vdso->start;
    }
    return v;
  }();
  return image;
}

std::string vdso_function_at(uint64_t offset) {
  static const std::vector<VdsoSymbol> symbols = read_symbols(own_vdso());
  auto it = std::upper_bound(symbols.begin(), symbols.end(), offset,
                             [](uint64_t o, const VdsoSymbol& s) { return o < s.offset; });
  if (it == symbols.begin()) return {};
  --it;
  return offset < it->offset + std::max<uint64_t>(it->size, 1) ? it->name : std::string();
}

}  // namespace waitprof
