//! KC-RBAC-007 rbac-impersonate.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-007",
        slug: "rbac-impersonate",
        title: "Role or ClusterRole grants impersonation",
        severity: Severity::High,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV2_K8S_3"),
            reference("kubescape", "C-0065"),
            reference("kubescape", "C-0191"),
            reference("trivy", "KSV-0043"),
            reference("cis", "5.1.8"),
        ],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `impersonate` (or `*`) on `users`,
`groups` or `serviceaccounts` in the core API group, or on `uids` or any `userextras/<key>` in
`authentication.k8s.io`. Wildcards in `apiGroups`, `resources` and `verbs` count, and so does
`*/<key>` for user extras. Rules restricted by `resourceNames` are still reported (they limit
whom the subject can become, which the message cannot judge). Aggregated ClusterRoles' own
`rules` are ignored.

## Why it matters
Impersonation lets a request act as another user, group or ServiceAccount
(`kubectl --as`/`--as-group`). Anyone who can impersonate `system:masters` or an administrator
holds their full rights, and the audit log records the impersonated identity's actions.

## How to fix
Remove `impersonate` from application and CI roles. If a proxy or gateway really needs it, limit
it with `resourceNames` to the identities it must assume and never include privileged groups.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let found = grants(
        obj,
        &[
            want("", "users"),
            want("", "groups"),
            want("", "serviceaccounts"),
            want("authentication.k8s.io", "uids"),
            want("authentication.k8s.io", "userextras/*"),
        ],
        &["impersonate"],
        false,
    );
    fail_grants(
        obj,
        out,
        found,
        "its subjects can act as other identities, including more privileged ones",
    );
}
