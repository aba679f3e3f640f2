#!/usr/bin/env bash
# bench/overhead.sh: what waitprof costs the target, per BPF event and at export, beside
# libbpf-tools offcputime (issue 5). Three parts, one table; see bench/README.md.
#
#   throughput  target-server prefork under a fixed wrk load: (a) no profiler, (b) waitprof
#               record with all six profiles, (c) offcputime -p (one per worker); rotated
#               order within each round; medians, min-max, ratios against (a)
#   cost        kernel.bpf_stats_enabled=1: ns per sched_switch and sched_waking invocation
#               for non-target events (perf bench sched pipe, idle target) and target events
#               (plus wrk), and per lock release the mutex profile records
#   export      time and peak RSS from stop to all files written: a --export-duration (60 s)
#               recording of target-server under wrk, and stack_fanout at 2^k unique stacks
set -eEuo pipefail

PROG=overhead.sh
# shellcheck source=bench/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
HELPER="$BENCH_DIR/overhead.py"

BUILD=${BUILD_DIR:-$REPO/build}
# Many short rounds rather than a few long ones: this kind of host drifts by 10% within a
# minute, and the median's confidence interval narrows with the number of rounds.
ROUNDS=12
DURATION=5
WORKERS=$NCPU
THREADS=8
RNG=locked
CONNECTIONS=64
WRK_THREADS=2
COST_DURATION=10
EXPORT_DURATION=60
FANOUT_DEPTHS="6,10,14"
FANOUT_DURATION=10
SYSCALL_RUNS=5
PARTS="throughput,cost,syscall,export"
QUICK=0
OUT=""
PORT_BASE=8190
PORT_COUNT=10
OFFCPUTIME=${OFFCPUTIME:-}
PERF=${PERF:-}
WARMUP=2

usage() {
  cat <<EOF
Usage: sudo bench/overhead.sh [options]

Overhead of waitprof on a prefork target-server beside libbpf-tools offcputime, per-event
BPF cost, and export time/RSS; prints one markdown table and stores the run in --out.

Options:
  --rounds R            throughput rounds, each runs (a) (b) (c) in rotated order (default 12)
  --duration S          seconds per wrk run in the throughput part (default 5)
  --workers N           target-server workers (default: nproc = $NCPU)
  --threads T           target-server threads per worker (default 8)
  --rng locked|pool     target-server RNG (default locked: futex waits for the lock profile)
  --connections C       wrk connections (default 64)
  --wrk-threads N       wrk threads (default 2)
  --cost-duration S     seconds per per-event-cost window (default 10)
  --export-duration S   length of the target-server recording for the export row (default 60)
  --fanout-depths LIST  stack_fanout depths k (2^k unique stacks) (default 6,10,14)
  --fanout-duration S   seconds per stack_fanout recording (default 10)
  --only LIST           parts to run, of throughput,cost,syscall,export (default: all)
  --quick               smoke run: 2 rounds x 3 s, 3 s cost windows, 5 s export, depths 6,10
  --build DIR           build dir with daemon/waitprof, target-server/, bench/stack_fanout
                        (default: \$BUILD_DIR or <repo>/build)
  --port P              first of the 10 ports to use on 127.0.0.1 (default 8190)
  --out DIR             results dir (default: bench/results/overhead-<UTC timestamp>)
  -h, --help            this help

Environment: OFFCPUTIME=/path, PERF=/path override the tools found in PATH / /usr/sbin.
Needs root, wrk, curl, bpftool, perf (linux-perf), offcputime (libbpf-tools), python3.
Full run with the defaults: about 7 minutes; --quick: about 2 minutes.
EOF
}

