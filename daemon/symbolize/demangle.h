#pragma once

#include <string>
#include <string_view>

namespace waitprof {

// The C++ (Itanium ABI) demangled form of a symbol name; names that are not mangled, or
// that fail to demangle, come back unchanged (C functions keep their one name).
std::string demangle(std::string_view symbol);

}  // namespace waitprof
