//! KC-RBAC-014 anonymous-or-all-users-binding.

use kubecomply_core::rule::reference;
use kubecomply_core::value::str_at;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{BINDING_KINDS, role_ref, subjects};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-014",
        slug: "anonymous-or-all-users-binding",
        title: "Binding grants a role to anonymous or to all authenticated users",
        severity: Severity::Critical,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("kubescape", "C-0262"),
            reference("trivy", "KSV-0122"),
        ],
    },
    target: Target::Kinds(BINDING_KINDS),
    reads: &[],
    check,
};

/// Built-in ClusterRoleBindings that grant discovery and public information to everyone.
const BUILT_IN: &[&str] = &[
    "system:public-info-viewer",
    "system:discovery",
    "system:basic-user",
];

const DOCS: &str = r#"## What it checks
Fails for every subject of a RoleBinding or ClusterRoleBinding that is the user
`system:anonymous`, the group `system:unauthenticated` or the group `system:authenticated`.
The ClusterRoleBindings that Kubernetes itself creates for these groups pass:
`system:public-info-viewer`, `system:discovery` and `system:basic-user`, recognised by their
name **and** a `roleRef` to the ClusterRole of the same name (a binding that merely borrows one
of these names but points at another role is reported).

## Why it matters
`system:anonymous` and `system:unauthenticated` are whoever can reach the API server without
credentials, on many clusters the whole internet. `system:authenticated` is every identity the
cluster knows: every ServiceAccount of every namespace and, on managed clusters, sometimes
every account of the cloud provider. A role bound to them is granted to attackers first.

## How to fix
Bind the role to the specific users, groups or ServiceAccounts that need it.

## Differences from other tools
Trivy's KSV-0122 compares only subject names and does not look at `system:authenticated`;
kubecomply also checks the subject kind, so a ServiceAccount that happens to be named
`system:anonymous` is not confused with the anonymous user.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    if obj.kind == "ClusterRoleBinding"
        && BUILT_IN.contains(&obj.name.as_str())
        && str_at(&obj.value, &["roleRef", "kind"]) == Some("ClusterRole")
        && str_at(&obj.value, &["roleRef", "name"]) == Some(obj.name.as_str())
    {
        return;
    }
    for (i, kind, name, _) in subjects(obj) {
        let who = match (kind, name) {
            ("User", "system:anonymous") => "every unauthenticated request",
            ("Group", "system:unauthenticated") => "every unauthenticated request",
            ("Group", "system:authenticated") => {
                "every authenticated identity, all ServiceAccounts included"
            }
            _ => continue,
        };
        out.fail(
            format!("/subjects/{i}"),
            format!(
                "{} {:?} grants {} to {kind} {name:?}, that is to {who}",
                obj.kind,
                obj.name,
                role_ref(obj)
            ),
        );
    }
}
