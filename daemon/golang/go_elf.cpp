#include "golang/go_elf.h"

#include <fcntl.h>
#include <gelf.h>

#include <algorithm>

namespace waitprof {

Result<ElfFile> ElfFile::open(const std::string& path) {
  elf_version(EV_CURRENT);
  ElfFile file;
  file.fd_ = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file.fd_.valid()) return errno_error("opening " + path);
  file.elf_.reset(elf_begin(file.fd_.get(), ELF_C_READ_MMAP, nullptr));
  if (!file.elf_) return Error{path + ": not an ELF file"};
  return file;
}

std::map<std::string, ElfSymbol, std::less<>> ElfFile::symbols(
    std::initializer_list<std::string_view> names) const {
  std::map<std::string, ElfSymbol, std::less<>> found;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf_.get(), scn)) != nullptr) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB || shdr.sh_entsize == 0) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data) continue;
    const size_t count = shdr.sh_size / shdr.sh_entsize;
    for (size_t i = 0; i < count; ++i) {
      GElf_Sym sym;
      if (!gelf_getsym(data, static_cast<int>(i), &sym)) continue;
      const char* name = elf_strptr(elf_.get(), shdr.sh_link, sym.st_name);
      if (!name) continue;
      for (std::string_view want : names) {
        if (want == name) found[std::string(want)] = {sym.st_value, sym.st_size};
      }
    }
  }
  return found;
}

std::string ElfFile::bytes_at(uint64_t vaddr, size_t n) const {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf_.get(), scn)) != nullptr) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_PROGBITS || vaddr < shdr.sh_addr ||
        vaddr >= shdr.sh_addr + shdr.sh_size)
      continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || !data->d_buf) return {};
    const uint64_t at = vaddr - shdr.sh_addr;
    if (at >= data->d_size) return {};
    const size_t len = std::min<uint64_t>(n, data->d_size - at);
    return std::string(static_cast<const char*>(data->d_buf) + at, len);
  }
  return {};
}

}  // namespace waitprof
