#!/usr/bin/env bash
# The main job on a fresh machine, as the incident write-up ran it: set up and build, serve
# prefork with the global RNG mutex (--rng locked), load /read with autocannon, record every
# worker with `waitprof record` during the measured window, then do it all again with the fix
# (--rng pool) and print what changed, with the paths of the flamegraphs.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
  cat <<USAGE
usage: $0 [--modes "locked pool"] [--workers N] [--threads T] [--rng-draws D]
          [--connections C] [--pipelining P] [--client-workers W] [--warmup S]
          [--duration S] [--port P] [--out DIR]
Defaults: --modes "locked pool", --workers \$(nproc), --threads 16, --rng-draws 4096,
          --connections 100, --pipelining 1, --client-workers \$(nproc), --warmup 5,
          --duration 30, --port 8083, --out out/demo-<UTC time>
The story ran autocannon -c 500 -w 30 on a separate 32-vCPU client for 150 s and captured
60 s. Here client and server share this machine, so the defaults are scaled down (see README).
USAGE
}

MODES="locked pool" WORKERS=$(nproc) THREADS=16 DRAWS=4096 CONNECTIONS=100 PIPELINING=1
CLIENT_WORKERS=$(nproc) WARMUP=5 DURATION=30 PORT=8083 OUT=""
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --*) [ $# -ge 2 ] || { usage >&2; die "option '$1' needs a value"; } ;;
  esac
  case $1 in
    --modes) MODES=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rng-draws) DRAWS=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    --pipelining) PIPELINING=$2; shift 2 ;;
    --client-workers) CLIENT_WORKERS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    *) usage >&2; die "unknown option '$1'" ;;
  esac
done
for n in "$WORKERS" "$THREADS" "$DRAWS" "$CONNECTIONS" "$PIPELINING" "$CLIENT_WORKERS" "$WARMUP" \
         "$DURATION" "$PORT"; do
  [[ $n =~ ^[0-9]+$ ]] || die "'$n' is not a non-negative integer"
done
[ "$DURATION" -ge 1 ] || die "--duration must be at least 1 second"
for mode in $MODES; do
  case $mode in locked|pool) ;; *) die "--modes takes locked and/or pool, not '$mode'" ;; esac
done

require_root_and_btf
setup_and_build

OUT=${OUT:-$REPO_ROOT/out/demo-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
SERVER=$BUILD_DIR/target-server/target-server
WAITPROF=$BUILD_DIR/daemon/waitprof
URL=http://127.0.0.1:$PORT
# autocannon's -w spreads the client over worker threads; 0 or 1 means the main thread only.
CLIENT_ARGS=(-c "$CONNECTIONS" -p "$PIPELINING")
[ "$CLIENT_WORKERS" -gt 1 ] && CLIENT_ARGS+=(-w "$CLIENT_WORKERS")

SERVER_PID="" RECORDER_PID=""
stop() {  # pid: SIGTERM, then wait for it
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then kill -TERM "$1" && wait "$1" 2>/dev/null || true; fi
}
cleanup() { stop "$RECORDER_PID"; stop "$SERVER_PID"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to 10 s for a line matching $2 in file $1 while process $3 lives.
wait_for_line() {
  for _ in $(seq 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

run_mode() {
  local mode=$1 dir=$OUT/$1
  mkdir -p "$dir"
  say "[$mode] starting target-server: --workers $WORKERS --threads $THREADS --rng $mode --rng-draws $DRAWS on $URL"
  "$SERVER" --port "$PORT" --workers "$WORKERS" --threads "$THREADS" --rng "$mode" \
    --rng-draws "$DRAWS" >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  wait_for_line "$dir/server.log" 'listening on' "$SERVER_PID" ||
    die "target-server did not start (log: $dir/server.log): $(tail -n1 "$dir/server.log")"

  if [ "$WARMUP" -gt 0 ]; then
    say "[$mode] warming up for ${WARMUP}s"
    autocannon "${CLIENT_ARGS[@]}" -d "$WARMUP" "$URL/read" >/dev/null 2>&1 || true
  fi
  # The recorder attaches to the parent and follows every worker; the measured window is
  # exactly the autocannon run between the two /stats reads.
  "$WAITPROF" record --pid "$SERVER_PID" --children --output "$dir" \
    >"$dir/waitprof.out" 2>"$dir/waitprof.log" &
  RECORDER_PID=$!
  wait_for_line "$dir/waitprof.log" 'Ctrl-C to stop' "$RECORDER_PID" ||
    die "waitprof record did not start (log: $dir/waitprof.log): $(tail -n1 "$dir/waitprof.log")"
  curl -sf "$URL/stats" >"$dir/stats-before.json" || die "GET /stats failed"
  say "[$mode] recording while autocannon loads $URL/read: ${CLIENT_ARGS[*]} -d $DURATION"
  autocannon "${CLIENT_ARGS[@]}" -d "$DURATION" --json "$URL/read" \
    >"$dir/autocannon.json" 2>"$dir/autocannon.log" || die "autocannon failed (log: $dir/autocannon.log)"
  curl -sf "$URL/stats" >"$dir/stats-after.json" || die "GET /stats failed"
  kill -INT "$RECORDER_PID"
  wait "$RECORDER_PID" || die "waitprof record failed (log: $dir/waitprof.log): $(tail -n1 "$dir/waitprof.log")"
  RECORDER_PID=""
  stop "$SERVER_PID"
  SERVER_PID=""
  say "[$mode] $(head -n 3 "$dir/summary.txt" | tail -n 1)"
}

for mode in $MODES; do run_mode "$mode"; done

python3 "$REPO_ROOT/scripts/what_changed.py" "$OUT" $MODES | tee "$OUT/what-changed.txt"
say "artifacts in $OUT (per mode: profiles, flamegraphs, summary.txt, autocannon and /stats JSON)"
