//! KC-RBAC-013 default-service-account-binding.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{BINDING_KINDS, role_ref, subjects};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-013",
        slug: "default-service-account-binding",
        title: "Binding grants a role to a default ServiceAccount",
        severity: Severity::Medium,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_42"),
            reference("kubescape", "C-0189"),
            reference("cis", "5.1.5"),
        ],
    },
    target: Target::Kinds(BINDING_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every subject of a RoleBinding or ClusterRoleBinding that is the ServiceAccount named
`default` (`kind: ServiceAccount`, `name: default`), in any namespace. The same identity written
as a user, `kind: User` with name `system:serviceaccount:<namespace>:default`, is reported too.
Groups such as `system:serviceaccounts:<namespace>` include the default ServiceAccount but also
every other one, and are not reported by this rule.

## Why it matters
Every pod that does not name a ServiceAccount runs as `default`. Permissions given to it are
therefore given to every such pod in the namespace, including ones deployed later by people
who never asked for them.

## How to fix
Create a dedicated ServiceAccount for the workload that needs the permissions, bind the role to
it and set `serviceAccountName` in that workload.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for (i, kind, name, ns) in subjects(obj) {
        let namespace = match kind {
            "ServiceAccount" if name == "default" => Some(ns),
            "User" => name
                .strip_prefix("system:serviceaccount:")
                .and_then(|rest| rest.strip_suffix(":default"))
                .filter(|n| !n.is_empty() && !n.contains(':')),
            _ => None,
        };
        let Some(namespace) = namespace else { continue };
        let whose = if namespace.is_empty() {
            String::new()
        } else {
            format!(" of namespace {namespace:?}")
        };
        let role = role_ref(obj);
        out.fail(
            format!("/subjects/{i}"),
            format!(
                "{} {:?} grants {role} to the default ServiceAccount{whose}, which every pod without serviceAccountName uses",
                obj.kind, obj.name
            ),
        );
    }
}
