#!/usr/bin/env bash
# bench/mariadb.sh: waitprof on software nobody here wrote — Debian's stripped mariadbd (no
# frame pointers) under sysbench oltp_read_write. Measures what issue 11 asks of the CFI walk
# on it: how much of each profile reaches its thread's entry, whether every blocked thread's
# stack equals gdb's backtrace of it (bench/gdb_equality.py), the unwind tables' size and
# build time, and the attach time (waitprof start to "recording"); and what its futex waits
# were (issue 12): lock wait (locks only) beside the idle condvar time, the top waiter and
# holder stacks. Installs mariadb-server and sysbench if missing; runs a private mariadbd on
# a socket in the results dir, never the system's.
set -euo pipefail
PROG=mariadb.sh
source "$(dirname "$0")/lib.sh"

usage() {
  cat <<EOF
usage: sudo bench/mariadb.sh [--build DIR] [--threads N] [--duration S] [--out DIR]
  --build DIR     waitprof build (default build/)
  --threads N     sysbench client threads (default 16)
  --duration S    seconds recorded (default 10; sysbench runs 10 s longer)
  --out DIR       results (default bench/results/mariadb-<UTC time>)
EOF
}

BUILD=$REPO/build THREADS=16 DURATION=10 OUT=
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) need_arg "$@"; BUILD=$2; shift 2 ;;
    --threads) need_arg "$@"; need_uint "$1" "$2" 1; THREADS=$2; shift 2 ;;
    --duration) need_arg "$@"; need_uint "$1" "$2" 1; DURATION=$2; shift 2 ;;
    --out) need_arg "$@"; OUT=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
need_root "it loads BPF programs and runs mariadbd"
WAITPROF=$BUILD/daemon/waitprof
[[ -x $WAITPROF ]] || die "$WAITPROF not built (cmake --build $BUILD --target waitprof)"
missing=()
command -v mariadbd >/dev/null 2>&1 || [[ -x /usr/sbin/mariadbd ]] || missing+=(mariadb-server)
command -v sysbench >/dev/null 2>&1 || missing+=(sysbench)
command -v gdb >/dev/null 2>&1 || missing+=(gdb)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "$PROG: installing ${missing[*]}"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
need_tool go golang-go

OUT=${OUT:-$BENCH_DIR/results/mariadb-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
trap stop_started EXIT
DATA=$OUT/data SOCK=$OUT/mysqld.sock

say "== mariadbd (Debian's, $(dpkg-query -W -f='${Version}' mariadb-server 2>/dev/null)) under sysbench oltp_read_write, $THREADS threads"
mariadb-install-db --user=root --datadir="$DATA" --auth-root-authentication-method=normal \
  >"$OUT/install-db.log" 2>&1 || die "mariadb-install-db failed: see $OUT/install-db.log"
/usr/sbin/mariadbd --no-defaults --user=root --datadir="$DATA" --socket="$SOCK" \
  --skip-networking --innodb-buffer-pool-size=256M --max-connections=200 \
  >"$OUT/mariadbd.log" 2>&1 &
MARIADBD=$!
STARTED+=("$MARIADBD")
for _ in $(seq 100); do
  mariadb -S "$SOCK" -u root -e 'select 1' >/dev/null 2>&1 && break
  sleep 0.2
done
mariadb -S "$SOCK" -u root -e 'create database sbtest' || die "mariadbd did not start: see $OUT/mariadbd.log"
SB=(sysbench oltp_read_write --db-driver=mysql --mysql-socket="$SOCK" --mysql-user=root
    --tables=4 --table-size=20000)
"${SB[@]}" prepare >"$OUT/sysbench-prepare.log" 2>&1 || die "sysbench prepare failed: see $OUT/sysbench-prepare.log"
"${SB[@]}" --threads="$THREADS" --time=$((DURATION + 10)) --report-interval=5 run \
  >"$OUT/sysbench-run.log" 2>&1 &
STARTED+=("$!")
sleep 3

start_ns=$(date +%s%N)
"$WAITPROF" record --pid "$MARIADBD" --thread-labels --duration "$DURATION" \
  --output "$OUT/profiles" >"$OUT/record.txt" 2>"$OUT/record.err" &
RECORD=$!
until grep -q "recording" "$OUT/record.err" 2>/dev/null; do
  kill -0 "$RECORD" 2>/dev/null || die "waitprof failed: $(tail -1 "$OUT/record.err")"
  sleep 0.01
done
attach_s=$(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
# Halfway through: every wait gdb catches then is one waitprof records (a thread gdb
# interrupts goes back into the same wait, from the same stack).
sleep $((DURATION / 2))
eval "$(python3 "$BENCH_DIR/gdb_equality.py" --gdb-command "$MARIADBD")" >"$OUT/gdb.txt" 2>&1
wait "$RECORD" || die "waitprof failed: $(tail -1 "$OUT/record.err")"
for p in offcpu block lock; do
  python3 "$BENCH_DIR/gdb_equality.py" "$OUT/gdb.txt" "$OUT/profiles/$p.pb.gz" \
    --json "$OUT/gdb-$p.json" >/dev/null 2>"$OUT/gdb-$p.err"
done

python3 - "$OUT" "$attach_s" <<'EOF' | tee "$OUT/table.md"
import json, sys
out, attach = sys.argv[1], sys.argv[2]
s = json.load(open(f'{out}/profiles/summary.json'))
u = s['unwind']
print(f'attach (start to recording, tables built): {attach} s; tables built in {u["build_ms"]:.0f} ms')
print()
print('| module | rows | table bytes | build ms |')
print('|---|---|---|---|')
for m in sorted(u['modules'], key=lambda m: -m['rows']):
    if m['rows'] >= 1000:
        print(f'| {m["path"]} | {m["rows"]} | {m["table_bytes"]} | {m["build_ms"]:.1f} |')
print()
print('| profile | value reaching the thread entry | threads whose gdb stack is there | wait time on gdb\'s stack |')
print('|---|---|---|---|')
for p in ('cpu', 'offcpu', 'block', 'lock', 'mutex', 'send'):
    e = s['profiles'][p]['user_stacks_reaching_thread_entry_share']
    g = ''
    if p in ('offcpu', 'block', 'lock'):
        j = json.load(open(f'{out}/gdb-{p}.json'))
        g = (f'{j["threads_whose_gdb_stack_waitprof_has"]} of {j["threads_compared"]} | '
             f'{j["wait_time_share_on_gdbs_stack"]:.4f}')
    else:
        g = '| '
    print(f'| {p} | {e:.4f} | {g} |')
print()
# What the futex waits were (issue 12): lock wait is locks only; idle condvar time apart.
w = s['profiles']['offcpu'].get('total_by_wait', {})
per60 = lambda ns: ns / 1e9 * 60 / s['duration_s']
print('| offcpu wait kind | s per 60 s |')
print('|---|---|')
for k, v in sorted(w.items(), key=lambda kv: -kv[1]):
    print(f'| {k} | {per60(v):,.1f} |')
lock, mutex = s['profiles']['lock'], s['profiles']['mutex']
print()
print(f'lock {per60(lock["total"]):,.1f} s per 60 s; mutex (by releaser) {per60(mutex["total"]):,.1f} s per 60 s')
for name, prof in (('top waiter (lock)', lock), ('top holder (mutex)', mutex)):
    top = prof.get('top_stacks') or []
    if top:
        print(f'{name}: {top[0]["share"] * 100:.0f}% {top[0]["stack"]}')
EOF
say "results in $OUT"
