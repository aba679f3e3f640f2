#!/usr/bin/env python3
"""Helpers of bench/overhead.sh (stdlib only).

  timed OUT.json LOG -- CMD...   run CMD (stdout+stderr to LOG), write its pid to OUT.json.pid,
                                 forward SIGINT/SIGTERM to it, and on exit write OUT.json with
                                 the exit time, status and peak RSS (getrusage of the child)
  new-prog KNOWN_IDS_FILE        print the id of a BPF program not listed in the file whose
                                 name mentions sched_switch/offcpu (exit 1 if none yet)
  snap OUT.json PID... [--tree]  bpftool prog show, /proc/stat ctxt, and the context switches
                                 of the given processes (with --tree: and their descendants)
  tp-line DIR                    one-line summary of a throughput run
  report OUTDIR                  the markdown tables, from the raw files under OUTDIR/raw
"""
import glob
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import time


# ---- timed ------------------------------------------------------------------------------------
def cmd_timed(args):
    out, log = args[0], args[1]
    cmd = args[3:] if args[2] == "--" else args[2:]
    with open(log, "ab", buffering=0) as fh:
        p = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    with open(out + ".pid", "w") as fh:
        fh.write(f"{p.pid}\n")

    def forward(sig, _frame):
        try:
            os.kill(p.pid, sig)
        except ProcessLookupError:
            pass

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    start = time.time_ns()
    while True:
        try:
            _, status, ru = os.wait4(p.pid, 0)
            break
        except InterruptedError:
            continue
    end = time.time_ns()
    rc = os.waitstatus_to_exitcode(status)
    with open(out, "w") as fh:
        json.dump({"start_ns": start, "exit_ns": end, "exit_code": rc,
                   "peak_rss_bytes": ru.ru_maxrss * 1024, "cmd": cmd}, fh)
    sys.exit(0 if rc == 0 else 1)


# ---- new-prog ---------------------------------------------------------------------------------
def bpftool_progs():
    r = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    return json.loads(r.stdout or "[]")


def cmd_new_prog(args):
    known = set()
    if os.path.exists(args[0]):
        known = {int(x) for x in open(args[0]).read().split()}
    for p in bpftool_progs():
        if p["id"] in known:
            continue
        if "sched_switch" in p.get("name", "") or "offcpu" in p.get("name", ""):
            print(p["id"])
            return
    sys.exit(1)


# ---- snap -------------------------------------------------------------------------------------
def ppid_map():
    m = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            st = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        m[int(d)] = int(st[st.rindex(")") + 2:].split()[1])
    return m


def switches_of(pid):
    n = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for t in tids:
        try:
            for line in open(f"/proc/{pid}/task/{t}/status"):
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    n += int(line.split()[1])
        except OSError:
            pass
    return n


def cmd_snap(args):
    out, rest = args[0], args[1:]
    tree = "--tree" in rest
    pids = [int(x) for x in rest if x != "--tree"]
    if tree:
        pm = ppid_map()
        todo, seen = list(pids), set()
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            todo.extend(c for c, pp in pm.items() if pp == p)
        pids = sorted(seen)
    ctxt = None
    for line in open("/proc/stat"):
        if line.startswith("ctxt "):
            ctxt = int(line.split()[1])
    snap = {"t_ns": time.monotonic_ns(), "ctxt": ctxt, "pids": pids,
            "target_switches": sum(switches_of(p) for p in pids),
            "progs": bpftool_progs()}
    json.dump(snap, open(out, "w"))


