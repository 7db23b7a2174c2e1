//! KC-CTR-004 low-user-id.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{effective_i64, is_windows, missing};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-004",
        slug: "low-user-id",
        title: "Container runs with a low or unset UID",
        severity: Severity::Low,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_40"),
            reference("trivy", "KSV-0020"),
            reference("kube-score", "container-security-context-user-group-id"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
For every container, init container and ephemeral container, computes the effective
`runAsUser` (the container's `securityContext` wins, else the pod's `spec.securityContext`) and
fails when it is unset or lower than the `min_user_id` parameter (default `10000`; a UID equal
to the threshold passes). Values of the wrong type count as unset.

Two kinds of pods are skipped:

- pods with `spec.hostUsers: false`: they run in a user namespace, where container UIDs are
  remapped to an unprivileged range of the node, so a low UID inside cannot collide with a node
  user;
- pods with `spec.os.name: windows`, where `runAsUser` is forbidden (Windows uses
  `windowsOptions.runAsUserName`).

## Why it matters
UIDs below 10000 are where Linux distributions put real and system users. A container running
as, say, UID 1000 shares that identity with the node's first user: after an escape, or through a
hostPath or NFS mount, it can read and write that user's files. A high, dedicated UID owns
nothing on the node.

## How to fix
Set `runAsUser` (and `runAsGroup`) to a value of 10000 or more, at pod level or per container,
and build the image so that this user can read its files; or run the pod in a user namespace
with `hostUsers: false`. The threshold is configurable (`min_user_id`).

## Differences from other tools
The boundary differs between tools: Checkov (CKV_K8S_40) and kube-score accept 10000 itself,
Trivy (KSV-0020) requires a UID strictly above 10000. kubecomply follows the former (`>=`
the threshold) and additionally accepts user-namespaced pods, where the UID inside the container
is not the UID on the node.
"#;

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let min = cx.params.min_user_id;
    for t in obj.templates() {
        if is_windows(&t) || t.spec.field("hostUsers").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        for c in t.containers() {
            let who = format!("{} {:?}", c.kind.noun(), c.name);
            match effective_i64(&t, &c, "runAsUser") {
                Some((uid, _)) if uid >= min => {}
                Some((uid, pointer)) => out.fail_container(
                    &c,
                    pointer,
                    format!("{who} runs as UID {uid}, below {min}"),
                ),
                None => out.fail_container(
                    &c,
                    missing(obj, &t, &c, &["securityContext", "runAsUser"]),
                    format!("{who} does not set runAsUser (the image's user applies); use a UID of {min} or more"),
                ),
            }
        }
    }
}
