#!/usr/bin/env python3
"""How waitprof's stacks compare with gdb's backtraces of the same threads.

Usage: gdb_equality.py GDB_OUTPUT PROFILE.pb.gz [--json OUT]

GDB_OUTPUT is `gdb -batch -p PID` with GDB_OPTIONS and `thread apply all bt` of the process,
taken right after it was recorded with --thread-labels (`gdb_equality.py --gdb-command PID`
prints that command line). For every thread gdb caught in a wait the profile has it in
(gdb's frame 0 is the leaf function of one of its stacks), the question is whether the
thread's waitprof stacks contain gdb's: the same frames, same return addresses, same
functions in the same order, inline frames included.

Figures: threads whose gdb stack is among their waitprof stacks, and the share of those
threads' recorded wait time that is on exactly gdb's stack (a thread that waits in several
places has only part of its time on the one gdb caught). Reads the profile through
`go tool pprof -raw`, which every waitprof user has.
"""
import argparse
import json
import re
import subprocess
import sys

THREAD = re.compile(r'^Thread \S+ \(Thread 0x[0-9a-f]+ \(LWP (\d+)\)')
# The options that make gdb print what waitprof does: every frame with its address (inline
# ones too), down past main to _start, without arguments.
GDB_OPTIONS = ['set pagination off', 'set backtrace past-main on',
               'set print frame-info location-and-address', 'set print frame-arguments none']


def canonical(name):
    """A function name without parameters, template arguments or return type."""
    name = name.replace('(anonymous namespace)', '{anonymous}')
    name = name.split('@')[0] if not name.startswith('@') else name
    out, depth = [], 0
    for c in name:
        if c in '<(':
            depth += 1
        elif c in '>)' and depth:
            depth -= 1
        elif depth == 0:
            out.append(c)
    s = ''.join(out).strip()
    s = s.replace(' (inline)', '')
    return s.split(' ')[-1]


def parse_frame(line):
    """'#3  0x00007ff8... in ___pthread_mutex_lock (...) at ./nptl/x.c:93' -> (addr, name)"""
    if not line.startswith('#') or ' in ' not in line or '0x' not in line:
        return None
    addr = int(re.search(r'0x[0-9a-f]+', line).group(0), 16)
    rest = line.split(' in ', 1)[1]
    for tail in (' at ', ' from '):
        if tail in rest:
            rest = rest[:rest.rindex(tail)]
    if ' (' in rest:
        rest = rest[:rest.rindex(' (')]
    return addr, rest


def parse_gdb(path):
    """tid -> [(address, function)] innermost first, as `thread apply all bt` printed them
    with GDB_OPTIONS."""
    threads, tid = {}, None
    with open(path, errors='replace') as f:
        for line in f:
            m = THREAD.match(line)
            if m:
                tid = int(m.group(1))
                threads[tid] = []
                continue
            frame = parse_frame(line.rstrip('\n'))
            if frame and tid is not None:
                threads[tid].append(frame)
    return threads


def parse_raw(path):
    """[(labels, delay_ns, [(address, function)] innermost first)] from go tool pprof -raw."""
    raw = subprocess.run(['go', 'tool', 'pprof', '-raw', path], capture_output=True, text=True,
                         check=True).stdout
    samples_part = raw.split('\nSamples:\n', 1)[1].split('\nLocations\n', 1)
    locations = {}
    current = None
    for line in samples_part[1].split('\nMappings\n')[0].splitlines():
        # "  N: 0xADDR M=K function file:line s=start(system name)", then one line per frame
        # it was inlined into: "        function file:line s=start".
        m = re.match(r'^\s+(\d+): 0x([0-9a-f]+) M=\d+ (.*) \S*:\d+ s=\d+(\(.*\))?$', line)
        if m:
            current = int(m.group(1))
            locations[current] = [(int(m.group(2), 16), m.group(3))]
            continue
        m = re.match(r'^\s+(.*) \S*:\d+ s=\d+(\(.*\))?$', line)
        if m and current is not None:
            locations[current].append((locations[current][0][0], m.group(1)))
    samples = []
    lines = samples_part[0].splitlines()
    i = 0
    while i < len(lines):
        m = re.match(r'^\s+(\d+)\s+(\d+): ([\d ]+)$', lines[i])
        if m:
            labels = {}
            if i + 1 < len(lines) and '[' in lines[i + 1]:
                labels = dict(re.findall(r'(\w+):\[([^\]]*)\]', lines[i + 1]))
                i += 1
            frames = []
            for loc in m.group(3).split():
                frames.extend(locations.get(int(loc), []))
            samples.append((labels, int(m.group(2)), frames))
        i += 1
    return samples


def same(gdb_frames, frames):
    if len(gdb_frames) != len(frames):
        return False
    for (ga, gf), (wa, wf) in zip(gdb_frames, frames):
        if ga != wa:
            return False
        if gf == '??':
            if '+0x' not in wf:
                return False
        elif canonical(gf) != canonical(wf):
            return False
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    if len(sys.argv) == 3 and sys.argv[1] == '--gdb-command':
        cmd = ['gdb', '-batch', '-nx', '-p', sys.argv[2]]
        for o in GDB_OPTIONS + ['thread apply all bt']:
            cmd += ['-ex', o]
        print(' '.join(f"'{c}'" if ' ' in c else c for c in cmd))
        return
    ap.add_argument('gdb_output')
    ap.add_argument('profile')
    ap.add_argument('--json')
    args = ap.parse_args()
    gdb = parse_gdb(args.gdb_output)
    samples = parse_raw(args.profile)
    by_tid = {}
    for labels, delay, frames in samples:
        if 'tid' in labels:
            by_tid.setdefault(int(labels['tid']), []).append((labels, delay, frames))
    compared = found = 0
    total = equal = 0
    missing = []
    for tid, frames in sorted(gdb.items()):
        if not frames or tid not in by_tid:
            continue
        mine = by_tid[tid]
        # Only threads gdb caught in a wait this profile has them in (a leaf function of
        # theirs): a thread on CPU at that moment, or in another kind of wait, is elsewhere.
        leaves = {canonical(f[0][1]) for _, _, f in mine if f}
        if canonical(frames[0][1]) not in leaves:
            continue
        compared += 1
        t = sum(d for _, d, _ in mine)
        e = sum(d for _, d, f in mine if same(frames, f))
        total += t
        equal += e
        if e:
            found += 1
        else:
            missing.append((tid, frames))
    result = {
        'threads_compared': compared,
        'threads_whose_gdb_stack_waitprof_has': found,
        'wait_time_share_on_gdbs_stack': equal / total if total else 0.0,
    }
    print(json.dumps(result, indent=1))
    for tid, frames in missing[:3]:
        print(f'not found for tid {tid}: gdb says ' +
              ' <- '.join(f'{f}' for _, f in frames), file=sys.stderr)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)


if __name__ == '__main__':
    main()
