//! The review and the path search stay linear when many bindings name the same subject: the
//! rules a subject holds are indexed once, not searched again for each of them (before, 50,000
//! bindings of one ServiceAccount took 32 s). Work is counted, not timed
//! (`kubecomply_rbac::work::rule_matches`, matches of one rule against one request), so this is
//! the only test of this file: the counter is the process's.

use kubecomply_core::Inventory;
use kubecomply_loader::{Limits, files, load};
use kubecomply_rbac::{Rbac, review::review_with, work::rule_matches};

/// `n` bindings, RoleBindings and ClusterRoleBindings in turn, each naming the ServiceAccount
/// `ns0/bot` (and a user or a group), to roles whose rules start the searches of the path
/// search (create role bindings without bind, create cluster role bindings without bind,
/// escalate without update, impersonate named users) or grant only reads; `n / 10` exposed
/// workloads run as `ns0/bot` (the review looks its bindings up for each).
fn corpus(n: usize) -> Inventory {
    let mut docs = vec![
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: bot, namespace: ns0}\n".to_string(),
    ];
    let roles = [
        (
            "rb-creator",
            r#"[{apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create]}, {apiGroups: [""], resources: [secrets], verbs: [get]}]"#,
        ),
        (
            "crb-creator",
            "[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}]",
        ),
        (
            "escalator",
            "[{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}]",
        ),
        (
            "reader",
            r#"[{apiGroups: [""], resources: [pods, configmaps], verbs: [get, list]}]"#,
        ),
    ];
    for (name, rules) in roles {
        docs.push(format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: {name}}}\nrules: {rules}\n"
        ));
    }
    for i in 0..n {
        let role = roles[(i / 2) % roles.len()].0;
        // Every user is named by one role that allows impersonating it (a search among users).
        docs.push(format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {{name: imp{i}}}\nrules: [{{apiGroups: [\"\"], resources: [users], verbs: [impersonate], resourceNames: [u{}]}}]\n",
            i + 1
        ));
        let (kind, ns, other) = if i % 2 == 0 {
            (
                "RoleBinding",
                format!("\n  namespace: ns{}", i % 50),
                format!("{{kind: User, name: u{i}}}"),
            )
        } else {
            (
                "ClusterRoleBinding",
                String::new(),
                "{kind: Group, name: devs}".to_string(),
            )
        };
        docs.push(format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: b{i}{ns}\nsubjects:\n- {{kind: ServiceAccount, name: bot, namespace: ns0}}\n- {other}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role}}}\n"
        ));
        docs.push(format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {{name: imp{i}}}\nsubjects: [{{kind: User, name: u{i}}}]\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: imp{i}}}\n"
        ));
        if i % 10 == 0 {
            docs.push(format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{i}, namespace: ns0}}\nspec:\n  template:\n    metadata: {{labels: {{app: w{i}}}}}\n    spec:\n      serviceAccountName: bot\n      hostNetwork: true\n      containers: [{{name: c, image: x}}]\n"
            ));
        }
    }
    let l = load(
        files::from_string("rbac.yaml", docs.join("---\n")),
        &Limits::default(),
    );
    assert!(l.diagnostics.is_empty(), "{:?}", l.diagnostics);
    Inventory::new(l.objects)
}

/// Rule matches of building the model, the review (escalation paths included) and `rbac
/// paths` on `inv`.
fn work(inv: &Inventory) -> (u64, usize) {
    let before = rule_matches();
    let rbac = Rbac::new(inv);
    let findings = review_with(inv, &rbac.authorizer, &rbac.accounts);
    let paths = rbac.paths(None);
    (rule_matches() - before, findings.len() + paths.len())
}

#[test]
fn review_and_paths_are_linear_in_the_bindings_of_one_subject() {
    let (small, found_small) = work(&corpus(200));
    let (large, found_large) = work(&corpus(400));
    // The corpus does exercise the searches: the path search finds the impersonation chains,
    // and the review reports the exposed workloads.
    assert!(found_small > 0 && found_large > found_small);
    let ratio = large as f64 / small as f64;
    assert!(
        ratio <= 2.2,
        "doubling the bindings of one subject multiplied the rule matches by {ratio:.2} ({small} -> {large}): quadratic"
    );
}
