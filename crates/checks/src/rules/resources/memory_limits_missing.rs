//! KC-RES-004 memory-limits-missing.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::Spec;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RES-004",
        slug: "memory-limits-missing",
        title: "Container has no memory limit",
        severity: Severity::Medium,
        category: Category::Resources,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_13"),
            reference("kubescape", "C-0271"),
            reference("polaris", "memoryLimitsMissing"),
            reference("kube-score", "container-resources"),
            reference("trivy", "KSV-0018"),
            reference("kube-linter", "unset-memory-requirements"),
        ],
    },
    target: Target::PodTemplates,
    reads: &["LimitRange"],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container and init container without `resources.limits.memory`. Ephemeral
containers are not checked: they cannot have resources. A pod-level
`spec.resources.limits.memory` (the Pod-level resources feature) satisfies the rule for all
containers of the pod, since they are then bounded together. A `LimitRange` in the same
namespace of the input whose `Container` item has `default.memory` or `max.memory` satisfies it
too, because the LimitRanger admission plugin then sets the limit (the API server uses `max` as
the default limit when `default` is absent). Namespaces compare as written; an object without a
namespace matches a LimitRange without one.

The finding points at the nearest existing parent of the missing field (`resources.limits`,
`resources` or the container). A quantity of the wrong type is treated as unset.

## Why it matters
Without a memory limit a leaking or compromised container can consume the node's memory until
the kernel kills processes at random, including those of other pods and node daemons. Memory
cannot be throttled like CPU, so the limit is the only bound.

## How to fix
Set `resources.limits.memory` (for example `512Mi`), usually equal to or a little above the
request.

## Differences from other tools
No other tool considers a LimitRange in the input, so they flag workloads whose namespace
supplies the limit.
"#;

const SPEC: Spec = Spec {
    section: "limits",
    name: "memory",
    noun: "memory",
    pod_level: true,
};

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    super::check(cx, obj, out, &SPEC);
}
