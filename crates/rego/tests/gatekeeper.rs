//! Gatekeeper offline: the match block field by field, review input, enforcement actions,
//! metadata, template errors with positions, runtime errors.

use std::collections::BTreeMap;
use std::path::PathBuf;

use kubecomply_core::diagnostic::Level;
use kubecomply_core::{Finding, Inventory, Severity, Status};
use kubecomply_loader::{Limits, files, load};
use kubecomply_rego::{Gatekeeper, GatekeeperOptions};

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gatekeeper")
        .join(p)
}

const OBJECTS: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: team-a}
---
apiVersion: v1
kind: Namespace
metadata: {name: kube-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {replicas: 7}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: team-a, labels: {app: web, tier: test}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: reader}
---
apiVersion: v1
kind: Pod
metadata: {name: web-pod, namespace: nowhere, labels: {app: web}}
"#;

fn evaluate() -> (Gatekeeper, Vec<kubecomply_core::Diagnostic>, Vec<Finding>) {
    let (gk, diags) = Gatekeeper::load(
        &[fixture("always.yaml"), fixture("constraints.yaml")],
        &GatekeeperOptions::default(),
    );
    let loaded = load(
        files::from_string("objects.yaml", OBJECTS.to_string()),
        &Limits::default(),
    );
    let findings = gk.evaluate(&Inventory::new(loaded.objects));
    (gk, diags, findings)
}

/// Constraint tag (the last word of the message) -> the objects it flagged.
fn flagged(findings: &[Finding]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in findings.iter().filter(|f| f.status == Status::Fail) {
        let tag = f.message.rsplit(' ').next().unwrap_or("").to_string();
        let r = f.resource.as_ref().expect("resource");
        out.entry(tag).or_default().push(r.name.clone());
    }
    for v in out.values_mut() {
        v.sort();
    }
    out
}

fn names(list: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn match_block_fields() {
    let (_, _, findings) = evaluate();
    let f = flagged(&findings);
    assert_eq!(f["kinds"], names(&["web-1", "db", "cfg"]));
    assert_eq!(f["star"].len(), 8);
    assert_eq!(
        f["namespaces"],
        names(&["shop", "team-a", "web-1", "db", "reader"])
    );
    assert_eq!(f["excluded"], names(&["team-a", "db", "reader", "web-pod"]));
    assert_eq!(f["labels"], names(&["web-1", "web-pod"]));
    assert_eq!(f["nsselector"], names(&["shop", "web-1", "reader"]));
    assert_eq!(
        f["cluster"],
        names(&["shop", "team-a", "kube-system", "reader"])
    );
    assert_eq!(f["namespaced"], names(&["web-1", "db", "cfg", "web-pod"]));
    assert_eq!(f["byname"], names(&["web-1", "web-pod"]));
    assert_eq!(f["-"], names(&["shop", "team-a", "kube-system"]));
}

#[test]
fn review_input_is_gatekeepers() {
    let (_, _, findings) = evaluate();
    let m: Vec<&str> = findings
        .iter()
        .filter(|f| f.message.ends_with(" kinds"))
        .map(|f| f.message.as_str())
        .collect();
    assert!(m.contains(&"Deployment shop/web-1 CREATE kinds"), "{m:?}");
    let ns: Vec<&str> = findings
        .iter()
        .filter(|f| f.message.ends_with(" cluster"))
        .map(|f| f.message.as_str())
        .collect();
    assert!(ns.contains(&"ClusterRole /reader CREATE cluster"), "{ns:?}");
}

#[test]
fn enforcement_actions_and_metadata() {
    let (gk, _, findings) = evaluate();
    let sev = |tag: &str| {
        findings
            .iter()
            .find(|f| f.message.ends_with(&format!(" {tag}")))
            .map(|f| (f.rule.to_string(), f.severity))
    };
    // Constraint code wins over the template's; warn -> low.
    assert_eq!(
        sev("namespaced"),
        Some(("ACME-NAMESPACED".into(), Severity::Low))
    );
    // The template's code; dryrun -> info.
    assert_eq!(
        sev("cluster"),
        Some(("ACME-GK-ALWAYS".into(), Severity::Info))
    );
    assert_eq!(
        sev("kinds"),
        Some(("ACME-GK-ALWAYS".into(), Severity::High))
    );
    let rules = gk.rules();
    let namespaced = rules
        .iter()
        .find(|r| r.code == "ACME-NAMESPACED")
        .expect("rule");
    assert_eq!(namespaced.title, "Always");
    assert_eq!(namespaced.engine, "gatekeeper");
    assert_eq!(namespaced.slug, "acmealways-namespaced");
    assert_eq!(namespaced.frameworks.len(), 2);
    assert_eq!(namespaced.frameworks[1].framework, "hipaa");
    assert_eq!(namespaced.frameworks[1].requirement, "164.312(a)(1)");
    let derived = rules
        .iter()
        .find(|r| r.code == "GK-ACMEERRORS-CONFLICTING")
        .expect("derived code");
    assert_eq!(derived.title, "AcmeErrors conflicting");
}

#[test]
fn template_errors_point_into_the_yaml_and_orphans_are_reported() {
    let (gk, diags, _) = evaluate();
    let text = std::fs::read_to_string(fixture("always.yaml")).expect("fixture");
    let concat_line = text
        .lines()
        .position(|l| l.contains("concat(\"\""))
        .expect("line") as u32
        + 1;
    let broken = diags
        .iter()
        .find(|d| d.message.contains("acmebroken"))
        .unwrap_or_else(|| panic!("{diags:?}"));
    assert_eq!(broken.level, Level::Error);
    assert!(broken.file.ends_with("always.yaml"));
    // regorus points at the body's unclosed `{` (the line before the `concat`): the position
    // inside the Rego maps exactly onto the YAML file.
    assert_eq!(broken.line, concat_line - 1, "{broken:?}");
    let at = text.lines().nth(broken.line as usize - 1).expect("line");
    assert_eq!(
        at.chars().nth(broken.column as usize - 1),
        Some('{'),
        "{broken:?}"
    );
    assert!(diags.iter().any(|d| d.message.contains("AcmeMissing")));
    assert_eq!(gk.templates.len(), 2);
}

#[test]
fn runtime_error_is_an_error_finding() {
    let (_, _, findings) = evaluate();
    let errors: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.status == Status::Error)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].rule, "GK-ACMEERRORS-CONFLICTING");
    assert_eq!(
        errors[0].resource.as_ref().map(|r| r.name.as_str()),
        Some("web-1")
    );
}

