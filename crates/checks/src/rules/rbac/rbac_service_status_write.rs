//! KC-RBAC-010 rbac-service-status-write.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-010",
        slug: "rbac-service-status-write",
        title: "Role or ClusterRole can write the status of Services",
        severity: Severity::Medium,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV2_K8S_4"),
            reference("cve", "CVE-2020-8554"),
        ],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `update` or `patch` on
`services/status` in the core API group (`*`, `services/status` and `*/status` cover it;
`services` alone does not). Aggregated ClusterRoles' own `rules` are ignored.

## Why it matters
A Service's `status.loadBalancer.ingress[].ip` is trusted by kube-proxy, which redirects
traffic for that address to the Service's pods. Whoever can write it can intercept traffic for
any IP address from every pod in the cluster (CVE-2020-8554, which has no fix in Kubernetes
itself). Normally only the cloud controller manager writes this field.

## How to fix
Grant `services/status` only to the load-balancer controller of your platform.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let found = grants(
        obj,
        &[want("", "services/status")],
        &["update", "patch"],
        false,
    );
    fail_grants(
        obj,
        out,
        found,
        "its subjects can set load-balancer IPs and intercept cluster traffic (CVE-2020-8554)",
    );
}
