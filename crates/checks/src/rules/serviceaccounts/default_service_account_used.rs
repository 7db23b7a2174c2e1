//! KC-SA-002 default-service-account-used.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::service_account;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-SA-002",
        slug: "default-service-account-used",
        title: "Pod runs as the default service account",
        severity: Severity::Low,
        category: Category::ServiceAccounts,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0189"),
            reference("kube-linter", "default-service-account"),
            reference("cis", "5.1.5"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every pod template that runs as the ServiceAccount `default`: explicitly
(`serviceAccountName: default`, or the deprecated `serviceAccount: default` when
`serviceAccountName` is unset) or implicitly (neither is set, or both are empty). The finding
points at the field that names `default`, else at the pod spec. Whether the token is mounted is
not considered here; `service-account-token-automount` covers that.

## Why it matters
Every workload of a namespace that does not choose an identity shares `default`. Any
permission granted to it, by RBAC or by a cloud workload-identity binding, is granted to all of
them at once, and audit logs cannot tell them apart.

## How to fix
Create a ServiceAccount per workload (`automountServiceAccountToken: false` unless it needs the
API) and set `serviceAccountName` to it.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        let sa = service_account(&t);
        if sa.name != "default" {
            continue;
        }
        match sa.pointer {
            Some(p) => out.fail(p, "pod explicitly runs as the ServiceAccount \"default\""),
            None => out.fail(
                t.spec_pointer(),
                "pod sets no serviceAccountName, so it runs as the ServiceAccount \"default\"",
            ),
        }
    }
}
