//! KC-RBAC-012 cluster-admin-binding.

use kubecomply_core::rule::reference;
use kubecomply_core::value::str_at;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{BINDING_KINDS, subject_label, subjects};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-012",
        slug: "cluster-admin-binding",
        title: "Binding grants the cluster-admin ClusterRole",
        severity: Severity::Critical,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0035"),
            reference("kubescape", "C-0185"),
            reference("polaris", "clusterrolebindingClusterAdmin"),
            reference("polaris", "rolebindingClusterAdminClusterRole"),
            reference("kube-linter", "cluster-admin-role-binding"),
            reference("cis", "5.1.1"),
        ],
    },
    target: Target::Kinds(BINDING_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every subject of a ClusterRoleBinding or RoleBinding whose `roleRef` is the
ClusterRole `cluster-admin` (`roleRef.kind: ClusterRole`, `roleRef.name: cluster-admin`,
compared exactly), except the group `system:masters`, which the built-in binding uses and which
holds every permission regardless of RBAC. A RoleBinding to `cluster-admin` is reported too: it
makes the subject an unrestricted administrator of that namespace, able to change its RBAC and
read all of its Secrets. A binding without subjects grants nothing and passes.

## Why it matters
`cluster-admin` allows every verb on every resource. A ServiceAccount bound to it turns any
compromise of the pods that use it into a compromise of the whole cluster; a user or group bound
to it bypasses every other control this tool checks.

## How to fix
Bind a role that lists what the subject needs (the built-in `admin`, `edit` or `view`
ClusterRoles through a namespaced RoleBinding, or a custom role). Keep `cluster-admin` for
break-glass access.

## Differences from other tools
Polaris also flags roles with wildcard permissions under this check; kubecomply reports
wildcards separately as `rbac-wildcard`.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let kind = str_at(&obj.value, &["roleRef", "kind"]);
    let name = str_at(&obj.value, &["roleRef", "name"]);
    if kind != Some("ClusterRole") || name != Some("cluster-admin") {
        return;
    }
    let scope = match (&*obj.kind, &obj.namespace) {
        ("RoleBinding", Some(ns)) => format!(" in namespace {ns:?}"),
        ("RoleBinding", None) => " in its namespace".to_string(),
        _ => " cluster-wide".to_string(),
    };
    for (i, kind, name, ns) in subjects(obj) {
        if kind == "Group" && name == "system:masters" {
            continue;
        }
        out.fail(
            format!("/subjects/{i}"),
            format!(
                "{} {:?} grants cluster-admin{scope} to {}",
                obj.kind,
                obj.name,
                subject_label(kind, name, ns)
            ),
        );
    }
}