#[test]
fn inventory_layout_for_referential_templates() {
    let template = r#"
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: acmeinv}
spec:
  crd: {spec: {names: {kind: AcmeInv}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package acmeinv
      violation[{"msg": msg}] {
        input.review.kind.kind == "ConfigMap"
        cm := data.inventory.namespace["shop"]["v1"]["ConfigMap"]["settings"]
        ns := data.inventory.cluster["v1"]["Namespace"]["shop"]
        dep := data.inventory.namespace["shop"]["apps/v1"]["Deployment"]["web"]
        msg := sprintf("%v %v %v", [cm.data.k, ns.metadata.name, dep.spec.replicas])
      }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: AcmeInv
metadata: {name: inv}
"#;
    let objects = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {k: v}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec: {replicas: 3}\n";
    let t = load(
        files::from_string("t.yaml", template.to_string()),
        &Limits::default(),
    );
    let (gk, diags) = Gatekeeper::from_objects(&t.objects, &GatekeeperOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    let o = load(
        files::from_string("o.yaml", objects.to_string()),
        &Limits::default(),
    );
    let f = gk.evaluate(&Inventory::new(o.objects));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].message, "v shop 3");
}

#[test]
fn cel_only_templates_go_to_the_cel_engine() {
    let template = r#"
apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: acmereplicas}
spec:
  crd: {spec: {names: {kind: AcmeReplicas}}}
  targets:
  - target: admission.k8s.gatekeeper.sh
    code:
    - engine: K8sNativeValidation
      source:
        validations:
        - expression: "object.spec.replicas <= variables.params.max"
          message: "too many replicas"
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: AcmeReplicas
metadata: {name: max-three}
spec:
  enforcementAction: warn
  parameters: {max: 3}
"#;
    let objects = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big, namespace: a}\nspec: {replicas: 5}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: small, namespace: a}\nspec: {replicas: 2}\n";
    let t = load(
        files::from_string("t.yaml", template.to_string()),
        &Limits::default(),
    );
    let (gk, diags) = Gatekeeper::from_objects(&t.objects, &GatekeeperOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    let o = load(
        files::from_string("o.yaml", objects.to_string()),
        &Limits::default(),
    );
    let f = gk.evaluate(&Inventory::new(o.objects));
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].message, "too many replicas");
    assert_eq!(f[0].severity, Severity::Low);
    assert_eq!(f[0].resource.as_ref().map(|r| r.name.as_str()), Some("big"));
    // Without a CEL compiler the template is reported and skipped.
    let (gk, diags) = Gatekeeper::from_objects(
        &t.objects,
        &GatekeeperOptions {
            native: None,
            ..GatekeeperOptions::default()
        },
    );
    assert!(gk.templates.is_empty());
    assert!(
        diags
            .iter()
            .any(|d| d.message.contains("K8sNativeValidation"))
    );
}

/// A second template of a kind, a constraint with a wrongly typed `match` and a constraint
/// without a template are errors with their position, never a silent guess: `kinds: 5` read
/// as absent would match every object, `namespaces: prod` (a string) would drop the filter.
#[test]
fn ambiguous_or_malformed_policies_are_errors() {
    let template = std::fs::read_to_string(fixture("always.yaml")).expect("fixture");
    let first = template.split("\n---\n").next().expect("first template");
    let text = format!(
        "{first}\n---\n{}\n---\n{}",
        first.replace("name: acmealways", "name: acmealways2"),
        r#"apiVersion: constraints.gatekeeper.sh/v1beta1
kind: AcmeAlways
metadata: {name: everything}
spec:
  match:
    kinds: 5
    namespaces: prod
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: AcmeAlways
metadata: {name: fine}
spec:
  match:
    kinds: [{apiGroups: [""], kinds: [Pod]}]
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: AcmeNowhere
metadata: {name: orphan}
"#
    );
    let loaded = load(files::from_string("p.yaml", text), &Limits::default());
    let (gk, diags) = Gatekeeper::from_objects(&loaded.objects, &GatekeeperOptions::default());
    let errors: Vec<String> = diags
        .iter()
        .filter(|d| d.level == Level::Error)
        .map(|d| format!("{}:{}: {}", d.line, d.column, d.message))
        .collect();
    assert_eq!(errors.len(), 4, "{errors:#?}");
    assert!(
        errors[0].contains("kind AcmeAlways is already defined by the template at p.yaml:1"),
        "{errors:#?}"
    );
    assert!(
        errors[1].starts_with("50:5: ") && errors[1].contains("spec.match.kinds: must be a list"),
        "{errors:#?}"
    );
    assert!(
        errors[2].contains("spec.match.namespaces: must be a list of strings"),
        "{errors:#?}"
    );
    assert!(
        errors[3].contains("no compiled template defines kind AcmeNowhere"),
        "{errors:#?}"
    );
    // Only the well-formed constraint is used.
    assert_eq!(gk.rules().len(), 1);
}
