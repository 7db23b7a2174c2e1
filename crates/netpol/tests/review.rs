//! `review`: each rule's exact hits on small fixtures, and none on a compliant one.

use std::collections::BTreeSet;

use kubecomply_core::{Finding, Inventory, Status};
use kubecomply_loader::{Limits, files, load};
use kubecomply_netpol::{Model, RULES, inventory, review};

fn inv(yaml: &str) -> Inventory {
    let loaded = load(
        files::from_string("t.yaml", yaml.to_string()),
        &Limits::default(),
    );
    Inventory::new(loaded.objects)
}

fn findings(yaml: &str) -> Vec<Finding> {
    let f = review(&inv(yaml));
    for x in &f {
        assert_eq!(x.status, Status::Fail);
        let meta = RULES.iter().find(|m| m.code == x.rule).expect("known rule");
        assert_eq!(x.severity, meta.severity);
        assert_eq!(x.slug, meta.slug);
    }
    f
}

/// `(code, kind/namespace/name of the resource)` of the findings of one rule.
fn hits(f: &[Finding], code: &str) -> BTreeSet<String> {
    f.iter()
        .filter(|x| x.rule == code)
        .map(|x| {
            let r = x.resource.as_ref().expect("resource");
            format!(
                "{}/{}/{}",
                r.kind,
                r.namespace.as_deref().unwrap_or("-"),
                r.name
            )
        })
        .collect()
}

fn message<'a>(f: &'a [Finding], code: &str, name: &str) -> &'a str {
    f.iter()
        .find(|x| x.rule == code && x.resource.as_ref().is_some_and(|r| r.name == name))
        .map(|x| x.message.as_str())
        .unwrap_or_else(|| panic!("no {code} finding on {name}"))
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// Two namespaces, both default-deny in both directions, egress limited to the pod network,
/// the PCI namespace reachable only from itself, an internal-only Service.
const COMPLIANT: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {compliance.kubecomply.io/data-class: pci}}
---
apiVersion: v1
kind: Namespace
metadata: {name: web}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: pay}
spec:
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 5432}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: pay}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: web}
spec:
  template:
    metadata: {labels: {app: frontend}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: api, namespace: pay}
spec:
  selector: {app: api}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: pay}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-to-db, namespace: pay}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: api}}}]
    ports: [{port: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-egress, namespace: pay}
spec:
  podSelector: {matchLabels: {app: api}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: db}}}]
    ports: [{port: 5432}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: web}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8}}]
"#;

#[test]
fn compliant_fixture_has_no_findings() {
    let f = findings(COMPLIANT);
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn rules_are_documented() {
    let codes: Vec<&str> = RULES.iter().map(|m| m.code).collect();
    assert_eq!(
        codes,
        [
            "KC-NET-101",
            "KC-NET-102",
            "KC-NET-103",
            "KC-NET-104",
            "KC-NET-105",
            "KC-NET-108",
            "KC-NET-109",
            "KC-NET-110",
            "KC-NET-111",
            "KC-NET-112",
            "KC-NET-113"
        ]
    );
    for m in RULES {
        for h in ["## What it checks", "## Why it matters", "## How to fix"] {
            assert!(m.docs.contains(h), "{} lacks {h}", m.code);
        }
    }
}

const NO_DEFAULT_DENY: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: open}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: open, labels: {app: a}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: open, labels: {app: b}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: host, namespace: open}
spec: {hostNetwork: true, containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: only-a, namespace: open}
spec:
  podSelector: {matchLabels: {app: a}}
  policyTypes: [Ingress]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: lone, namespace: nons}
spec:
  template:
    metadata: {labels: {app: lone}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ok, namespace: closed}
spec:
  template:
    metadata: {labels: {app: ok}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: closed}
spec: {podSelector: {}}
"#;

#[test]
fn namespace_without_default_deny_ingress() {
    let f = findings(NO_DEFAULT_DENY);
    assert_eq!(
        hits(&f, "KC-NET-101"),
        set(&["Namespace/-/open", "Deployment/nons/lone"])
    );
    let m = message(&f, "KC-NET-101", "open");
    assert!(m.contains("open/Pod/b"), "{m}");
    assert!(!m.contains("open/Pod/a"), "{m}");
    assert!(!m.contains("host"), "{m}");
    let x = f
        .iter()
        .find(|x| x.rule == "KC-NET-101" && x.resource.as_ref().is_some_and(|r| r.name == "lone"))
        .expect("lone");
    assert_eq!(x.location.pointer, "/spec/template");
}

