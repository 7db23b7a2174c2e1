//! Review rules and escalation paths on a small fixture.

use kubecomply_core::{Inventory, Status};
use kubecomply_loader::{Limits, files, load};
use kubecomply_rbac::{RULES, Rbac, Subject, review};

fn inventory(path: &str) -> Inventory {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&p).expect("fixture");
    let l = load(
        files::from_string(&p.display().to_string(), text),
        &Limits::default(),
    );
    assert!(
        l.diagnostics
            .iter()
            .all(|d| d.level < kubecomply_core::diagnostic::Level::Error)
    );
    Inventory::new(l.objects)
}

fn hits(findings: &[kubecomply_core::Finding], code: &str) -> Vec<String> {
    findings
        .iter()
        .filter(|f| f.rule == code)
        .map(|f| {
            let r = f.resource.as_ref().expect("resource");
            format!("{}/{}{}", r.kind, r.name, f.location.pointer)
        })
        .collect()
}

#[test]
fn rules_are_unique_and_documented() {
    let mut codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), RULES.len());
    for r in RULES {
        assert!(r.code.starts_with("KC-RBAC-1"), "{}", r.code);
        for h in ["## What it checks", "## Why it matters", "## How to fix"] {
            assert!(r.docs.contains(h), "{} lacks {h}", r.code);
        }
    }
}

#[test]
fn review_findings() {
    let inv = inventory("tests/fixtures/review.yaml");
    let f = review(&inv);
    assert!(f.iter().all(|x| x.status == Status::Fail));
    for x in &f {
        let meta = RULES.iter().find(|r| r.code == x.rule).expect("known rule");
        assert_eq!(meta.severity, x.severity);
    }
    assert_eq!(
        hits(&f, "KC-RBAC-101"),
        ["ClusterRoleBinding/deployer-superuser/subjects/0"]
    );
    assert_eq!(hits(&f, "KC-RBAC-102"), ["RoleBinding/all-sa/subjects/0"]);
    assert_eq!(
        hits(&f, "KC-RBAC-103"),
        ["RoleBinding/dangling/roleRef/name"]
    );
    assert_eq!(hits(&f, "KC-RBAC-104"), ["RoleBinding/web-edit/subjects/1"]);
    let unused = hits(&f, "KC-RBAC-105");
    assert!(
        unused.contains(&"Role/forgotten/metadata/name".to_string()),
        "{unused:?}"
    );
    assert_eq!(unused.len(), 1, "{unused:?}");
    assert_eq!(hits(&f, "KC-RBAC-106"), ["RoleBinding/web-edit/subjects/0"]);
    let blast = f.iter().find(|x| x.rule == "KC-RBAC-106").expect("106");
    assert!(
        blast.message.contains("LoadBalancer") && blast.message.contains("read Secrets"),
        "{}",
        blast.message
    );
    assert_eq!(
        hits(&f, "KC-RBAC-107"),
        ["ClusterRoleBinding/secret-readers/subjects/0"]
    );
    // ci → create pods in shop → run as shop/deployer → superuser; web → edit → pods → deployer;
    // mallory impersonates system:masters (two steps).
    let mut paths = hits(&f, "KC-RBAC-108");
    paths.sort();
    assert_eq!(
        paths,
        [
            "ClusterRoleBinding/impersonator/subjects/0",
            "RoleBinding/ci-runs-pods/subjects/0",
            "RoleBinding/web-edit/subjects/0",
            "RoleBinding/web-edit/subjects/1",
        ]
    );
}

#[test]
fn shortest_path_names_rules() {
    let inv = inventory("tests/fixtures/review.yaml");
    let rbac = Rbac::new(&inv);
    let ci = Subject::service_account("tools", "ci");
    let p = rbac.paths(Some(&ci));
    assert_eq!(p.len(), 1);
    let steps = &p[0].steps;
    assert_eq!(steps.len(), 2, "{steps:#?}");
    assert!(
        steps[0]
            .description
            .contains("ServiceAccount/shop/deployer"),
        "{}",
        steps[0].description
    );
    assert_eq!(steps[0].rule.binding.name, "ci-runs-pods");
    assert_eq!(steps[0].rule.role.name, "pod-runner");
    assert_eq!(steps[1].rule.binding.name, "deployer-superuser");
    let m = rbac.paths(Some(&Subject::user("mallory")));
    assert_eq!(m[0].steps.len(), 2);
    assert!(
        m[0].steps[0]
            .description
            .contains("impersonate Group/system:masters")
    );
    assert!(m[0].steps[1].rule.binding.builtin || m[0].steps[1].rule.binding.name == "masters");
    assert!(rbac.paths(Some(&Subject::user("bob"))).is_empty());
}

