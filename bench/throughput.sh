#!/usr/bin/env bash
# bench/throughput.sh: target-server throughput, measured with wrk on 127.0.0.1 only.
#
#   Part A: nginx (Debian package) vs target-server --rng pool, same number of workers,
#           target with one event-loop thread per worker (nginx: one event loop per worker),
#           nginx serving the same ~4.5 KB JSON body as a static file. Goal: ratio >= 1.0.
#   Part B: target-server --rng locked vs --rng pool with more threads than cores, and the
#           lock wait that /stats reports for the locked runs (seconds of waiting per second).
#
# Runs alternate between the two servers of a part (which one goes first alternates per
# round, to cancel drift); medians over rounds are reported. Everything lands in --out.
# See bench/README.md.
set -uo pipefail

PROG=throughput.sh
# shellcheck source=bench/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
SCRIPT_DIR=$BENCH_DIR

SERVER="$REPO/build/target-server/target-server"
WORKERS=$NCPU
ROUNDS=5
DURATION=10
CONNECTIONS=100
WRK_THREADS=2
THREADS_OVER=$((4 * NCPU))
RNG_DRAWS=""
OUT=""
WARMUP=2
NGINX_BIN=${NGINX:-}
PORT_BASE=18080

usage() {
  cat <<EOF
Usage: bench/throughput.sh [options]

Measures target-server GET /read throughput with wrk on 127.0.0.1:
  Part A  nginx vs target-server --rng pool, --workers N each, target --threads 1;
          nginx serves the same product body as a static file. Prints target/nginx.
  Part B  target-server --rng locked vs --rng pool, --workers N --threads T (T > cores);
          for locked runs also the lock wait per second, contended fraction and mean wait
          from /stats. Prints locked/pool.

Options:
  --server PATH        target-server binary (default: <repo>/build/target-server/target-server)
  --workers N          worker processes for both servers (default: nproc = $NCPU)
  --rounds R           alternating rounds per part (default: 5)
  --duration S         seconds per wrk run (default: 10)
  --connections C      wrk connections (default: 100)
  --wrk-threads N      wrk threads (default: 2)
  --threads-over T     target threads per worker in part B (default: 4 x nproc = $((4 * NCPU)))
  --rng-draws D        passed to the locked server in part B (default: server's default)
  --out DIR            results dir (default: bench/results/throughput-<UTC timestamp>)
  -h, --help           this help

Environment: NGINX=/path/to/nginx overrides the nginx binary (default: /usr/sbin/nginx or PATH).
Root is not required. Only 127.0.0.1 is used; every wrk run is bounded by --duration.
EOF
}

ORIG_ARGS="$*"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --server) need_arg "$@"; SERVER=$2; shift 2 ;;
    --workers) need_arg "$@"; WORKERS=$2; shift 2 ;;
    --rounds) need_arg "$@"; ROUNDS=$2; shift 2 ;;
    --duration) need_arg "$@"; DURATION=$2; shift 2 ;;
    --connections) need_arg "$@"; CONNECTIONS=$2; shift 2 ;;
    --wrk-threads) need_arg "$@"; WRK_THREADS=$2; shift 2 ;;
    --threads-over) need_arg "$@"; THREADS_OVER=$2; shift 2 ;;
    --rng-draws) need_arg "$@"; RNG_DRAWS=$2; shift 2 ;;
    --out) need_arg "$@"; OUT=$2; shift 2 ;;
    --server=*|--workers=*|--rounds=*|--duration=*|--connections=*|--wrk-threads=*|--threads-over=*|--rng-draws=*|--out=*)
      set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

