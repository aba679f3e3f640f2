#pragma once

namespace waitprof {

// libbpf prints to stderr by default; waitprof reports failures in one line of its own and
// shows libbpf's verifier and loader messages only when asked (--verbose).
void set_libbpf_verbose(bool verbose);

}  // namespace waitprof
