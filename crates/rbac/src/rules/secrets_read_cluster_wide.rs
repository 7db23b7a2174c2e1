//! KC-RBAC-107 secrets-read-cluster-wide.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Check, Rule, SINCE, role_desc};
use crate::model::{BindingKind, Subject};
use crate::review::{BindingView, Review, is_system_subject};

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-RBAC-107",
    slug: "secrets-read-cluster-wide",
    title: "Subject can read Secrets cluster-wide or in kube-system",
    severity: Severity::High,
    category: Category::Rbac,
    since: SINCE,
    docs: DOCS,
    references: &[reference("cis", "5.1.2")],
};

/// The rule.
pub(crate) static RULE: Rule = Rule {
    meta: &META,
    check: Check::Subject(check),
};

const DOCS: &str = r#"## What it checks
Fails for each subject of a ClusterRoleBinding whose (possibly aggregated) ClusterRole allows
`get`, `list` or `watch` on `secrets` of every name, and for each subject of a RoleBinding in
`kube-system` whose role does. Rules limited by `resourceNames` allow `get` of those names only
and are not reported. Control-plane subjects are not reported.

## Why it matters
Secrets hold credentials; `kube-system` holds the control plane's. Reading them cluster-wide is
usually one step from any other identity in the cluster.

## How to fix
Limit Secret access to the namespaces and names that are needed, with Roles and RoleBindings.
"#;

fn check(review: &Review<'_>, b: &BindingView<'_>, si: usize, s: &Subject, out: &mut Vec<Finding>) {
    // A subject with every permission is KC-RBAC-101's; reading Secrets is the least of it.
    let Some(ri) = b.secret_read_rule() else {
        return;
    };
    if b.full_power_rule().is_some() || is_system_subject(s) {
        return;
    }
    let binding = b.binding;
    let scope = match binding.kind {
        BindingKind::ClusterRoleBinding => "in every namespace",
        BindingKind::RoleBinding => "in namespace kube-system",
    };
    out.extend(review.finding(
        &META,
        b.object,
        format!("/subjects/{si}"),
        format!(
            "{} {:?} lets {} read Secrets {scope} through {} (rule {ri})",
            binding.kind.as_str(),
            binding.name,
            s.display(),
            role_desc(binding)
        ),
    ));
}
