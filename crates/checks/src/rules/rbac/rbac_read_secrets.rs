//! KC-RBAC-002 rbac-read-secrets.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-002",
        slug: "rbac-read-secrets",
        title: "Role or ClusterRole can read Secrets",
        severity: Severity::High,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV2_K8S_5"),
            reference("kubescape", "C-0015"),
            reference("kubescape", "C-0186"),
            reference("trivy", "KSV-0041"),
            reference("kube-linter", "access-to-secrets"),
            reference("cis", "5.1.2"),
        ],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `get`, `list` or `watch` on `secrets`
in the core API group, matching the way the RBAC authorizer does: `apiGroups` holding `""` or
`*`, `resources` holding `secrets` or `*`, `verbs` holding the verb or `*`. Rules restricted by
`resourceNames` pass: they expose only the named Secrets, which is the recommended way to give
an application its own credentials. The role is reported whether or not a binding for it is in
the input. Aggregated ClusterRoles' own `rules` are ignored (the controller rewrites them).

## Why it matters
`list` and `watch` return the full objects, values included, so "only listing" Secrets is reading
all of them: database passwords, registry credentials, TLS keys and the tokens of other
ServiceAccounts, which often lead straight to more privilege.

## How to fix
Mount the Secrets a workload needs as volumes or environment variables instead of reading them
through the API. If the API is needed, restrict the rule with `resourceNames` to the Secrets in
question and grant only `get`.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let found = grants(obj, &[want("", "secrets")], &["get", "list", "watch"], true);
    fail_grants(
        obj,
        out,
        found,
        "its subjects can read the values of every Secret in scope",
    );
}
