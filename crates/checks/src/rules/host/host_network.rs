//! KC-HOST-002 host-network.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-002",
        slug: "host-network",
        title: "Pod shares the host network namespace",
        severity: Severity::High,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_19"),
            reference("kubescape", "C-0041"),
            reference("trivy", "KSV-0009"),
            reference("polaris", "hostNetworkSet"),
            reference("kube-linter", "host-network"),
            reference("pss", "baseline/hostNamespaces"),
            reference("cis", "5.2.5"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every pod template whose `spec.hostNetwork` is `true`. The field exists only at pod
level, so it covers every container of the pod at once. A value of the wrong type
(`hostNetwork: "true"`, quoted) is reported by `invalid-field-type` instead and treated as unset
here.

## Why it matters
With the host network namespace the pod sees every interface of the node: it can listen on any
node port, reach services bound to the node's loopback interface (kube-proxy's metrics port,
the kubelet's health endpoint, node-local agents), sniff traffic with `NET_RAW`, and it escapes
NetworkPolicies, which select pod IPs rather than the node's.

## How to fix
Remove `hostNetwork: true` and expose the workload through a Service (or a `NodePort` /
`LoadBalancer` Service when it must be reachable from outside). Node agents that genuinely need
the host network (CNI plugins, kube-proxy replacements) should run in a dedicated namespace with a
documented exception.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        if t.spec.field("hostNetwork").and_then(Value::as_bool) == Some(true) {
            out.fail(
                t.spec_path(&["hostNetwork"]),
                "pod shares the host network namespace (hostNetwork=true)",
            );
        }
    }
}