const EGRESS: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: open, namespace: e, labels: {app: open}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: wide, namespace: e, labels: {app: wide}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: private, namespace: e, labels: {app: private}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: nometa, namespace: e, labels: {app: nometa}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: e}
spec: {podSelector: {}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: wide, namespace: e}
spec:
  podSelector: {matchLabels: {app: wide}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {}}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8, 192.168.0.0/16]}}]
    ports: [{port: 443}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: private, namespace: e}
spec:
  podSelector: {matchLabels: {app: private}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.0/8}}, {ipBlock: {cidr: 169.254.0.0/16}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: nometa, namespace: e}
spec:
  podSelector: {matchLabels: {app: nometa}}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]
"#;

#[test]
fn egress_unrestricted() {
    let f = findings(EGRESS);
    assert_eq!(
        hits(&f, "KC-NET-102"),
        set(&["Pod/e/open", "Pod/e/wide", "Pod/e/nometa"])
    );
    assert!(message(&f, "KC-NET-102", "open").contains("egress is not isolated"));
    let m = message(&f, "KC-NET-102", "wide");
    assert!(m.contains("allowed by e/wide egress[1]"), "{m}");
    assert!(message(&f, "KC-NET-102", "nometa").contains("e/nometa egress[0]"));
}

#[test]
fn metadata_service_reachable() {
    let f = findings(EGRESS);
    // `wide` allows 169.254.169.254 on 443 only; `nometa` excepts it.
    assert_eq!(
        hits(&f, "KC-NET-105"),
        set(&["Pod/e/open", "Pod/e/private"])
    );
    let m = message(&f, "KC-NET-105", "private");
    assert!(m.contains("e/private egress[0]"), "{m}");
}

const EXPOSED: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: x}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: x}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: guarded, namespace: x}
spec:
  template:
    metadata: {labels: {app: guarded}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 9000}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: guarded, namespace: x}
spec:
  type: NodePort
  selector: {app: guarded}
  ports: [{port: 9000}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: guarded, namespace: x}
spec:
  podSelector: {matchLabels: {app: guarded}}
  ingress:
  - from: [{namespaceSelector: {}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: backend, namespace: x}
spec:
  template:
    metadata: {labels: {app: backend}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 3000}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: x}
spec:
  selector: {app: backend}
  ports: [{port: 80, targetPort: 3000}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: x}
spec:
  rules:
  - http:
      paths:
      - path: /
        pathType: Prefix
        backend: {service: {name: backend, port: {number: 80}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: internal, namespace: x}
spec:
  template:
    metadata: {labels: {app: internal}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: internal, namespace: x}
spec:
  selector: {app: internal}
  ports: [{port: 80}]
"#;

#[test]
fn workload_exposed_to_internet() {
    let f = findings(EXPOSED);
    assert_eq!(
        hits(&f, "KC-NET-103"),
        set(&["Deployment/x/web", "Deployment/x/backend"])
    );
    let m = message(&f, "KC-NET-103", "web");
    assert!(m.contains("Service x/web (type LoadBalancer)"), "{m}");
    assert!(m.contains("targetPort 8080/TCP"), "{m}");
    let m = message(&f, "KC-NET-103", "backend");
    assert!(m.contains("Ingress x/site -> Service x/backend"), "{m}");
    let x = f.iter().find(|x| x.rule == "KC-NET-103").expect("hit");
    assert_eq!(x.location.pointer, "/spec/template");
}

const SEGMENTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {compliance.kubecomply.io/data-class: pci}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: pay}
spec:
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 5432}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: vault, namespace: pay}
spec:
  template:
    metadata: {labels: {app: vault}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 8200}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: vault, namespace: pay}
spec:
  podSelector: {matchLabels: {app: vault}}
  ingress:
  - from: [{podSelector: {}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: records, namespace: web}
spec:
  template:
    metadata: {labels: {app: records, compliance.kubecomply.io/data-class: phi}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 443}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: frontend, namespace: web}
spec:
  template:
    metadata: {labels: {app: frontend}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: records, namespace: web}
spec:
  podSelector: {matchLabels: {app: records}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: pay}}}]
"#;

