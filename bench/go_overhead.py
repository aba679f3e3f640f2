#!/usr/bin/env python3
"""What waitprof costs a prefork Go server (issue 14): throughput without waitprof, with
`waitprof record --pid PARENT --children` (all six profiles) and with only the profiles of
Go's goroutines (`--profiles block,mutex`), rounds rotated in one run; the mutex uprobe's
hits per request and its cost per hit; the goroutine sampler's own CPU time.

The server is tests/testprogs/goprefork (net/http, /read draws from the global math/rand),
built here with Debian's Go. Cost per hit: goprefork -semrelease-loop times calls of
sync.runtime_Semrelease with no waiter (its fast path returns at once), without and with the
probe attached: the difference is the trap plus the BPF program.

Run as root after scripts/test.sh has built waitprof: sudo bench/go_overhead.py [--rounds 8]
[--seconds 10] [--workers 2] [--connections 32]. Results: bench/results/go-overhead-<time>/.
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time

from bench_common import REPO, WAITPROF, free_port
SOURCE = os.path.join(REPO, "tests/testprogs/goprefork")


def build(out_dir):
    binary = os.path.join(out_dir, "goprefork")
    env = dict(os.environ, GOCACHE=os.path.join(out_dir, "gocache"), HOME=out_dir,
               GOFLAGS="-mod=mod")
    subprocess.run(["go", "build", "-o", binary, "."], cwd=SOURCE, env=env, check=True)
    return binary


def wait_listening(port, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"go_overhead: nothing listens on port {port}")


def wrk(port, seconds, connections):
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s",
                          f"http://127.0.0.1:{port}/read"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"(\d+) requests in", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    return int(m.group(1)), float(rate.group(1))


# Each round's recording: None (no waitprof) or record's extra arguments.
ARMS = [("without waitprof", None), ("record, all profiles", []),
        ("record --profiles block,mutex", ["--profiles", "block,mutex"])]


def one_round(binary, args, out_dir, index, arm):
    name, extra = arm
    port = free_port()
    profiles = os.path.join(out_dir, f"round{index}-profiles")
    os.makedirs(profiles, exist_ok=True)
    server = subprocess.Popen([binary, "-workers", str(args.workers), "-listen",
                               f"127.0.0.1:{port}", "-profiles", profiles],
                              stdout=subprocess.DEVNULL)
    wait_listening(port)
    time.sleep(0.5)
    rec = None
    rec_dir = os.path.join(out_dir, f"round{index}-waitprof")
    if extra is not None:
        # It says it started once the goroutine sampler has every worker's runtime layout.
        rec = subprocess.Popen([WAITPROF, "record", "--pid", str(server.pid), "--children",
                                "--output", rec_dir] + extra, stderr=subprocess.PIPE,
                               text=True, stdout=subprocess.DEVNULL)
        for line in rec.stderr:
            if "Ctrl-C to stop" in line:
                break
    requests, rate = wrk(port, args.seconds, args.connections)
    result = {"arm": name, "requests": requests, "req_per_s": rate}
    if rec:
        rec.send_signal(signal.SIGINT)
        _, err = rec.communicate(timeout=120)
        if rec.returncode != 0:
            sys.exit(f"go_overhead: waitprof record failed ({rec.returncode}):\n{err}")
        summary = json.load(open(os.path.join(rec_dir, "summary.json")))
        result["go_releases"] = summary["events"]["go_releases"]
        result["sampler_cpu_s"] = summary["goroutines"]["reading_seconds"]
        result["duration_s"] = summary["duration_s"]
        result["readings"] = summary["goroutines"]["readings"]
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)
    return result


def probe_cost(binary, out_dir, calls=200000):
    def last_ns(cmd):
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        return [float(x) for x in re.findall(r"ns_per_call ([\d.]+)", out)][-1]
    bare = last_ns([binary, "-semrelease-loop", str(calls)])
    probed = last_ns([WAITPROF, "record", "--output", os.path.join(out_dir, "probe-cost"), "--",
                      binary, "-semrelease-loop", str(calls)])
    return bare, probed


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rounds", type=int, default=8, help="rounds of each kind, alternated")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--out", default=os.path.join(
        REPO, "bench/results", "go-overhead-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())))
    args = p.parse_args()
    if os.geteuid() != 0:
        sys.exit("go_overhead: run as root (waitprof loads BPF programs)")
    if not os.access(WAITPROF, os.X_OK):
        sys.exit(f"go_overhead: no {WAITPROF}: run scripts/test.sh (or cmake --build build) first")
    os.makedirs(args.out, exist_ok=True)
    binary = build(args.out)

    rounds = []
    for i in range(args.rounds * len(ARMS)):
        rounds.append(one_round(binary, args, args.out, i, ARMS[i % len(ARMS)]))
        print(json.dumps(rounds[-1]), flush=True)
    rate = {name: statistics.median(r["req_per_s"] for r in rounds if r["arm"] == name)
            for name, _ in ARMS}
    base = rate[ARMS[0][0]]
    # Paired: each recorded round against the mean of the rounds without waitprof just before
    # and after it. The box's throughput drifts by more than waitprof costs (rounds of one arm
    # differ by 10% here), and a neighbour shares its drift.
    paired = {}
    for i, r in enumerate(rounds):
        if r["arm"] == ARMS[0][0]:
            continue
        near = [rounds[j]["req_per_s"] for j in (i - i % len(ARMS), i - i % len(ARMS) + len(ARMS))
                if 0 <= j < len(rounds)]
        paired.setdefault(r["arm"], []).append(r["req_per_s"] / statistics.mean(near))
    traced = [r for r in rounds if "go_releases" in r]
    hits_per_request = statistics.median(r["go_releases"] / r["requests"] for r in traced)
    sampler_share = statistics.median(r["sampler_cpu_s"] / r["duration_s"] for r in traced)
    bare_ns, probed_ns = probe_cost(binary, args.out)
    lines = ["| measure | value |", "|---|---|"]
    for name, extra in ARMS:
        ratio = "" if extra is None else (
            f" (ratio of medians {rate[name] / base:.3f}; paired ratio median "
            f"{statistics.median(paired[name]):.3f}, {min(paired[name]):.3f}-{max(paired[name]):.3f}; goal >= 0.95)")
        lines.append(f"| throughput {name} (median of {args.rounds}) | {rate[name]:,.0f} req/s{ratio} |")
    table = "\n".join(lines + [
        f"| mutex uprobe hits per request | {hits_per_request:.4f} |",
        f"| cost per hit (trap + program) | {probed_ns - bare_ns:,.0f} ns ({bare_ns:.1f} ns bare, {probed_ns:,.0f} ns probed) |",
        f"| uprobe cost per request | {hits_per_request * (probed_ns - bare_ns):,.0f} ns |",
        f"| goroutine sampler CPU ({traced[0]['readings'] / traced[0]['duration_s']:.0f} readings/s over {args.workers + 1} processes) | {sampler_share * 100:.2f}% of one core |",
    ])
    with open(os.path.join(args.out, "rounds.json"), "w") as f:
        json.dump(rounds, f, indent=1)
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
