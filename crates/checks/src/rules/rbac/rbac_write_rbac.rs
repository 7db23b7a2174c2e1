//! KC-RBAC-017 rbac-write-rbac.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-017",
        slug: "rbac-write-rbac",
        title: "Role or ClusterRole can change RBAC objects",
        severity: Severity::High,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("kubescape", "C-0191"), reference("nsa", "rbac")],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `create`, `update`, `patch`, `delete`
or `deletecollection` (or `*`) on `roles`, `clusterroles`, `rolebindings` or
`clusterrolebindings` in the `rbac.authorization.k8s.io` API group (wildcard groups and resources
count). Rules limited by `resourceNames` are reported too: changing one named binding is enough
to add a subject to it. Aggregated ClusterRoles' own `rules` are ignored. The `bind` and
`escalate` verbs have their own rules (`rbac-bind`, `rbac-escalate`).

## Why it matters
Kubernetes stops a subject from granting permissions it does not hold, unless it also has `bind`
or `escalate`; but writing bindings still lets it hand its own permissions to any other
identity (a ServiceAccount it controls, an outside user), and deleting bindings is a denial of
service on the cluster's access control. Auditors expect changes to access control to be limited
to administrators (PCI DSS 7.2, SOC 2 CC6.3).

## How to fix
Keep write access to RBAC objects with cluster administrators and the deployment pipeline; give
teams the built-in `admin` role in their namespaces instead of custom write access to bindings.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    const GROUP: &str = "rbac.authorization.k8s.io";
    let found = grants(
        obj,
        &[
            want(GROUP, "roles"),
            want(GROUP, "clusterroles"),
            want(GROUP, "rolebindings"),
            want(GROUP, "clusterrolebindings"),
        ],
        &["create", "update", "patch", "delete", "deletecollection"],
        false,
    );
    fail_grants(
        obj,
        out,
        found,
        "its subjects can change who holds which permissions",
    );
}
