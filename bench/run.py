#!/usr/bin/env python3
"""Side-by-side benchmark: kubecomply vs Checkov on generated corpora, whole process.

Usage: python3 bench/run.py [--sizes 1000,10000,100000] [--checkov-max 10000] [--runs 3]

Corpora come from ../shared/tools/gen-manifests.py (seed 42) and are cached in bench/out/.
kubecomply runs `scan DIR --format json --only-failed` (failures with resolved line/column,
like Checkov's `-o json --quiet`); Checkov runs through ../shared/tools/checkov (offline,
Kubernetes framework only). Wall time from the parent, peak RSS from wait4(2). Both tools run in the
same invocation of this script, on the same corpus, one after the other.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
OUT = ROOT / "bench" / "out"
GEN = SHARED / "tools" / "gen-manifests.py"
CHECKOV = SHARED / "tools" / "checkov"
BIN = ROOT / "target" / "release" / "kubecomply"


def corpus(n: int) -> Path:
    d = OUT / f"corpus-{n}"
    marker = d / ".complete"
    if not marker.exists():
        subprocess.run([sys.executable, str(GEN), "--resources", str(n), "--out", str(d), "--seed", "42"],
                       check=True, stdout=subprocess.DEVNULL)
        marker.write_text("ok\n")
    return d


def timed(cmd, env=None):
    """Runs cmd; returns (wall seconds, peak RSS MiB, exit code, CPU seconds). Peak RSS is the
    child's `ru_maxrss` from wait4(2), what GNU time reports, without a `time` process around the
    run (which added 1-3 ms to every measurement, a tenth of a 1,000-object scan); CPU is its user
    plus system time."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024.0, p.returncode, usage.ru_utime + usage.ru_stime


def count_objects(d: Path) -> int:
    n = 0
    for f in d.rglob("*.yaml"):
        n += sum(1 for line in f.read_text().splitlines() if line.startswith("kind:"))
    return n


def main():
    # A developer's RUST_BACKTRACE=1 makes every error value inside regorus capture a
    # backtrace (about 6 % of a Rego run); users do not run with it, so neither does the
    # benchmark.
    os.environ.pop("RUST_BACKTRACE", None)
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--checkov-max", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    subprocess.run(["cargo", "build", "--release", "-q", "-p", "kubecomply"], cwd=ROOT, check=True)
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in sizes:
        d = corpus(n)
        objects = count_objects(d)
        runs = [timed([str(BIN), "scan", str(d), "--format", "json", "--only-failed"]) for _ in range(args.runs)]
        for _, _, code, _ in runs:
            if code not in (0, 1):
                sys.exit(f"kubecomply exited {code} on {d}")
        kc_wall = statistics.median(r[0] for r in runs)
        kc_rss = max(r[1] for r in runs)
        row = {"n": n, "objects": objects, "kc_wall": kc_wall, "kc_rss": kc_rss,
               "kc_rate": objects / kc_wall, "ck_wall": None, "ck_rss": None,
               "kc_walls": sorted(r[0] for r in runs),
               "kc_cpu": statistics.median(r[3] for r in runs)}
        if n <= args.checkov_max:
            env = dict(os.environ)
            ck_wall, ck_rss, code, _ = timed([str(CHECKOV), str(d)], env=env)
            if code not in (0, 1):
                print(f"warning: checkov exited {code} on {d}", file=sys.stderr)
            row.update(ck_wall=ck_wall, ck_rss=ck_rss)
        rows.append(row)
        print(fmt_row(row), flush=True)

    table = render(rows)
    (OUT / "results.md").write_text(table)
    print()
    print(table)


def fmt_row(r):
    ck = f"checkov {r['ck_wall']:.1f}s ratio {r['ck_wall'] / r['kc_wall']:.0f}x" if r["ck_wall"] else "checkov skipped"
    each = " ".join(f"{w:.3f}" for w in r["kc_walls"])
    return (f"{r['n']}: kubecomply {r['kc_wall']:.3f}s ({r['kc_rate']:.0f} obj/s, {r['kc_rss']:.0f} MiB, "
            f"CPU {r['kc_cpu']:.3f}s; "
            f"runs {each}); {ck}")


def render(rows):
    lines = ["| objects | kubecomply wall | kubecomply objects/s | kubecomply peak RSS | Checkov wall | Checkov peak RSS | speed-up |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        ck = f"{r['ck_wall']:.1f} s" if r["ck_wall"] else "not run"
        ckr = f"{r['ck_rss']:.0f} MiB" if r["ck_rss"] else "—"
        ratio = f"{r['ck_wall'] / r['kc_wall']:.0f}×" if r["ck_wall"] else "—"
        lines.append(f"| {r['objects']:,} | {r['kc_wall']:.3f} s | {r['kc_rate']:,.0f} | {r['kc_rss']:.0f} MiB | {ck} | {ckr} | {ratio} |")
    if len(rows) >= 2 and rows[-1]["n"] >= 10 * rows[-2]["n"]:
        a, b = rows[-2], rows[-1]
        lines.append("")
        lines.append(f"Scaling {a['objects']:,} → {b['objects']:,} objects: time ×{b['kc_wall'] / a['kc_wall']:.1f}, "
                     f"CPU time (user + system, medians) ×{b['kc_cpu'] / a['kc_cpu']:.1f}, "
                     f"for ×{b['objects'] / a['objects']:.1f} objects (linear = same factor).")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
