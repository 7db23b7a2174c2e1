//! KC-RBAC-104 binding-service-account-missing.

use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Check, Rule, SINCE, role_desc};
use crate::model::{Subject, SubjectKind};
use crate::review::{BindingView, Review};

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-RBAC-104",
    slug: "binding-service-account-missing",
    title: "Binding names a ServiceAccount that does not exist",
    severity: Severity::Low,
    category: Category::Rbac,
    since: SINCE,
    docs: DOCS,
    references: &[],
};

/// The rule.
pub(crate) static RULE: Rule = Rule {
    meta: &META,
    check: Check::Subject(check),
};

const DOCS: &str = r#"## What it checks
Fails for a ServiceAccount subject of a binding when the input has ServiceAccount objects in the
subject's namespace but not that one. Namespaces of which the input has no ServiceAccount at all
are not judged, and the `default` ServiceAccount, which the cluster creates in every namespace,
is never reported.

## Why it matters
Whoever creates a ServiceAccount of that name later inherits the permissions, which is an easy
way to obtain them for anyone allowed to create ServiceAccounts in the namespace.

## How to fix
Remove the subject from the binding, or create the ServiceAccount it was meant for.
"#;

fn check(review: &Review<'_>, b: &BindingView<'_>, si: usize, s: &Subject, out: &mut Vec<Finding>) {
    if s.kind != SubjectKind::ServiceAccount || s.name == "default" {
        return;
    }
    let Some(ns) = &s.namespace else {
        return;
    };
    let accounts = review.accounts;
    // An input without ServiceAccounts of the namespace says nothing about which exist there.
    if !accounts.namespaces_with_sa_objects.contains(ns)
        || accounts
            .service_accounts
            .get(&(ns.clone(), s.name.clone()))
            .is_some_and(|sa| sa.object.is_some())
    {
        return;
    }
    let binding = b.binding;
    out.extend(review.finding(
        &META,
        b.object,
        format!("/subjects/{si}"),
        format!(
            "{} {:?} grants {} to ServiceAccount {ns}/{}, which the input does not define although it defines ServiceAccounts of namespace {ns}",
            binding.kind.as_str(),
            binding.name,
            role_desc(binding),
            s.name
        ),
    ));
}
