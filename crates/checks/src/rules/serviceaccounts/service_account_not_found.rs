//! KC-SA-003 service-account-not-found.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::service_account;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-SA-003",
        slug: "service-account-not-found",
        title: "Pod names a ServiceAccount that is not defined",
        severity: Severity::Low,
        category: Category::ServiceAccounts,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0307"),
            reference("kube-linter", "non-existent-service-account"),
        ],
    },
    target: Target::PodTemplates,
    reads: &["ServiceAccount"],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every pod template whose `serviceAccountName` (else the deprecated `serviceAccount`)
names a ServiceAccount that is not in the input, in the object's namespace (an object without a
namespace matches ServiceAccounts without one).

It only reports when the input defines at least one ServiceAccount in that same namespace: if
it defines none, the ServiceAccounts are evidently managed elsewhere (another chart, a
platform team) and their absence says nothing. The name `default` is never reported, because
Kubernetes creates that ServiceAccount in every namespace. The finding points at the field that
names the ServiceAccount.

## Why it matters
Pods that name a missing ServiceAccount are refused at admission, so the controller keeps
failing to create them. Usually the name is a typo, or the ServiceAccount was renamed in one
file and not in the other.

## How to fix
Correct the name, or add the ServiceAccount to the manifests.
"#;

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let ns = obj.namespace.as_deref().unwrap_or("");
    let mut any_in_ns = None;
    for t in obj.templates() {
        let sa = service_account(&t);
        let Some(pointer) = sa.pointer else { continue };
        if sa.name == "default" || cx.inventory.get("ServiceAccount", ns, &sa.name).is_some() {
            continue;
        }
        let any = *any_in_ns.get_or_insert_with(|| {
            cx.inventory
                .in_namespace("ServiceAccount", ns)
                .next()
                .is_some()
        });
        if !any {
            continue;
        }
        let where_ = if ns.is_empty() {
            "without a namespace".to_string()
        } else {
            format!("in namespace {ns:?}")
        };
        out.fail(
            pointer,
            format!("ServiceAccount {:?} is not defined in the input, which defines other ServiceAccounts {where_}", sa.name),
        );
    }
}
