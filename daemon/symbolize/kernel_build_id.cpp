#include "symbolize/kernel_build_id.h"

#include <elfutils/libdwfl.h>

#include <memory>
#include <string_view>

#include "symbolize/dwfl_session.h"

namespace waitprof {

namespace {

const Dwfl_Callbacks kKernelCallbacks = {
    .find_elf = dwfl_linux_kernel_find_elf,
    .find_debuginfo = dwfl_standard_find_debuginfo,
    .section_address = dwfl_linux_kernel_module_section_address,
    .debuginfo_path = nullptr,
};

int take_kernel(Dwfl_Module* mod, void**, const char* name, Dwarf_Addr, void* arg) {
  if (std::string_view(name) != "kernel") return DWARF_CB_OK;
  *static_cast<Dwfl_Module**>(arg) = mod;
  return DWARF_CB_ABORT;
}

}  // namespace

std::string running_kernel_build_id() {
  std::unique_ptr<Dwfl, decltype(&dwfl_end)> dwfl(dwfl_begin(&kKernelCallbacks), &dwfl_end);
  if (!dwfl) return {};
  dwfl_report_begin(dwfl.get());
  // Without a vmlinux on disk this reports the image bounds from /proc/kallsyms and the
  // build id from /sys/kernel/notes, which is all we want from it.
  const int rc = dwfl_linux_kernel_report_kernel(dwfl.get());
  if (dwfl_report_end(dwfl.get(), nullptr, nullptr) != 0 || rc != 0) return {};
  Dwfl_Module* kernel = nullptr;
  dwfl_getmodules(dwfl.get(), take_kernel, &kernel, 0);
  if (!kernel) return {};
  const unsigned char* bits = nullptr;
  GElf_Addr vaddr = 0;
  int len = dwfl_module_build_id(kernel, &bits, &vaddr);
  if (len == 0) {
    // A vmlinux found on disk carries the id in its ELF notes, read once it is loaded.
    Dwarf_Addr bias = 0;
    if (dwfl_module_getelf(kernel, &bias)) len = dwfl_module_build_id(kernel, &bits, &vaddr);
  }
  if (len <= 0) return {};
  return build_id_hex(bits, len);
}

}  // namespace waitprof
