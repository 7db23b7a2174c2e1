#!/usr/bin/env python3
"""Benchmark of `kubecomply scan --policy`: 20 Gatekeeper templates (Rego) and 20 CEL
validations (ValidatingAdmissionPolicies) on the 10,000-object corpus, whole process, and the
same Rego in OPA (the Go engine, from the `opa-golib-python-bindings` wheel) side by side.

Usage: python3 bench/policies/run.py [--runs 3] [--objects 10000] [--no-opa]

KUBECOMPLY_BIN names the binary (default target/release/kubecomply, built here with
`cargo build --release -p kubecomply`). Generated files go to bench/out/ (git-ignored): the
corpus (bench/out/corpus-N, from ../shared/tools/gen-manifests.py --seed 42, shared with
bench/run.py), the policies (bench/out/policies/), OPA's wheel (bench/out/opa/). The table is
printed and written to bench/out/policies/results.md.
"""
import argparse
import collections
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import policies as P  # noqa: E402

ROOT = HERE.parent.parent
SHARED = ROOT.parent / "shared"
OUT = ROOT / "bench" / "out"
POL = OUT / "policies"
GEN = SHARED / "tools" / "gen-manifests.py"
DEFAULT_BIN = ROOT / "target" / "release" / "kubecomply"
OPA_WHEEL = "opa-golib-python-bindings==0.4.4"
BASELINE_RULE = "KC-NS-001"  # Namespace objects only: the corpus has none, so it costs nothing


# ---------------------------------------------------------------- corpus

def corpus(n: int) -> Path:
    d = OUT / f"corpus-{n}"
    marker = d / ".complete"
    if not marker.exists():
        subprocess.run([sys.executable, str(GEN), "--resources", str(n), "--out", str(d), "--seed", "42"],
                       check=True, stdout=subprocess.DEVNULL)
        marker.write_text("ok\n")
    return d


def load_objects(d: Path):
    """Every document of the corpus as (file, object), in a stable order."""
    import yaml
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    objects = []
    for f in sorted(d.rglob("*.yaml")):
        for doc in yaml.load_all(f.read_text(), Loader=loader):
            if isinstance(doc, dict) and doc.get("kind"):
                objects.append((str(f.relative_to(ROOT)), doc))
    return objects


def group_version(api_version: str):
    return tuple(api_version.split("/", 1)) if "/" in api_version else ("", api_version)


def plural(kind: str) -> str:
    k = kind.lower()
    if k.endswith("y") and k[-2:-1] not in "aeiou":
        return k[:-1] + "ies"
    if k.endswith(("s", "x", "ch", "sh")):
        return k + "es"
    return k + "s"


# ---------------------------------------------------------------- policies

def gk_matches(kinds, obj) -> bool:
    """Gatekeeper `match.kinds`: some entry lists the object's group (or *) and kind (or *)."""
    group, _ = group_version(obj["apiVersion"])
    return any(("*" in k["apiGroups"] or group in k["apiGroups"]) and ("*" in k["kinds"] or obj["kind"] in k["kinds"])
               for k in kinds)


def vap_matches(rules, obj) -> bool:
    """VAP `resourceRules`: some rule lists the object's group, version and plural resource (or *)."""
    group, version = group_version(obj["apiVersion"])
    res = plural(obj["kind"])
    return any(("*" in r["apiGroups"] or group in r["apiGroups"])
               and ("*" in r["apiVersions"] or version in r["apiVersions"])
               and ("*" in r["resources"] or res in r["resources"]) for r in rules)


class Literal(str):
    pass


def yaml_dump(docs) -> str:
    import yaml

    class Dumper(yaml.SafeDumper):
        pass
    Dumper.add_representer(Literal, lambda d, s: d.represent_scalar("tag:yaml.org,2002:str", s, style="|"))
    return yaml.dump_all(docs, Dumper=Dumper, sort_keys=False, width=1000)


def gk_code(i):
    return f"BENCH-GK-{i + 1:02d}"


def cel_code(i):
    return f"BENCH-CEL-{i + 1:02d}"


