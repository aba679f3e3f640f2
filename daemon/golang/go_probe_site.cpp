#include "golang/go_probe_site.h"

#include "golang/go_elf.h"

namespace waitprof {

Result<std::optional<uint64_t>> go_probe_offset(const std::string& path,
                                                const std::string& function) {
  Result<ElfFile> elf = ElfFile::open(path);
  if (!elf) return elf.error();
  const auto symbols = elf->symbols({function});
  auto it = symbols.find(function);
  if (it == symbols.end()) return std::optional<uint64_t>{};
  return std::optional<uint64_t>{go_probe_offset_in(elf->bytes_at(it->second.value, 6))};
}

uint64_t go_probe_offset_in(std::string_view code) {
  // CMPQ SP, 16(R14): REX.WB 3B /r with ModRM 0x66 (rsp, [r14+disp8]), disp8 16. (A function
  // with a large frame compares R12 = SP - frame instead, after a LEAQ: no such opener.)
  constexpr std::string_view kCmpSpStackguard("\x49\x3b\x66\x10", 4);
  if (code.size() < 6 || !code.starts_with(kCmpSpStackguard)) return 0;
  const auto op = static_cast<unsigned char>(code[4]);
  const auto op2 = static_cast<unsigned char>(code[5]);
  const bool jbe = op == 0x76 || (op == 0x0f && op2 == 0x86);  // JBE rel8, JBE rel32
  return jbe ? 4 : 0;
}

}  // namespace waitprof