#[test]
fn segmentation_violated() {
    let f = findings(SEGMENTS);
    // db: no policy, reachable from everyone outside `pci`; vault: only from pay (same class);
    // records (phi): reachable from pay's pci workloads (a different class).
    assert_eq!(
        hits(&f, "KC-NET-104"),
        set(&["Deployment/pay/db", "Deployment/web/records"])
    );
    let m = message(&f, "KC-NET-104", "db");
    assert!(m.contains("data class pci"), "{m}");
    assert!(m.contains("reachable from 2 workload(s)"), "{m}");
    assert!(
        m.contains("web/Deployment/frontend (class none) on 5432/TCP"),
        "{m}"
    );
    assert!(m.contains("web/Deployment/records (class phi)"), "{m}");
    let m = message(&f, "KC-NET-104", "records");
    assert!(
        m.contains("pay/Deployment/db (class pci) on 443/TCP"),
        "{m}"
    );
    assert!(m.contains("web/records ingress[0]"), "{m}");
    assert!(!m.contains("frontend"), "{m}");
}

#[test]
fn segmentation_examples_are_capped() {
    let mut yaml = String::from(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: db, namespace: pay, labels: {compliance.kubecomply.io/data-class: pci}}\nspec: {containers: [{name: c, image: i, ports: [{containerPort: 5432}]}]}\n",
    );
    for i in 0..7 {
        yaml.push_str(&format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: other}}\nspec: {{containers: [{{name: c, image: i}}]}}\n"
        ));
    }
    let f = findings(&yaml);
    let m = message(&f, "KC-NET-104", "db");
    assert!(m.contains("from 7 workload(s)"), "{m}");
    assert!(m.contains("and 2 more"), "{m}");
    assert_eq!(m.matches("(class none)").count(), 5, "{m}");
}

const INVALID: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: bad, namespace: v}
spec:
  podSelector: {}
  egress:
  - ports: [{port: 90, endPort: 80}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: good, namespace: v}
spec:
  podSelector: {}
"#;

#[test]
fn networkpolicy_invalid() {
    let f = findings(INVALID);
    assert_eq!(hits(&f, "KC-NET-108"), set(&["NetworkPolicy/v/bad"]));
    let x = f.iter().find(|x| x.rule == "KC-NET-108").expect("hit");
    assert_eq!(x.location.pointer, "/spec/egress/0/ports/0/endPort");
    assert!(x.message.contains("would be rejected"), "{}", x.message);
}

#[test]
fn inventory_posture() {
    let i = inv(EXPOSED);
    let model = Model::new(&i);
    let rows = inventory(&i, &model);
    let row = |n: &str| {
        rows.iter()
            .find(|r| r.workload == n)
            .unwrap_or_else(|| panic!("{n}"))
    };
    let web = row("x/Deployment/web");
    assert!(!web.ingress_isolated && !web.egress_isolated);
    assert!(web.internet_exposed && web.can_reach_internet);
    assert_eq!(web.reachable_from_other_namespaces, Some(false));
    let guarded = row("x/Deployment/guarded");
    assert!(guarded.ingress_isolated && !guarded.internet_exposed);
    assert!(!row("x/Deployment/internal").internet_exposed);

    let i = inv(SEGMENTS);
    let model = Model::new(&i);
    let rows = inventory(&i, &model);
    let records = rows
        .iter()
        .find(|r| r.workload == "web/Deployment/records")
        .expect("records");
    assert_eq!(records.reachable_from_other_namespaces, Some(true));
    let frontend = rows
        .iter()
        .find(|r| r.workload == "web/Deployment/frontend")
        .expect("frontend");
    assert_eq!(frontend.reachable_from_other_namespaces, None);
}

const INVALID_TIERED: &str = r#"apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: too-high}
spec:
  priority: 1001
  subject: {namespaces: {}}
  ingress: [{action: Deny, from: [{namespaces: {}}]}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: bad-selector}
spec:
  selector: app == 'web' && (tier == 'x'
  ingress: [{action: Deny}]
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: fine}
spec:
  selector: app == 'web'
  ingress: [{action: Deny}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: v, labels: {app: web}}
spec: {containers: [{name: c, image: i}]}
"#;