ORIG_ARGS="$*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rounds) need_arg "$@"; ROUNDS=$2; shift 2 ;;
    --duration) need_arg "$@"; DURATION=$2; shift 2 ;;
    --workers) need_arg "$@"; WORKERS=$2; shift 2 ;;
    --threads) need_arg "$@"; THREADS=$2; shift 2 ;;
    --rng) need_arg "$@"; RNG=$2; shift 2 ;;
    --connections) need_arg "$@"; CONNECTIONS=$2; shift 2 ;;
    --wrk-threads) need_arg "$@"; WRK_THREADS=$2; shift 2 ;;
    --cost-duration) need_arg "$@"; COST_DURATION=$2; shift 2 ;;
    --export-duration) need_arg "$@"; EXPORT_DURATION=$2; shift 2 ;;
    --fanout-depths) need_arg "$@"; FANOUT_DEPTHS=$2; shift 2 ;;
    --fanout-duration) need_arg "$@"; FANOUT_DURATION=$2; shift 2 ;;
    --only) need_arg "$@"; PARTS=$2; shift 2 ;;
    --build) need_arg "$@"; BUILD=$2; shift 2 ;;
    --port) need_arg "$@"; PORT_BASE=$2; shift 2 ;;
    --out) need_arg "$@"; OUT=$2; shift 2 ;;
    --quick) QUICK=1; ROUNDS=2; DURATION=3; COST_DURATION=3; EXPORT_DURATION=5
             FANOUT_DEPTHS="6,10"; FANOUT_DURATION=3; shift ;;
    --*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
