#include "symbolize/go_build_info.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <cstring>
#include <string_view>

#include "util/unique_fd.h"

namespace waitprof {

namespace {

// The build info's header (src/debug/buildinfo/buildinfo.go): a 14-byte magic, the pointer
// size, a flags byte; 32 bytes in all. Flag bit 1 (Go 1.18 and later): the version follows
// inline as a varint length and its bytes. Before that, two pointers after the header point at
// the version's and the module info's string headers {data pointer, length}.
constexpr std::string_view kMagic{"\xff Go buildinf:", 14};
constexpr size_t kHeaderSize = 32;
constexpr unsigned char kFlagInline = 0x2;
constexpr unsigned char kFlagBigEndian = 0x1;

bool read_varint(std::string_view data, size_t& pos, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && pos < data.size(); shift += 7) {
    const auto byte = static_cast<unsigned char>(data[pos++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return true;
  }
  return false;
}

// `size` bytes at virtual address `addr`, from whichever section holds them.
std::optional<std::string_view> at_address(Elf* elf, uint64_t addr, size_t size) {
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (!gelf_getshdr(scn, &shdr) || shdr.sh_type == SHT_NOBITS) continue;
    if (addr < shdr.sh_addr || addr + size > shdr.sh_addr + shdr.sh_size) continue;
    Elf_Data* data = elf_rawdata(scn, nullptr);
    if (!data || !data->d_buf) return std::nullopt;
    const size_t off = addr - shdr.sh_addr;
    if (off + size > data->d_size) return std::nullopt;
    return std::string_view(static_cast<const char*>(data->d_buf) + off, size);
  }
  return std::nullopt;
}

uint64_t word(std::string_view bytes, size_t ptr_size, bool big_endian) {
  uint64_t v = 0;
  for (size_t i = 0; i < ptr_size && i < 8; ++i) {
    const auto b = static_cast<unsigned char>(bytes[big_endian ? i : ptr_size - 1 - i]);
    v = (v << 8) | b;
  }
  return v;
}

std::optional<std::string> version_from(Elf* elf, std::string_view info) {
  if (info.size() < kHeaderSize || info.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  const auto ptr_size = static_cast<size_t>(static_cast<unsigned char>(info[14]));
  const auto flags = static_cast<unsigned char>(info[15]);
  if (flags & kFlagInline) {
    size_t pos = kHeaderSize;
    uint64_t len = 0;
    if (!read_varint(info, pos, len) || len == 0 || pos + len > info.size()) return std::nullopt;
    return std::string(info.substr(pos, len));
  }
  if (ptr_size != 4 && ptr_size != 8) return std::nullopt;
  const bool big_endian = flags & kFlagBigEndian;
  const uint64_t header_addr = word(info.substr(16, ptr_size), ptr_size, big_endian);
  std::optional<std::string_view> header = at_address(elf, header_addr, 2 * ptr_size);
  if (!header) return std::nullopt;
  const uint64_t data_addr = word(header->substr(0, ptr_size), ptr_size, big_endian);
  const uint64_t len = word(header->substr(ptr_size, ptr_size), ptr_size, big_endian);
  if (len == 0 || len > 256) return std::nullopt;
  std::optional<std::string_view> text = at_address(elf, data_addr, len);
  return text ? std::optional<std::string>(std::string(*text)) : std::nullopt;
}

}  // namespace

std::optional<std::string> go_version_of(const std::string& elf_path) {
  UniqueFd fd(open(elf_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  elf_version(EV_CURRENT);
  Elf* elf = elf_begin(fd.get(), ELF_C_READ_MMAP, nullptr);
  if (!elf) return std::nullopt;
  std::optional<std::string> version;
  size_t shstrndx = 0;
  if (elf_kind(elf) == ELF_K_ELF && elf_getshdrstrndx(elf, &shstrndx) == 0) {
    Elf_Scn* scn = nullptr;
    while (!version && (scn = elf_nextscn(elf, scn)) != nullptr) {
      GElf_Shdr shdr;
      if (!gelf_getshdr(scn, &shdr)) continue;
      const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
      if (!name || std::strcmp(name, ".go.buildinfo") != 0) continue;
      Elf_Data* data = elf_rawdata(scn, nullptr);
      if (data && data->d_buf) {
        version = version_from(elf, {static_cast<const char*>(data->d_buf), data->d_size});
      }
    }
  }
  elf_end(elf);
  return version;
}

}  // namespace waitprof
