// Whether an executable is a Go program, and which Go built it: the version string the Go
// linker writes into the binary's build info (`.go.buildinfo`, what `go version FILE` and
// runtime/debug.ReadBuildInfo read). Go programs wait in the Go runtime, not in the kernel,
// so the report says what their profiles can and cannot show.
#pragma once

#include <optional>
#include <string>

namespace waitprof {

// "go1.19.8" for a Go executable; nullopt for anything else or an unreadable file.
std::optional<std::string> go_version_of(const std::string& elf_path);

}  // namespace waitprof
