//! KC-RES-005 ephemeral-storage-limits-missing.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::Spec;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RES-005",
        slug: "ephemeral-storage-limits-missing",
        title: "Container has no ephemeral-storage limit",
        severity: Severity::Low,
        category: Category::Resources,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference(
            "kube-score",
            "container-ephemeral-storage-request-and-limit",
        )],
    },
    target: Target::PodTemplates,
    reads: &["LimitRange"],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container and init container without `resources.limits.ephemeral-storage`.
Ephemeral containers are not checked: they cannot have resources. Pod-level resources do not
cover ephemeral storage, so only the container counts. A `LimitRange` in the same namespace of
the input whose `Container` item has `default.ephemeral-storage` or `max.ephemeral-storage`
satisfies it too, because the LimitRanger admission plugin then sets the limit (the API server
uses `max` as the default limit when `default` is absent). Namespaces compare as written; an
object without a namespace matches a LimitRange without one.

The finding points at the nearest existing parent of the missing field (`resources.limits`,
`resources` or the container). A quantity of the wrong type is treated as unset.

## Why it matters
Container logs, the writable layer and `emptyDir` volumes on the node's disk all count as
ephemeral storage. Without a limit one container can fill the node's disk, which makes the
kubelet evict pods and can stop the node from pulling images or writing logs at all.

## How to fix
Set `resources.limits.ephemeral-storage` (for example `1Gi`), and consider a matching
`resources.requests.ephemeral-storage` so the scheduler accounts for it.

## Differences from other tools
kube-score's check wants both a request and a limit; kubecomply asks for the limit, which is
what protects the node, and no other tool considers a LimitRange in the input.
"#;

const SPEC: Spec = Spec {
    section: "limits",
    name: "ephemeral-storage",
    noun: "ephemeral-storage",
    pod_level: false,
};

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    super::check(cx, obj, out, &SPEC);
}
