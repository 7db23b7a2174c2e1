//! KC-RBAC-008 rbac-webhook-config-write.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-008",
        slug: "rbac-webhook-config-write",
        title: "Role or ClusterRole can change admission webhook configurations",
        severity: Severity::High,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_155"),
            reference("cis", "5.1.12"),
        ],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const ADMISSION: &str = "admissionregistration.k8s.io";

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `create`, `update`, `patch`, `delete`
or `deletecollection` on `validatingwebhookconfigurations` or `mutatingwebhookconfigurations`
in the `admissionregistration.k8s.io` API group (wildcards count). Read access passes.
Admission policies (`validatingadmissionpolicies`, `mutatingadmissionpolicies`) are not covered
by this rule. Aggregated ClusterRoles' own `rules` are ignored.

## Why it matters
Admission webhooks see, and mutating webhooks may rewrite, every object sent to the API server,
Secrets included. Whoever can register a webhook can inject containers or credentials into
new pods or capture Secrets; whoever can delete or weaken one can switch off the policy
engine that enforces your other controls.

## How to fix
Leave webhook configuration to cluster administrators and to the controllers that own the
webhooks (cert-manager, policy engines), and restrict those with `resourceNames` to their own
configurations.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let found = grants(
        obj,
        &[
            want(ADMISSION, "validatingwebhookconfigurations"),
            want(ADMISSION, "mutatingwebhookconfigurations"),
        ],
        &["create", "update", "patch", "delete", "deletecollection"],
        false,
    );
    fail_grants(
        obj,
        out,
        found,
        "its subjects can intercept, rewrite or stop admission of every API request",
    );
}