def write_policies():
    """Writes bench/out/policies/{gatekeeper,cel}/ and the v1 translation of the Rego for OPA."""
    gk, cel, opa = POL / "gatekeeper", POL / "cel", POL / "opa-modules"
    for d in (gk, cel, opa):
        d.mkdir(parents=True, exist_ok=True)
        for f in d.iterdir():
            f.unlink()
    for i, (name, kind, kinds, params, body, helpers) in enumerate(P.TEMPLATES):
        pkg = kind.lower()
        rego = f"package {pkg}\n{body}{helpers}"
        template = {
            "apiVersion": "templates.gatekeeper.sh/v1",
            "kind": "ConstraintTemplate",
            "metadata": {"name": pkg, "annotations": {"metadata.gatekeeper.sh/title": f"Benchmark: {name}"}},
            "spec": {"crd": {"spec": {"names": {"kind": kind}}},
                     "targets": [{"target": "admission.k8s.gatekeeper.sh", "rego": Literal(rego)}]},
        }
        constraint = {
            "apiVersion": "constraints.gatekeeper.sh/v1beta1",
            "kind": kind,
            "metadata": {"name": f"bench-{name}", "annotations": {"kubecomply.io/code": gk_code(i)}},
            "spec": {"enforcementAction": "deny", "match": {"kinds": kinds}, "parameters": params},
        }
        (gk / f"{i + 1:02d}-{name}.yaml").write_text(yaml_dump([template, constraint]))
        (opa / f"{pkg}.rego").write_text(rego_v0_to_v1(rego))
    for i, (name, rules, pod_vars, expression, message) in enumerate(P.VALIDATIONS):
        validation = {"expression": expression}
        if message.startswith("="):
            validation["messageExpression"] = message[1:]
        else:
            validation["message"] = message
        spec = {"failurePolicy": "Fail", "matchConstraints": {"resourceRules": rules}}
        if pod_vars:
            spec["variables"] = P.POD_VARIABLES
        spec["validations"] = [validation]
        policy = {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicy",
            "metadata": {"name": f"bench-{name}", "annotations": {"kubecomply.io/code": cel_code(i)}},
            "spec": spec,
        }
        binding = {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": {"name": f"bench-{name}"},
            "spec": {"policyName": f"bench-{name}", "validationActions": ["Deny"]},
        }
        (cel / f"{i + 1:02d}-{name}.yaml").write_text(yaml_dump([policy, binding]))
    return gk, cel


def rego_v0_to_v1(src: str) -> str:
    """What `opa fmt --v0-v1` does to these templates: `if` before every rule body and
    `contains` in partial set rules (OPA 1.x parses v1 only through this binding)."""
    out = []
    for line in src.splitlines():
        if line.endswith(" {") and not line[:1].isspace() and not line.startswith(("package", "import")):
            head = line[:-2]
            m = re.fullmatch(r"(\w+)\[(.+)\]", head)
            if m:
                head = f"{m.group(1)} contains {m.group(2)}"
            line = head + " if {"
        out.append(line)
    return "\n".join(out) + "\n"


def evaluations(objects):
    """Object×policy evaluations: for each policy, the corpus objects it matches."""
    gk = [sum(1 for _, o in objects if gk_matches(t[2], o)) for t in P.TEMPLATES]
    cel = [sum(1 for _, o in objects if vap_matches(v[1], o)) for v in P.VALIDATIONS]
    return gk, cel


# ---------------------------------------------------------------- runs

def timed(cmd, env=None):
    """Runs cmd under GNU time; returns (wall s, peak RSS MiB, exit code, stdout, stderr)."""
    t0 = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, text=True)
    wall = time.perf_counter() - t0
    lines = p.stderr.strip().splitlines()
    rss_kib = int(lines[-1]) if lines and re.fullmatch(r"\d+", lines[-1].strip()) else 0
    return wall, rss_kib / 1024.0, p.returncode, p.stdout, p.stderr


def phase_ms(stderr: str, name: str):
    m = re.search(rf"timing: {name}\s+([0-9.]+) ms", stderr)
    return float(m.group(1)) if m else None


