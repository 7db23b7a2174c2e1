#!/usr/bin/env python3
"""Generates a deterministic cluster for the NetworkPolicy reachability benchmark.

`gen.py --pods N --policies M [--tiered] [--seed S] OUT_DIR` writes three multi-document YAML
files in block style, as kubectl prints them: namespaces.yaml, pods.yaml, policies.yaml.

The cluster: namespaces of ~200 pods labelled team/env; in each, deployments (app + tier
labels, 1-10 replicas as Pods with a pod-template-hash and a unique status.podIP, named ports
by tier); per namespace a default-deny (ingress and egress) and a DNS egress allowance; then
per-app allow policies until M policies exist: ingress from the calling tier (podSelector, or
namespaceSelector + podSelector across namespaces, on named or numbered ports), egress to the
called tier, monitoring scrapes from a labelled namespace, and some egress to the internet as
an ipBlock with an except. `--tiered` adds a few AdminNetworkPolicies, a baseline and Calico
policies in a tier (kubecomply only; network-config-analyzer reads the plain corpus).
"""

import argparse
import os
import random

import yaml

TIERS = ["frontend", "backend", "db", "cache", "worker"]
PORTS = {
    "frontend": [("http", 8080, "TCP"), ("metrics", 9090, "TCP")],
    "backend": [("http", 8080, "TCP"), ("grpc", 9000, "TCP"), ("metrics", 9090, "TCP")],
    "db": [("postgres", 5432, "TCP")],
    "cache": [("redis", 6379, "TCP")],
    "worker": [("metrics", 9090, "TCP")],
}
CALLS = {"frontend": "backend", "backend": "db", "worker": "cache"}


