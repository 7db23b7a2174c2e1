//! KC-RBAC-101 effective-cluster-admin.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Check, Rule, SINCE, role_desc};
use crate::model::Subject;
use crate::review::{BindingView, Review, is_system_subject};

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-RBAC-101",
    slug: "effective-cluster-admin",
    title: "Subject holds cluster-admin-equivalent power",
    severity: Severity::Critical,
    category: Category::Rbac,
    since: SINCE,
    docs: DOCS,
    references: &[reference("cis", "5.1.1"), reference("kubescape", "C-0035")],
};

/// The rule.
pub(crate) static RULE: Rule = Rule {
    meta: &META,
    check: Check::Subject(check),
};

const DOCS: &str = r#"## What it checks
Resolves every ClusterRoleBinding to its ClusterRole, including aggregated ClusterRoles (whose
rules are the union of the ClusterRoles their selectors pick) and the built-in roles that exist
in every cluster, and fails for each subject that is thereby allowed every verb (`*`) on every
resource (`*`) of every API group (`*`) in every namespace. The role's name does not matter: a
custom `superuser` role with wildcards counts as much as `cluster-admin`. The group
`system:masters`, other `system:` users and groups of the control plane, and ServiceAccounts of
`kube-system` are not reported. A RoleBinding to such a role is limited to its namespace and is
not reported here.

## Why it matters
Such a subject can read every Secret, run any pod on any node, change any RBAC object and
therefore do anything. A leaked credential of it is a lost cluster.

## How to fix
Grant the verbs and resources the subject needs, in the namespaces it needs them, with Roles and
RoleBindings. Keep cluster-wide administrative power for a small break-glass group.

## Differences from other tools
Trivy's KSV-0111 (like kubecomply's KC-RBAC-012) looks at the name in `roleRef`: it reports
ClusterRoleBindings and RoleBindings to `cluster-admin`, so it misses a custom or aggregated
ClusterRole that allows the same, and it reports a RoleBinding whose power ends at its
namespace. This rule judges what the bound role allows and reports ClusterRoleBindings only.
"#;

fn check(review: &Review<'_>, b: &BindingView<'_>, si: usize, s: &Subject, out: &mut Vec<Finding>) {
    let Some(ri) = b.full_power_rule() else {
        return;
    };
    if is_system_subject(s) {
        return;
    }
    let binding = b.binding;
    out.extend(review.finding(
        &META,
        b.object,
        format!("/subjects/{si}"),
        format!(
            "{} {:?} gives {} every verb on every resource in every namespace through {} (rule {ri})",
            binding.kind.as_str(),
            binding.name,
            s.display(),
            role_desc(binding)
        ),
    ));
}
