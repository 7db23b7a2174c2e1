#!/usr/bin/env python3
"""RBAC benchmark: 10,000 roles and 20,000 bindings (deterministic).

Generates bench/rbac/out/rbac-10k.yaml, then measures
  * `kubecomply rbac review` as a whole process (target < 1 s on 2 cores), and
  * who-can per query after indexing, in process (target < 10 ms), through the ignored test
    `crates/rbac/tests/bench.rs`.

Usage: python3 bench/rbac/run.py [--runs N]   (builds release binaries first)
"""
import argparse
import os
import random
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "bench", "rbac", "out")
FILE = os.path.join(OUT, "rbac-10k.yaml")

VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
CORE = ["pods", "services", "configmaps", "secrets", "serviceaccounts", "pods/log", "pods/exec", "endpoints"]
APPS = ["deployments", "statefulsets", "daemonsets", "replicasets", "deployments/scale"]
N_NS = 200


def rule(rng):
    if rng.random() < 0.7:
        groups, res = [""], rng.sample(CORE, rng.randint(1, 3))
    else:
        groups, res = ["apps"], rng.sample(APPS, rng.randint(1, 3))
    r = {"apiGroups": groups, "resources": res, "verbs": rng.sample(VERBS, rng.randint(1, 4))}
    if rng.random() < 0.1:
        r["resourceNames"] = [f"obj-{rng.randint(0, 50)}"]
    if rng.random() < 0.01:
        r = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}
    return r


def flow(d):
    """A compact YAML flow rendering (JSON is valid YAML flow)."""
    import json
    return json.dumps(d, separators=(",", ":"))


def generate():
    rng = random.Random(42)
    os.makedirs(OUT, exist_ok=True)
    docs = []
    rbac = "rbac.authorization.k8s.io/v1"
    for n in range(N_NS):
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"ns{n}"}})
        for s in range(10):
            docs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": f"sa{s}", "namespace": f"ns{n}"}})
    roles = []
    for i in range(7000):
        ns = f"ns{i % N_NS}"
        roles.append(("Role", f"role{i}", ns))
        docs.append({"apiVersion": rbac, "kind": "Role", "metadata": {"name": f"role{i}", "namespace": ns},
                     "rules": [rule(rng) for _ in range(rng.randint(1, 4))]})
    for i in range(3000):
        meta = {"name": f"cr{i}", "labels": {"agg": f"a{i % 20}"}}
        doc = {"apiVersion": rbac, "kind": "ClusterRole", "metadata": meta}
        if i < 20:
            doc["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {"agg": f"a{i}"}}]}
            meta["labels"] = {}
        else:
            doc["rules"] = [rule(rng) for _ in range(rng.randint(1, 4))]
        roles.append(("ClusterRole", f"cr{i}", None))
        docs.append(doc)

    def subject():
        x = rng.random()
        if x < 0.4:
            return {"kind": "User", "name": f"user{rng.randint(0, 5000)}"}
        if x < 0.6:
            return {"kind": "Group", "name": f"group{rng.randint(0, 500)}"}
        return {"kind": "ServiceAccount", "name": f"sa{rng.randint(0, 9)}", "namespace": f"ns{rng.randint(0, N_NS - 1)}"}

    for i in range(14000):
        ns = f"ns{i % N_NS}"
        if rng.random() < 0.5:
            ref = {"kind": "Role", "name": f"role{rng.randrange(i % N_NS, 7000, N_NS)}"}
        else:
            ref = {"kind": "ClusterRole", "name": rng.choice([f"cr{rng.randint(0, 2999)}", "view", "edit", "admin"])}
        ref["apiGroup"] = "rbac.authorization.k8s.io"
        docs.append({"apiVersion": rbac, "kind": "RoleBinding", "metadata": {"name": f"rb{i}", "namespace": ns},
                     "roleRef": ref, "subjects": [subject() for _ in range(rng.randint(1, 3))]})
    for i in range(6000):
        ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": f"cr{rng.randint(0, 2999)}"}
        docs.append({"apiVersion": rbac, "kind": "ClusterRoleBinding", "metadata": {"name": f"crb{i}"},
                     "roleRef": ref, "subjects": [subject() for _ in range(rng.randint(1, 3))]})
    for i in range(500):
        ns = f"ns{i % N_NS}"
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"app{i}", "namespace": ns},
                     "spec": {"selector": {"matchLabels": {"app": f"app{i}"}}, "template": {
                         "metadata": {"labels": {"app": f"app{i}"}},
                         "spec": {"serviceAccountName": f"sa{i % 10}", "hostNetwork": i % 7 == 0,
                                  "containers": [{"name": "c", "image": "nginx:1.27"}]}}}})
        if i % 5 == 0:
            docs.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"app{i}", "namespace": ns},
                         "spec": {"type": "LoadBalancer", "selector": {"app": f"app{i}"}, "ports": [{"port": 80}]}})
    with open(FILE, "w") as f:
        for d in docs:
            f.write("---\n")
            f.write(flow(d))
            f.write("\n")
    n_roles = sum(1 for d in docs if d["kind"] in ("Role", "ClusterRole"))
    n_bind = sum(1 for d in docs if d["kind"] in ("RoleBinding", "ClusterRoleBinding"))
    print(f"generated {FILE}: {len(docs)} objects, {n_roles} roles, {n_bind} bindings, "
          f"{os.path.getsize(FILE) / 1e6:.1f} MB")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    generate()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "kubecomply"], cwd=ROOT, check=True)
    exe = os.path.join(ROOT, "target", "release", "kubecomply")
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        p = subprocess.run([exe, "rbac", "review", FILE], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        times.append(time.perf_counter() - t)
        if p.returncode not in (0, 1):
            sys.exit(f"review failed ({p.returncode}): {p.stderr.decode()[:2000]}")
    findings = p.stdout.decode().strip().splitlines()[-1]
    times.sort()
    print(f"rbac review (whole process): median {times[len(times) // 2] * 1000:.0f} ms, "
          f"min {times[0] * 1000:.0f} ms over {args.runs} runs ({findings})")
    env = dict(os.environ, KUBECOMPLY_RBAC_BENCH=FILE)
    subprocess.run(["cargo", "test", "--release", "-q", "-p", "kubecomply-rbac", "--test", "bench", "--",
                    "--ignored", "--nocapture"], cwd=ROOT, env=env, check=True)


if __name__ == "__main__":
    main()
