//! KC-RBAC-005 rbac-bind.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{RBAC_GROUP, ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-005",
        slug: "rbac-bind",
        title: "Role or ClusterRole grants the bind verb on roles",
        severity: Severity::High,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_157"),
            reference("checkov", "CKV2_K8S_1"),
            reference("kubescape", "C-0191"),
            reference("cis", "5.1.8"),
        ],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `bind` on `roles` or `clusterroles` in
the `rbac.authorization.k8s.io` API group (wildcards in `apiGroups`, `resources` and `verbs`
count). Rules restricted by `resourceNames` are still reported, because the message cannot
tell whether the named roles are harmless; review them and record an exception. Aggregated
ClusterRoles' own `rules` are ignored.

## Why it matters
The API server normally refuses a RoleBinding that grants more than its creator holds. `bind`
switches that check off for the roles it covers: together with permission to create bindings,
a subject can give itself, or any ServiceAccount it controls, every permission of those roles,
including `cluster-admin`.

## How to fix
Remove `bind`. Where a controller must create bindings (for example a namespace provisioner),
restrict `bind` with `resourceNames` to the specific, limited roles it hands out.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let found = grants(
        obj,
        &[want(RBAC_GROUP, "roles"), want(RBAC_GROUP, "clusterroles")],
        &["bind"],
        false,
    );
    fail_grants(
        obj,
        out,
        found,
        "its subjects can bind roles with more permissions than they hold",
    );
}