def doc(d):
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pods", type=int, required=True)
    ap.add_argument("--policies", type=int, required=True)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--tiered", action="store_true")
    ap.add_argument("out")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    n_ns = max(3, a.pods // 200)
    namespaces = [f"ns-{i:04d}" for i in range(n_ns)]
    ns_docs = [doc({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": "monitoring", "labels": {"purpose": "monitoring"}}})]
    ns_docs.append(doc({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": "kube-system", "labels": {"purpose": "system"}}}))
    for i, ns in enumerate(namespaces):
        ns_docs.append(doc({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": ns, "labels": {"team": f"team-{i % 17}",
                                   "env": ["prod", "staging", "dev"][i % 3]}}}))
    apps = []  # (namespace, app, tier)
    pods = []
    ip = 0
    special = [("monitoring", "prometheus", "worker"), ("kube-system", "coredns", "backend")]
    for ns, app, tier in special:
        apps.append((ns, app, tier))
        pods.append((ns, app, tier, 0, "special"))
    while len(pods) < a.pods:
        ns = namespaces[rnd.randrange(n_ns)]
        tier = TIERS[rnd.randrange(len(TIERS))]
        app = f"{tier}-{len(apps):05d}"
        apps.append((ns, app, tier))
        h = "%08x" % rnd.getrandbits(32)
        for r in range(min(rnd.randint(1, 10), a.pods - len(pods))):
            pods.append((ns, app, tier, r, h))
    pod_docs = []
    for ns, app, tier, r, h in pods:
        ip += 1
        addr = f"10.{(ip >> 16) & 255}.{(ip >> 8) & 255}.{ip & 255}"
        pod_docs.append(doc({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{app}-{h}-{r}", "namespace": ns,
                         "labels": {"app": app, "tier": tier, "pod-template-hash": h}},
            "spec": {"containers": [{"name": "main", "image": f"registry.example/{tier}:1.0",
                                     "ports": [{"name": n, "containerPort": p, "protocol": q}
                                               for n, p, q in PORTS[tier]]}]},
            "status": {"podIP": addr, "podIPs": [{"ip": addr}]},
        }))
    pol_docs = []

    def policy(ns, name, selector, types, ingress=None, egress=None):
        spec = {"podSelector": selector, "policyTypes": types}
        if ingress is not None:
            spec["ingress"] = ingress
        if egress is not None:
            spec["egress"] = egress
        pol_docs.append(doc({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                             "metadata": {"name": name, "namespace": ns}, "spec": spec}))

    for ns in namespaces:
        if len(pol_docs) + 2 > a.policies:
            break
        policy(ns, "default-deny", {}, ["Ingress", "Egress"], [], [])
        policy(ns, "allow-dns", {}, ["Egress"], egress=[{
            "to": [{"namespaceSelector": {"matchLabels": {"purpose": "system"}},
                    "podSelector": {"matchLabels": {"app": "coredns"}}}],
            "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}])
    by_tier = {}
    for ns, app, tier in apps[len(special):]:
        by_tier.setdefault((ns, tier), []).append(app)
    order = apps[len(special):]
    i = 0
    while len(pol_docs) < a.policies and order:
        ns, app, tier = order[i % len(order)]
        k = i // len(order)
        i += 1
        sel = {"matchLabels": {"app": app}}
        name = f"{app}-allow-{k}"
        kind = rnd.random()
        if tier == "frontend" and kind < 0.3:
            policy(ns, name, sel, ["Egress"], egress=[{
                "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}],
                "ports": [{"port": 443}]}])
        elif kind < 0.45:
            policy(ns, name, sel, ["Ingress"], ingress=[{
                "from": [{"namespaceSelector": {"matchLabels": {"purpose": "monitoring"}},
                          "podSelector": {"matchLabels": {"app": "prometheus"}}}],
                "ports": [{"port": "metrics"}]}])
        else:
            callers = [t for t, callee in CALLS.items() if callee == tier]
            caller = callers[0] if callers else "frontend"
            peer = {"podSelector": {"matchExpressions": [
                {"key": "tier", "operator": "In", "values": [caller]}]}}
            if rnd.random() < 0.3:
                peer["namespaceSelector"] = {"matchLabels": {"env": ["prod", "staging", "dev"][
                    rnd.randrange(3)]}}
            port = PORTS[tier][0]
            policy(ns, name, sel, ["Ingress", "Egress"], ingress=[{
                "from": [peer], "ports": [{"port": port[0] if rnd.random() < 0.5 else port[1]}]}],
                egress=[{"to": [{"podSelector": {"matchLabels": {"tier": CALLS.get(tier, "db")}}}],
                         "ports": [{"port": PORTS[CALLS.get(tier, "db")][0][1]}]}])
    if a.tiered:
        for j in range(3):
            pol_docs.append(doc({
                "apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
                "metadata": {"name": f"anp-{j}"}, "spec": {
                    "priority": 10 + j,
                    "subject": {"namespaces": {"matchLabels": {"env": ["prod", "staging", "dev"][j]}}},
                    "ingress": [{"name": "monitoring", "action": "Allow", "from": [
                        {"namespaces": {"matchLabels": {"purpose": "monitoring"}}}],
                        "ports": [{"portNumber": {"port": 9090, "protocol": "TCP"}}]},
                        {"name": "no-dev", "action": "Deny" if j == 0 else "Pass", "from": [
                            {"namespaces": {"matchLabels": {"env": "dev"}}}]}]}}))
        pol_docs.append(doc({
            "apiVersion": "policy.networking.k8s.io/v1alpha1",
            "kind": "BaselineAdminNetworkPolicy", "metadata": {"name": "default"},
            "spec": {"subject": {"namespaces": {}}, "ingress": [
                {"name": "deny-all", "action": "Deny", "from": [{"namespaces": {}}]}]}}))
        pol_docs.append(doc({"apiVersion": "projectcalico.org/v3", "kind": "Tier",
                             "metadata": {"name": "security"}, "spec": {"order": 100}}))
        for j in range(5):
            pol_docs.append(doc({
                "apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
                "metadata": {"name": f"security.gnp-{j}"}, "spec": {
                    "tier": "security", "order": j,
                    "selector": f"tier == '{TIERS[j]}'",
                    "types": ["Ingress"],
                    "ingress": [{"action": "Deny", "protocol": "TCP",
                                 "source": {"selector": "tier == 'worker'"},
                                 "destination": {"ports": [22]}},
                                {"action": "Pass"}]}}))
    for name, docs in [("namespaces.yaml", ns_docs), ("pods.yaml", pod_docs),
                       ("policies.yaml", pol_docs)]:
        with open(os.path.join(a.out, name), "w") as f:
            yaml.dump_all(docs, f, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper),
                          sort_keys=False)


if __name__ == "__main__":
    main()
