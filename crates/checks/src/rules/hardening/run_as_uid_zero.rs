//! KC-CTR-003 run-as-uid-zero.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{effective_bool, effective_i64};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-003",
        slug: "run-as-uid-zero",
        title: "Container explicitly runs as UID 0",
        severity: Severity::High,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("trivy", "KSV-0105"),
            reference("kube-linter", "run-as-non-root"),
            reference("pss", "restricted/runAsUser"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
For every container, init container and ephemeral container, fails when the effective
`runAsUser` (the container's `securityContext` wins, else the pod's `spec.securityContext`) is
explicitly `0`. The finding points at the field that sets it, which may be the pod-level one.

It fails even when `runAsNonRoot: true` is also in effect: that combination is contradictory and
the kubelet refuses to start the container (`CreateContainerConfigError`), which the message
points out. An unset `runAsUser` is not reported here (see `run-as-root-allowed`).

## Why it matters
`runAsUser: 0` asks for root in so many words: the container's processes run with UID 0, the
node's root user unless the pod runs in a user namespace, which turns any escape or writable
host mount into full node compromise.

## How to fix
Set `runAsUser` to a non-zero UID that owns the files the application needs (ideally 10000 or
above, see `low-user-id`), or remove it and set `runAsNonRoot: true` with an image that declares
a non-root `USER`.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            let Some((0, pointer)) = effective_i64(&t, &c, "runAsUser") else {
                continue;
            };
            let contradiction = if matches!(effective_bool(&t, &c, "runAsNonRoot"), Some((true, _)))
            {
                " while runAsNonRoot is true, so the kubelet will refuse to start it"
            } else {
                ""
            };
            out.fail_container(
                &c,
                pointer,
                format!(
                    "{} {:?} runs as UID 0 (runAsUser=0){}",
                    c.kind.noun(),
                    c.name,
                    contradiction
                ),
            );
        }
    }
}
