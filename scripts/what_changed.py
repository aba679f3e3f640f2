#!/usr/bin/env python3
"""The demo's closing table: each mode's run side by side (the incident write-up's "what
changed"), from the artifacts scripts/demo.sh leaves in OUT/<mode>/.

usage: what_changed.py OUT MODE [MODE ...]
"""
import json
import os
import sys


# The offcpu profile's futex wait kinds that are no lock: condvars (idle pools), joins,
# semaphores, barriers and the Go scheduler's idle threads.
IDLE_WAITS = ("condvar", "join", "semaphore", "barrier", "go-runtime")


def load(path):
    with open(path) as f:
        return json.load(f)


def run_figures(out, mode):
    d = os.path.join(out, mode)
    ac = load(os.path.join(d, "autocannon.json"))
    before = load(os.path.join(d, "stats-before.json"))
    after = load(os.path.join(d, "stats-after.json"))
    summary = load(os.path.join(d, "summary.json"))
    wall_s = (after["uptime_ns"] - before["uptime_ns"]) / 1e9
    recorded_s = summary["duration_s"]
    profiles = summary["profiles"]
    lock = profiles.get("lock", {})
    offcpu = profiles.get("offcpu", {})
    top = lock.get("top_stacks") or []
    holders = profiles.get("mutex", {}).get("top_stacks") or []
    by_wait = offcpu.get("total_by_wait", {})
    server_wait_s = (after["total"]["rng_wait_ns"] - before["total"]["rng_wait_ns"]) / 1e9
    return {
        "rps": ac["requests"]["average"],
        "p50": ac["latency"]["p50"],
        "p99": ac["latency"]["p99"],
        "errors": ac["errors"] + ac["timeouts"],
        # Per 60 s of wall time, as the story counts it ("403 s of waiting per 60 s").
        "lock_per_60": lock.get("total", 0) / 1e9 * 60 / recorded_s if recorded_s else 0,
        "server_lock_per_60": server_wait_s * 60 / wall_s if wall_s else 0,
        "blocked": offcpu.get("total", 0) / 1e9,
        # Futex waits that are no lock: an idle pool, a join. Apart, so nobody chases them.
        "idle_sync": sum(by_wait.get(k, 0) for k in IDLE_WAITS) / 1e9,
        "recorded_s": recorded_s,
        "top_lock": f"{top[0]['share'] * 100:.0f}% {top[0]['stack']}" if top else "(no lock waits)",
        "top_holder": (f"{holders[0]['share'] * 100:.0f}% {holders[0]['stack']}" if holders
                       else "(no lock released to a waiter)"),
        "flamegraphs": [os.path.join(d, f"{p}.svg") for p in ("lock", "mutex", "block", "offcpu", "cpu")
                        if os.path.exists(os.path.join(d, f"{p}.svg"))],
        "drops": {k: v for k, v in summary.get("drops", {}).items() if v},
    }


def change(a, b):
    return f"{(b - a) / a * 100:+.0f}%" if a else ""


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, modes = sys.argv[1], sys.argv[2:]
    runs = {m: run_figures(out, m) for m in modes}
    width = 16
    label_width = 38
    header = f"{'':<{label_width}}" + "".join(f"{m:>{width}}" for m in modes)
    if len(modes) == 2:
        header += f"{'change':>10}"
    print("\nWhat changed")
    print(header)

    def row(name, key, fmt, compare=True):
        line = f"{name:<{label_width}}" + "".join(f"{fmt(runs[m][key]):>{width}}" for m in modes)
        if compare and len(modes) == 2:
            line += f"{change(runs[modes[0]][key], runs[modes[1]][key]):>10}"
        print(line)

    row("requests/s (autocannon)", "rps", lambda v: f"{v:,.0f}")
    row("latency p50 (ms)", "p50", lambda v: f"{v}")
    row("latency p99 (ms)", "p99", lambda v: f"{v}")
    row("errors + timeouts", "errors", lambda v: f"{v:,}", compare=False)
    row("lock delay per 60 s (locks only)", "lock_per_60", lambda v: f"{v:,.1f} s")
    row("  server's own counter", "server_lock_per_60", lambda v: f"{v:,.1f} s")
    row("condvar, join, sem. waits (thread-s)", "idle_sync", lambda v: f"{v:,.1f}")
    row("total blocked, incl. idle (thread-s)", "blocked", lambda v: f"{v:,.1f}")
    row("recorded window", "recorded_s", lambda v: f"{v:.1f} s", compare=False)
    print("\nTop lock stack (waitprof lock profile: the waiters, leaf first):")
    for m in modes:
        print(f"  {m}: {runs[m]['top_lock']}")
    print("\nTop holder stack (mutex profile: whose critical section, at its unlock):")
    for m in modes:
        print(f"  {m}: {runs[m]['top_holder']}")
    print("\nFlamegraphs (open in a browser):")
    for m in modes:
        for path in runs[m]["flamegraphs"]:
            print(f"  {m}: {path}")
    for m in modes:
        if runs[m]["drops"]:
            print(f"\nwarning: {m}: waitprof dropped events: {runs[m]['drops']}")


if __name__ == "__main__":
    main()