#[test]
fn permissions_table() {
    let inv = inventory("tests/fixtures/review.yaml");
    let rbac = Rbac::new(&inv);
    let rows = rbac.permissions(&Subject::service_account("shop", "web"));
    // edit (aggregated) in shop, view via the group, basic-user/discovery via system:authenticated.
    assert!(
        rows.iter()
            .any(|r| r.namespace.as_deref() == Some("shop") && r.grant.binding.name == "web-edit")
    );
    assert!(rows.iter().any(|r| r.grant.binding.name == "all-sa"));
    assert!(
        rows.iter()
            .any(|r| r.namespace.is_none() && r.grant.binding.name == "system:basic-user")
    );
    let (yes, why) = rbac.can(
        &Subject::user("mallory"),
        "impersonate",
        "groups",
        None,
        "",
        Some("system:masters"),
    );
    assert!(yes && why[0].binding.name == "impersonator");
}

#[test]
fn hostile_input_does_not_panic() {
    let text = r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: x, labels: [1]}
aggregationRule: {clusterRoleSelectors: [7, {matchExpressions: [{operator: In}]}, {matchLabels: 3}]}
rules: [3, {verbs: "get"}, {verbs: [1, null]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: y}
roleRef: 5
subjects: [null, {kind: ServiceAccount}, {kind: ServiceAccount, name: a}, {kind: User, name: "system:serviceaccount::"}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: z}
roleRef: {kind: ClusterRole, name: x}
subjects: {kind: User}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: d}
spec: {template: {spec: {serviceAccountName: 5, automountServiceAccountToken: "yes", containers: [7]}}}
"#;
    let l = load(
        files::from_string("h.yaml", text.to_string()),
        &Limits::default(),
    );
    let inv = Inventory::new(l.objects);
    let _ = review(&inv);
    let rbac = Rbac::new(&inv);
    let _ = rbac.who_can("get", "pods/exec/x", Some("default"), "", None);
    let _ = rbac.who_can("", "", None, "", None);
    let _ = rbac.who_can("get", "/", None, "", None);
    let _ = rbac.paths(None);
}

/// Bindings to built-in `system:` ClusterRoles that kubecomply does not model (controller roles)
/// must not be reported as referring to a missing role; other unknown roles must.
#[test]
fn unmodelled_system_roles_are_not_missing() {
    let text = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: extra-controller}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: \"system:controller:job-controller\"}\nsubjects:\n- {kind: ServiceAccount, name: job-controller, namespace: kube-system}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: typo}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: viewer}\nsubjects:\n- {kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}\n";
    let loaded = kubecomply_loader::load(
        kubecomply_loader::files::from_string("b.yaml", text.to_string()),
        &kubecomply_loader::Limits::default(),
    );
    let inv = kubecomply_core::Inventory::new(loaded.objects);
    let missing: Vec<String> = kubecomply_rbac::review(&inv)
        .into_iter()
        .filter(|f| f.rule == "KC-RBAC-103")
        .filter_map(|f| f.resource.map(|r| r.name.clone()))
        .collect();
    assert_eq!(missing, vec!["typo".to_string()]);
}

#[test]
fn token_requests_and_impersonation_reach_accounts_in_scope() {
    let inv = inventory("tests/fixtures/tokens.yaml");
    let rbac = Rbac::new(&inv);
    let path = |ns: &str, name: &str| rbac.paths(Some(&Subject::service_account(ns, name)));
    // Cluster-wide token requests: any account of any namespace, here ops/admin.
    let p = path("tools", "minter");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].steps.len(), 2, "{:#?}", p[0].steps);
    assert_eq!(
        p[0].steps[0].description,
        "ServiceAccount/tools/minter can create tokens (serviceaccounts/token) for ServiceAccount/ops/admin"
    );
    assert_eq!(p[0].steps[0].rule.binding.name, "minter-everywhere");
    assert_eq!(p[0].steps[1].rule.binding.name, "ops-admin");
    // resourceNames: only the named accounts.
    assert!(path("tools", "narrow").is_empty());
    let p = path("tools", "named");
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].steps[0].rule.binding.name, "named-admin");
    // Impersonating the ServiceAccounts of one namespace (a RoleBinding there).
    let p = path("tools", "actor");
    assert_eq!(p.len(), 1);
    assert_eq!(
        p[0].steps[0].description,
        "ServiceAccount/tools/actor can impersonate ServiceAccount/ops/admin"
    );
    // All four starts in one search give the same answers.
    let all = rbac.paths(None);
    let mut who: Vec<String> = all.iter().map(|p| p.subject.display()).collect();
    who.sort();
    assert_eq!(
        who,
        [
            "ServiceAccount/ops/admin",
            "ServiceAccount/tools/actor",
            "ServiceAccount/tools/minter",
            "ServiceAccount/tools/named"
        ]
    );
}