# ---- parsing ----------------------------------------------------------------------------------
def load_json(path):
    try:
        with open(path) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def parse_wrk(path):
    try:
        text = open(path).read()
    except OSError:
        return None
    unit = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}
    m = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.M)
    if not m:
        return None
    r = {"rps": float(m.group(1))}
    m = re.search(r"^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$", text, re.M)
    r["p99_ms"] = float(m.group(1)) * unit[m.group(2)] if m else None
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    r["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    r["non2xx"] = int(m.group(1)) if m else 0
    return r


def drops_of(summary):
    if not summary:
        return None
    return sum(v for v in summary.get("drops", {}).values() if isinstance(v, (int, float)))


def export_of(run_dir):
    """Export figures of one waitprof run: waitprof's own (summary.json "export", if present)
    and the ones measured from outside (SIGINT -> exit, getrusage of the child)."""
    s = load_json(f"{run_dir}/profiles/summary.json") or {}
    t = load_json(f"{run_dir}/timing.json") or {}
    stop = None
    try:
        stop = int(open(f"{run_dir}/stop_ns").read().split()[0])
    except (OSError, ValueError, IndexError):
        pass
    e = s.get("export") if isinstance(s.get("export"), dict) else {}
    profiles = s.get("profiles", {})
    return {
        "duration_s": s.get("duration_s"),
        "export_s": e.get("seconds"),
        "peak_rss_bytes": e.get("peak_rss_bytes") or t.get("peak_rss_bytes"),
        "peak_rss_source": "summary" if e.get("peak_rss_bytes") else ("getrusage" if t else None),
        "unique_stacks": e.get("unique_stacks"),
        "samples": e.get("samples"),
        "pprof_samples": sum(p.get("samples", 0) for p in profiles.values()) if profiles else None,
        "pprof_samples_by_profile": {k: p.get("samples") for k, p in profiles.items()},
        "stop_to_exit_s": (t["exit_ns"] - stop) / 1e9 if t.get("exit_ns") and stop else None,
        "drops": drops_of(s),
        "events": s.get("events"),
    }


def cmd_tp_line(args):
    d = args[0]
    w = parse_wrk(f"{d}/wrk.txt")
    if not w:
        sys.exit(f"could not parse {d}/wrk.txt")
    line = f"{w['rps']:,.0f} req/s, p99 {fmt(w['p99_ms'], '{:.2f}')} ms"
    if w["socket_errors"] or w["non2xx"]:
        line += f"  !! {w['socket_errors']} socket errors, {w['non2xx']} non-2xx"
    s = load_json(f"{d}/profiles/summary.json")
    if s:
        line += f"; waitprof drops {drops_of(s)}"
    print(line)


# ---- report -----------------------------------------------------------------------------------
def fmt(v, f="{:.2f}", none="n/a"):
    return f.format(v) if v is not None else none


def med_range(vals, f="{:,.0f}"):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "n/a"
    return f"{f.format(statistics.median(vals))} ({f.format(min(vals))}–{f.format(max(vals))})"


def median_ci(vals, level=0.95):
    """Distribution-free confidence interval of the median: the order statistics x(k) and
    x(n+1-k) with the largest k for which Binomial(n, 1/2) puts at most (1-level)/2 below k.
    None with too few values (n < 6 at 95%)."""
    xs = sorted(v for v in vals if v is not None)
    n = len(xs)
    tail, k = 0.0, 0
    while True:
        p = math.comb(n, k) / 2 ** n
        if tail + p > (1 - level) / 2:
            break
        tail += p
        k += 1
    if k == 0:
        return None
    return xs[k - 1], xs[n - k]


def goal(ok):
    return "n/a" if ok is None else ("MET" if ok else "NOT MET")


def prog_delta(before, after, ids):
    """Sum of (run_cnt, run_time_ns) deltas over the given program ids."""
    b = {p["id"]: p for p in before["progs"]}
    cnt = ns = 0
    for p in after["progs"]:
        if p["id"] not in ids:
            continue
        q = b.get(p["id"], {})
        cnt += p.get("run_cnt", 0) - q.get("run_cnt", 0)
        ns += p.get("run_time_ns", 0) - q.get("run_time_ns", 0)
    return cnt, ns


def cost_runs(raw):
    """Per tool and phase: sched_switch invocations, ns, target switches, seconds; plus the
    other waitprof programs."""
    res = {}
    for tool in ("waitprof", "offcputime"):
        for phase in ("storm", "mixed"):
            d = f"{raw}/cost/{tool}-{phase}"
            b, a = load_json(f"{d}/before.json"), load_json(f"{d}/after.json")
            if not b or not a:
                continue
            secs = (a["t_ns"] - b["t_ns"]) / 1e9
            r = {"seconds": secs, "ctxt": a["ctxt"] - b["ctxt"],
                 "target_switches": a["target_switches"] - b["target_switches"], "others": {}}
            if tool == "waitprof":
                s = load_json(f"{d}/profiles/summary.json")
                if not s:
                    continue
                ids = s.get("bpf_program_ids", {})
                sw = {i for n, i in ids.items() if n.startswith("switch")}
                r["switch_cnt"], r["switch_ns"] = prog_delta(b, a, sw)
                for name, i in sorted(ids.items()):
                    if i in sw:
                        continue
                    c, n = prog_delta(b, a, {i})
                    if c:
                        r["others"][name] = (c, n)
                r["drops"] = drops_of(s)
                r["summary_switch_outs"] = s.get("events", {}).get("switch_outs")
                # sched_switch events with a target on either side, counted by waitprof's own
                # program: the denominator for a per-event (not per-wait) target cost.
                r["summary_target_events"] = s.get("events", {}).get("target_switches")
                # sched_waking (the mutex profile): every wakeup of the machine; those of a
                # target thread, and of them the lock releases (the waker's stack is walked).
                wk = {i for n, i in ids.items() if n.startswith("waking")}
                r["waking_cnt"], r["waking_ns"] = prog_delta(b, a, wk)
                r["summary_target_wakeups"] = s.get("events", {}).get("target_wakeups")
                r["summary_releases"] = s.get("events", {}).get("lock_releases")
            else:
                try:
                    ids = {int(l.split()[1]) for l in open(f"{d}/offcputime-ids.txt") if l.strip()}
                except OSError:
                    continue
                r["instances"] = len(ids)
                r["switch_cnt"], r["switch_ns"] = prog_delta(b, a, ids)
            r["wrk"] = parse_wrk(f"{d}/wrk.txt")
            res[(tool, phase)] = r
    return res


def split_cost(storm, mixed):
    """Non-target ns/event from the storm-only run; target ns/event from the mixed run:
    (total ns - non-target invocations x non-target cost) / target switch-outs."""
    if not storm or not storm.get("switch_cnt"):
        return None, None
    # The storm run's few target switches (an idle server) are counted as non-target here.
    c_non = storm["switch_ns"] / storm["switch_cnt"]
    c_tgt = None
    if mixed and mixed.get("target_switches"):
        n_tgt = mixed["target_switches"]
        c_tgt = (mixed["switch_ns"] - (mixed["switch_cnt"] - n_tgt) * c_non) / n_tgt
    return c_non, c_tgt


def waking_cost(storm, mixed):
    """sched_waking: non-target ns/event from the storm run; from the mixed run, ns per target
    wakeup and per lock release, after the non-target invocations at the storm's cost (a
    release is a target wakeup whose waker's stack was walked: all of that cost is put on it,
    the upper bound)."""
    if not storm or not storm.get("waking_cnt"):
        return None
    c_non = storm["waking_ns"] / storm["waking_cnt"]
    c_tgt = c_rel = rate = None
    if mixed and mixed.get("waking_cnt") and mixed.get("summary_target_wakeups"):
        n_tgt = min(mixed["summary_target_wakeups"], mixed["waking_cnt"])
        extra = mixed["waking_ns"] - (mixed["waking_cnt"] - n_tgt) * c_non
        c_tgt = extra / n_tgt
        n_rel = mixed.get("summary_releases") or 0
        rate = n_rel / mixed["seconds"]
        if n_rel:
            # Target wakeups that were no release cost about a non-target event more.
            c_rel = (extra - (n_tgt - n_rel) * c_non) / n_rel
        # Below zero: the storm run's non-target cost was above the mixed run's (the host
        # drifted between them), and the difference is noise, not a cost.
        c_tgt = c_tgt if c_tgt >= 0 else None
        c_rel = c_rel if c_rel is not None and c_rel >= 0 else None
    return c_non, c_tgt, c_rel, rate


def cmd_report(args):
    out = args[0]
    raw = f"{out}/raw"
    cfg = load_json(f"{out}/config.json") or {}
    L = []
    L.append(f"# waitprof overhead — {cfg.get('date', '')}")
    L.append("")
    L.append(f"Machine: {cfg.get('machine', 'n/a')}. waitprof {cfg.get('commit', 'n/a')}; "
             f"{cfg.get('wrk_version', 'wrk')}; offcputime from libbpf-tools "
             f"{cfg.get('offcputime_version', 'n/a')}.{' **Quick smoke run: not for quoting.**' if cfg.get('quick') else ''}")
    goals = []

    # -- throughput
    tp_dir = f"{raw}/tp"
    rows = {}
    if os.path.isdir(tp_dir):
        for name in sorted(os.listdir(tp_dir)):
            m = re.match(r"r(\d+)-(\w+)$", name)
            w = parse_wrk(f"{tp_dir}/{name}/wrk.txt") if m else None
            if not w:
                continue
            w["drops"] = drops_of(load_json(f"{tp_dir}/{name}/profiles/summary.json"))
            rows.setdefault(m.group(2), {})[int(m.group(1))] = w
    if rows.get("baseline"):
        base = rows["baseline"]
        L.append("")
        L.append(f"## Throughput and p99 of target-server under wrk ({len(base)} rounds, order rotated)")
        L.append("")
        L.append(f"target-server --workers {cfg.get('workers')} --threads {cfg.get('threads')} "
                 f"--rng {cfg.get('rng')}; wrk -t{cfg.get('wrk_threads')} -c{cfg.get('connections')} "
                 f"-d{cfg.get('duration')}s --latency; bpf_stats off. Median (min–max) over rounds; "
                 "ratios are per round against the baseline of the same round.")
        L.append("")
        L.append("| configuration | req/s | req/s ratio vs (a) | 95% CI of the median ratio "
                 "| p99 ms | p99 ratio vs (a) | lost events |")
        L.append("|---|---|---|---|---|---|---|")
        labels = {"baseline": "(a) no profiler",
                  "waitprof": "(b) waitprof record, all six profiles",
                  "offcputime": f"(c) offcputime -p, one per worker ({cfg.get('workers')})"}
        ratio_med, ratio_ci = {}, {}
        for key in ("baseline", "waitprof", "offcputime"):
            rs = rows.get(key)
            if not rs:
                continue
            rr = [rs[r]["rps"] / base[r]["rps"] for r in rs if r in base and base[r]["rps"]]
            pr = [rs[r]["p99_ms"] / base[r]["p99_ms"] for r in rs
                  if r in base and rs[r]["p99_ms"] and base[r]["p99_ms"]]
            ratio_med[key] = statistics.median(rr) if rr else None
            ratio_ci[key] = median_ci(rr) if key != "baseline" else None
            ci = ratio_ci[key]
            drops = [v["drops"] for v in rs.values() if v.get("drops") is not None]
            bad = sum(1 for v in rs.values() if v["socket_errors"] or v["non2xx"])
            L.append(f"| {labels[key]}{' !! ' + str(bad) + ' runs with errors' if bad else ''} "
                     f"| {med_range([v['rps'] for v in rs.values()])} "
                     f"| {med_range(rr, '{:.3f}') if key != 'baseline' else '1'} "
                     f"| {'–' if key == 'baseline' else (f'{ci[0]:.3f}–{ci[1]:.3f}' if ci else 'n/a (< 6 rounds)')} "
                     f"| {med_range([v['p99_ms'] for v in rs.values()], '{:.2f}')} "
                     f"| {med_range(pr, '{:.2f}') if key != 'baseline' else '1'} "
                     f"| {sum(drops) if drops else ('–' if key != 'waitprof' else 'n/a')} |")
        w, o = ratio_med.get("waitprof"), ratio_med.get("offcputime")
        wci = ratio_ci.get("waitprof")
        goals.append(f"- throughput with all six profiles ≥ 98% of baseline: median "
                     f"{fmt(w, '{:.1%}')} → {goal(None if w is None else w >= 0.98)}"
                     + (f" (95% CI of the median {wci[0]:.1%}–{wci[1]:.1%}: "
                        + ("all of it ≥ 98%)" if wci[0] >= 0.98 else
                           "all of it below 98%)" if wci[1] < 0.98 else
                           "it straddles 98%: more rounds or a quieter machine would decide)")
                        if wci else ""))
        goals.append(f"- better ratio than offcputime: waitprof {fmt(w, '{:.3f}')} vs offcputime "
                     f"{fmt(o, '{:.3f}')} → {goal(None if w is None or o is None else w > o)}")
        wd = [v["drops"] for v in rows.get("waitprof", {}).values() if v.get("drops") is not None]
        goals.append(f"- no lost events (throughput runs): {sum(wd) if wd else 'n/a'} lost → "
                     f"{goal(None if not wd else sum(wd) == 0)}")

    # -- per-event cost
    cr = cost_runs(raw)
    if cr:
        L.append("")
        L.append("## Per-event cost (kernel.bpf_stats_enabled=1, run_time_ns / run_cnt)")
        L.append("")
        L.append(f"storm: `perf bench sched pipe` (non-target), target-server idle; mixed: storm plus "
                 f"wrk on target-server; {fmt(cfg.get('cost_duration'), '{}')} s each.")
        L.append("")
        L.append("| tool | run | sched_switch calls/s | target switch-outs/s | ns/call (all) | lost events |")
        L.append("|---|---|---|---|---|---|")
        for (tool, phase), r in sorted(cr.items()):
            s = r["seconds"]
            L.append(f"| {tool}{' ×' + str(r['instances']) if r.get('instances') else ''} | {phase} "
                     f"| {r['switch_cnt'] / s:,.0f} | {r['target_switches'] / s:,.0f} "
                     f"| {fmt(r['switch_ns'] / r['switch_cnt'] if r['switch_cnt'] else None, '{:.0f}')} "
                     f"| {r['drops'] if 'drops' in r else '–'} |")
        L.append("")
        L.append("| sched_switch program | non-target ns/event | target ns per switch-out (incl. user stack, and its switch-in) | target ns/event (prev or next a target) |")
        L.append("|---|---|---|---|")
        split = {}
        for tool in ("waitprof", "offcputime"):
            c_non, c_tgt = split_cost(cr.get((tool, "storm")), cr.get((tool, "mixed")))
            if c_non is None:
                continue
            split[tool] = (c_non, c_tgt)
            c_evt = None
            m = cr.get((tool, "mixed"))
            if m and m.get("summary_target_events"):
                n_evt = min(m["summary_target_events"], m["switch_cnt"])
                c_evt = (m["switch_ns"] - (m["switch_cnt"] - n_evt) * c_non) / n_evt
            L.append(f"| {tool}{' (per instance)' if tool == 'offcputime' else ''} "
                     f"| {fmt(c_non, '{:.0f}')} | {fmt(c_tgt, '{:.0f}')} | {fmt(c_evt, '{:.0f}')} |")
        mixed = cr.get(("waitprof", "mixed"))
        wake = waking_cost(cr.get(("waitprof", "storm")), mixed)
        if wake:
            c_non, c_tgt, c_rel, rate = wake
            L.append("")
            L.append("| sched_waking program (mutex) | non-target ns/event | target ns/event (wakee a target) | lock releases/s | ns per release (incl. the holder's stack) |")
            L.append("|---|---|---|---|---|")
            L.append(f"| waitprof | {c_non:.0f} | {fmt(c_tgt, '{:.0f}')} | {fmt(rate, '{:,.0f}')} | {fmt(c_rel, '{:.0f}')} |")
            L.append("")
            L.append("(n/a: the split fell below the noise between the storm and mixed runs; the "
                     "mixed run's ns/call of waking_btf below is the direct figure.)")
            goals.append(f"- sched_waking non-target ≤ 100 ns: {c_non:.0f} ns → {goal(c_non <= 100)}")
            goals.append(f"- sched_waking target ≤ 500 ns per target wakeup, the holder's stack "
                         f"included: {fmt(c_tgt, '{:.0f}')} ns → {goal(None if c_tgt is None else c_tgt <= 500)}")
            goals.append(f"- the same per lock release alone (a holder walk each): {fmt(c_rel, '{:.0f}')} ns → "
                         f"{goal(None if c_rel is None else c_rel <= 500)}")
        if mixed and mixed["others"]:
            L.append("")
            L.append("Other waitprof programs in the mixed run (all invocations; they return early for non-targets):")
            L.append("")
            L.append("| program | calls/s | ns/call |")
            L.append("|---|---|---|")
            for name, (c, n) in sorted(mixed["others"].items()):
                L.append(f"| {name} | {c / mixed['seconds']:,.0f} | {n / c:.0f} |")
        if "waitprof" in split:
            c_non, c_tgt = split["waitprof"]
            goals.append(f"- sched_switch non-target ≤ 100 ns: {c_non:.0f} ns → {goal(c_non <= 100)}")
            goals.append(f"- sched_switch target ≤ 500 ns: {fmt(c_tgt, '{:.0f}')} ns → "
                         f"{goal(None if c_tgt is None else c_tgt <= 500)}"
                         + (f" (offcputime: non-target {split['offcputime'][0]:.0f} ns, target "
                            f"{fmt(split['offcputime'][1], '{:.0f}')} ns)" if "offcputime" in split else ""))
            cd = [r.get("drops") for (t, _), r in cr.items() if t == "waitprof" and r.get("drops") is not None]
            if mixed:
                goals.append(f"- no lost events at {mixed['target_switches'] / mixed['seconds']:,.0f} target "
                             f"switches/s ({mixed['ctxt'] / mixed['seconds']:,.0f} on the machine): "
                             f"{sum(cd)} lost → {goal(sum(cd) == 0)}")

    # -- syscall tax
    sc_dir = f"{raw}/syscall"
    if os.path.isdir(sc_dir):
        ns = {}
        for name in ("baseline", "waitprof", "offcputime"):
            vals = []
            for f in sorted(glob.glob(f"{sc_dir}/{name}/run*.txt")):
                m = re.search(r"([\d.]+)\s+usecs/op", open(f).read())
                if m:
                    vals.append(float(m.group(1)) * 1000)
            if vals:
                ns[name] = vals
        if ns.get("baseline"):
            base = statistics.median(ns["baseline"])
            L.append("")
            L.append("## The tax on every syscall of the machine")
            L.append("")
            L.append("`perf bench syscall basic` (a getppid loop in a process nobody traces) beside the "
                     "idle server: an enabled syscall tracepoint sends every syscall of every task "
                     "through the kernel's slow entry path, a cost bpf_stats does not show. "
                     "Median (min–max) of the runs.")
            L.append("")
            L.append("| configuration | ns per syscall | ratio vs (a) |")
            L.append("|---|---|---|")
            labels = {"baseline": "(a) no profiler", "waitprof": "(b) waitprof record, all six profiles",
                      "offcputime": "(c) offcputime -p, one per worker"}
            for name, vals in ns.items():
                L.append(f"| {labels[name]} | {med_range(vals, '{:.1f}')} | "
                         f"{statistics.median(vals) / base:.3f} |")
            if ns.get("waitprof"):
                r = statistics.median(ns["waitprof"]) / base
                goals.append(f"- untraced syscalls cost what they cost without waitprof (within 5%): "
                             f"{r:.3f} → {goal(r <= 1.05)}")

    # -- export
    ex_dir = f"{raw}/export"
    if os.path.isdir(ex_dir) and os.listdir(ex_dir):
        L.append("")
        L.append("## Export: stop → all files written, and peak RSS of waitprof")
        L.append("")
        L.append("export s: waitprof's own figure (summary.json `export.seconds`); stop→exit s: "
                 "measured from outside, SIGINT to process exit (includes collecting the maps); "
                 "peak RSS: getrusage of the waitprof process over the whole recording.")
        L.append("")
        L.append("| recording | seconds | unique stacks | pprof samples (cpu/offcpu/lock/send) | export s | stop→exit s | peak RSS MiB | lost events |")
        L.append("|---|---|---|---|---|---|---|---|")
        names = sorted(os.listdir(ex_dir), key=lambda n: (not n.startswith("target"),
                       int(n.split("-")[1]) if n.startswith("fanout-") else 0))
        for name in names:
            e = export_of(f"{ex_dir}/{name}")
            meta = load_json(f"{ex_dir}/{name}/meta.json") or {}
            by = e["pprof_samples_by_profile"]
            per = "/".join(str(by.get(k, "–")) for k in ("cpu", "offcpu", "lock", "send"))
            L.append(f"| {meta.get('label', name)} | {fmt(e['duration_s'], '{:.1f}')} "
                     f"| {fmt(e['unique_stacks'], '{:,}')} | {fmt(e['pprof_samples'], '{:,}')} ({per}) "
                     f"| {fmt(e['export_s'], '{:.2f}')} | {fmt(e['stop_to_exit_s'], '{:.2f}')} "
                     f"| {fmt(e['peak_rss_bytes'] / 2**20 if e['peak_rss_bytes'] else None, '{:.1f}')} "
                     f"| {fmt(e['drops'], '{}')} |")
            if name.startswith("target"):
                sec = e["export_s"] if e["export_s"] is not None else e["stop_to_exit_s"]
                src = "export.seconds" if e["export_s"] is not None else "stop→exit, export.seconds missing"
                goals.append(f"- export of a {fmt(e['duration_s'], '{:.0f}')} s recording ≤ 2 s: "
                             f"{fmt(sec, '{:.2f}')} s ({src}) → {goal(None if sec is None else sec <= 2)}"
                             + ("" if (e["duration_s"] or 0) >= 59 else " (recording shorter than the goal's 60 s)"))
    if goals:
        L.append("")
        L.append("## Goals (issue 5)")
        L.append("")
        L.extend(goals)
    L.append("")
    L.append(f"Raw data: {out}")
    print("\n".join(L))


def main():
    cmds = {"timed": cmd_timed, "new-prog": cmd_new_prog, "snap": cmd_snap,
            "tp-line": cmd_tp_line, "report": cmd_report}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
