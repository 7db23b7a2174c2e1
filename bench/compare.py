#!/usr/bin/env python3
"""Scan speed and memory of two kubecomply binaries side by side, interleaved run by run so
that both see the same machine (this VM's speed drifts by tens of percent over minutes):

    python3 bench/compare.py --old /tmp/kubecomply-before --new target/release/kubecomply \
        [--sizes 1000,10000,100000] [--runs 9]

Each run is `scan CORPUS --format json --only-failed` (what bench/run.py times), whole
process; reported: median wall time, median CPU time (user + system) and the highest peak RSS
(from wait4(2)) per binary and size, and the new/old ratios. Corpora as in bench/run.py.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from run import corpus  # noqa: E402


def once(binary, d):
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "scan", str(d), "--format", "json", "--only-failed"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--old", required=True)
    ap.add_argument("--new", default=str(ROOT / "target" / "release" / "kubecomply"))
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=9)
    a = ap.parse_args()
    print("| objects | old wall | new wall | new/old | old CPU | new CPU | new/old | old peak RSS | new peak RSS |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in [int(s) for s in a.sizes.split(",") if s]:
        d = corpus(n)
        runs = a.runs if n < 100000 else max(3, a.runs // 2)
        res = {"old": [], "new": []}
        for _ in range(runs):
            for k, b in (("old", a.old), ("new", a.new)):
                res[k].append(once(b, d))
        med = {k: (statistics.median(r[0] for r in v), statistics.median(r[1] for r in v),
                   max(r[2] for r in v)) for k, v in res.items()}
        (ow, oc, om), (nw, nc, nm) = med["old"], med["new"]
        print(f"| {n:,} | {ow*1000:.0f} ms | {nw*1000:.0f} ms | {nw/ow:.2f} | {oc*1000:.0f} ms | "
              f"{nc*1000:.0f} ms | {nc/oc:.2f} | {om:.0f} MiB | {nm:.0f} MiB |", flush=True)


if __name__ == "__main__":
    main()
