#include "unwind/module_cfi.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <type_traits>

#include "unwind/cfi_rule.h"
#include "util/unique_fd.h"

namespace waitprof {

namespace {

// Every FDE's pc range must be known to walk its rows, and libdw decodes an FDE's
// initial_location only internally. dwarf_next_cfi splits the section into CIEs and FDEs;
// what is left is the pointer encoding a CIE's 'R' augmentation names (pcrel sdata4 from GCC
// and clang), decoded here. The rows themselves come from libdw's CFI interpreter.
struct PointerReader {
  const uint8_t* p;
  const uint8_t* end;

  bool uleb(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; p < end && shift < 64; shift += 7) {
      const uint8_t b = *p++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *out = v;
        return true;
      }
    }
    return false;
  }
  bool sleb(int64_t* out) {
    uint64_t v = 0;
    int shift = 0;
    uint8_t b = 0;
    do {
      if (p >= end || shift >= 64) return false;
      b = *p++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 64 && (b & 0x40)) v |= ~uint64_t{0} << shift;
    *out = static_cast<int64_t>(v);
    return true;
  }
  template <typename T>
  bool fixed(uint64_t* out) {
    if (end - p < static_cast<ptrdiff_t>(sizeof(T))) return false;
    T v;
    std::memcpy(&v, p, sizeof(T));  // the host's byte order: x86-64 reads its own files
    p += sizeof(T);
    // Signed fields sign-extend, so a pc-relative offset below the field subtracts.
    if constexpr (std::is_signed_v<T>) {
      *out = static_cast<uint64_t>(static_cast<int64_t>(v));
    } else {
      *out = static_cast<uint64_t>(v);
    }
    return true;
  }
  // The value of one DW_EH_PE_* encoded field, before any base is applied.
  bool value(uint8_t encoding, uint64_t* out) {
    switch (encoding & 0x0f) {
      case DW_EH_PE_absptr: return fixed<uint64_t>(out);
      case DW_EH_PE_uleb128: return uleb(out);
      case DW_EH_PE_udata2: return fixed<uint16_t>(out);
      case DW_EH_PE_udata4: return fixed<uint32_t>(out);
      case DW_EH_PE_udata8: return fixed<uint64_t>(out);
      case DW_EH_PE_sleb128: {
        int64_t v = 0;
        if (!sleb(&v)) return false;
        *out = static_cast<uint64_t>(v);
        return true;
      }
      case DW_EH_PE_sdata2: return fixed<int16_t>(out);
      case DW_EH_PE_sdata4: return fixed<int32_t>(out);
      case DW_EH_PE_sdata8: return fixed<int64_t>(out);
      default: return false;
    }
  }
};

// The FDE pointer encoding of a CIE: its 'R' augmentation (absptr when it has none).
std::optional<uint8_t> fde_encoding(const Dwarf_CIE& cie) {
  const char* aug = cie.augmentation;
  if (aug == nullptr || aug[0] != 'z') return uint8_t{DW_EH_PE_absptr};
  PointerReader r{cie.augmentation_data, cie.augmentation_data + cie.augmentation_data_size};
  uint8_t encoding = DW_EH_PE_absptr;
  for (const char* c = aug + 1; *c; ++c) {
    if (r.p > r.end) return std::nullopt;
    switch (*c) {
      case 'R':
        if (r.p >= r.end) return std::nullopt;
        encoding = *r.p++;
        break;
      case 'P': {  // personality: its own encoding, then a pointer in it
        if (r.p >= r.end) return std::nullopt;
        const uint8_t penc = *r.p++;
        uint64_t ignored = 0;
        if (!r.value(penc, &ignored)) return std::nullopt;
        break;
      }
      case 'L':  // LSDA encoding: one byte
        ++r.p;
        break;
      case 'S':  // signal frame: libdw reports it per row
      case 'B':  // AArch64 BTI
        break;
      default:  // unknown: 'z' says the rest is data we need not understand
        return encoding;
    }
  }
  return encoding;
}

struct FdeRange {
  uint64_t start = 0;
  uint64_t end = 0;
  bool eh_frame = true;
};

struct CfiSection {
  Elf_Data* data = nullptr;
  uint64_t vaddr = 0;
};

