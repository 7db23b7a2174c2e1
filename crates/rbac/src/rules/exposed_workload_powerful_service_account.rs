//! KC-RBAC-106 exposed-workload-powerful-service-account.

use std::collections::{BTreeSet, HashMap, HashSet};

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Check, Rule, SINCE, role_desc};
use crate::authorizer::{Request, rule_allows};
use crate::model::{RBAC_GROUP, Subject};
use crate::review::Review;

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-RBAC-106",
    slug: "exposed-workload-powerful-service-account",
    title: "Exposed or privileged workload runs as a ServiceAccount with dangerous permissions",
    severity: Severity::High,
    category: Category::Rbac,
    since: SINCE,
    docs: DOCS,
    references: &[reference("nsa", "rbac")],
};

/// The rule.
pub(crate) static RULE: Rule = Rule {
    meta: &META,
    check: Check::Policy(check),
};

const DOCS: &str = r#"## What it checks
For each pod template that is privileged, uses `hostNetwork`, `hostPID` or `hostIPC`, or is
selected by a Service of type `NodePort` or `LoadBalancer`, and mounts its ServiceAccount token
(the pod's `automountServiceAccountToken`, else the ServiceAccount's, else true), looks up what
the ServiceAccount is effectively allowed in the pod's namespace. The rule fails for every
binding that lets it read Secrets, create pods, exec into pods, create ServiceAccount tokens,
impersonate, bind or escalate roles, or create role bindings.

## Why it matters
Exposed and privileged pods are the most likely to be compromised. Whatever their token may do,
an attacker who takes over the pod may do too: these permissions are the blast radius of one bug.

## How to fix
Give the workload its own ServiceAccount with only what it needs, or set
`automountServiceAccountToken: false` when it does not talk to the API.
"#;

/// The permissions that make a token dangerous, each with how the message names it.
fn dangerous() -> Vec<(&'static str, Request)> {
    let core = |label, verb, resource| (label, Request::new(verb, resource, "", None, None));
    let rbac =
        |label, verb, resource| (label, Request::new(verb, resource, RBAC_GROUP, None, None));
    vec![
        core("read Secrets", "list", "secrets"),
        core("read Secrets", "get", "secrets"),
        core("create pods", "create", "pods"),
        core("exec into pods", "create", "pods/exec"),
        core(
            "create ServiceAccount tokens",
            "create",
            "serviceaccounts/token",
        ),
        core("impersonate users", "impersonate", "users"),
        core("impersonate groups", "impersonate", "groups"),
        core(
            "impersonate ServiceAccounts",
            "impersonate",
            "serviceaccounts",
        ),
        rbac("bind ClusterRoles", "bind", "clusterroles"),
        rbac("escalate ClusterRoles", "escalate", "clusterroles"),
        rbac("create RoleBindings", "create", "rolebindings"),
        rbac(
            "create ClusterRoleBindings",
            "create",
            "clusterrolebindings",
        ),
    ]
}

/// A binding of a ServiceAccount that lets it do something dangerous in the ServiceAccount's
/// namespace: (binding, subject index, binding object, what it allows).
type Dangerous<'a> = (usize, usize, usize, Vec<&'static str>);

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    let (auth, accounts, inv) = (review.auth, review.accounts, review.inv);
    let policy = &auth.policy;
    let dangerous = dangerous();
    let mut reported: HashSet<(usize, usize, usize)> = HashSet::new();
    // What the bindings of each ServiceAccount allow, computed once per ServiceAccount however
    // many workloads run as it (once per workload was quadratic: workloads times bindings).
    let mut by_account: HashMap<(&str, &str), Vec<Dangerous<'_>>> = HashMap::new();
    for w in accounts
        .workloads
        .iter()
        .filter(|w| w.token_mounted && !w.exposure.is_empty())
    {
        let found = by_account
            .entry((w.namespace.as_str(), w.service_account.as_str()))
            .or_insert_with(|| {
                let id = Subject::service_account(&w.namespace, &w.service_account).identity();
                let mut found = Vec::new();
                for (bi, si) in auth.bindings_of(&id) {
                    let b = &policy.bindings[bi];
                    let Some(obj) = b.object else { continue };
                    if b.scope().is_some_and(|ns| ns != w.namespace) {
                        continue;
                    }
                    let mut what: BTreeSet<&'static str> = BTreeSet::new();
                    for r in policy.rules_of(b) {
                        for (label, q) in &dangerous {
                            if rule_allows(r, q) {
                                what.insert(label);
                            }
                        }
                    }
                    if !what.is_empty() {
                        found.push((bi, si, obj, what.into_iter().collect()));
                    }
                }
                found
            });
        for (bi, si, obj, what) in found.iter() {
            if !reported.insert((*bi, *si, w.object)) {
                continue;
            }
            let b = &policy.bindings[*bi];
            let wl = inv
                .objects
                .get(w.object)
                .map(|o| o.display_name())
                .unwrap_or_default();
            out.extend(review.finding(
                &META,
                *obj,
                format!("/subjects/{si}"),
                format!(
                    "{wl} ({}) runs with the token of ServiceAccount {}/{}, which {} {:?} allows to {} through {}",
                    w.exposure.join(", "),
                    w.namespace,
                    w.service_account,
                    b.kind.as_str(),
                    b.name,
                    what.join(", "),
                    role_desc(b)
                ),
            ));
        }
    }
}
