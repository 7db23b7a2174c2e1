#!/usr/bin/env python3
"""Runs every command of a kubecomply binary on the bundled examples and the 1k/10k generated
corpora and writes each command's standard output, standard error and exit status to a folder,
so that two builds can be compared byte for byte (refactorings must not change any output):

    python3 bench/outputs.py --bin OLD/kubecomply --out /tmp/before
    python3 bench/outputs.py --bin target/release/kubecomply --out /tmp/after
    diff -r /tmp/before /tmp/after && echo identical

The date is fixed (KUBECOMPLY_TODAY) so that reports are reproducible. Corpora come from
../shared/tools/gen-manifests.py (seed 42), cached in bench/out/ as bench/run.py does.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from run import corpus  # noqa: E402

EX = "examples"
CFG = ["--config", "examples/.kubecomply.yaml"]
HOSTILE = "bench/fixtures/hostile.yaml"
FLOWS = "bench/fixtures/shop-flows.yaml"
INVENTORY_DEF = "examples/reports/calico-weekly-inventory.yaml"
# Commands that write report files into the directory given after `--output`: the folder is
# a fresh temporary directory, its files are copied next to the command's output.
TMP = "{tmp}"


def commands(sizes):
    c = {}
    for fmt in ["table", "json", "sarif", "junit"]:
        c[f"scan-examples-{fmt}"] = ["scan", EX, *CFG, "--format", fmt]
    c["scan-examples-noconfig"] = ["scan", EX]
    c["scan-examples-network"] = ["scan", EX, *CFG, "--network", "--format", "json"]
    c["scan-examples-only"] = ["scan", EX, "--rule", "KC-HOST-001,host-pid", "--format", "json"]
    c["pss"] = ["pss", "examples/shop", "examples/records"]
    c["pss-json"] = ["pss", "examples/shop", "--format", "json", "--level", "baseline"]
    c["rbac-who-can"] = ["rbac", "who-can", "get", "secrets", "--namespace", "payments", EX]
    c["rbac-review"] = ["rbac", "review", EX]
    c["rbac-paths"] = ["rbac", "paths", EX]
    c["netpol-matrix"] = ["netpol", "matrix", EX]
    c["netpol-matrix-html"] = ["netpol", "matrix", EX, "--format", "html"]
    for fmt in ["json", "csv", "classes", "table"]:
        c[f"netpol-matrix-{fmt}"] = ["netpol", "matrix", EX, "--format", fmt]
    c["netpol-matrix-ports"] = ["netpol", "matrix", EX, "--port", "8443", "--port", "53/UDP", "--format", "html", "-n", "payments", "-n", "shop"]
    c["netpol-inventory"] = ["netpol", "inventory", EX]
    for fmt in ["json", "csv"]:
        c[f"netpol-inventory-{fmt}"] = ["netpol", "inventory", EX, "--format", fmt]
    for fmt in ["table", "json", "csv", "html", "classes"]:
        c[f"hostile-netpol-matrix-{fmt}"] = ["netpol", "matrix", HOSTILE, "--format", fmt]
    for fmt in ["table", "json", "csv"]:
        c[f"hostile-netpol-inventory-{fmt}"] = ["netpol", "inventory", HOSTILE, "--format", fmt]
    c["netpol-generate"] = ["netpol", "generate", "--flows", FLOWS, "examples/shop"]
    c["netpol-generate-nodns"] = ["netpol", "generate", "--flows", FLOWS, "--no-dns", "examples/shop"]
    for fmt in ["json", "markdown", "csv", "html"]:
        c[f"report-inventory-{fmt}"] = ["report", "--definition", INVENTORY_DEF, "--format", fmt, EX]
        c[f"report-inventory-dir-{fmt}"] = ["report", "--definition", INVENTORY_DEF, "--format", fmt, "--output", TMP, EX]
        c[f"hostile-report-inventory-{fmt}"] = ["report", "--definition", "bench/fixtures/inventory-all.yaml", "--format", fmt, HOSTILE]
    c["report-inventory-definition-dir"] = ["report", "--definition", INVENTORY_DEF, "--output", TMP, EX]
    c["netpol-review"] = ["netpol", "review", EX]
    c["frameworks"] = ["frameworks"]
    c["frameworks-show"] = ["frameworks", "show", "pci-dss"]
    c["frameworks-check"] = ["frameworks", "check", "pci-dss", EX]
    c["frameworks-check-json"] = ["frameworks", "check", "hipaa", EX, "--format", "json", "--policy", "examples/policies"]
    for fmt in ["json", "markdown", "html", "csv", "policyreport", "openreports", "oscal"]:
        c[f"report-{fmt}"] = ["report", "--framework", "pci-dss,hipaa", "--format", fmt, EX, *CFG]
        c[f"hostile-report-{fmt}"] = ["report", "--framework", "pci-dss,cis-k8s", "--format", fmt, HOSTILE, "--scope", "all"]
    c["report-attestations-html"] = ["report", "--framework", "pci-dss", "--format", "html", EX, *CFG, "--attestations", "bench/fixtures/attestations.yaml"]
    c["report-attestations-markdown"] = ["report", "--framework", "pci-dss", "--format", "markdown", EX, *CFG, "--attestations", "bench/fixtures/attestations.yaml"]
    c["report-definition-pci-dir"] = ["report", "--definition", "examples/reports/pci-weekly.yaml", "--output", TMP, EX]
    c["report-scope-all"] = ["report", "--framework", "gdpr", "--scope", "all", EX]
    c["rules"] = ["rules"]
    c["rules-json"] = ["rules", "--format", "json", "--policy", "examples/policies"]
    c["rules-explain"] = ["rules", "explain", "KC-HOST-001"]
    c["policy-verify"] = ["policy", "verify", "examples/policies"]
    for n in sizes:
        d = str(corpus(n))
        c[f"scan-{n}-json"] = ["scan", d, "--format", "json"]
        c[f"scan-{n}-table"] = ["scan", d]
        c[f"frameworks-check-{n}"] = ["frameworks", "check", "pci-dss", d, "--format", "json"]
        c[f"report-{n}"] = ["report", "--framework", "soc2,nist-800-190", d]
        c[f"rbac-review-{n}"] = ["rbac", "review", d]
        c[f"netpol-review-{n}"] = ["netpol", "review", d]
        c[f"pss-{n}"] = ["pss", d, "--format", "json"]
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target" / "release" / "kubecomply"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--sizes", default="1000,10000")
    a = ap.parse_args()
    out = Path(a.out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    sizes = [int(s) for s in a.sizes.split(",") if s]
    env = dict(os.environ, KUBECOMPLY_TODAY="2026-12-01", NO_COLOR="1")
    for name, args in commands(sizes).items():
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "reports"
            args = [str(folder) if x == TMP else x for x in args]
            p = subprocess.run([a.bin, *args], cwd=ROOT, env=env, capture_output=True)
            (out / f"{name}.out").write_bytes(p.stdout)
            (out / f"{name}.err").write_bytes(p.stderr.replace(str(folder).encode(), b"TMP"))
            (out / f"{name}.status").write_text(f"{p.returncode}\n")
            if folder.is_dir():
                for f in sorted(folder.rglob("*")):
                    if f.is_file():
                        rel = str(f.relative_to(folder)).replace("/", "__")
                        (out / f"{name}.file.{rel}").write_bytes(f.read_bytes())
    print(f"{len(commands(sizes))} commands written to {out}")


if __name__ == "__main__":
    main()
