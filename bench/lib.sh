# bench/lib.sh: shell functions shared by the bench scripts (sourced, not run).
#
# The sourcing script sets PROG (its name, for messages) and, once it exists, OUT (its results
# dir; say/warn also append to $OUT/console.log). Long-lived processes it starts go into
# STARTED (pids of direct children); stop_started stops them all (call it from an EXIT trap).
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
NCPU=$(nproc 2>/dev/null || echo 1)
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

# ---- messages and arguments ------------------------------------------------------------------
die() { echo "$PROG: error: $*" >&2; exit 1; }
warn() { echo "$PROG: warning: $*" >&2; if [[ -n "${OUT:-}" && -d "$OUT" ]]; then echo "warning: $*" >>"$OUT/console.log"; fi; }
# Print and log. If stdout goes away (e.g. `| head`), bash gets SIGPIPE: the trap ends the run.
say() { if [[ -n "${OUT:-}" && -d "$OUT" ]]; then printf '%s\n' "$*" >>"$OUT/console.log"; fi; printf '%s\n' "$*"; }
say_file() { if [[ -n "${OUT:-}" && -d "$OUT" ]]; then cat "$1" >>"$OUT/console.log"; fi; cat "$1"; }

need_arg() { [[ $# -ge 2 && -n "$2" ]] || die "option $1 needs a value (see --help)"; }
need_uint() {  # name value min
  if ! [[ "$2" =~ ^[0-9]+$ ]] || (( 10#$2 < $3 )); then die "$1 must be an integer >= $3, got '$2'"; fi
}
need_root() { [[ "$(id -u)" -eq 0 ]] || die "must run as root ($*): try sudo $0"; }
# need_tool NAME DEBIAN_PACKAGE: NAME must be in PATH (or an executable path)
need_tool() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found (Debian: apt-get install $2)"
}

# Everything here also works under `set -e`: expected failures (a process already gone, a
# signal's exit status from wait) are not errors.

# ---- processes -------------------------------------------------------------------------------
declare -a STARTED=()

children_of() {  # direct children of a pid
  if command -v pgrep >/dev/null 2>&1; then
    pgrep -P "$1" 2>/dev/null || true
  else
    local parent=$1 f st fields
    for f in /proc/[0-9]*/stat; do
      st=$(cat "$f" 2>/dev/null) || continue
      read -ra fields <<<"${st##*) }"  # fields after "(comm) ": state, ppid, ...
      [[ "${fields[1]}" == "$parent" ]] && { f=${f#/proc/}; echo "${f%/stat}"; }
    done
  fi
  return 0
}

# stop_proc PID [SIGNAL]: SIGNAL (default TERM), wait up to 8 s (target-server grants its
# workers 5 s; waitprof exports after SIGINT), then KILL it and its children (collected before).
stop_proc() {
  local pid=$1 sig=${2:-TERM} kids i n
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
  kids=$(children_of "$pid")
  kill -"$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < ${STOP_WAIT_TENTHS:-80}; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$PROG: pid $pid did not stop on SIG$sig; sending SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  for i in $kids; do
    for ((n = 0; n < 30; n++)); do kill -0 "$i" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$i" 2>/dev/null; then kill -KILL "$i" 2>/dev/null || true; fi
  done
  return 0
}

forget_proc() {
  local pid=$1 keep=() p
  for p in "${STARTED[@]}"; do [[ "$p" == "$pid" ]] || keep+=("$p"); done
  STARTED=("${keep[@]}")
}

stop_started() {  # newest first: tools before the server they watch
  local i
  for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do stop_proc "${STARTED[i]}"; done
  STARTED=()
}

# ---- ports and HTTP ----------------------------------------------------------------------------
PORT_BASE=${PORT_BASE:-18080}
PORT_COUNT=${PORT_COUNT:-2000}
port_in_use() {
  if command -v ss >/dev/null 2>&1; then
    ss -Htln "sport = :$1" 2>/dev/null | grep -q .
  else
    ! python3 -c "import socket,sys; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', int(sys.argv[1])))" "$1" 2>/dev/null
  fi
}

declare -a TAKEN_PORTS=()
pick_port() {  # VAR: first port from PORT_BASE up that nothing listens on and not handed out yet
  local p t used
  for ((p = PORT_BASE; p < PORT_BASE + PORT_COUNT; p++)); do
    used=0
    for t in "${TAKEN_PORTS[@]}"; do if [[ "$t" == "$p" ]]; then used=1; fi; done
    (( used )) && continue
    port_in_use "$p" && continue
    TAKEN_PORTS+=("$p")
    printf -v "$1" '%s' "$p"
    return 0
  done
  die "no free TCP port on 127.0.0.1 in $PORT_BASE-$((PORT_BASE + PORT_COUNT - 1))"
}

wait_http() {  # pid port path logfile what [ready_regex]: poll until it answers, max 20 s
  local pid=$1 port=$2 path=$3 log=$4 what=$5 re=${6:-} i
  for ((i = 0; i < 200; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$PROG: error: $what exited during startup; last lines of $log:" >&2
      tail -n 5 "$log" >&2
      exit 1
    fi
    if [[ -z "$re" ]] || grep -q "$re" "$log" 2>/dev/null; then
      curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port$path" && return 0
    fi
    sleep 0.1
  done
  echo "$PROG: error: $what (pid $pid) did not answer on 127.0.0.1:$port$path within 20 s; see $log" >&2
  exit 1
}

# wait_log PID LOG REGEX WHAT [TENTHS]: until REGEX shows up in LOG (default max 30 s)
wait_log() {
  local pid=$1 log=$2 re=$3 what=$4 n=${5:-300} i
  for ((i = 0; i < n; i++)); do
    grep -q "$re" "$log" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$PROG: error: $what exited during startup; last lines of $log:" >&2
      tail -n 5 "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
  die "$what (pid $pid) did not get ready within $((n / 10)) s; see $log"
}

# ---- CPU accounting ---------------------------------------------------------------------------
system_cpu_ticks() {  # all CPUs, from /proc/stat, in clock ticks: "user+nice+system irq+softirq steal"
  awk '/^cpu / { print $2 + $3 + $4, $7 + $8, $9; exit }' /proc/stat
}

# busy_cores SECONDS: cores in use (all processes) over a short sample, e.g. "0.07"
busy_cores() {
  local u0 i0 u1 i1
  read -r u0 i0 _ < <(system_cpu_ticks); sleep "${1:-1}"; read -r u1 i1 _ < <(system_cpu_ticks)
  python3 -c "print(f'{(($u1 + $i1) - ($u0 + $i0)) / $CLK_TCK / ${1:-1}:.2f}')"
}

# ---- BPF run-time statistics ------------------------------------------------------------------
BPF_STATS_ORIG=""
bpf_stats_on() {
  [[ -n "$BPF_STATS_ORIG" ]] || BPF_STATS_ORIG=$(sysctl -n kernel.bpf_stats_enabled)
  sysctl -q -w kernel.bpf_stats_enabled=1 >/dev/null || die "cannot set kernel.bpf_stats_enabled=1"
}
bpf_stats_restore() {
  if [[ -n "$BPF_STATS_ORIG" ]]; then sysctl -q -w kernel.bpf_stats_enabled="$BPF_STATS_ORIG" >/dev/null || true; fi
  BPF_STATS_ORIG=""
  return 0
}
bpf_snapshot() { bpftool -j prog show >"$1" 2>/dev/null || die "bpftool prog show failed"; }

# ---- machine description -----------------------------------------------------------------------
git_rev() {  # "abc1234 (clean|dirty)"
  local rev dirty=clean
  rev=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null) || { echo "unknown"; return; }
  if [[ -n "$(git --no-optional-locks -C "$REPO" status --porcelain 2>/dev/null)" ]]; then dirty=dirty; fi
  echo "$rev ($dirty tree)"
}

# describe_machine: the common lines; callers append their tools' versions
describe_machine() {
  echo "date (UTC):     $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "uname -a:       $(uname -a)"
  echo "nproc:          $NCPU"
  echo "cpu model:      $(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)"
  echo "hypervisor:     $(lscpu 2>/dev/null | sed -n 's/^Hypervisor vendor:[[:space:]]*//p' | head -n 1)"
  echo "memory:         $(free -h 2>/dev/null | awk '/^Mem:/ {print $2 " total, " $7 " available"}')"
  echo "repo commit:    $(git_rev) at $REPO"
  echo "load average:   $(cat /proc/loadavg)"
}
