//! KC-RBAC-015 rbac-pv-create.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-015",
        slug: "rbac-pv-create",
        title: "Role or ClusterRole can create PersistentVolumes",
        severity: Severity::Medium,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("cis", "5.1.9")],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `create` on `persistentvolumes` in the
core API group (wildcards count). PersistentVolumes are cluster-scoped, so a namespaced Role
granting this has no effect; it is reported anyway because the same rules are often copied into
a ClusterRole. Aggregated ClusterRoles' own `rules` are ignored.

## Why it matters
A PersistentVolume can be a `hostPath` volume. Pod-level controls (Pod Security admission's
`baseline` level, policies on `spec.volumes[].hostPath`) do not look at PersistentVolumes, so a
subject that can create one and claim it mounts any directory of the node, such as `/` or the
container runtime socket, into an otherwise compliant pod.

## How to fix
Let a CSI driver's dynamic provisioning create PersistentVolumes through StorageClasses; grant
`create` on `persistentvolumes` only to storage administrators.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let found = grants(obj, &[want("", "persistentvolumes")], &["create"], false);
    fail_grants(
        obj,
        out,
        found,
        "its subjects can create hostPath volumes that bypass pod-level hostPath controls",
    );
}