#[test]
fn admin_and_calico_policies_invalid() {
    let f = findings(INVALID_TIERED);
    assert_eq!(
        hits(&f, "KC-NET-108"),
        set(&[
            "AdminNetworkPolicy/-/too-high",
            "GlobalNetworkPolicy/-/bad-selector"
        ])
    );
    let anp = f
        .iter()
        .find(|x| x.rule == "KC-NET-108" && x.message.contains("too-high"))
        .expect("anp");
    assert_eq!(anp.location.pointer, "/spec/priority");
    let gnp = f
        .iter()
        .find(|x| x.rule == "KC-NET-108" && x.message.contains("bad-selector"))
        .expect("gnp");
    assert_eq!(gnp.location.pointer, "/spec/selector");
    // The error names the column inside the selector text (the end, where `)` is missing).
    assert!(
        gnp.message.contains("column 29: expected `)`"),
        "{}",
        gnp.message
    );
}

const TIERED_EGRESS: &str = r#"apiVersion: v1
kind: Pod
metadata: {name: p, namespace: t, labels: {app: x}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: allow-all-egress}
spec:
  selector: app == 'x'
  types: [Egress]
  egress: [{action: Allow}]
"#;

#[test]
fn egress_unrestricted_through_calico_and_closed_by_anp() {
    let f = findings(TIERED_EGRESS);
    assert_eq!(hits(&f, "KC-NET-102"), set(&["Pod/t/p"]));
    let x = f.iter().find(|x| x.rule == "KC-NET-102").expect("hit");
    assert!(
        x.message
            .contains("GlobalNetworkPolicy allow-all-egress egress[0]"),
        "{}",
        x.message
    );
    let closed = format!(
        "{TIERED_EGRESS}---\napiVersion: policy.networking.k8s.io/v1alpha1\nkind: AdminNetworkPolicy\nmetadata: {{name: no-internet}}\nspec:\n  priority: 0\n  subject: {{namespaces: {{}}}}\n  egress: [{{action: Deny, to: [{{networks: [0.0.0.0/0, '::/0']}}]}}]\n"
    );
    let f = findings(&closed);
    assert!(hits(&f, "KC-NET-102").is_empty(), "{f:?}");
}

const EGRESS_DEFAULT_DENY: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: open}
---
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: open, labels: {app: a}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: open, labels: {app: b}}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: host, namespace: open, labels: {app: host}}
spec: {hostNetwork: true, containers: [{name: c, image: i}]}
---
# Type Egress for `a` only; the ingress default deny isolates nobody's egress.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a-egress, namespace: open}
spec:
  podSelector: {matchLabels: {app: a}}
  egress:
  - to: [{podSelector: {matchLabels: {app: b}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: open}
spec: {podSelector: {}}
---
# `egress: []` without policyTypes does not isolate egress.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: empty-egress, namespace: open}
spec: {podSelector: {}, egress: []}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ok, namespace: closed}
spec:
  template:
    metadata: {labels: {app: ok}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: closed}
spec: {podSelector: {}, policyTypes: [Egress]}
"#;

#[test]
fn namespace_without_default_deny_egress() {
    let f = findings(EGRESS_DEFAULT_DENY);
    assert_eq!(hits(&f, "KC-NET-109"), set(&["Namespace/-/open"]));
    let m = message(&f, "KC-NET-109", "open");
    assert!(m.contains("open/Pod/b"), "{m}");
    assert!(!m.contains("open/Pod/a"), "{m}");
    assert!(!m.contains("host"), "{m}");
    // Every pod of `open` is isolated for ingress: no KC-NET-101 there.
    assert_eq!(hits(&f, "KC-NET-101"), set(&["Deployment/closed/ok"]));
    // `closed` isolates egress only (KC-NET-101 there); `ok` is selected, so no KC-NET-110.
    assert!(hits(&f, "KC-NET-110").is_empty());
}

#[test]
fn workload_selected_by_no_policy() {
    let f = findings(NO_DEFAULT_DENY);
    // `a` is isolated for ingress; `host` uses hostNetwork (KC-NET-112's business);
    // `ok` is selected by an ingress default deny.
    assert_eq!(
        hits(&f, "KC-NET-110"),
        set(&["Pod/open/b", "Deployment/nons/lone"])
    );
    assert!(message(&f, "KC-NET-110", "b").contains("neither its ingress nor its egress"));
}

const ALLOW_ALL: &str = r#"
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: wide, namespace: np}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: x}}}]
  - ports: [{port: 8080}]
  - from:
    - podSelector: {matchLabels: {app: why}}
    - namespaceSelector: {}
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
    ports: [{port: 443}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [0.0.0.0/1]}}]
  - to: [{namespaceSelector: {}, podSelector: {matchLabels: {app: db}}}]
  - to: [{namespaceSelector: {matchLabels: {team: a}}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: v6, namespace: np}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: "::/0"}}]