need_uint --rounds "$ROUNDS" 1; need_uint --duration "$DURATION" 1
need_uint --workers "$WORKERS" 1; need_uint --threads "$THREADS" 1
need_uint --connections "$CONNECTIONS" 1; need_uint --wrk-threads "$WRK_THREADS" 1
need_uint --cost-duration "$COST_DURATION" 1; need_uint --export-duration "$EXPORT_DURATION" 1
need_uint --fanout-duration "$FANOUT_DURATION" 1; need_uint --port "$PORT_BASE" 1024
[[ "$RNG" == locked || "$RNG" == pool ]] || die "--rng must be locked or pool, got '$RNG'"
[[ "$FANOUT_DEPTHS" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--fanout-depths must be a comma list of integers, got '$FANOUT_DEPTHS'"
for part in ${PARTS//,/ }; do
  [[ "$part" == throughput || "$part" == cost || "$part" == syscall || "$part" == export ]] ||
    die "--only: unknown part '$part' (throughput, cost, syscall, export)"
done
want() { [[ ",$PARTS," == *",$1,"* ]]; }

# ---- prerequisites -------------------------------------------------------------------------
need_root "BPF programs, bpf_stats"
for t in wrk:wrk curl:curl python3:python3 bpftool:bpftool stdbuf:coreutils sysctl:procps; do
  need_tool "${t%%:*}" "${t#*:}"
done
if [[ -z "$OFFCPUTIME" ]]; then
  OFFCPUTIME=$(command -v offcputime || true)
  [[ -n "$OFFCPUTIME" ]] || { [[ -x /usr/sbin/offcputime ]] && OFFCPUTIME=/usr/sbin/offcputime; }
fi
[[ -n "$OFFCPUTIME" && -x "$OFFCPUTIME" ]] || die "offcputime not found (Debian: apt-get install libbpf-tools), or set OFFCPUTIME=/path"
if [[ -z "$PERF" ]]; then
  PERF=$(command -v perf || true)
  [[ -n "$PERF" ]] || PERF=$(ls /usr/bin/perf_* 2>/dev/null | sort -V | tail -n 1 || true)
fi
[[ -n "$PERF" && -x "$PERF" ]] || die "perf not found (Debian: apt-get install linux-perf), or set PERF=/path"
"$PERF" bench sched pipe -l 10 >/dev/null 2>&1 || die "'$PERF bench sched pipe' does not run on this kernel"
WAITPROF="$BUILD/daemon/waitprof"
SERVER="$BUILD/target-server/target-server"
FANOUT="$BUILD/bench/stack_fanout"
BUILD_HINT="cmake -S $REPO -B $BUILD && cmake --build $BUILD --target waitprof target-server stack_fanout"
for bin in "$WAITPROF" "$SERVER"; do
  [[ -x "$bin" ]] || die "$bin missing: build with: $BUILD_HINT (or pass --build DIR)"
done
want export && { [[ -x "$FANOUT" ]] || die "$FANOUT missing: build with: $BUILD_HINT"; }
"$WAITPROF" record --help >/dev/null 2>&1 || die "$WAITPROF has no 'record' command: rebuild ($BUILD_HINT)"
[[ -r /sys/kernel/btf/vmlinux ]] || die "/sys/kernel/btf/vmlinux is missing: waitprof needs CONFIG_DEBUG_INFO_BTF=y"

# ---- out dir, cleanup ------------------------------------------------------------------------
[[ -n "$OUT" ]] || OUT="$REPO/bench/results/overhead-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT/raw/tp" "$OUT/raw/cost" "$OUT/raw/export" "$OUT/logs" || die "cannot create '$OUT'"
OUT=$(cd "$OUT" && pwd)
: >"$OUT/console.log"

WRK_PID=""
CLEANED=0
cleanup() {
  set +e
  (( CLEANED )) && return
  CLEANED=1
  [[ -n "$WRK_PID" ]] && { kill -TERM "$WRK_PID" 2>/dev/null; wait "$WRK_PID" 2>/dev/null; }
  stop_started
  bpf_stats_restore
}
trap cleanup EXIT
trap 'echo; echo "$PROG: interrupted, stopping everything started" >&2; exit 130' INT
trap 'exit 143' TERM HUP
trap 'exit 141' PIPE
trap 'echo "$PROG: error: line $LINENO failed: $BASH_COMMAND" >&2' ERR

py() { python3 "$HELPER" "$@"; }

# run_wrk SECONDS OUTFILE URL: bounded (+30 s), in the background so Ctrl-C reaches the trap
run_wrk() {
  local secs=$1 out=$2 url=$3 rc=0
  timeout --kill-after=5 $((secs + 30)) \
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${secs}s" --latency "$url" >"$out" 2>&1 </dev/null &
  WRK_PID=$!
  wait "$WRK_PID" || rc=$?
  WRK_PID=""
  (( rc == 0 )) || die "wrk failed (exit $rc); see $out"
}

# wait_gone PID TENTHS WHAT: wait for a child to exit (it was told to stop)
wait_gone() {
  local pid=$1 n=$2 what=$3 i
  for ((i = 0; i < n; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && die "$what (pid $pid) did not exit within $((n / 10)) s after being stopped"
  local rc=0
  wait "$pid" || rc=$?
  forget_proc "$pid"
  return "$rc"
}

# ---- waitprof and offcputime -------------------------------------------------------------------
WP_WRAP="" WP_PID=""
# waitprof_start DIR PID [record args...]: record PID into DIR/profiles, timed by overhead.py
waitprof_start() {
  local dir=$1 pid=$2 i
  shift 2
  mkdir -p "$dir"
  echo "$WAITPROF record --pid $pid --output $dir/profiles $*" >"$dir/cmd.txt"
  python3 "$HELPER" timed "$dir/timing.json" "$dir/waitprof.log" -- \
    "$WAITPROF" record --pid "$pid" --output "$dir/profiles" "$@" &
  WP_WRAP=$!
  STARTED+=("$WP_WRAP")
  for ((i = 0; i < 100; i++)); do [[ -s "$dir/timing.json.pid" ]] && break; sleep 0.05; done
  WP_PID=$(cat "$dir/timing.json.pid" 2>/dev/null) || die "waitprof did not start; see $dir/waitprof.log"
  wait_log "$WP_WRAP" "$dir/waitprof.log" "Ctrl-C to stop" "waitprof record"
}
waitprof_stop() {  # DIR: SIGINT, then wait for the export (max 5 min)
  local dir=$1
  date +%s%N >"$dir/stop_ns"
  kill -INT "$WP_PID" 2>/dev/null || true
  wait_gone "$WP_WRAP" 3000 "waitprof record" \
    || { tail -n 5 "$dir/waitprof.log" >&2; die "waitprof record failed; see $dir/waitprof.log"; }
  WP_WRAP="" WP_PID=""
}

declare -a OC_PIDS=()
# offcputime_start DIR PID...: one `offcputime -p` per PID; DIR/offcputime-ids.txt: "pid prog_id"
offcputime_start() {
  local dir=$1 pid opid id i
  shift
  mkdir -p "$dir"
  : >"$dir/offcputime-ids.txt"
  bpftool -j prog show | python3 -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))' >"$dir/.known-ids"
  OC_PIDS=()
  for pid in "$@"; do
    stdbuf -oL "$OFFCPUTIME" -p "$pid" >"$dir/offcputime-$pid.txt" 2>&1 </dev/null &
    opid=$!
    STARTED+=("$opid")
    OC_PIDS+=("$opid")
    id=""
    for ((i = 0; i < 300; i++)); do
      kill -0 "$opid" 2>/dev/null || { tail -n 5 "$dir/offcputime-$pid.txt" >&2; die "offcputime -p $pid exited at startup"; }
      id=$(py new-prog "$dir/.known-ids") && break
      sleep 0.1
    done
    [[ -n "$id" ]] || die "offcputime -p $pid: no new sched_switch BPF program within 30 s"
    echo " $id" >>"$dir/.known-ids"
    echo "$pid $id" >>"$dir/offcputime-ids.txt"
  done
  rm -f "$dir/.known-ids"
}
offcputime_stop() {  # SIGINT: each prints its stacks and exits
  local p
  for p in "${OC_PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${OC_PIDS[@]}"; do wait_gone "$p" 600 offcputime || die "offcputime exited with an error"; done
  OC_PIDS=()
}
# A configuration's profiler around a measurement: baseline, waitprof (--children), or one
# offcputime per worker.
profiler_start() {  # CFG DIR
  case $1 in
    waitprof) waitprof_start "$2" "$SERVER_PID" --children ;;
    offcputime) offcputime_start "$2" "${WORKER_PIDS[@]}" ;;
  esac
}
profiler_stop() {  # CFG DIR
  case $1 in
    waitprof) waitprof_stop "$2" ;;
    offcputime) offcputime_stop ;;
  esac
}

