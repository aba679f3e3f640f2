// An executable's ELF, opened for the few things the Go support reads from it directly: named
// symbols of .symtab and the bytes of code at an address.
#pragma once

#include <libelf.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"
#include "util/unique_fd.h"

namespace waitprof {

struct ElfSymbol {
  uint64_t value = 0, size = 0;
};

class ElfFile {
 public:
  static Result<ElfFile> open(const std::string& path);

  Elf* get() const { return elf_.get(); }
  // The .symtab entries with these names (a stripped binary has none).
  std::map<std::string, ElfSymbol, std::less<>> symbols(
      std::initializer_list<std::string_view> names) const;
  // Up to n bytes of the section that holds link-time address vaddr ("": no section does).
  std::string bytes_at(uint64_t vaddr, size_t n) const;

 private:
  struct Closer {
    void operator()(Elf* e) const { elf_end(e); }
  };
  UniqueFd fd_;
  std::unique_ptr<Elf, Closer> elf_;
};

}  // namespace waitprof
