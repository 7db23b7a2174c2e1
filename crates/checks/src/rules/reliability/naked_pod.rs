//! KC-REL-003 naked-pod.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::pointer::nearest_existing;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-REL-003",
        slug: "naked-pod",
        title: "Pod is not managed by a controller",
        severity: Severity::Low,
        category: Category::Reliability,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("kubescape", "C-0073")],
    },
    target: Target::Kinds(&["Pod"]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every object of kind `Pod` whose `metadata.ownerReferences` is missing or an empty
list. Any owner reference counts, whatever its kind. Pod templates inside Deployments, Jobs and
other controllers are not Pods and are not checked.

Static pod manifests (the files the kubelet reads from its manifest directory) are bare Pods by
design; exclude them with an exception when you scan them.

## Why it matters
Nothing recreates a bare Pod: when its node fails, is drained or is upgraded, the Pod is gone
for good. It also gets none of the rollout, rollback and scaling behaviour of a controller.

## How to fix
Run the pod from a Deployment (or a StatefulSet, DaemonSet or Job, depending on what it does)
and put the pod spec in its `template`.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let owned = obj
        .value
        .field("metadata")
        .and_then(|m| m.field("ownerReferences"))
        .and_then(Value::as_array)
        .is_some_and(|a| !a.is_empty());
    if !owned {
        let pointer = nearest_existing(&obj.value, "/metadata/ownerReferences").to_string();
        out.fail(
            pointer,
            format!(
                "Pod {:?} has no ownerReferences: no controller recreates it if its node goes away",
                obj.name
            ),
        );
    }
}