# ---- machine and config ------------------------------------------------------------------------
WRK_VERSION=$( (wrk --version 2>&1 || true) | head -n 1 | sed 's/ Copyright.*//')
OC_VERSION=$(dpkg-query -W -f '${Version}' libbpf-tools 2>/dev/null || echo unknown)
{
  describe_machine
  echo "waitprof:       $WAITPROF ($(stat -c '%s bytes, modified %y' "$WAITPROF"))"
  echo "target-server:  $SERVER"
  echo "wrk:            $WRK_VERSION"
  echo "offcputime:     $OFFCPUTIME (libbpf-tools $OC_VERSION)"
  echo "perf:           $PERF ($( ("$PERF" --version 2>&1 || true) | head -n 1))"
  echo "bpftool:        $( (bpftool version 2>&1 || true) | head -n 1)"
  echo "bpf_stats:      kernel.bpf_stats_enabled=$(sysctl -n kernel.bpf_stats_enabled) before the run"
  echo "command:        $0 $ORIG_ARGS"
} >"$OUT/machine.txt"
STALE=$(find "$REPO/daemon" "$REPO/bpf" \( -name '*.cpp' -o -name '*.h' -o -name '*.c' \) -newer "$WAITPROF" 2>/dev/null | head -n 3 | tr '\n' ' ')
[[ -z "$STALE" ]] || { echo "stale binary:   sources newer than waitprof: $STALE" >>"$OUT/machine.txt"; warn "$WAITPROF is older than $STALE(rebuild: $BUILD_HINT)"; }
MACHINE="$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1), $NCPU CPUs, $(uname -r)"
python3 - "$OUT/config.json" <<EOF
import json, sys
json.dump({"date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)", "machine": """$MACHINE""", "commit": "$(git_rev)",
  "wrk_version": "$WRK_VERSION", "offcputime_version": "$OC_VERSION", "quick": bool($QUICK),
  "rounds": $ROUNDS, "duration": $DURATION, "workers": $WORKERS, "threads": $THREADS, "rng": "$RNG",
  "connections": $CONNECTIONS, "wrk_threads": $WRK_THREADS, "cost_duration": $COST_DURATION,
  "export_duration": $EXPORT_DURATION, "fanout_depths": "$FANOUT_DEPTHS",
  "fanout_duration": $FANOUT_DURATION, "parts": "$PARTS"}, open(sys.argv[1], "w"), indent=1)
