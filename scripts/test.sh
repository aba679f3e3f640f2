#!/usr/bin/env bash
# The whole test suite on a fresh machine: setup, build, then every test (unit, integration
# with real BPF as root, and a bounded fuzz run). CI runs exactly this.
set -euo pipefail
. "$(dirname "$0")/common.sh"
require_root_and_btf
setup_and_build
say "running the test suite"
cd "$BUILD_DIR"
ctest --output-on-failure -j"$(nproc)" "$@"
