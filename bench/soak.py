#!/usr/bin/env python3
"""Soak of `waitprof serve`: hours-long habits compressed into --minutes (default 30).

The prefork target server runs under wrk the whole time while its supervisor replaces a worker
killed every --churn seconds; `waitprof serve` follows the tree; every --every seconds a scraper
asks, in parallel, what Pyroscope/Parca/Alloy ask of a Go endpoint: profile, block and mutex
with seconds=EVERY, goroutine, and /metrics. Reported: waitprof's RSS over time (goal: flat after
warm-up), drops from /metrics (goal: 0), scrape latency (a windowed request's beyond its window),
failed scrapes, and expiry of the dead workers. Results go to bench/results/soak-<time>/.
Run as root after scripts/test.sh has built everything: sudo bench/soak.py [--minutes 30].
"""
import argparse
import concurrent.futures
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request

from bench_common import REPO, WAITPROF, free_port
SERVER = os.path.join(REPO, "build/target-server/target-server")


def rss_bytes(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def children(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    except FileNotFoundError:
        return []
    return [int(x) for x in out.split()]


def fetch(url, timeout):
    begun = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            body = r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        body, status = e.read(), e.code
    except Exception as e:  # a refused or timed-out scrape is a result, not a crash
        return {"url": url, "status": 0, "error": str(e), "seconds": time.monotonic() - begun}
    return {"url": url, "status": status, "bytes": len(body), "body": body,
            "seconds": time.monotonic() - begun}


def metric(text, name):
    total = 0.0
    found = False
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
            found = True
    return total if found else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--every", type=int, default=10, help="seconds between scrapes (and their window)")
    ap.add_argument("--churn", type=int, default=30, help="kill a worker every this many seconds")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--retain-exited", type=int, default=120,
                    help="waitprof serve --retain-exited: dead workers expire within the soak")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("soak.py: error: must run as root (waitprof loads BPF): try sudo " + sys.argv[0])
    for path in (WAITPROF, SERVER):
        if not os.access(path, os.X_OK):
            sys.exit(f"soak.py: error: {path} missing: run scripts/test.sh first")
    out = os.path.join(REPO, "bench/results", "soak-" + time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
    os.makedirs(out)
    server_port, serve_port = free_port(), free_port()
    procs = []
    try:
        server = subprocess.Popen([SERVER, "--port", str(server_port), "--workers", str(args.workers),
                                   "--threads", str(args.threads), "--rng", "locked"],
                                  stdout=subprocess.DEVNULL, stderr=open(os.path.join(out, "server.log"), "w"))
        procs.append(server)
        time.sleep(1)
        serve_log = open(os.path.join(out, "serve.log"), "w")
        serve = subprocess.Popen([WAITPROF, "serve", "--pid", str(server.pid), "--children",
                                  "--listen", f"127.0.0.1:{serve_port}", "--max-seconds", "60",
                                  "--retain-exited", str(args.retain_exited)],
                                 stdout=serve_log, stderr=serve_log)
        procs.append(serve)
        base = f"http://127.0.0.1:{serve_port}"
        for _ in range(300):
            if "Ctrl-C to stop" in open(os.path.join(out, "serve.log")).read():
                break
            time.sleep(0.1)
        else:
            sys.exit("soak.py: error: waitprof serve did not start: see " + out + "/serve.log")
        wrk = subprocess.Popen(["wrk", "-t2", f"-c{args.connections}", f"-d{int(args.minutes * 60) + 30}s",
                                f"http://127.0.0.1:{server_port}/read"],
                               stdout=open(os.path.join(out, "wrk.txt"), "w"), stderr=subprocess.STDOUT)
        procs.append(wrk)

        start = time.monotonic()
        end = start + args.minutes * 60
        next_churn = start + args.churn
        kills = 0
        rows = []
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=8)
        windowed = ["profile", "block", "mutex"]
        tick = start
        while tick < end:
            urls = [f"{base}/debug/pprof/{p}?seconds={args.every}" for p in windowed]
            urls += [f"{base}/debug/pprof/goroutine", f"{base}/metrics"]
            futures = [pool.submit(fetch, u, args.every + 60) for u in urls]
            # Churn goes on while the scrapes wait, whatever their latency.
            while not all(f.done() for f in futures) or time.monotonic() < tick + args.every:
                if time.monotonic() >= next_churn:
                    workers = children(server.pid)
                    if workers:
                        os.kill(random.choice(workers), signal.SIGKILL)
                        kills += 1
                    next_churn += args.churn
                time.sleep(0.2)
            results = [f.result() for f in futures]
            metrics_text = results[-1].get("body", b"").decode(errors="replace")
            row = {"t": round(time.monotonic() - start, 1), "rss": rss_bytes(serve.pid), "kills": kills,
                   "drops": metric(metrics_text, "waitprof_drops_total"),
                   "targets": metric(metrics_text, "waitprof_targets"),
                   "expired": metric(metrics_text, "waitprof_processes_expired_total"),
                   "samples": metric(metrics_text, "waitprof_samples"),
                   "sessions": metric(metrics_text, "waitprof_symbolizer_sessions"),
                   "scrapes": {}}
            for name, r in zip(windowed + ["goroutine", "metrics"], results):
                ok = r["status"] == 200
                if ok and name != "metrics":
                    try:
                        gzip.decompress(r["body"])
                    except Exception:
                        ok = False
                extra = r["seconds"] - (args.every if name in windowed else 0)
                row["scrapes"][name] = {"status": r["status"], "ok": ok, "latency": round(extra, 4),
                                        "bytes": r.get("bytes", 0)}
            rows.append(row)
            print(f"t={row['t']:7.1f}s rss={row['rss'] / 2**20:6.1f} MiB drops={row['drops']} "
                  f"targets={row['targets']} expired={row['expired']} kills={kills} "
                  + " ".join(f"{n}={s['status']}/{s['latency']:.3f}s" for n, s in row["scrapes"].items()),
                  flush=True)
            # The next scrape starts EVERY s after this one did, or now if this one ran over.
            tick = max(tick + args.every, time.monotonic())
        pool.shutdown(wait=True)
        with open(os.path.join(out, "soak.json"), "w") as f:
            json.dump({"args": vars(args), "rows": rows}, f, indent=1)
        report(rows, args, out)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGINT if p is procs[1] else signal.SIGTERM)
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()


