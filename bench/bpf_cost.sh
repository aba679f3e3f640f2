#!/usr/bin/env bash
# bench/bpf_cost.sh: what each waitprof BPF program costs per invocation, measured by the
# kernel (kernel.bpf_stats_enabled=1: run_time_ns / run_cnt per program), while
# `waitprof record --children` records a prefork target-server under wrk load.
# sched_switch runs for every context switch on the machine, target or not; the others are
# per futex wait, per TCP send, per cpu-clock tick. See bench/README.md.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
BUILD=${BUILD_DIR:-$REPO/build}
DURATION=10
RNG=locked
OUT=""
PORT=18300

usage() {
  cat <<USAGE
Usage: bench/bpf_cost.sh [--duration S] [--rng locked|pool] [--out DIR]
Records target-server (--workers nproc --threads 8) under wrk -t2 -c64 for S seconds
(default 10) with all four profiles and prints ns per invocation of each BPF program.
Needs root, a build in \$BUILD_DIR (default build/), wrk, bpftool, python3.
USAGE
}

while [ $# -gt 0 ]; do
  case $1 in
    --duration) DURATION=$2; shift 2 ;;
    --rng) RNG=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bpf_cost.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "bpf_cost.sh: needs root (bpf_stats, BPF programs)" >&2; exit 1; }
for bin in "$BUILD/daemon/waitprof" "$BUILD/target-server/target-server"; do
  [ -x "$bin" ] || { echo "bpf_cost.sh: $bin missing: build first (scripts/test.sh builds)" >&2; exit 1; }
done
OUT=${OUT:-$REPO/bench/results/bpf-cost-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"

old_stats=$(sysctl -n kernel.bpf_stats_enabled)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  sysctl -q -w kernel.bpf_stats_enabled="$old_stats"
}
trap cleanup EXIT INT TERM

"$BUILD/target-server/target-server" --port $PORT --threads 8 --rng "$RNG" --quiet &
server=$!; pids+=("$server")
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/stats" >/dev/null && break; sleep 0.1; done

sysctl -q -w kernel.bpf_stats_enabled=1
"$BUILD/daemon/waitprof" record --pid "$server" --children --output "$OUT/profiles" \
  2>"$OUT/waitprof.log" &
rec=$!; pids+=("$rec")
for _ in $(seq 100); do grep -q "Ctrl-C to stop" "$OUT/waitprof.log" && break; sleep 0.1; done

bpftool -j prog show > "$OUT/progs-before.json"
wrk -t2 -c64 -d"${DURATION}s" "http://127.0.0.1:$PORT/read" > "$OUT/wrk.txt"
bpftool -j prog show > "$OUT/progs-after.json"
kill -INT "$rec"; wait "$rec"
uname -r > "$OUT/machine.txt"; nproc >> "$OUT/machine.txt"; lscpu | grep 'Model name' >> "$OUT/machine.txt" || true

python3 - "$OUT" "$DURATION" <<'PY' | tee "$OUT/table.txt"
import json, sys
out, duration = sys.argv[1], float(sys.argv[2])
summary = json.load(open(f"{out}/profiles/summary.json"))
ids = {v: k for k, v in summary["bpf_program_ids"].items()}
def load(name):
    return {p["id"]: p for p in json.load(open(f"{out}/{name}")) if p["id"] in ids}
before, after = load("progs-before.json"), load("progs-after.json")
print(f"{'program':<20} {'events/s':>12} {'ns/event':>10}  (during {duration:.0f} s of wrk load)")
for pid in sorted(after, key=lambda i: ids[i]):
    cnt = after[pid].get("run_cnt", 0) - before.get(pid, {}).get("run_cnt", 0)
    ns = after[pid].get("run_time_ns", 0) - before.get(pid, {}).get("run_time_ns", 0)
    per = ns / cnt if cnt else 0
    print(f"{ids[pid]:<20} {cnt / duration:>12.0f} {per:>10.0f}")
req = [l for l in open(f"{out}/wrk.txt") if l.startswith("Requests/sec")]
print(req[0].strip() if req else "wrk: no Requests/sec line")
PY
echo "bpf_cost.sh: results in $OUT"