def run_scan(binary, corpus_dir, extra, runs):
    """Median wall, max RSS, median evaluate phase, and the parsed report of the last run."""
    env = dict(os.environ, KUBECOMPLY_TIMINGS="1")
    cmd = [str(binary), "scan", str(corpus_dir), "--format", "json", "--only-failed"] + extra
    load = os.getloadavg()[0]
    results = [timed(cmd, env) for _ in range(runs)]
    for r in results:
        if r[2] not in (0, 1):
            sys.exit(f"kubecomply exited {r[2]}: {' '.join(cmd)}\n{r[4][-2000:]}")
    evals = [phase_ms(r[4], "evaluate") for r in results]
    report = json.loads(results[-1][3])
    return {
        "wall": statistics.median(r[0] for r in results),
        "walls": [r[0] for r in results],
        "rss": max(r[1] for r in results),
        "evaluate_ms": statistics.median(e for e in evals if e is not None) if any(e is not None for e in evals) else None,
        "report": report,
        "load": load,
    }


def by_code(report, prefix):
    fails, errors = collections.Counter(), collections.Counter()
    objects = collections.defaultdict(set)
    for f in report["findings"]:
        code = f["rule"]
        if not code.startswith(prefix):
            continue
        if f["status"] == "error":
            errors[code] += 1
        else:
            fails[code] += 1
            r = f["resource"]
            objects[code].add((f["location"]["file"], r["kind"], r.get("namespace", ""), r["name"]))
    return fails, errors, objects


# ---------------------------------------------------------------- OPA

