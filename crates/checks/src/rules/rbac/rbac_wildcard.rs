//! KC-RBAC-001 rbac-wildcard.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, entries, policy_rules, role_label};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-001",
        slug: "rbac-wildcard",
        title: "Role or ClusterRole grants through a wildcard",
        severity: Severity::High,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_49"),
            reference("kubescape", "C-0187"),
            reference("trivy", "KSV-0044"),
            reference("trivy", "KSV-0045"),
            reference("trivy", "KSV-0046"),
            reference("kube-linter", "wildcard-in-rules"),
            reference("cis", "5.1.3"),
        ],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole whose `apiGroups`, `resources` or `verbs` holds the
wildcard `*`, and for `resources` entries of the form `*/subresource` (which cover that
subresource of every resource). One finding per rule, pointing at its first wildcard entry and
naming every field that has one. `nonResourceURLs` are not considered. The `rules` of an
aggregated ClusterRole (one with an `aggregationRule`) are ignored: the aggregation controller
replaces them with the rules of the ClusterRoles it selects, which are checked on their own.

## Why it matters
A wildcard grants more than anyone reviewed: `verbs: ["*"]` includes `escalate`, `bind`,
`impersonate` and `deletecollection`, `resources: ["*"]` includes Secrets and every
subresource such as `pods/exec`, and `apiGroups: ["*"]` covers custom resources that will only
be installed in the future. A role written with wildcards quietly grows with the cluster.

## How to fix
List the API groups, resources and verbs the workload actually uses. `kubectl auth can-i --list
--as=system:serviceaccount:<ns>:<name>` and the audit log show what is needed.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for (i, rule) in policy_rules(obj) {
        let mut first: Option<String> = None;
        let mut fields = Vec::new();
        for field in ["apiGroups", "resources", "verbs"] {
            let hit = entries(rule, field)
                .find(|(_, s)| *s == "*" || (field == "resources" && s.starts_with("*/")));
            if let Some((j, _)) = hit {
                fields.push(field);
                first.get_or_insert_with(|| format!("/rules/{i}/{field}/{j}"));
            }
        }
        if let Some(pointer) = first {
            out.fail(
                pointer,
                format!(
                    "{} rule {i} uses a wildcard in {}",
                    role_label(obj),
                    fields.join(", ")
                ),
            );
        }
    }
}
