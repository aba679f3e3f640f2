# Shared by the README's commands: root/BTF checks, setup, and the CMake build.
# shellcheck shell=bash

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$REPO_ROOT/build}

die() { printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }
say() { printf '%s: %s\n' "$(basename "$0")" "$*"; }

require_root_and_btf() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and loads BPF programs): try sudo $0"
  [ -r /sys/kernel/btf/vmlinux ] || die "/sys/kernel/btf/vmlinux is missing: waitprof needs a kernel built with CONFIG_DEBUG_INFO_BTF=y"
}

setup_and_build() {
  "$REPO_ROOT/scripts/setup.sh"
  say "building in $BUILD_DIR"
  mkdir -p "$BUILD_DIR"
  local log=$BUILD_DIR/build.log
  if ! { cmake -S "$REPO_ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
         cmake --build "$BUILD_DIR" -j"$(nproc)"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "build failed (full log: $log)"
  fi
  grep -E 'warning:' "$log" >&2 || true
}
