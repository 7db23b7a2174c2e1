//! KC-RBAC-004 rbac-nodes-proxy.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-004",
        slug: "rbac-nodes-proxy",
        title: "Role or ClusterRole can use the nodes/proxy subresource",
        severity: Severity::High,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV2_K8S_2"),
            reference("trivy", "KSV-0047"),
            reference("cis", "5.1.10"),
        ],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `get` or `create` on `nodes/proxy`
(core API group). `resources` entries `*`, `nodes/proxy` and `*/proxy` cover it; `nodes` and
`nodes/*` do not. Aggregated ClusterRoles' own `rules` are ignored.

## Why it matters
`nodes/proxy` forwards requests to the kubelet API of any node. The kubelet can run commands in
every container on the node (`/exec`, `/run`), and requests through the proxy bypass admission
control and are audited only as proxy calls. `get` is enough: a WebSocket upgrade to the
kubelet's exec endpoint is a GET request. Monitoring agents often ask for `nodes/proxy` when
`nodes/metrics` or `nodes/stats` would do.

## How to fix
Grant the narrower subresources (`nodes/metrics`, `nodes/stats`, `nodes/log`) instead, or scrape
the kubelet with its own read-only authorization.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let found = grants(obj, &[want("", "nodes/proxy")], &["get", "create"], false);
    fail_grants(
        obj,
        out,
        found,
        "its subjects can reach the kubelet API of every node and run commands in any container",
    );
}