std::optional<CfiSection> find_section(Elf* elf, const char* name) {
  size_t shstrndx = 0;
  if (elf_getshdrstrndx(elf, &shstrndx) != 0) return std::nullopt;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS) continue;
    const char* n = elf_strptr(elf, shstrndx, shdr.sh_name);
    if (!n || std::strcmp(n, name) != 0) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    if (!data || data->d_size == 0) return std::nullopt;
    return CfiSection{data, shdr.sh_addr};
  }
  return std::nullopt;
}

// The pc ranges of every FDE in a CFI section.
void list_fdes(Elf* elf, const CfiSection& section, bool eh_frame, std::vector<FdeRange>& out,
               size_t* skipped) {
  const unsigned char* ident = reinterpret_cast<const unsigned char*>(elf_getident(elf, nullptr));
  std::map<Dwarf_Off, std::optional<uint8_t>> encodings;  // by CIE offset
  const auto* base = static_cast<const uint8_t*>(section.data->d_buf);
  Dwarf_Off offset = 0;
  for (;;) {
    Dwarf_Off next = 0;
    Dwarf_CFI_Entry entry;
    const int rc = dwarf_next_cfi(ident, section.data, eh_frame, offset, &next, &entry);
    if (rc > 0) break;  // end of section
    if (rc < 0) {
      if (next == offset || next == static_cast<Dwarf_Off>(-1)) break;
      ++*skipped;
      offset = next;
      continue;
    }
    if (dwarf_cfi_cie_p(&entry)) {
      encodings[offset] = eh_frame ? fde_encoding(entry.cie) : uint8_t{DW_EH_PE_absptr};
    } else {
      auto cie = encodings.find(entry.fde.CIE_pointer);
      if (cie == encodings.end()) {
        // A CIE after its FDE (legal in .debug_frame): read it now.
        Dwarf_Off cie_next = 0;
        Dwarf_CFI_Entry cie_entry;
        if (dwarf_next_cfi(ident, section.data, eh_frame, entry.fde.CIE_pointer, &cie_next,
                           &cie_entry) == 0 &&
            dwarf_cfi_cie_p(&cie_entry)) {
          cie = encodings
                    .emplace(entry.fde.CIE_pointer,
                             eh_frame ? fde_encoding(cie_entry.cie) : uint8_t{DW_EH_PE_absptr})
                    .first;
        }
      }
      const std::optional<uint8_t> enc =
          cie != encodings.end() ? cie->second : std::optional<uint8_t>{};
      PointerReader r{entry.fde.start, entry.fde.end};
      uint64_t start = 0;
      uint64_t range = 0;
      // Only pc-relative and absolute pointers occur in x86-64 code; others are skipped.
      const uint8_t application = enc ? (*enc & 0x70) : 0xff;
      if (enc && !(*enc & DW_EH_PE_indirect) &&
          (application == DW_EH_PE_absptr || application == DW_EH_PE_pcrel) &&
          r.value(*enc, &start) && r.value(*enc & 0x0f, &range)) {
        if (application == DW_EH_PE_pcrel) {
          start += section.vaddr + static_cast<uint64_t>(entry.fde.start - base);
        }
        if (range > 0 && start + range > start) out.push_back({start, start + range, eh_frame});
      } else {
        ++*skipped;
      }
    }
    offset = next;
  }
}

// Appends the rows of one FDE's range, read through libdw's CFI interpreter.
void add_rows(Dwarf_CFI* cfi, const FdeRange& fde, ModuleCfi& out) {
  uint64_t addr = fde.start;
  while (addr < fde.end) {
    Dwarf_Frame* frame = nullptr;
    if (dwarf_cfi_addrframe(cfi, addr, &frame) != 0) break;
    Dwarf_Addr start = 0;
    Dwarf_Addr end = 0;
    bool signal = false;
    dwarf_frame_info(frame, &start, &end, &signal);
    Dwarf_Op* cfa = nullptr;
    size_t cfa_count = 0;
    if (dwarf_frame_cfa(frame, &cfa, &cfa_count) != 0) cfa_count = 0;
    Dwarf_Op ra_mem[3];
    Dwarf_Op bp_mem[3];
    RegisterOps ra;
    RegisterOps bp;
    Dwarf_Op* ops = nullptr;
    if (dwarf_frame_register(frame, kDwarfRegRa, ra_mem, &ops, &ra.count) == 0) {
      ra.ops = ops;
    } else {
      ra = {ra_mem, 0};
    }
    if (dwarf_frame_register(frame, kDwarfRegBp, bp_mem, &ops, &bp.count) == 0) {
      bp.ops = ops;
    } else {
      bp = {bp_mem, 0};
    }
    const std::optional<waitprof_unwind_rule> rule =
        classify_cfi_row(cfa, cfa_count, ra, bp, signal);
    std::free(frame);
    CfiRow row;
    row.vaddr = addr;
    row.covered = rule.has_value();
    if (rule) row.rule = *rule;
    if (!rule) ++out.unsupported_rows;
    out.rows.push_back(row);
    if (end <= addr) break;  // a malformed row: do not loop
    addr = end;
  }
}

