//! KC-RBAC-102 service-account-group-grant.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Check, Rule, SINCE, role_desc};
use crate::model::{Subject, SubjectKind};
use crate::review::{BindingView, Review};

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-RBAC-102",
    slug: "service-account-group-grant",
    title: "Binding grants permissions to every ServiceAccount, default ones included",
    severity: Severity::Medium,
    category: Category::Rbac,
    since: SINCE,
    docs: DOCS,
    references: &[reference("cis", "5.1.5")],
};

/// The rule.
pub(crate) static RULE: Rule = Rule {
    meta: &META,
    check: Check::Subject(check),
};

const DOCS: &str = r#"## What it checks
Fails for a subject of a RoleBinding or ClusterRoleBinding that is the group
`system:serviceaccounts` (every ServiceAccount of the cluster) or
`system:serviceaccounts:<namespace>` (every ServiceAccount of a namespace), when the bound role
exists and has at least one rule. Every namespace's `default` ServiceAccount is in these groups,
so every pod that names no ServiceAccount gets the permissions. Binding the `default`
ServiceAccount by name is KC-RBAC-013.

## Why it matters
The grant reaches identities nobody chose: the ServiceAccount of every pod, present and future,
in the namespace (or cluster), including pods that run untrusted code.

## How to fix
Bind the role to the ServiceAccounts that need it, by name.
"#;

fn check(review: &Review<'_>, b: &BindingView<'_>, si: usize, s: &Subject, out: &mut Vec<Finding>) {
    if s.kind != SubjectKind::Group
        || !(s.name == "system:serviceaccounts" || s.name.starts_with("system:serviceaccounts:"))
        || b.rules.is_empty()
    {
        return;
    }
    let whose = match s.name.strip_prefix("system:serviceaccounts:") {
        Some(ns) => {
            format!("every ServiceAccount of namespace {ns}, its default ServiceAccount included")
        }
        None => {
            "every ServiceAccount of the cluster, every namespace's default ServiceAccount included"
                .to_string()
        }
    };
    let binding = b.binding;
    out.extend(review.finding(
        &META,
        b.object,
        format!("/subjects/{si}"),
        format!(
            "{} {:?} grants {} to group {}: {whose}",
            binding.kind.as_str(),
            binding.name,
            role_desc(binding),
            s.name
        ),
    ));
}
