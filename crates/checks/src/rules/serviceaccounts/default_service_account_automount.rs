//! KC-SA-004 default-service-account-automount.

use kubecomply_core::value::Field;

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-SA-004",
        slug: "default-service-account-automount",
        title: "Default ServiceAccount mounts its token automatically",
        severity: Severity::Medium,
        category: Category::ServiceAccounts,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_41"),
            reference("kubescape", "C-0189"),
            reference("cis", "5.1.5"),
        ],
    },
    target: Target::Kinds(&["ServiceAccount"]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every ServiceAccount named `default` whose top-level `automountServiceAccountToken`
is not `false` (unset, `true`, or a value of the wrong type). Other ServiceAccounts are not
checked here. The finding points at `automountServiceAccountToken` when present, else at the
object.

## Why it matters
Every pod that does not choose a ServiceAccount runs as `default`, and unless its pod spec says
otherwise it gets the token mounted. Disabling automounting on `default` makes the safe choice
the default for the whole namespace; workloads that need the API then get their own
ServiceAccount.

## How to fix
Manage the `default` ServiceAccount of each namespace and set
`automountServiceAccountToken: false` on it.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    if obj.name != "default" {
        return;
    }
    match obj.value.field("automountServiceAccountToken") {
        Some(v) if v.as_bool() == Some(false) => {}
        Some(v) => out.fail(
            "/automountServiceAccountToken",
            format!("ServiceAccount \"default\" sets automountServiceAccountToken to {v} instead of false"),
        ),
        None => out.fail(
            "",
            "ServiceAccount \"default\" does not set automountServiceAccountToken: false",
        ),
    }
}
