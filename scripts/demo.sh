#!/usr/bin/env bash
# The main job on a fresh machine: set up, build, start target-server prefork with the
# incident's global RNG mutex, load it with autocannon, and report what its own counters saw.
# (Recording every worker with `waitprof record` joins here once the recorder lands.)
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
  cat <<USAGE
usage: $0 [--rng locked|pool] [--workers N] [--threads T] [--connections C]
          [--pipelining P] [--warmup S] [--duration S] [--port P] [--out DIR]
Defaults: --rng locked, --workers \$(nproc), --threads 8, --connections 100, --pipelining 1,
          --warmup 5, --duration 30, --port 8083, --out out/demo-<UTC time>
USAGE
}

RNG=locked WORKERS=$(nproc) THREADS=8 CONNECTIONS=100 PIPELINING=1 WARMUP=5 DURATION=30
PORT=8083 OUT=""
while [ $# -gt 0 ]; do
  case $1 in
    --rng) RNG=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --pipelining) PIPELINING=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
for n in "$WORKERS" "$THREADS" "$CONNECTIONS" "$PIPELINING" "$WARMUP" "$DURATION" "$PORT"; do
  [[ $n =~ ^[0-9]+$ ]] || die "'$n' is not a non-negative integer"
done
[ "$DURATION" -ge 1 ] || die "--duration must be at least 1 second"
case $RNG in locked|pool) ;; *) die "--rng must be locked or pool, not '$RNG'" ;; esac

require_root_and_btf
setup_and_build

OUT=${OUT:-$REPO_ROOT/out/demo-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
SERVER=$BUILD_DIR/target-server/target-server
URL=http://127.0.0.1:$PORT

SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" && wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting target-server: --workers $WORKERS --threads $THREADS --rng $RNG on $URL"
"$SERVER" --port "$PORT" --workers "$WORKERS" --threads "$THREADS" --rng "$RNG" \
  >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$OUT/server.log" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || die "target-server exited: $(tail -n1 "$OUT/server.log")"
  sleep 0.1
done
grep -q 'listening on' "$OUT/server.log" || die "target-server did not start within 10 s (log: $OUT/server.log)"
say "workers: $(pgrep -P "$SERVER_PID" | tr '\n' ' ')"

if [ "$WARMUP" -gt 0 ]; then
  say "warming up for ${WARMUP}s"
  autocannon -c "$CONNECTIONS" -p "$PIPELINING" -d "$WARMUP" "$URL/read" >/dev/null 2>&1 || true
fi
curl -sf "$URL/stats" >"$OUT/stats-before.json" || die "GET /stats failed"
say "loading $URL/read with autocannon: -c $CONNECTIONS -p $PIPELINING -d $DURATION"
autocannon -c "$CONNECTIONS" -p "$PIPELINING" -d "$DURATION" --json "$URL/read" \
  >"$OUT/autocannon.json" 2>"$OUT/autocannon.log" || die "autocannon failed (log: $OUT/autocannon.log)"
curl -sf "$URL/stats" >"$OUT/stats-after.json" || die "GET /stats failed"

python3 - "$OUT" "$RNG" <<'PY' | tee "$OUT/summary.txt"
import json, sys
out, rng = sys.argv[1], sys.argv[2]
ac = json.load(open(f"{out}/autocannon.json"))
before = json.load(open(f"{out}/stats-before.json"))
after = json.load(open(f"{out}/stats-after.json"))
wall_s = (after["uptime_ns"] - before["uptime_ns"]) / 1e9
d = {k: after["total"][k] - before["total"][k] for k in after["total"]}
wait_s = d["rng_wait_ns"] / 1e9
print(f"rng mode                 {rng}")
print(f"requests/s (autocannon)  {ac['requests']['average']:,.0f}")
print(f"latency p50 / p99        {ac['latency']['p50']} ms / {ac['latency']['p99']} ms")
print(f"errors / timeouts        {ac['errors']} / {ac['timeouts']}")
print(f"throughput               {ac['throughput']['average'] / 1e6:,.1f} MB/s")
print(f"server counters over     {wall_s:.1f} s of wall time")
print(f"  requests served        {d['requests']:,}")
print(f"  RNG lock acquisitions  {d['rng_acquisitions']:,} ({d['rng_contended']:,} contended)")
print(f"  RNG lock wait          {wait_s:.2f} thread-seconds = {wait_s / wall_s:.3f} s per s,"
      f" {wait_s * 60 / wall_s:.1f} s per 60 s")
PY
say "artifacts in $OUT"