---
# An egress rule of a policy without type Egress is ignored by the API server's semantics.
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: inactive, namespace: np}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  egress:
  - {}
"#;

#[test]
fn rule_that_allows_everything() {
    let f = findings(ALLOW_ALL);
    let got: BTreeSet<(String, String)> = f
        .iter()
        .filter(|x| x.rule == "KC-NET-111")
        .map(|x| {
            (
                x.resource.as_ref().expect("resource").name.clone(),
                x.location.pointer.clone(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("wide", "/spec/ingress/1"),
        ("wide", "/spec/ingress/2/from/1"),
        ("wide", "/spec/egress/0/to/0"),
        ("v6", "/spec/ingress/0/from/0"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(got, want);
    let m = message(&f, "KC-NET-111", "v6");
    assert!(m.contains("every external address"), "{m}");
    let ms: Vec<&str> = f
        .iter()
        .filter(|x| x.rule == "KC-NET-111")
        .map(|x| x.message.as_str())
        .collect();
    assert!(
        ms.iter()
            .any(|m| m.contains("ingress[1] has no `from`") && m.contains("on 8080/TCP")),
        "{ms:#?}"
    );
    assert!(
        ms.iter()
            .any(|m| m.contains("every pod of every namespace through from[1] on every port")),
        "{ms:#?}"
    );
}

const HOST_NETWORK: &str = r#"
apiVersion: v1
kind: Pod
metadata: {name: agent, namespace: h, labels: {app: agent}}
spec: {hostNetwork: true, containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata: {name: exporter, namespace: h, labels: {app: exporter}}
spec: {hostNetwork: true, containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: agent-egress, namespace: h}
spec:
  podSelector: {matchLabels: {app: agent}}
  policyTypes: [Egress]
---
apiVersion: v1
kind: Pod
metadata: {name: node-agent, namespace: d, labels: {app: x}}
spec: {hostNetwork: true, containers: [{name: c, image: i}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: d}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"#;

#[test]
fn host_network_bypasses_policies_that_select_it() {
    let f = findings(HOST_NETWORK);
    // `exporter` matches no policy's selector: nothing is bypassed.
    assert_eq!(
        hits(&f, "KC-NET-112"),
        set(&["Pod/h/agent", "Pod/d/node-agent"])
    );
    let m = message(&f, "KC-NET-112", "agent");
    assert!(m.contains("isolated for egress by h/agent-egress"), "{m}");
    assert!(!m.contains("ingress"), "{m}");
    let m = message(&f, "KC-NET-112", "node-agent");
    assert!(
        m.contains("ingress by d/default-deny and egress by d/default-deny"),
        "{m}"
    );
}

/// web (LoadBalancer) -> api -> db (pci); db accepts api only, api accepts web only.
const LATERAL: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: pay, labels: {compliance.kubecomply.io/data-class: pci}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 80}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop}
spec:
  template:
    metadata: {labels: {app: api}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: pay}
spec:
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 5432}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: api-in, namespace: shop}
spec:
  podSelector: {matchLabels: {app: api}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: 8080}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-in, namespace: pay}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
      podSelector: {matchLabels: {app: api}}
"#;

#[test]
fn lateral_path_from_internet_to_data_class() {
    let f = findings(LATERAL);
    assert_eq!(hits(&f, "KC-NET-113"), set(&["Deployment/pay/db"]));
    let m = message(&f, "KC-NET-113", "db");
    assert!(
        m.contains(
            "shop/Deployment/web -> shop/Deployment/api on 8080/TCP [egress: not isolated; ingress: shop/api-in ingress[0]], \
             then shop/Deployment/api -> pay/Deployment/db on 5432/TCP [egress: not isolated; ingress: pay/db-in ingress[0]]"
        ),
        "{m}"
    );
    // Cut the second hop: api's egress is isolated and allows nothing.
    let cut = format!(
        "{LATERAL}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: api-out, namespace: shop}}\nspec:\n  podSelector: {{matchLabels: {{app: api}}}}\n  policyTypes: [Egress]\n"
    );
    assert!(hits(&findings(&cut), "KC-NET-113").is_empty());
}