def report(rows, args, out):
    def at(minute):
        best = min(rows, key=lambda r: abs(r["t"] - minute * 60))
        return best
    lines = [f"# waitprof serve soak: {args.minutes:g} min, scrape every {args.every} s, "
             f"a worker killed every {args.churn} s, retain-exited {args.retain_exited} s", "",
             "| minute | RSS MiB | targets | expired | sample keys | symbolizer sessions | drops |",
             "|---|---|---|---|---|---|---|"]
    marks = sorted({m for m in (1, 2, 5, 10, 15, 20, 25, 30, 45, 60) if m <= args.minutes} | {args.minutes})
    for m in marks:
        r = at(m)
        lines.append(f"| {r['t'] / 60:.1f} | {r['rss'] / 2**20:.1f} | {r['targets']} | {r['expired']} | "
                     f"{r['samples']} | {r['sessions']} | {r['drops']} |")
    warm = [r for r in rows if r["t"] >= min(300, args.minutes * 30)]
    if len(warm) >= 2:
        span = (warm[-1]["t"] - warm[0]["t"]) / 60
        growth = (warm[-1]["rss"] - warm[0]["rss"]) / 2**20
        lines += ["", f"RSS after warm-up ({warm[0]['t'] / 60:.1f} min on): {warm[0]['rss'] / 2**20:.1f} -> "
                      f"{warm[-1]['rss'] / 2**20:.1f} MiB ({growth / max(span, 1e-9):+.2f} MiB/min), "
                      f"max {max(r['rss'] for r in rows) / 2**20:.1f} MiB"]
    lines += ["", "| scrape | n | failed | latency p50 s | p99 s | max s |", "|---|---|---|---|---|---|"]
    for name in rows[0]["scrapes"]:
        lat = sorted(r["scrapes"][name]["latency"] for r in rows)
        failed = sum(1 for r in rows if not r["scrapes"][name]["ok"])
        p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
        lines.append(f"| {name} | {len(lat)} | {failed} | {p(0.5):.3f} | {p(0.99):.3f} | {lat[-1]:.3f} |")
    lines += ["", "(latency of profile/block/mutex: beyond their seconds= window)",
              f"drops at the end: {rows[-1]['drops']}; workers killed: {rows[-1]['kills']}"]
    text = "\n".join(lines) + "\n"
    with open(os.path.join(out, "soak.md"), "w") as f:
        f.write(text)
    print(text)
    print("results:", out)


if __name__ == "__main__":
    main()
