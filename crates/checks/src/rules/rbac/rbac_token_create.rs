//! KC-RBAC-016 rbac-token-create.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{ROLE_KINDS, fail_grants, grants, want};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-RBAC-016",
        slug: "rbac-token-create",
        title: "Role or ClusterRole can mint ServiceAccount tokens",
        severity: Severity::High,
        category: Category::Rbac,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("cis", "5.1.13")],
    },
    target: Target::Kinds(ROLE_KINDS),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every rule of a Role or ClusterRole that grants `create` on the `serviceaccounts/token`
subresource in the core API group (`*` verbs, `*` resources and `*/token` count; `serviceaccounts`
alone does not, because the RBAC authorizer matches subresources only by `resource/subresource`,
`*/subresource` or `*`). A rule restricted by `resourceNames` is still reported: it lets its
subjects become the named ServiceAccounts. Aggregated ClusterRoles' own `rules` are ignored.

## Why it matters
The TokenRequest API hands out a fresh, valid token for a ServiceAccount. Whoever can call it
acts with every permission of that ServiceAccount, which is how a modest grant in one namespace
turns into the power of a controller's or operator's account.

## How to fix
Grant `create` on `serviceaccounts/token` only to the components that issue tokens (the kubelet
does this itself through the node authorizer); limit it with `resourceNames` to the one account a
workload legitimately needs, and watch the escalation paths `kubecomply rbac paths` reports.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let found = grants(
        obj,
        &[want("", "serviceaccounts/token")],
        &["create"],
        false,
    );
    fail_grants(
        obj,
        out,
        found,
        "its subjects can request tokens of ServiceAccounts and act with their permissions",
    );
}
