#!/usr/bin/env python3
"""NetworkPolicy reachability benchmark: kubecomply vs network-config-analyzer (nca).

Usage: python3 bench/netpol/run.py [--sizes 1000,10000,100000] [--runs 3] [--nca-max 10000]
                                   [--nca-timeout 600] [--no-build]

For each size N it generates (gen.py, seed 42, cached in bench/netpol/out/) a cluster of N pods
and N/10 NetworkPolicies, plus a `--tiered` variant with AdminNetworkPolicies, a baseline and
Calico policies, and measures whole-process wall time and peak RSS (GNU time), median of --runs:

- `kubecomply netpol matrix DIR --format classes` (the full matrix on every declared port);
- the tiered variant of the same (kubecomply only: nca reads plain NetworkPolicies);
- `kubecomply netpol query --from A --to B --port 5432 DIR` with KUBECOMPLY_TIMINGS=1, reporting the
  query's own time after the model is built;
- up to --nca-max pods, once: `nca --connectivity policies.yaml --pod_list pods.yaml
  --ns_list namespaces.yaml --output_format txt` on the plain corpus, killed after
  --nca-timeout seconds.

Prints a Markdown table (also written to bench/netpol/out/results.md) with the load average.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = HERE / "out"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BIN = TARGET / "release" / "kubecomply"


def corpus(n: int, tiered: bool) -> Path:
    d = OUT / (f"tiered-{n}" if tiered else f"plain-{n}")
    marker = d / ".complete"
    if not marker.exists():
        cmd = [sys.executable, str(HERE / "gen.py"), "--pods", str(n), "--policies",
               str(max(10, n // 10)), "--seed", "42", str(d)]
        if tiered:
            cmd.insert(-1, "--tiered")
        subprocess.run(cmd, check=True)
        marker.write_text("ok\n")
    return d


def timed(cmd, env=None, timeout=None, stdout=subprocess.DEVNULL):
    """Runs cmd under GNU time: (wall seconds, peak RSS MiB, exit code, stderr)."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=stdout,
                           stderr=subprocess.PIPE, env=env, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, None, ""
    wall = time.perf_counter() - t0
    lines = p.stderr.strip().splitlines()
    rss = int(lines[-1]) / 1024.0 if lines and lines[-1].strip().isdigit() else 0.0
    return wall, rss, p.returncode, p.stderr


def median_run(cmd, runs, env=None, ok=(0,)):
    walls, rsss = [], []
    err = ""
    for _ in range(runs):
        wall, rss, rc, err = timed(cmd, env=env)
        if rc not in ok:
            sys.exit(f"failed ({rc}): {' '.join(cmd)}\n{err}")
        walls.append(wall)
        rsss.append(rss)
    return statistics.median(walls), max(rsss), err


def classes_of(d: Path):
    p = subprocess.run([str(BIN), "netpol", "matrix", str(d), "--format", "classes"],
                       capture_output=True, text=True, check=True)
    m = json.loads(p.stdout)
    return len(m["classes"]), len(m["ports"])


def first_pod(d: Path, tier: str):
    ns = name = None
    for line in (d / "pods.yaml").open():
        if line.startswith("  name: "):
            name = line.split(": ", 1)[1].strip()
        elif line.startswith("  namespace: "):
            ns = line.split(": ", 1)[1].strip()
        elif line.strip() == f"tier: {tier}" and ns not in (None, "kube-system") and name:
            return f"{ns}/{name}"
        elif line.startswith("---"):
            ns = name = None
    sys.exit(f"no {tier} pod in {d}")


def main():
    # A developer's RUST_BACKTRACE=1 makes every error value inside regorus capture a
    # backtrace (about 6 % of a Rego run); users do not run with it, so neither does the
    # benchmark.
    os.environ.pop("RUST_BACKTRACE", None)
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--nca-max", type=int, default=10000)
    ap.add_argument("--nca-timeout", type=int, default=600)
    ap.add_argument("--no-build", action="store_true")
    a = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    if not a.no_build:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "kubecomply"], cwd=ROOT,
                       check=True)
    rows = []
    for n in [int(s) for s in a.sizes.split(",")]:
        plain, tiered = corpus(n, False), corpus(n, True)
        classes, ports = classes_of(plain)
        m_wall, m_rss, _ = median_run(
            [str(BIN), "netpol", "matrix", str(plain), "--format", "classes"], a.runs)
        t_wall, t_rss, _ = median_run(
            [str(BIN), "netpol", "matrix", str(tiered), "--format", "classes"], a.runs)
        src, dst = first_pod(plain, "backend"), first_pod(plain, "db")
        env = dict(os.environ, KUBECOMPLY_TIMINGS="1")
        q_wall, _, err = median_run(
            [str(BIN), "netpol", "query", "--from", src, "--to", dst, "--port", "5432", str(plain)], a.runs, env,
            ok=(0, 1))
        q_ms = re.search(r"timing: query\s+([\d.]+) ms", err)
        nca = "not run"
        if n <= a.nca_max:
            t0 = time.perf_counter()
            try:
                p = subprocess.run(
                    ["/usr/bin/time", "-f", "%M", "nca", "--connectivity", "policies.yaml",
                     "--pod_list", "pods.yaml", "--ns_list", "namespaces.yaml",
                     "--output_format", "txt", "--file_out", str(OUT / f"nca-{n}.txt")],
                    cwd=plain, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                    timeout=a.nca_timeout)
                wall = time.perf_counter() - t0
                last = p.stderr.strip().splitlines()[-1:]
                rss = int(last[0]) / 1024 if last and last[0].isdigit() else 0
                # nca's exit code counts findings of some queries; report it when not 0.
                code = f", exit {p.returncode}" if p.returncode else ""
                nca = f"{wall:.2f} s, {rss:.0f} MiB{code} (×{wall / m_wall:,.0f})"
            except subprocess.TimeoutExpired:
                nca = f"> {a.nca_timeout} s (killed)"
        rows.append(
            f"| {n:,} | {max(10, n // 10):,} | {classes:,} | {ports} | {m_wall:.3f} s | "
            f"{m_rss:.0f} MiB | {t_wall:.3f} s | {t_rss:.0f} MiB | "
            f"{q_ms.group(1) if q_ms else '?'} ms ({q_wall:.2f} s) | {nca} |")
        print(rows[-1], flush=True)
    load = os.getloadavg()
    table = "\n".join([
        f"load average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} "
        f"({os.cpu_count()} cores)",
        "",
        "| pods | policies | classes | ports | matrix wall | matrix RSS | tiered matrix wall "
        "| tiered RSS | query (process) | nca --connectivity |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
    ])
    (OUT / "results.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
