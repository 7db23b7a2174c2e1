#!/usr/bin/env python3
"""Per-object evaluation latency (issue 13): one object against the built-in rules, 20
Gatekeeper templates and 20 ValidatingAdmissionPolicies, with a 10,000-object cluster view
loaded, as an admission webhook or a watcher evaluates it.

    python3 bench/admission/run.py [--objects 10000]

Generates the corpus (../shared/tools/gen-manifests.py, seed 42, cached in bench/out/) and the
policies (bench/policies/policies.py, into bench/out/policies/), builds the benchmark
(crates/engine/benches/admission.rs) and runs it four times: built-in rules alone, with the
Gatekeeper templates, with the admission policies, with both. Each run evaluates every object
of the corpus once, on one thread, and prints the latency distribution.
"""

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "bench" / "policies"))
from run import corpus  # noqa: E402  (bench/run.py)
import importlib.util  # noqa: E402

spec = importlib.util.spec_from_file_location("policies_run", ROOT / "bench" / "policies" / "run.py")
policies_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(policies_run)


def bench_binary() -> str:
    out = subprocess.run(
        ["cargo", "bench", "-p", "kubecomply-engine", "--bench", "admission", "--no-run",
         "--message-format", "json"],
        cwd=ROOT, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "admission" \
                and msg.get("executable"):
            return msg["executable"]
    raise SystemExit("the admission benchmark did not build")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=10000)
    a = ap.parse_args()
    d = corpus(a.objects)
    policies_run.write_policies()
    pol = ROOT / "bench" / "out" / "policies"
    exe = bench_binary()
    runs = [
        ("built-in rules only", []),
        ("+ 20 Gatekeeper templates", [pol / "gatekeeper"]),
        ("+ 20 ValidatingAdmissionPolicies", [pol / "cel"]),
        ("+ both (the issue's case)", [pol / "gatekeeper", pol / "cel"]),
    ]
    for name, dirs in runs:
        print(f"\n## {name}", flush=True)
        subprocess.run([exe, str(d), *map(str, dirs)], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