def opa_library() -> Path:
    """libopabridge.so from the opa-golib-python-bindings wheel (OPA's Go engine as a C shared
    library; the wheel asks for Python 3.14, so it is fetched with pip download and loaded with
    ctypes directly rather than installed)."""
    d = OUT / "opa"
    lib = d / "opa_bindings" / "libopabridge.so"
    if not lib.exists():
        d.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                        "--python-version", "3.14", "-d", str(d), OPA_WHEEL], check=True)
        wheel = next(d.glob("opa_golib_python_bindings-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            z.extractall(d)
    return lib


def write_opa_inputs(objects):
    """The corpus as JSON (what `opa eval -d` would read) and the driver module that evaluates
    each template's `violation` for every object it matches, `with input as` the review."""
    (POL / "corpus.json").write_text(json.dumps([o for _, o in objects]))
    lines = ["package benchdriver", ""]
    for i, (name, kind, kinds, params, _, _) in enumerate(P.TEMPLATES):
        pkg = kind.lower()
        keys = sorted({f"{g}/{k}" for e in kinds for g in e["apiGroups"] for k in e["kinds"]})
        lines.append(f"kinds_{i + 1:02d} := {json.dumps(keys)}")
        lines.append(f"t{i + 1:02d} := [v |")
        lines.append("  some r in data.bench.reviews")
        if keys != ["*/*"]:
            lines.append(f"  r.gk in kinds_{i + 1:02d}")
        lines.append(f"  vs := data.{pkg}.violation with input as {{\"review\": r, \"parameters\": {json.dumps(params)}}}")
        lines.append("  some v in vs")
        lines.append("]")
        lines.append("")
    (POL / "opa-driver.rego").write_text("\n".join(lines))


def opa_driver(lib_path: str):
    """Runs inside the timed OPA process: load policies and corpus, evaluate, print counts."""
    import ctypes
    t_start = time.perf_counter()
    lib = ctypes.CDLL(lib_path)
    lib.OpaNew.restype = ctypes.c_uint64
    lib.OpaFreeString.argtypes = [ctypes.c_void_p]
    for fn in (lib.OpaAddPolicy, lib.OpaAddData, lib.OpaEvalDocument):
        fn.restype = ctypes.c_void_p
    lib.OpaAddPolicy.argtypes = [ctypes.c_uint64, ctypes.c_char_p, ctypes.c_char_p]
    lib.OpaAddData.argtypes = [ctypes.c_uint64, ctypes.c_char_p, ctypes.c_char_p]
    lib.OpaEvalDocument.argtypes = [ctypes.c_uint64, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int]
    h = lib.OpaNew()

    def call(fn, *args):
        ptr = fn(h, *args)
        raw = ctypes.string_at(ptr)
        lib.OpaFreeString(ptr)
        env = json.loads(raw)
        if env.get("error"):
            sys.exit(f"opa: {env['error']}")
        return env

    objects = json.loads((POL / "corpus.json").read_text())
    reviews, inventory = [], {"cluster": {}, "namespace": {}}
    for o in objects:
        group, version = group_version(o["apiVersion"])
        meta = o.get("metadata", {})
        review = {"object": o, "kind": {"group": group, "version": version, "kind": o["kind"]},
                  "name": meta.get("name", ""), "operation": "CREATE", "gk": f"{group}/{o['kind']}"}
        if "namespace" in meta:
            review["namespace"] = meta["namespace"]
            inventory["namespace"].setdefault(meta["namespace"], {}).setdefault(o["apiVersion"], {}) \
                .setdefault(o["kind"], {})[meta.get("name", "")] = o
        else:
            inventory["cluster"].setdefault(o["apiVersion"], {}).setdefault(o["kind"], {})[meta.get("name", "")] = o
        reviews.append(review)
    call(lib.OpaAddData, b"bench", json.dumps({"reviews": reviews}).encode())
    call(lib.OpaAddData, b"inventory", json.dumps(inventory).encode())
    for f in sorted((POL / "opa-modules").glob("*.rego")):
        call(lib.OpaAddPolicy, f.name.encode(), f.read_bytes())
    call(lib.OpaAddPolicy, b"opa-driver.rego", (POL / "opa-driver.rego").read_bytes())
    t_loaded = time.perf_counter()
    counts = []
    for i in range(len(P.TEMPLATES)):
        env = call(lib.OpaEvalDocument, f"benchdriver.t{i + 1:02d}".encode(), b"null", 0, 0)
        counts.append(len(env["result"][0]["expressions"][0]["value"]))
    t_end = time.perf_counter()
    print(json.dumps({"counts": counts, "load_s": t_loaded - t_start, "eval_s": t_end - t_loaded}))


# ---------------------------------------------------------------- main

def main():
    # A developer's RUST_BACKTRACE=1 makes every error value inside regorus capture a
    # backtrace (about 6 % of a Rego run); users do not run with it, so neither does the
    # benchmark.
    os.environ.pop("RUST_BACKTRACE", None)
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--objects", type=int, default=10000)
    ap.add_argument("--no-opa", action="store_true")
    ap.add_argument("--opa-driver", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.opa_driver:
        return opa_driver(args.opa_driver)

    binary = Path(os.environ.get("KUBECOMPLY_BIN", DEFAULT_BIN))
    if "KUBECOMPLY_BIN" not in os.environ:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "kubecomply"], cwd=ROOT, check=True)
    d = corpus(args.objects)
    objects = load_objects(d)
    gk_dir, cel_dir = write_policies()
    gk_evals, cel_evals = evaluations(objects)
    n_gk, n_cel = sum(gk_evals), sum(cel_evals)
    gk_codes = ",".join(gk_code(i) for i in range(len(P.TEMPLATES)))
    cel_codes = ",".join(cel_code(i) for i in range(len(P.VALIDATIONS)))
    print(f"{len(objects)} objects; evaluations: Gatekeeper {n_gk:,}, CEL {n_cel:,}", flush=True)

    gkp, celp = ["--policy", str(gk_dir)], ["--policy", str(cel_dir)]
    runs = [
        ("a", "built-in rules only", [], 0),
        ("b", "built-in + Gatekeeper", gkp, n_gk),
        ("c", "built-in + CEL", celp, n_cel),
        ("d", "built-in + both", gkp + celp, n_gk + n_cel),
        ("e", "policies alone (both)", gkp + celp + ["--rule", f"{gk_codes},{cel_codes}"], n_gk + n_cel),
        ("e-rego", "Gatekeeper alone", gkp + ["--rule", gk_codes], n_gk),
        ("e-cel", "CEL alone", celp + ["--rule", cel_codes], n_cel),
        ("0", f"baseline: policies loaded, none run (--rule {BASELINE_RULE})", gkp + celp + ["--rule", BASELINE_RULE], 0),
        ("0-rego", f"baseline Gatekeeper (--rule {BASELINE_RULE})", gkp + ["--rule", BASELINE_RULE], 0),
        ("0-cel", f"baseline CEL (--rule {BASELINE_RULE})", celp + ["--rule", BASELINE_RULE], 0),
    ]
    res = {}
    for key, label, extra, n in runs:
        r = run_scan(binary, d, extra, args.runs)
        res[key] = r
        print(f"({key}) {label}: {r['wall']:.3f} s, {r['rss']:.0f} MiB, evaluate {r['evaluate_ms']} ms, "
              f"{r['report']['summary']['failed']:,} failed, {r['report']['summary']['errors']} errors, load average {r['load']:.1f}", flush=True)

    # Correctness: per-check failing objects, and the twin checks agree object by object.
    gk_fail, gk_err, gk_obj = by_code(res["e-rego"]["report"], "BENCH-GK-")
    cel_fail, cel_err, cel_obj = by_code(res["e-cel"]["report"], "BENCH-CEL-")
    checks = []
    for i, j in P.TWINS:
        a, b = gk_obj[gk_code(i)], cel_obj[cel_code(j)]
        checks.append((P.TEMPLATES[i][0], len(a), len(b), len(a - b), len(b - a)))

    opa = None
    if not args.no_opa:
        try:
            lib = opa_library()
            write_opa_inputs(objects)
            cmd = [sys.executable, str(Path(__file__).resolve()), "--opa-driver", str(lib)]
            opa_load = os.getloadavg()[0]
            results = [timed(cmd) for _ in range(args.runs)]
            for r in results:
                if r[2] != 0:
                    raise RuntimeError(r[4][-2000:])
            outs = [json.loads(r[3].strip().splitlines()[-1]) for r in results]
            opa = {"wall": statistics.median(r[0] for r in results), "rss": max(r[1] for r in results),
                   "eval_s": statistics.median(o["eval_s"] for o in outs),
                   "load_s": statistics.median(o["load_s"] for o in outs), "counts": outs[-1]["counts"], "load": opa_load}
            print(f"OPA: {opa['wall']:.3f} s, {opa['rss']:.0f} MiB, eval {opa['eval_s']:.3f} s, load average {opa['load']:.1f}", flush=True)
        except Exception as e:  # the comparison is optional: report why it is missing
            print(f"OPA comparison skipped: {e}", file=sys.stderr)

    table = render(len(objects), runs, res, gk_evals, cel_evals, gk_fail, gk_err, cel_fail, cel_err, checks, opa)
    (POL / "results.md").write_text(table)
    print()
    print(table)


def render(n_objects, runs, res, gk_evals, cel_evals, gk_fail, gk_err, cel_fail, cel_err, checks, opa):
    n_gk, n_cel = sum(gk_evals), sum(cel_evals)
    out = [f"{n_objects:,} objects; {len(P.TEMPLATES)} Gatekeeper constraints = {n_gk:,} evaluations; "
           f"{len(P.VALIDATIONS)} CEL validations = {n_cel:,} evaluations "
           f"({datetime.date.today().isoformat()}, {os.cpu_count()} cores).", "",
           "| run | command adds | evaluations | wall (median) | evaluate phase | peak RSS | failed | errors | evaluations/s (whole process) | load avg before |",
           "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for key, label, extra, n in runs:
        r = res[key]
        adds = " ".join(a if not a.startswith("/") else Path(a).name for a in extra)
        adds = re.sub(r"--rule \S{60,}", "--rule <policy codes>", adds) or "—"
        rate = f"{n / r['wall']:,.0f}" if n else "—"
        ev = f"{r['evaluate_ms']:.0f} ms" if r["evaluate_ms"] is not None else "—"
        out.append(f"| ({key}) {label} | `{adds}` | {n:,} | {r['wall']:.3f} s | {ev} | {r['rss']:.0f} MiB | "
                   f"{r['report']['summary']['failed']:,} | {r['report']['summary']['errors']} | {rate} | {r['load']:.1f} |")
    out.append("")
    out.append("| engine | evaluations | policies alone, whole process | evaluations/s (whole process) | "
               "minus baseline | marginal µs/evaluation | evaluate phase µs/evaluation |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, key, base, n in (("Rego (Gatekeeper)", "e-rego", "0-rego", n_gk), ("CEL (VAP)", "e-cel", "0-cel", n_cel),
                               ("both", "e", "0", n_gk + n_cel)):
        r, b = res[key], res[base]
        marginal = r["wall"] - b["wall"]
        ev = (r["evaluate_ms"] - b["evaluate_ms"]) / 1000 if r["evaluate_ms"] is not None else None
        out.append(f"| {name} | {n:,} | {r['wall']:.3f} s | {n / r['wall']:,.0f} | {marginal:.3f} s | "
                   f"{marginal / n * 1e6:.1f} | {ev / n * 1e6:.1f} |" if ev is not None else "| — |")
    out.append("")
    out.append("Per check (policies-alone runs): evaluations, failing findings, error findings; twins: "
               "objects failing in Rego / in CEL / only in Rego / only in CEL.")
    out.append("")
    out.append("| # | Gatekeeper check | evals | fail | err | CEL check | evals | fail | err | objects Rego / CEL / only Rego / only CEL |")
    out.append("| ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | --- |")
    twin = {c[0]: c for c in checks}
    for i in range(max(len(P.TEMPLATES), len(P.VALIDATIONS))):
        t, v = P.TEMPLATES[i], P.VALIDATIONS[i]
        c = twin.get(t[0])
        tw = f"{c[1]} / {c[2]} / {c[3]} / {c[4]}" if c else "—"
        out.append(f"| {i + 1} | {t[0]} | {gk_evals[i]:,} | {gk_fail[gk_code(i)]:,} | {gk_err[gk_code(i)]} | "
                   f"{v[0]} | {cel_evals[i]:,} | {cel_fail[cel_code(i)]:,} | {cel_err[cel_code(i)]} | {tw} |")
    if opa:
        out.append("")
        r, b = res["e-rego"], res["0-rego"]
        kc_marginal = r["wall"] - b["wall"]
        mismatched = [(P.TEMPLATES[i][0], opa["counts"][i], gk_fail[gk_code(i)] + gk_err[gk_code(i)])
                      for i in range(len(P.TEMPLATES)) if opa["counts"][i] != gk_fail[gk_code(i)] + gk_err[gk_code(i)]]
        out.append("| same Rego, same corpus | whole process | evaluations/s (whole process) | evaluation only | µs/evaluation | peak RSS |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        out.append(f"| kubecomply (regorus) | {r['wall']:.3f} s | {n_gk / r['wall']:,.0f} | {kc_marginal:.3f} s (marginal) | "
                   f"{kc_marginal / n_gk * 1e6:.1f} | {r['rss']:.0f} MiB |")
        out.append(f"| OPA (Go engine, `with input as`) | {opa['wall']:.3f} s | {n_gk / opa['wall']:,.0f} | {opa['eval_s']:.3f} s | "
                   f"{opa['eval_s'] / n_gk * 1e6:.1f} | {opa['rss']:.0f} MiB |")
        out.append(f"| ratio OPA / kubecomply | {opa['wall'] / r['wall']:.1f}× | | {opa['eval_s'] / kc_marginal:.1f}× | | "
                   f"{opa['rss'] / r['rss']:.1f}× |")
        out.append("")
        out.append("Violations OPA vs kubecomply: " + ("identical for all 20 templates." if not mismatched else
                   "differ for " + ", ".join(f"{n} (OPA {a}, kubecomply {b})" for n, a, b in mismatched)))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
