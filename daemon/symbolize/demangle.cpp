#include "symbolize/demangle.h"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace waitprof {

std::string demangle(std::string_view symbol) {
  // __cxa_demangle also "demangles" bare type codes ("i" -> "int"), which would rename C
  // functions called e.g. "f" or "v"; only symbols carry the _Z prefix.
  if (!symbol.starts_with("_Z")) return std::string(symbol);
  std::string owned(symbol);
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> out(
      abi::__cxa_demangle(owned.c_str(), nullptr, nullptr, &status), &std::free);
  if (status != 0 || !out) return owned;
  return std::string(out.get());
}

}  // namespace waitprof
