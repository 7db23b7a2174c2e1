//! KC-RBAC-103 binding-role-missing.

use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Check, Rule, SINCE};
use crate::model::BindingKind;
use crate::review::{BindingView, Review};

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-RBAC-103",
    slug: "binding-role-missing",
    title: "Binding refers to a role that does not exist",
    severity: Severity::Medium,
    category: Category::Rbac,
    since: SINCE,
    docs: DOCS,
    references: &[],
};

/// The rule.
pub(crate) static RULE: Rule = Rule {
    meta: &META,
    check: Check::Binding(check),
};

const DOCS: &str = r#"## What it checks
Fails for a RoleBinding or ClusterRoleBinding whose `roleRef` names a Role (in the binding's
namespace) or ClusterRole that is neither in the input nor one of the built-in ClusterRoles every
cluster has, or whose `roleRef.kind` is neither `Role` nor `ClusterRole` (a ClusterRoleBinding
can only refer to a ClusterRole). A ClusterRole named `system:...` that is not in the input is
not reported: Kubernetes creates dozens of such roles (controllers, nodes, add-ons) and
kubecomply models only the bootstrap roles that grant notable power.

## Why it matters
The binding grants nothing today, but anyone who later creates a role of that name decides what
its subjects may do, perhaps without knowing the binding exists. It is also a sign of a role that
was renamed or deleted while its bindings were left behind.

## How to fix
Delete the binding, or create the role it refers to, deliberately.
"#;

fn check(review: &Review<'_>, view: &BindingView<'_>, out: &mut Vec<Finding>) {
    let b = view.binding;
    if b.role.is_some() {
        return;
    }
    // Kubernetes ships many more `system:` ClusterRoles (controllers, nodes, add-ons) than the
    // bootstrap set modelled here; a binding to an unknown `system:` ClusterRole is most likely
    // to one of those, so it is not reported (no false positive).
    if b.role_ref_kind == "ClusterRole" && b.role_ref_name.starts_with("system:") {
        return;
    }
    let known_kind = matches!(
        (b.role_ref_kind.as_str(), b.kind),
        ("ClusterRole", _) | ("Role", BindingKind::RoleBinding)
    );
    let (pointer, message) = if known_kind {
        (
            "/roleRef/name",
            format!(
                "{} {:?} refers to {} {:?}, which exists neither in the input nor among the built-in roles",
                b.kind.as_str(),
                b.name,
                b.role_ref_kind,
                b.role_ref_name
            ),
        )
    } else {
        (
            "/roleRef/kind",
            format!(
                "{} {:?} has roleRef kind {:?}, which a {} cannot refer to",
                b.kind.as_str(),
                b.name,
                b.role_ref_kind,
                b.kind.as_str()
            ),
        )
    };
    out.extend(review.finding(&META, view.object, pointer.into(), message));
}
