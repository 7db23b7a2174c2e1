//! KC-RBAC-105 unused-role.

use std::collections::HashSet;

use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Check, Rule, SINCE};
use crate::model::RoleKind;
use crate::review::Review;

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-RBAC-105",
    slug: "unused-role",
    title: "Role is bound to no one",
    severity: Severity::Info,
    category: Category::Rbac,
    since: SINCE,
    docs: DOCS,
    references: &[],
};

/// The rule.
pub(crate) static RULE: Rule = Rule {
    meta: &META,
    check: Check::Policy(check),
};

const DOCS: &str = r#"## What it checks
Fails for a Role or ClusterRole of the input that no RoleBinding or ClusterRoleBinding (of the
input or built in) refers to, and that no aggregated ClusterRole selects. ClusterRoles named
`system:...` are not reported, since control-plane components use them.

## Why it matters
Unused roles are clutter that hides real grants during review, and a ready-made set of
permissions for anyone who may create bindings.

## How to fix
Delete the role, or bind it if it was meant to be used.
"#;

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    let policy = &review.auth.policy;
    let mut used: HashSet<usize> = policy.bindings.iter().filter_map(|b| b.role).collect();
    for r in &policy.roles {
        if let Some(sels) = &r.aggregation {
            for (j, other) in policy.roles.iter().enumerate() {
                if other.kind == RoleKind::ClusterRole
                    && sels.iter().any(|s| s.matches(&other.labels))
                {
                    used.insert(j);
                }
            }
        }
    }
    for (i, r) in policy.roles.iter().enumerate() {
        let Some(obj) = r.object else { continue };
        if used.contains(&i) || (r.kind == RoleKind::ClusterRole && r.name.starts_with("system:")) {
            continue;
        }
        let what = match r.kind {
            RoleKind::Role => format!("Role {:?} of namespace {}", r.name, r.namespace),
            RoleKind::ClusterRole => format!("ClusterRole {:?}", r.name),
        };
        out.extend(review.finding(
            &META,
            obj,
            "/metadata/name".into(),
            format!("{what} is referred to by no binding and aggregated into no ClusterRole"),
        ));
    }
}
