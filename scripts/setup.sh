#!/usr/bin/env bash
# Installs what a fresh Debian bookworm machine lacks to build, test, benchmark and demo
# waitprof. Idempotent: a second run installs nothing and says so. Needs root.
set -euo pipefail

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get and npm -g need it); try: sudo $0"
command -v apt-get >/dev/null || die "apt-get not found: waitprof's setup targets Debian bookworm"

# Build: compilers, BPF toolchain (clang, bpftool, libbpf), symbolization (elfutils, and
# libc6-dbg so libc frames get file:line),
# profile.proto (protobuf), CLI (CLI11), serve's HTTP server (libmicrohttpd), tests (GoogleTest, nlohmann-json to validate JSON,
# gdb: its backtraces are the truth the stack tests compare against).
# Run: wrk, nginx (throughput baseline), golang-go (`go tool pprof` reads our files),
# libbpf-tools (offcputime, the tool we compare against), linux-perf (perf bench sched),
# chromium (the browser test opens flamegraph SVGs in it).
PACKAGES=(
  build-essential cmake make pkg-config git ca-certificates
  clang llvm libclang-rt-14-dev
  libbpf-dev bpftool libelf-dev libdw-dev zlib1g-dev libc6-dbg
  libprotobuf-dev protobuf-compiler
  libcli11-dev libgtest-dev nlohmann-json3-dev gdb libmicrohttpd-dev
  wrk nginx-light golang-go libbpf-tools linux-perf
  curl procps psmisc util-linux
  chromium
)

# The base image may ship its own Node.js and npm, which Debian's npm package conflicts with:
# only ask Debian for them where there is none.
command -v npm >/dev/null || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages: all ${#PACKAGES[@]} present"
fi

# Debian's nginx package starts a service on port 80 where an init system runs; the bench
# starts its own nginx on a loopback port, so a stray system instance only costs CPU.
if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then
  say "stopping the system nginx service (the bench runs its own instance)"
  systemctl stop nginx || true
fi

if ! command -v autocannon >/dev/null; then
  say "installing autocannon from the npm registry"
  npm install -g --no-audit --no-fund autocannon >/dev/null
else
  say "autocannon: present ($(command -v autocannon))"
fi

# The browser test drives chromium with playwright-core, pinned by tests/browser's
# package-lock.json. playwright-core downloads no browser of its own.
browser_dir=$(cd "$(dirname "$0")/.." && pwd)/tests/browser
want=$(node -p "require('$browser_dir/package-lock.json').packages['node_modules/playwright-core'].version")
have=$(node -p "require('$browser_dir/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  say "installing playwright-core $want for the browser test (npm ci in tests/browser)"
  npm ci --prefix "$browser_dir" --no-audit --no-fund >/dev/null
else
  say "playwright-core: present ($have)"
fi

# BPF programs need these mounted; containers and minimal boots often have neither.
mountpoint -q /sys/kernel/tracing || {
  say "mounting tracefs on /sys/kernel/tracing"
  mount -t tracefs tracefs /sys/kernel/tracing
}
mountpoint -q /sys/fs/bpf || {
  say "mounting bpffs on /sys/fs/bpf"
  mount -t bpf bpf /sys/fs/bpf
}

[ -r /sys/kernel/btf/vmlinux ] || die "/sys/kernel/btf/vmlinux is missing: waitprof needs a kernel built with CONFIG_DEBUG_INFO_BTF=y"
say "ready"