bool same_rule(const CfiRow& a, const CfiRow& b) {
  return a.covered == b.covered && (!a.covered || a.rule == b.rule);
}

}  // namespace

Result<ModuleCfi> read_module_cfi(Elf* elf) {
  ModuleCfi out;
  std::vector<FdeRange> fdes;
  size_t skipped = 0;
  const std::optional<CfiSection> eh = find_section(elf, ".eh_frame");
  const std::optional<CfiSection> debug = find_section(elf, ".debug_frame");
  if (eh) list_fdes(elf, *eh, true, fdes, &skipped);
  if (debug) list_fdes(elf, *debug, false, fdes, &skipped);
  if (fdes.empty()) return out;

  // .eh_frame first at equal starts; a .debug_frame FDE only fills what .eh_frame leaves out.
  std::sort(fdes.begin(), fdes.end(), [](const FdeRange& a, const FdeRange& b) {
    return a.start != b.start ? a.start < b.start : a.eh_frame > b.eh_frame;
  });
  Dwarf_CFI* eh_cfi = eh ? dwarf_getcfi_elf(elf) : nullptr;
  Dwarf* dwarf = debug ? dwarf_begin_elf(elf, DWARF_C_READ, nullptr) : nullptr;
  Dwarf_CFI* debug_cfi = dwarf ? dwarf_getcfi(dwarf) : nullptr;
  uint64_t covered_to = 0;
  for (size_t i = 0; i < fdes.size(); ++i) {
    const FdeRange& fde = fdes[i];
    if (fde.start < covered_to) continue;  // overlaps one already read
    Dwarf_CFI* cfi = fde.eh_frame ? eh_cfi : debug_cfi;
    if (!cfi) continue;
    ++out.fdes;
    (fde.eh_frame ? out.from_eh_frame : out.from_debug_frame) = true;
    add_rows(cfi, fde, out);
    covered_to = fde.end;
    // Past this FDE, until the next one starts, no CFI describes the code.
    const bool next_adjacent = i + 1 < fdes.size() && fdes[i + 1].start <= fde.end;
    if (!next_adjacent) out.rows.push_back(CfiRow{fde.end, false, {}});
  }
  if (eh_cfi) dwarf_cfi_end(eh_cfi);
  if (dwarf) dwarf_end(dwarf);

  // One row per change of rule: rows that differ only in registers the walk does not restore
  // (rbx, r12…) are one.
  std::vector<CfiRow> merged;
  merged.reserve(out.rows.size());
  for (const CfiRow& row : out.rows) {
    if (!merged.empty() && merged.back().vaddr == row.vaddr) {
      merged.back() = row;  // an FDE starting where the previous one's gap row was put
    } else if (merged.empty() || !same_rule(merged.back(), row)) {
      merged.push_back(row);
    }
  }
  out.rows = std::move(merged);
  return out;
}

Result<ModuleCfi> read_module_cfi_file(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("opening " + path);
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr);
  if (!elf) return Error{"reading " + path + " as ELF: " + elf_errmsg(-1)};
  if (elf_kind(elf) != ELF_K_ELF) {
    elf_end(elf);
    return Error{"reading " + path + ": not an ELF file"};
  }
  Result<ModuleCfi> cfi = read_module_cfi(elf);
  elf_end(elf);
  return cfi;
}

}  // namespace waitprof
