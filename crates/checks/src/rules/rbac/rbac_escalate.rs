//! KC-RBAC-006 rbac-escalate.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{RBAC_GROUP, ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-006",
        slug: "rbac-escalate",
        title: "Role or ClusterRole grants the escalate verb on roles",
        severity: Severity::High,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_158"),
            reference("kubescape", "C-0191"),
            reference("cis", "5.1.8"),
        ],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `escalate` on `roles` or
`clusterroles` in the `rbac.authorization.k8s.io` API group (wildcards count). Aggregated
ClusterRoles' own `rules` are ignored.

## Why it matters
The API server normally refuses to create or update a Role that grants more than its author
holds. `escalate` lifts that restriction: a subject that can also update a role it is bound to
can add any permission to it, up to full control of the cluster.

## How to fix
Remove `escalate`. Role management belongs to cluster administrators or to a GitOps controller
whose own privileges are already those of an administrator.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let found = grants(
        obj,
        &[want(RBAC_GROUP, "roles"), want(RBAC_GROUP, "clusterroles")],
        &["escalate"],
        false,
    );
    fail_grants(
        obj,
        out,
        found,
        "its subjects can write roles granting permissions they do not hold",
    );
}