EOF

say "overhead.sh: results in $OUT"
say "  $MACHINE; waitprof $(git_rev); $WRK_VERSION; offcputime (libbpf-tools $OC_VERSION)"
BUSY=$(busy_cores 1)
echo "busy before:    $BUSY of $NCPU CPUs (1 s sample)" >>"$OUT/machine.txt"
python3 -c "import sys; sys.exit(0 if $BUSY < 0.25 else 1)" \
  || warn "other processes were using $BUSY of $NCPU CPUs before the start; results will be noisy"

# ---- target-server -----------------------------------------------------------------------------
pick_port PORT
SERVER_LOG="$OUT/logs/target-server.log"
echo "$SERVER --bind 127.0.0.1 --port $PORT --workers $WORKERS --threads $THREADS --rng $RNG" >"$SERVER_LOG.cmd"
"$SERVER" --bind 127.0.0.1 --port "$PORT" --workers "$WORKERS" --threads "$THREADS" --rng "$RNG" \
  >"$SERVER_LOG" 2>&1 </dev/null &
SERVER_PID=$!
STARTED+=("$SERVER_PID")
wait_http "$SERVER_PID" "$PORT" /stats "$SERVER_LOG" target-server
URL="http://127.0.0.1:$PORT/read"
mapfile -t WORKER_PIDS < <(children_of "$SERVER_PID")
(( ${#WORKER_PIDS[@]} == WORKERS )) || die "target-server has ${#WORKER_PIDS[@]} workers, expected $WORKERS"
say "  target-server pid $SERVER_PID, workers ${WORKER_PIDS[*]}, $URL (--threads $THREADS --rng $RNG)"
run_wrk "$WARMUP" "$OUT/logs/warmup.txt" "$URL"

# ---- part 1: throughput ------------------------------------------------------------------------
if want throughput; then
  say ""
  say "== throughput: $ROUNDS rounds x (a) no profiler, (b) waitprof, (c) offcputime; wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s"
  CONFIGS=(baseline waitprof offcputime)
  for ((r = 1; r <= ROUNDS; r++)); do
    for ((i = 0; i < 3; i++)); do
      cfg=${CONFIGS[$(( (i + r - 1) % 3 ))]}
      dir="$OUT/raw/tp/r$r-$cfg"
      mkdir -p "$dir"
      profiler_start "$cfg" "$dir"
      run_wrk "$DURATION" "$dir/wrk.txt" "$URL"
      profiler_stop "$cfg" "$dir"
      kill -0 "$SERVER_PID" 2>/dev/null || die "target-server died during round $r ($cfg)"
      say "  round $r  $(printf '%-10s' "$cfg") $(py tp-line "$dir")"
    done
  done
fi

# ---- part 2: per-event cost --------------------------------------------------------------------
STORM_PID=""
storm_start() {  # perf bench sched pipe: two processes ping-ponging through pipes, non-target
  "$PERF" bench sched pipe -l 2000000000 >"$1/storm.txt" 2>&1 </dev/null &
  STORM_PID=$!
  STARTED+=("$STORM_PID")
}
storm_stop() { stop_proc "$STORM_PID"; forget_proc "$STORM_PID"; STORM_PID=""; }

if want cost; then
  say ""
  say "== per-event cost: bpf_stats on; storm = $PERF bench sched pipe; ${COST_DURATION} s windows"
  bpf_stats_on
  for tool in waitprof offcputime; do
    for phase in storm mixed; do
      dir="$OUT/raw/cost/$tool-$phase"
      mkdir -p "$dir"
      if [[ $tool == waitprof ]]; then
        waitprof_start "$dir" "$SERVER_PID" --children
        snap_pids=("$SERVER_PID" --tree)
      else
        offcputime_start "$dir" "${WORKER_PIDS[@]}"
        snap_pids=("${WORKER_PIDS[@]}")
      fi
      storm_start "$dir"
      sleep 1
      py snap "$dir/before.json" "${snap_pids[@]}"
      if [[ $phase == storm ]]; then sleep "$COST_DURATION"; else run_wrk "$COST_DURATION" "$dir/wrk.txt" "$URL"; fi
      py snap "$dir/after.json" "${snap_pids[@]}"
      storm_stop
      if [[ $tool == waitprof ]]; then waitprof_stop "$dir"; else offcputime_stop; fi
      say "  $tool $phase: done"
    done
  done
  bpf_stats_restore
fi

# ---- part 3: the tax on every syscall of the machine ------------------------------------------
# A syscall tracepoint, once enabled, sends every syscall of every task through the kernel's
# slow entry path: a cost bpf_stats never shows, paid by processes the profiler does not watch.
if want syscall; then
  say ""
  say "== syscall tax: $PERF bench syscall basic (a getppid loop, not traced) beside the idle server, $SYSCALL_RUNS runs each"
  for cfg in baseline waitprof offcputime; do
    dir="$OUT/raw/syscall/$cfg"
    mkdir -p "$dir"
    profiler_start "$cfg" "$dir"
    for ((i = 1; i <= SYSCALL_RUNS; i++)); do
      "$PERF" bench syscall basic -l 3000000 >"$dir/run$i.txt" 2>&1 || die "'$PERF bench syscall basic' failed; see $dir/run$i.txt"
    done
    profiler_stop "$cfg" "$dir"
    say "  $cfg: done"
  done
fi

# ---- part 4: export ----------------------------------------------------------------------------
if want export; then
  say ""
  say "== export: ${EXPORT_DURATION} s recording of target-server under wrk; stack_fanout depths $FANOUT_DEPTHS (${FANOUT_DURATION} s each)"
  dir="$OUT/raw/export/target"
  waitprof_start "$dir" "$SERVER_PID" --children
  run_wrk "$EXPORT_DURATION" "$dir/wrk.txt" "$URL"
  waitprof_stop "$dir"
  echo "{\"label\": \"target-server under wrk, ${EXPORT_DURATION} s\"}" >"$dir/meta.json"
  say "  target-server ${EXPORT_DURATION} s: done"
  for k in ${FANOUT_DEPTHS//,/ }; do
    dir="$OUT/raw/export/fanout-$k"
    mkdir -p "$dir"
    "$FANOUT" --depth "$k" >"$dir/fanout.log" 2>&1 </dev/null &
    FP=$!
    STARTED+=("$FP")
    wait_log "$FP" "$dir/fanout.log" "call paths" stack_fanout
    waitprof_start "$dir" "$FP"
    sleep "$FANOUT_DURATION"
    waitprof_stop "$dir"
    stop_proc "$FP"; forget_proc "$FP"
    echo "{\"label\": \"stack_fanout 2^$k = $((1 << k)) paths, ${FANOUT_DURATION} s\", \"depth\": $k}" >"$dir/meta.json"
    say "  stack_fanout depth $k: done"
  done
fi

stop_started
say ""
py report "$OUT" >"$OUT/table.md" || die "could not build the table from $OUT/raw"
say_file "$OUT/table.md"
