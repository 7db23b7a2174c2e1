//! KC-RES-001 cpu-requests-missing.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::Spec;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RES-001",
        slug: "cpu-requests-missing",
        title: "Container has no CPU request",
        severity: Severity::Low,
        category: Category::Resources,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_10"),
            reference("kubescape", "C-0268"),
            reference("polaris", "cpuRequestsMissing"),
            reference("kube-score", "container-resources"),
            reference("trivy", "KSV-0015"),
            reference("kube-linter", "unset-cpu-requirements"),
        ],
    },
    target: Target::PodTemplates,
    reads: &["LimitRange"],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container and init container that ends up without a CPU request. A request is
present when `resources.requests.cpu` is set. Because the API server defaults a missing request
to the limit, a container that sets only `resources.limits.cpu` passes too. Ephemeral containers
are not checked: they cannot have resources.

A pod-level `spec.resources.requests.cpu` or `spec.resources.limits.cpu` (the Pod-level
resources feature) satisfies the rule for all containers of the pod. A `LimitRange` in the same
namespace of the input whose `Container` item has `defaultRequest.cpu`, `default.cpu`, `max.cpu`
or `min.cpu` also satisfies it, because the LimitRanger admission plugin then fills in the
request (the API server derives the default request from those fields in that order). Namespaces
compare as written; an object without a namespace matches a LimitRange without one.

The finding points at the nearest existing parent of the missing field (`resources.requests`,
`resources` or the container). A quantity of the wrong type is treated as unset.

## Why it matters
The scheduler places pods by their requests. A container without a CPU request counts as zero:
the node can be overcommitted, the pod lands in the `BestEffort` or `Burstable` QoS class and is
the first to be starved when neighbours get busy, and horizontal autoscaling on CPU utilisation
has nothing to compute a percentage from.

## How to fix
Set `resources.requests.cpu` to the CPU the container needs under normal load (for example
`250m`), measured rather than guessed.

## Differences from other tools
Checkov looks only at `resources.requests.cpu` and does not count a limit as the request it
defaults to, so it flags containers that the API server gives a request; nor do the other tools
consider a LimitRange in the input.
"#;

const SPEC: Spec = Spec {
    section: "requests",
    name: "cpu",
    noun: "CPU",
    pod_level: true,
};

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    super::check(cx, obj, out, &SPEC);
}
