//! KC-RES-003 memory-requests-missing.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::Spec;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RES-003",
        slug: "memory-requests-missing",
        title: "Container has no memory request",
        severity: Severity::Medium,
        category: Category::Resources,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_12"),
            reference("kubescape", "C-0269"),
            reference("polaris", "memoryRequestsMissing"),
            reference("kube-score", "container-resources"),
            reference("trivy", "KSV-0016"),
            reference("kube-linter", "unset-memory-requirements"),
        ],
    },
    target: Target::PodTemplates,
    reads: &["LimitRange"],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container and init container that ends up without a memory request. A request is
present when `resources.requests.memory` is set. Because the API server defaults a missing
request to the limit, a container that sets only `resources.limits.memory` passes too. Ephemeral
containers are not checked: they cannot have resources.

A pod-level `spec.resources.requests.memory` or `spec.resources.limits.memory` (the Pod-level
resources feature) satisfies the rule for all containers of the pod. A `LimitRange` in the same
namespace of the input whose `Container` item has `defaultRequest.memory`, `default.memory`,
`max.memory` or `min.memory` also satisfies it, because the LimitRanger admission plugin then
fills in the request (the API server derives the default request from those fields in that
order). Namespaces compare as written; an object without a namespace matches a LimitRange
without one.

The finding points at the nearest existing parent of the missing field (`resources.requests`,
`resources` or the container). A quantity of the wrong type is treated as unset.

## Why it matters
The scheduler places pods by their requests. A container without a memory request counts as
zero, so the node can be overcommitted on memory; when it runs short, the kubelet evicts the
pods that use most beyond their request first, and the kernel's OOM killer picks among processes
without regard for which workload matters.

## How to fix
Set `resources.requests.memory` to the working set the container needs (for example `256Mi`).

## Differences from other tools
Checkov looks only at `resources.requests.memory` and does not count a limit as the request it
defaults to, so it flags containers that the API server gives a request; nor do the other tools
consider a LimitRange in the input.
"#;

const SPEC: Spec = Spec {
    section: "requests",
    name: "memory",
    noun: "memory",
    pod_level: true,
};

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    super::check(cx, obj, out, &SPEC);
}
