//! KC-RES-002 cpu-limits-missing.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::Spec;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RES-002",
        slug: "cpu-limits-missing",
        title: "Container has no CPU limit",
        severity: Severity::Low,
        category: Category::Resources,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_11"),
            reference("kubescape", "C-0270"),
            reference("polaris", "cpuLimitsMissing"),
            reference("kube-score", "container-resources"),
            reference("trivy", "KSV-0011"),
            reference("kube-linter", "unset-cpu-requirements"),
        ],
    },
    target: Target::PodTemplates,
    reads: &["LimitRange"],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container and init container without `resources.limits.cpu`. Ephemeral
containers are not checked: they cannot have resources. A pod-level `spec.resources.limits.cpu`
(the Pod-level resources feature) satisfies the rule for all containers of the pod, since they
are then bounded together. A `LimitRange` in the same namespace of the input whose `Container`
item has `default.cpu` or `max.cpu` satisfies it too, because the LimitRanger admission plugin
then sets the limit (the API server uses `max` as the default limit when `default` is absent).
Namespaces compare as written; an object without a namespace matches a LimitRange without one.

The finding points at the nearest existing parent of the missing field (`resources.limits`,
`resources` or the container). A quantity of the wrong type is treated as unset.

## Why it matters
Without a CPU limit a container can use every idle core of the node. That is often what you
want, but a runaway or compromised process (a crypto miner is the classic case) then takes CPU
from every other pod on the node, and the pod cannot be in the `Guaranteed` QoS class.

## How to fix
Set `resources.limits.cpu` (for example `1`). Teams that deliberately run without CPU limits to
avoid throttling can disable this rule in `.kubecomply.yaml`; the memory rules still apply.

## Differences from other tools
No other tool considers a LimitRange in the input, so they flag workloads whose namespace
supplies the limit.
"#;

const SPEC: Spec = Spec {
    section: "limits",
    name: "cpu",
    noun: "CPU",
    pod_level: true,
};

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    super::check(cx, obj, out, &SPEC);
}