need_uint --workers "$WORKERS" 1
need_uint --rounds "$ROUNDS" 1
need_uint --duration "$DURATION" 1
need_uint --connections "$CONNECTIONS" 1
need_uint --wrk-threads "$WRK_THREADS" 1
need_uint --threads-over "$THREADS_OVER" 1
[[ -z "$RNG_DRAWS" ]] || { need_uint --rng-draws "$RNG_DRAWS" 1; RNG_DRAWS=$((10#$RNG_DRAWS)); }
WORKERS=$((10#$WORKERS)) ROUNDS=$((10#$ROUNDS)) DURATION=$((10#$DURATION))
CONNECTIONS=$((10#$CONNECTIONS)) WRK_THREADS=$((10#$WRK_THREADS)) THREADS_OVER=$((10#$THREADS_OVER))
(( CONNECTIONS >= WRK_THREADS )) || die "--connections ($CONNECTIONS) must be >= --wrk-threads ($WRK_THREADS)"
(( THREADS_OVER > NCPU )) || warn "--threads-over $THREADS_OVER is not more than the $NCPU cores; part B will show little preemption-driven contention"

# ---- tools -------------------------------------------------------------------------------
for tool in wrk curl python3 sha256sum sed timeout; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found in PATH (Debian: apt-get install wrk curl python3 coreutils sed)"
done
if [[ -z "$NGINX_BIN" ]]; then
  if [[ -x /usr/sbin/nginx ]]; then NGINX_BIN=/usr/sbin/nginx; else NGINX_BIN=$(command -v nginx || true); fi
fi
[[ -n "$NGINX_BIN" && -x "$NGINX_BIN" ]] || die "nginx not found (Debian: apt-get install nginx-light), or set NGINX=/path/to/nginx"
[[ -f "$SCRIPT_DIR/nginx.conf.in" ]] || die "nginx template $SCRIPT_DIR/nginx.conf.in is missing"
if [[ ! -x "$SERVER" ]]; then
  die "target-server binary not found or not executable at '$SERVER'; build it with: cmake -S $REPO -B $REPO/build && cmake --build $REPO/build --target target-server (or pass --server PATH)"
fi
SERVER=$(cd "$(dirname "$SERVER")" && pwd)/$(basename "$SERVER")
# For the record only: the locked runs get --rng-draws only if it was given here.
SERVER_DRAWS=$("$SERVER" --help 2>/dev/null | sed -n 's/.*--rng-draws[^=]*=\([0-9][0-9]*\).*/\1/p' | head -n 1)
HAVE_SS=0; command -v ss >/dev/null 2>&1 && HAVE_SS=1
NOFILE=$(ulimit -n)
if [[ "$NOFILE" =~ ^[0-9]+$ ]] && (( CONNECTIONS + 64 > NOFILE )); then
  warn "open-file limit $NOFILE is low for $CONNECTIONS connections; raise it with ulimit -n"
fi

# ---- out dir -----------------------------------------------------------------------------
[[ -n "$OUT" ]] || OUT="$REPO/bench/results/throughput-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT" || die "cannot create out dir '$OUT'"
OUT=$(cd "$OUT" && pwd)
mkdir -p "$OUT/wrk" "$OUT/stats" "$OUT/logs" "$OUT/nginx-tmp" || die "cannot write to '$OUT'"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
: >"$OUT/console.log"

# Print and log. If stdout goes away (e.g. `| head`), bash gets SIGPIPE: the trap ends the run.

# ---- process bookkeeping and cleanup -------------------------------------------------------
# Every long-lived process this script starts is a direct child whose pid is in STARTED; the
# servers' own workers are their children. Cleanup sends SIGTERM to each parent, waits, and
# SIGKILLs whatever of the parent or its children (collected before the TERM) is left.
declare -a STARTED=()
CLEANED=0
WRK_PID=""  # the running wrk's `timeout` wrapper, if any

cleanup() {
  (( CLEANED )) && return
  CLEANED=1
  local p
  if [[ -n "$WRK_PID" ]]; then  # timeout passes the TERM on to wrk
    kill -TERM "$WRK_PID" 2>/dev/null
    wait "$WRK_PID" 2>/dev/null
  fi
  for p in "${STARTED[@]}"; do stop_proc "$p"; done
  STARTED=()
  [[ -n "${OUT:-}" ]] && rm -f "$OUT/.times"
}
trap cleanup EXIT
trap 'echo; echo "$PROG: interrupted, stopping servers" >&2; exit 130' INT
trap 'exit 143' TERM HUP
trap 'exit 141' PIPE

# ---- helpers -----------------------------------------------------------------------------
read -r -d '' PY_HELPER <<'PYEOF'
import json, re, statistics, sys

BUSY_OTHER = 0.25  # cores used by other processes during a run before it is flagged

def parse_wrk(path):
    text = open(path).read()
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
    def lat(pct):
        m = re.search(r"^\s*" + pct + r"%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
        return float(m.group(1)) * unit[m.group(2)] if m else None
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    rps = float(m.group(1)) if m else None
    m = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)", text, re.M)
    reqs = int(m.group(1)) if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    sock = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    non2xx = int(m.group(1)) if m else 0
    m = re.search(r"^\s*Latency\s+([\d.]+)(us|ms|s|m|h)", text, re.M)
    avg = float(m.group(1)) * unit[m.group(2)] if m else None
    return {"rps": rps, "requests": reqs, "p50_ms": lat("50"), "p99_ms": lat("99"),
            "avg_ms": avg, "socket_errors": sock, "non2xx": non2xx}

def stats_delta(before_path, after_path):
    b = json.load(open(before_path)); a = json.load(open(after_path))
    tb, ta = b["total"], a["total"]
    d = {k: ta[k] - tb[k] for k in ("requests", "bytes_written", "rng_acquisitions",
                                    "rng_contended", "rng_wait_ns")}
    wall_ns = a["uptime_ns"] - b["uptime_ns"]
    d["wall_s"] = wall_ns / 1e9
    d["stats_rps"] = d["requests"] / d["wall_s"] if wall_ns > 0 else None
    d["bytes_per_response"] = d["bytes_written"] / d["requests"] if d["requests"] else None
    d["lock_wait_s_per_s"] = d["rng_wait_ns"] / wall_ns if wall_ns > 0 else None
    d["contended_frac"] = (d["rng_contended"] / d["rng_acquisitions"]
                           if d["rng_acquisitions"] else None)
    d["mean_wait_us"] = (d["rng_wait_ns"] / d["rng_contended"] / 1e3
                         if d["rng_contended"] else None)
    d["workers_replaced"] = a.get("workers_replaced", 0) - b.get("workers_replaced", 0)
    d["rng"] = a.get("rng")
    return d

def load(path):
    return [json.loads(l) for l in open(path) if l.strip()]

def med(rows, key):
    v = [r[key] for r in rows if r.get(key) is not None]
    return statistics.median(v) if v else None

def f(v, fmt, width):
    return (fmt.format(v) if v is not None else "-").rjust(width)

def flag(r):
    bad = []
    if r.get("socket_errors"): bad.append(f"{r['socket_errors']} socket errors")
    if r.get("non2xx"): bad.append(f"{r['non2xx']} non-2xx")
    if r.get("workers_replaced"): bad.append(f"{r['workers_replaced']} workers replaced")
    if r.get("other_cores", 0) > BUSY_OTHER: bad.append(f"other processes used {r['other_cores']:.2f} cores")
    return ("  !! " + ", ".join(bad)) if bad else ""

def by(rows, part, label, rnd=None):
    return [r for r in rows if r["part"] == part and r["label"] == label
            and (rnd is None or r["round"] == rnd)]

def ratio(a, b):
    return a / b if a and b else None

HEAD_A = (f"{'round':>5}  {'first':<7}{'nginx req/s':>13}{'p99 ms':>9}"
          f"{'target req/s':>14}{'p99 ms':>9}{'target/nginx':>14}")
HEAD_B = (f"{'round':>5}  {'first':<7}{'locked req/s':>13}{'p99 ms':>9}{'wait s/s':>10}"
          f"{'contended':>11}{'us/wait':>9}{'pool req/s':>12}{'p99 ms':>9}{'locked/pool':>13}")

def row_a(rows, rnd):
    n = by(rows, "A", "nginx", rnd); t = by(rows, "A", "target-pool", rnd)
    if not n or not t: return ""
    n, t = n[0], t[0]
    return (f"{rnd:>5}  {n['first']:<7}{f(n['rps'], '{:,.0f}', 13)}{f(n['p99_ms'], '{:.2f}', 9)}"
            f"{f(t['rps'], '{:,.0f}', 14)}{f(t['p99_ms'], '{:.2f}', 9)}"
            f"{f(ratio(t['rps'], n['rps']), '{:.3f}', 14)}{flag(n)}{flag(t)}")

def row_b(rows, rnd):
    l = by(rows, "B", "locked", rnd); p = by(rows, "B", "pool", rnd)
    if not l or not p: return ""
    l, p = l[0], p[0]
    cf = l.get("contended_frac")
    return (f"{rnd:>5}  {l['first']:<7}{f(l['rps'], '{:,.0f}', 13)}{f(l['p99_ms'], '{:.2f}', 9)}"
            f"{f(l.get('lock_wait_s_per_s'), '{:.3f}', 10)}"
            f"{f(cf * 100 if cf is not None else None, '{:.1f}%', 11)}"
            f"{f(l.get('mean_wait_us'), '{:.1f}', 9)}"
            f"{f(p['rps'], '{:,.0f}', 12)}{f(p['p99_ms'], '{:.2f}', 9)}"
            f"{f(ratio(l['rps'], p['rps']), '{:.3f}', 13)}{flag(l)}{flag(p)}")

def ratios(rows, part, num, den):
    out = []
    for rnd in sorted({r["round"] for r in rows if r["part"] == part}):
        a = by(rows, part, num, rnd); b = by(rows, part, den, rnd)
        if a and b and ratio(a[0]["rps"], b[0]["rps"]):
            out.append(a[0]["rps"] / b[0]["rps"])
    return out

def cpu_line(rows, part, label):
    rs = by(rows, part, label)
    if not rs: return "-"
    return (f"server {f(med(rs, 'server_cores'), '{:.2f}', 0)}, wrk {f(med(rs, 'wrk_cores'), '{:.2f}', 0)},"
            f" other {f(med(rs, 'other_cores'), '{:.2f}', 0)}, idle {f(med(rs, 'idle_cores'), '{:.2f}', 0)},"
            f" steal {f(med(rs, 'steal_cores'), '{:.2f}', 0)} (softirq {f(med(rs, 'softirq_cores'), '{:.2f}', 0)})")

def table(rows, part):
    lines = [HEAD_A if part == "A" else HEAD_B]
    rnds = sorted({r["round"] for r in rows if r["part"] == part})
    for rnd in rnds:
        lines.append(row_a(rows, rnd) if part == "A" else row_b(rows, rnd))
    if part == "A":
        n, t = by(rows, "A", "nginx"), by(rows, "A", "target-pool")
        rs = ratios(rows, "A", "target-pool", "nginx")
        lines.append(f"{'median':>5}  {'':<7}{f(med(n, 'rps'), '{:,.0f}', 13)}{f(med(n, 'p99_ms'), '{:.2f}', 9)}"
                     f"{f(med(t, 'rps'), '{:,.0f}', 14)}{f(med(t, 'p99_ms'), '{:.2f}', 9)}"
                     f"{f(ratio(med(t, 'rps'), med(n, 'rps')), '{:.3f}', 14)}")
        if rs: lines.append(f"per-round target/nginx: min {min(rs):.3f}, max {max(rs):.3f}")
    else:
        l, p = by(rows, "B", "locked"), by(rows, "B", "pool")
        rs = ratios(rows, "B", "locked", "pool")
        cf = med(l, "contended_frac")
        lines.append(f"{'median':>5}  {'':<7}{f(med(l, 'rps'), '{:,.0f}', 13)}{f(med(l, 'p99_ms'), '{:.2f}', 9)}"
                     f"{f(med(l, 'lock_wait_s_per_s'), '{:.3f}', 10)}"
                     f"{f(cf * 100 if cf is not None else None, '{:.1f}%', 11)}"
                     f"{f(med(l, 'mean_wait_us'), '{:.1f}', 9)}"
                     f"{f(med(p, 'rps'), '{:,.0f}', 12)}{f(med(p, 'p99_ms'), '{:.2f}', 9)}"
                     f"{f(ratio(med(l, 'rps'), med(p, 'rps')), '{:.3f}', 13)}")
        if rs: lines.append(f"per-round locked/pool: min {min(rs):.3f}, max {max(rs):.3f}")
    return "\n".join(lines)

SUM_HEAD = (f"  {'server':<44}{'req/s':>10}{'p99 ms':>8}{'req/s/core':>12}"
            "   CPU cores (medians; req/s/core = req/s per server core)")

def sum_row(name, rows, part, label):
    rs = by(rows, part, label)
    return (f"  {name:<44}{f(med(rs, 'rps'), '{:,.0f}', 10)}{f(med(rs, 'p99_ms'), '{:.2f}', 8)}"
            f"{f(med(rs, 'rps_per_server_core'), '{:,.0f}', 12)}   {cpu_line(rows, part, label)}")

def summary(results, config_path):
    rows = load(results); c = json.load(open(config_path))
    L = []
    L.append(f"== throughput summary: medians over {c['rounds']} rounds, wrk -t{c['wrk_threads']} "
             f"-c{c['connections']} -d{c['duration']}s --latency, {c['ncpu']} CPUs, "
             f"127.0.0.1 ==")
    if by(rows, "A", "nginx"):
        n, t = by(rows, "A", "nginx"), by(rows, "A", "target-pool")
        mn, mt = med(n, "rps"), med(t, "rps")
        rs = ratios(rows, "A", "target-pool", "nginx")
        r = ratio(mt, mn)
        L.append("")
        L.append(f"Part A: nginx vs target-server --rng pool, {c['workers']} workers each "
                 f"(target --threads 1)")
        L.append(SUM_HEAD)
        L.append(sum_row(f"nginx {c['nginx_version']} (static file, {c['body_bytes']} B body)",
                         rows, "A", "nginx"))
        L.append(sum_row("target-server --rng pool --threads 1", rows, "A", "target-pool"))
        bpr = med(t, "bytes_per_response")
        L.append(f"  ratio target/nginx (of medians): {f(r, '{:.3f}', 0)}"
                 + (f"   per-round min-max {min(rs):.3f}-{max(rs):.3f}" if rs else "")
                 + ("   goal >= 1.0: " + ("MET" if r is not None and r >= 1.0 else "NOT MET")))
        L.append(f"  response size: nginx {c['nginx_response_bytes']} B (headers {c['nginx_header_bytes']} B); "
                 f"target mean {f(bpr, '{:.0f}', 0)} B incl. headers (random product per request)")
    if by(rows, "B", "locked"):
        l, p = by(rows, "B", "locked"), by(rows, "B", "pool")
        ml, mp = med(l, "rps"), med(p, "rps")
        rs = ratios(rows, "B", "locked", "pool")
        cf = med(l, "contended_frac")
        draws = c["rng_draws"] or ("server default" + (f" ({c['server_default_rng_draws']})"
                                   if c.get("server_default_rng_draws") else ""))
        L.append("")
        L.append(f"Part B: target-server --rng locked vs pool, {c['workers']} workers x "
                 f"{c['threads_over']} threads ({c['workers'] * c['threads_over']} threads on "
                 f"{c['ncpu']} CPUs), --rng-draws {draws}")
        L.append(SUM_HEAD)
        L.append(sum_row(f"target-server --rng locked --threads {c['threads_over']}", rows, "B", "locked"))
        L.append(sum_row(f"target-server --rng pool --threads {c['threads_over']}", rows, "B", "pool"))
        L.append(f"  ratio locked/pool (of medians): {f(ratio(ml, mp), '{:.3f}', 0)}"
                 + (f"   per-round min-max {min(rs):.3f}-{max(rs):.3f}" if rs else ""))
        L.append(f"  locked lock wait (from /stats, medians): "
                 f"{f(med(l, 'lock_wait_s_per_s'), '{:.3f}', 0)} s of waiting per second, "
                 f"{f(cf * 100 if cf is not None else None, '{:.1f}', 0)}% of acquisitions contended, "
                 f"{f(med(l, 'mean_wait_us'), '{:.1f}', 0)} us mean wait per contended acquisition, "
                 f"{f(med(l, 'rng_acquisitions_per_s'), '{:,.0f}', 0)} acquisitions/s")
        if cf is not None and cf < 0.01:
            L.append("  note: under 1% of lock acquisitions were contended; try more --threads-over "
                     "or --rng-draws to make the contention visible")
    bad = [r for r in rows if r.get("socket_errors") or r.get("non2xx") or r.get("workers_replaced")]
    if bad:
        L.append("")
        L.append(f"!! {len(bad)} run(s) had socket errors, non-2xx responses or replaced workers; "
                 "see the per-round tables and wrk/*.txt")
    busy = [r for r in rows if r.get("other_cores", 0) > BUSY_OTHER]
    if busy:
        L.append("")
        L.append(f"!! {len(busy)} of {len(rows)} run(s) shared the CPUs with other processes "
                 f"(> {BUSY_OTHER} cores, up to {max(r['other_cores'] for r in busy):.2f}): "
                 "those numbers are not clean; rerun on an idle machine")
    return "\n".join(L)

cmd = sys.argv[1]
if cmd == "add":
    # add RESULTS part round label first wrkfile wall_s server_cpu_s wrk_cpu_s
    #     sys_task_cpu_s sys_irq_cpu_s sys_steal_s ncpu [stats_before stats_after]
    (_, _, results, part, rnd, label, first, wrkfile, wall, scpu, wcpu, tcpu, icpu, steal,
     ncpu, *st) = sys.argv
    r = {"part": part, "round": int(rnd), "label": label, "first": first, "wrk_file": wrkfile,
         "wall_s": float(wall), "server_cpu_s": float(scpu), "wrk_cpu_s": float(wcpu),
         "sys_task_cpu_s": float(tcpu), "sys_irq_cpu_s": float(icpu), "sys_steal_s": float(steal),
         "ncpu": int(ncpu)}
    r.update(parse_wrk(wrkfile))
    w = r["wall_s"]
    r["server_cores"] = r["server_cpu_s"] / w
    r["wrk_cores"] = r["wrk_cpu_s"] / w
    # softirq: mostly loopback TCP work. Without CONFIG_IRQ_TIME_ACCOUNTING (Debian's and most
    # kernels) it is also charged to whichever task was running, i.e. mostly inside the
    # server's and wrk's CPU time; "other" is everything busy that was not ours.
    r["softirq_cores"] = r["sys_irq_cpu_s"] / w
    r["other_cores"] = max(0.0, (r["sys_task_cpu_s"] + r["sys_irq_cpu_s"]
                                 - r["server_cpu_s"] - r["wrk_cpu_s"]) / w)
    r["steal_cores"] = r["sys_steal_s"] / w
    r["rps_per_server_core"] = r["rps"] / r["server_cores"] if r["rps"] and r["server_cores"] else None
    r["idle_cores"] = max(0.0, r["ncpu"] - (r["sys_task_cpu_s"] + r["sys_irq_cpu_s"]
                                             + r["sys_steal_s"]) / w)
    if st:
        d = stats_delta(*st)
        r.update({k: v for k, v in d.items()})
        r["rng_acquisitions_per_s"] = d["rng_acquisitions"] / d["wall_s"] if d["wall_s"] else None
        r["stats_files"] = st
    if r["rps"] is None:
        print(f"could not parse Requests/sec from {wrkfile}", file=sys.stderr); sys.exit(1)
    with open(results, "a") as fh: fh.write(json.dumps(r) + "\n")
    print(f"{r['rps']:,.0f} req/s, p99 {r['p99_ms']:.2f} ms"
          + (f", lock wait {r['lock_wait_s_per_s']:.3f} s/s" if r.get("rng_acquisitions") else "")
          + f"; cores: server {r['server_cores']:.2f}, wrk {r['wrk_cores']:.2f},"
          f" other {r['other_cores']:.2f}, idle {r['idle_cores']:.2f}, steal {r['steal_cores']:.2f}"
          f" (softirq {r['softirq_cores']:.2f})" + flag(r))
elif cmd == "row":
    rows = load(sys.argv[2]); part, rnd = sys.argv[3], int(sys.argv[4])
    print(row_a(rows, rnd) if part == "A" else row_b(rows, rnd))
elif cmd == "head":
    print(HEAD_A if sys.argv[2] == "A" else HEAD_B)
elif cmd == "table":
    print(table(load(sys.argv[2]), sys.argv[3]))
elif cmd == "summary":
    print(summary(sys.argv[2], sys.argv[3]))
elif cmd == "json":  # json FILE KEY...: print a nested field
    v = json.load(open(sys.argv[2]))
    for k in sys.argv[3:]: v = v[int(k)] if isinstance(v, list) else v[k]
    print(v)
elif cmd == "sizes":  # sizes FILE...: print the path of the median-size file, and min/median/max
    fs = sorted(sys.argv[2:], key=lambda p: (len(open(p, "rb").read()), p))
    sz = [len(open(p, "rb").read()) for p in fs]
    print(fs[len(fs) // 2], sz[0], sz[len(sz) // 2], sz[-1])
else:
    sys.exit(f"unknown helper command {cmd}")
PYEOF
py() { python3 -c "$PY_HELPER" "$@"; }

CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)

proc_ticks() {  # utime+stime of one pid, in clock ticks (0 if gone)
  local s fields
  s=$(cat /proc/"$1"/stat 2>/dev/null) || { echo 0; return; }
  read -ra fields <<<"${s##*) }"  # fields after "(comm) ": utime, stime are fields 14, 15 overall
  echo $(( fields[11] + fields[12] ))
}

tree_cpu_ticks() {  # a server's parent plus its children
  local total=0 p
  for p in "$1" $(children_of "$1"); do total=$(( total + $(proc_ticks "$p") )); done
  echo "$total"
}

# CPU (user+sys) of this shell's waited-for children, e.g. wrk: the 2nd line of bash's `times`,
# which the caller writes to $OUT/.times itself (in a $(...) subshell it would be the subshell's).
children_cpu_seconds_from_file() {
  sed -n 2p "$OUT/.times" | awk '{ s = 0; for (i = 1; i <= NF; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } printf "%.3f\n", s }'
}

# start_target NAME PORT THREADS RNG [extra args]: sets TARGET_PID
start_target() {
  local name=$1 port=$2 threads=$3 rng=$4
  shift 4
  local log="$OUT/logs/$name.log"
  echo "$SERVER --bind 127.0.0.1 --port $port --workers $WORKERS --threads $threads --rng $rng $*" >"$log.cmd"
  "$SERVER" --bind 127.0.0.1 --port "$port" --workers "$WORKERS" --threads "$threads" \
    --rng "$rng" "$@" >"$log" 2>&1 </dev/null &
  TARGET_PID=$!
  STARTED+=("$TARGET_PID")
  wait_http "$TARGET_PID" "$port" /stats "$log" "target-server ($name)" 'listening on'
  local cfg
  cfg=$(curl -s --max-time 5 "http://127.0.0.1:$port/stats") || die "GET /stats failed on $name"
  [[ "$cfg" == *"\"rng\":\"$rng\""* && "$cfg" == *"\"workers_configured\":$WORKERS,"* && "$cfg" == *"\"threads_per_worker\":$threads,"* ]] \
    || die "target-server on port $port is not the one started (/stats: ${cfg:0:160})"
}

# run_wrk SECONDS OUTFILE ARGS...: one wrk run, hard-limited to SECONDS + 30 s. In the
# background plus `wait`, so that Ctrl-C reaches the INT trap at once (bash would otherwise
# ignore a SIGINT that a foreground wrk handles and exits 0 on).
run_wrk() {
  local secs=$1 out=$2 rc
  shift 2
  timeout --kill-after=5 $((secs + 30)) \
    wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${secs}s" "$@" >"$out" 2>&1 </dev/null &
  WRK_PID=$!
  wait "$WRK_PID"
  rc=$?
  WRK_PID=""
  return "$rc"
}

# run_one PART ROUND LABEL FIRST URL SERVER_PID [STATS_URL]: one wrk run, recorded
run_one() {
  local part=$1 rnd=$2 label=$3 first=$4 url=$5 spid=$6 statsurl=${7:-}
  local tag="${part}-r${rnd}-${label}"
  local wfile="$OUT/wrk/$tag.txt" before="$OUT/stats/$tag.before.json" after="$OUT/stats/$tag.after.json"
  local c0 c1 w0 w1 u0 u1 i0 i1 s0 s1 t0 t1 rc
  if [[ -n "$statsurl" ]]; then
    curl -s --max-time 5 -o "$before" "$statsurl" || die "GET $statsurl failed before $tag"
  fi
  times >"$OUT/.times"; w0=$(children_cpu_seconds_from_file)
  c0=$(tree_cpu_ticks "$spid"); read -r u0 i0 s0 < <(system_cpu_ticks); t0=$(date +%s%N)
  run_wrk "$DURATION" "$wfile" --latency "$url"
  rc=$?
  t1=$(date +%s%N); read -r u1 i1 s1 < <(system_cpu_ticks); c1=$(tree_cpu_ticks "$spid")
  times >"$OUT/.times"; w1=$(children_cpu_seconds_from_file)
  if [[ -n "$statsurl" ]]; then
    curl -s --max-time 5 -o "$after" "$statsurl" || die "GET $statsurl failed after $tag"
  fi
  (( rc == 0 )) || die "wrk failed (exit $rc) for $tag; see $wfile"
  kill -0 "$spid" 2>/dev/null || die "server for $tag died during the run"
  local -a nums
  read -ra nums < <(python3 -c "print(($t1 - $t0) / 1e9, ($c1 - $c0) / $CLK_TCK, max(0.0, $w1 - $w0), ($u1 - $u0) / $CLK_TCK, ($i1 - $i0) / $CLK_TCK, ($s1 - $s0) / $CLK_TCK)")
  local args=("$RESULTS" "$part" "$rnd" "$label" "$first" "$wfile" "${nums[@]}" "$NCPU")
  [[ -n "$statsurl" ]] && args+=("$before" "$after")
  local line
  line=$(py add "${args[@]}") || die "could not parse the results of $tag ($wfile)"
  say "  round $rnd  $(printf '%-12s' "$label") $line"
}

warmup() {  # url name
  run_wrk "$WARMUP" "$OUT/wrk/warmup-$2.txt" "$1" \
    || die "wrk warm-up against $2 ($1) failed; see $OUT/wrk/warmup-$2.txt"
}

# ---- machine description -------------------------------------------------------------------
NGINX_VERSION=$("$NGINX_BIN" -v 2>&1 | sed -n 's|.*nginx/\([^ ]*\).*|\1|p')
WRK_VERSION=$(wrk --version 2>&1 | head -n 1 | sed 's/ Copyright.*//')
REV_LINE=$(git_rev)  # "abc1234 (dirty tree)", or "unknown"
GIT_REV=${REV_LINE%% *}
case $REV_LINE in *dirty*) GIT_DIRTY=dirty ;; *clean*) GIT_DIRTY=clean ;; *) GIT_DIRTY=unknown ;; esac
{
  describe_machine
  echo "nginx:          $NGINX_BIN ($("$NGINX_BIN" -v 2>&1))"
  echo "wrk:            $WRK_VERSION"
  echo "curl:           $(curl --version | head -n 1)"
  echo "target-server:  $SERVER ($(stat -c '%s bytes, modified %y' "$SERVER"))"
  echo "command:        $0 $ORIG_ARGS"
} >"$OUT/machine.txt"
# A binary older than the server's sources measures old code (and `commit` above would lie).
STALE=$(find "$REPO/target-server" \( -name '*.cpp' -o -name '*.h' -o -name CMakeLists.txt \) -newer "$SERVER" 2>/dev/null | head -n 3 | tr '\n' ' ')
if [[ -n "$STALE" ]]; then
  echo "stale binary:   sources newer than the binary: $STALE" >>"$OUT/machine.txt"
  warn "$SERVER is older than $STALE(rebuild: cmake --build $REPO/build --target target-server)"
fi
[[ "$GIT_DIRTY" == dirty ]] && git --no-optional-locks -C "$REPO" status --porcelain >"$OUT/git-status.txt" 2>/dev/null

say "throughput.sh: results in $OUT"
say "  server $SERVER (commit $GIT_REV, $GIT_DIRTY tree); nginx $NGINX_VERSION; $WRK_VERSION"
say "  $NCPU CPUs; workers $WORKERS; rounds $ROUNDS; wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s; part B threads $THREADS_OVER${RNG_DRAWS:+; --rng-draws $RNG_DRAWS}"
# Is anything else using the CPUs? One second of /proc/stat (the load average would still
# count a previous benchmark run for minutes).
read -r q_u0 q_i0 _ < <(system_cpu_ticks); sleep 1; read -r q_u1 q_i1 _ < <(system_cpu_ticks)
BUSY_BEFORE=$(python3 -c "print(f'{(($q_u1 + $q_i1) - ($q_u0 + $q_i0)) / $CLK_TCK:.2f}')")
echo "busy before start: $BUSY_BEFORE of $NCPU CPUs (1 s sample of /proc/stat)" >>"$OUT/machine.txt"
python3 -c "import sys; sys.exit(0 if $BUSY_BEFORE < 0.25 else 1)" \
  || warn "other processes were using $BUSY_BEFORE of $NCPU CPUs before the start; results will be noisy (runs where that persists are flagged)"

# ---- part A: nginx vs target-server --rng pool ------------------------------------------------
pick_port TS_PORT
pick_port NG_PORT

say ""
say "== Part A: nginx vs target-server --rng pool ($WORKERS workers each, target --threads 1)"
start_target partA-target-pool "$TS_PORT" 1 pool
TS_PID=$TARGET_PID
say "  target-server --rng pool --threads 1: pid $TS_PID, http://127.0.0.1:$TS_PORT"

# One body for nginx: of 64 fetched products (each GET /read picks one at random), the one of
# median size, so nginx serves a body as large as the target's typical one.
mkdir -p "$OUT/docroot" "$OUT/bodies"
for ((i = 0; i < 64; i++)); do
  curl -s --fail --max-time 5 -o "$OUT/bodies/$i.json" "http://127.0.0.1:$TS_PORT/read" \
    || die "GET /read on target-server failed"
done
read -r BODY_SRC BODY_MIN BODY_MED BODY_MAX < <(py sizes "$OUT"/bodies/*.json)
BODY_FILE="$OUT/docroot/read.json"
cp "$BODY_SRC" "$BODY_FILE"
chmod 644 "$BODY_FILE"
BODY_BYTES=$(stat -c %s "$BODY_FILE")
BODY_SHA=$(sha256sum <"$BODY_FILE" | cut -d' ' -f1)
rm -rf "$OUT/bodies"
say "  body for nginx: $BODY_BYTES bytes, sha256 ${BODY_SHA:0:16}... (target bodies of 64 fetched: min $BODY_MIN, median $BODY_MED, max $BODY_MAX bytes)"

# Render the nginx config. As root the workers would switch to 'nobody'; run them as the
# invoking user so the out dir needs no extra permissions.
if (( EUID == 0 )); then USER_LINE="user $(id -un) $(id -gn);"; else USER_LINE="# user: not root, workers run as $(id -un)"; fi
sed -e "s|@USER_LINE@|$USER_LINE|" \
    -e "s|@WORKERS@|$WORKERS|" \
    -e "s|@OUT@|$OUT|g" \
    -e "s|@PORT@|$NG_PORT|" \
    -e "s|@BODY_FILE@|$BODY_FILE|" \
    "$SCRIPT_DIR/nginx.conf.in" >"$OUT/nginx.conf"
if grep -v '^[[:space:]]*#' "$OUT/nginx.conf" | grep -q '@[A-Z_]*@'; then
  die "unreplaced placeholder in $OUT/nginx.conf: $(grep -v '^[[:space:]]*#' "$OUT/nginx.conf" | grep -o '@[A-Z_]*@' | head -n 1)"
fi
"$NGINX_BIN" -t -q -p "$OUT/" -c "$OUT/nginx.conf" -e "$OUT/nginx-error.log" >"$OUT/logs/nginx-t.log" 2>&1 \
  || { cat "$OUT/logs/nginx-t.log" >&2; die "nginx rejected $OUT/nginx.conf (see above)"; }
"$NGINX_BIN" -p "$OUT/" -c "$OUT/nginx.conf" -e "$OUT/nginx-error.log" >"$OUT/logs/nginx.log" 2>&1 </dev/null &
NG_PID=$!
STARTED+=("$NG_PID")
wait_http "$NG_PID" "$NG_PORT" /read "$OUT/logs/nginx.log" nginx
say "  nginx $NGINX_VERSION ($WORKERS workers): pid $NG_PID, http://127.0.0.1:$NG_PORT"

# Same body bytes and content type from both (the target's body was saved above; nginx must
# return exactly it), and the head sizes for the record.
curl -s --fail --max-time 5 -D "$OUT/headers-nginx.txt" -o "$OUT/body-nginx.json" "http://127.0.0.1:$NG_PORT/read" \
  || die "GET /read on nginx failed (see $OUT/nginx-error.log)"
curl -s --fail --max-time 5 -D "$OUT/headers-target.txt" -o /dev/null "http://127.0.0.1:$TS_PORT/read" \
  || die "GET /read on target-server failed"
NG_SHA=$(sha256sum <"$OUT/body-nginx.json" | cut -d' ' -f1)
[[ "$NG_SHA" == "$BODY_SHA" ]] || die "nginx body sha256 $NG_SHA differs from the target's body $BODY_SHA"
for h in nginx target; do
  grep -qi '^content-type: application/json' "$OUT/headers-$h.txt" || die "$h does not answer /read with Content-Type: application/json (see $OUT/headers-$h.txt)"
done
NG_HEAD_BYTES=$(stat -c %s "$OUT/headers-nginx.txt")
say "  bodies match: sha256 $BODY_SHA from both; response heads: nginx $NG_HEAD_BYTES B, target $(stat -c %s "$OUT/headers-target.txt") B"

cat >"$OUT/config.json" <<EOF
{"workers": $WORKERS, "rounds": $ROUNDS, "duration": $DURATION, "connections": $CONNECTIONS,
 "wrk_threads": $WRK_THREADS, "threads_over": $THREADS_OVER, "rng_draws": ${RNG_DRAWS:-null},
 "server_default_rng_draws": ${SERVER_DRAWS:-null},
 "ncpu": $NCPU, "nginx_version": "$NGINX_VERSION", "wrk_version": "$WRK_VERSION",
 "server": "$SERVER", "commit": "$GIT_REV", "tree": "$GIT_DIRTY",
 "body_bytes": $BODY_BYTES, "body_sha256": "$BODY_SHA",
 "nginx_header_bytes": $NG_HEAD_BYTES, "nginx_response_bytes": $((NG_HEAD_BYTES + BODY_BYTES)),
 "target_body_bytes_min_median_max": [$BODY_MIN, $BODY_MED, $BODY_MAX],
 "ports": {"target_pool_a": $TS_PORT, "nginx": $NG_PORT}}
EOF

NG_URL="http://127.0.0.1:$NG_PORT/read"
TS_URL="http://127.0.0.1:$TS_PORT/read"
TS_STATS="http://127.0.0.1:$TS_PORT/stats"
say "  warm-up: ${WARMUP} s each"
warmup "$NG_URL" nginx
warmup "$TS_URL" target-pool
for ((r = 1; r <= ROUNDS; r++)); do
  if (( r % 2 == 1 )); then
    run_one A "$r" nginx nginx "$NG_URL" "$NG_PID"
    run_one A "$r" target-pool nginx "$TS_URL" "$TS_PID" "$TS_STATS"
  else
    run_one A "$r" target-pool target "$TS_URL" "$TS_PID" "$TS_STATS"
    run_one A "$r" nginx target "$NG_URL" "$NG_PID"
  fi
done
say ""
py table "$RESULTS" A >"$OUT/rounds-A.txt" && say_file "$OUT/rounds-A.txt"

stop_proc "$NG_PID"; forget_proc "$NG_PID"
stop_proc "$TS_PID"; forget_proc "$TS_PID"

# ---- part B: --rng locked vs --rng pool, threads > cores ----------------------------------------
pick_port LK_PORT
pick_port PL_PORT
say ""
say "== Part B: target-server --rng locked vs pool ($WORKERS workers x $THREADS_OVER threads on $NCPU CPUs${RNG_DRAWS:+, --rng-draws $RNG_DRAWS})"
# Two servers on two ports: the idle one sleeps in epoll_wait and costs no CPU.
locked_args=()
[[ -n "$RNG_DRAWS" ]] && locked_args=(--rng-draws "$RNG_DRAWS")
start_target partB-locked "$LK_PORT" "$THREADS_OVER" locked "${locked_args[@]}"
LK_PID=$TARGET_PID
start_target partB-pool "$PL_PORT" "$THREADS_OVER" pool
PL_PID=$TARGET_PID
say "  locked: pid $LK_PID, http://127.0.0.1:$LK_PORT   pool: pid $PL_PID, http://127.0.0.1:$PL_PORT"
LK_URL="http://127.0.0.1:$LK_PORT/read"
PL_URL="http://127.0.0.1:$PL_PORT/read"
say "  warm-up: ${WARMUP} s each"
warmup "$LK_URL" locked
warmup "$PL_URL" pool
for ((r = 1; r <= ROUNDS; r++)); do
  if (( r % 2 == 1 )); then
    run_one B "$r" locked locked "$LK_URL" "$LK_PID" "http://127.0.0.1:$LK_PORT/stats"
    run_one B "$r" pool locked "$PL_URL" "$PL_PID" "http://127.0.0.1:$PL_PORT/stats"
  else
    run_one B "$r" pool pool "$PL_URL" "$PL_PID" "http://127.0.0.1:$PL_PORT/stats"
    run_one B "$r" locked pool "$LK_URL" "$LK_PID" "http://127.0.0.1:$LK_PORT/stats"
  fi
done
say ""
py table "$RESULTS" B >"$OUT/rounds-B.txt" && say_file "$OUT/rounds-B.txt"
say "  (wait s/s: seconds spent waiting for the RNG mutex per second of wall time, summed over all"
say "   threads; contended: share of lock acquisitions whose try_lock failed; us/wait: mean wait"
say "   per contended acquisition)"

stop_proc "$LK_PID"; forget_proc "$LK_PID"
stop_proc "$PL_PID"; forget_proc "$PL_PID"

# ---- summary ------------------------------------------------------------------------------------
{ cat "$OUT/rounds-A.txt"; echo; cat "$OUT/rounds-B.txt"; } >"$OUT/rounds.txt"
rm -f "$OUT/rounds-A.txt" "$OUT/rounds-B.txt"
py summary "$RESULTS" "$OUT/config.json" >"$OUT/summary.txt" || die "could not write the summary"
{
  echo
  echo "machine: $(sed -n 's/^cpu model: *//p' "$OUT/machine.txt"), $NCPU CPUs; commit $GIT_REV ($GIT_DIRTY); $WRK_VERSION"
  echo "raw data: $OUT (wrk/*.txt, stats/*.json, results.jsonl, rounds.txt, machine.txt, nginx.conf)"
} >>"$OUT/summary.txt"
say ""
say_file "$OUT/summary.txt"
