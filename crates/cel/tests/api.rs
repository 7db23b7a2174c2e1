//! Rule metadata, finding details and bounds of the admission-policy evaluator.

use kubecomply_cel::VapSet;
use kubecomply_core::{FrameworkRef, Inventory, Severity, Status};
use kubecomply_loader::{Limits, files, load};

fn run(text: &str) -> (VapSet, Inventory, Vec<kubecomply_core::Diagnostic>) {
    let loaded = load(
        files::from_string("policy.yaml", text.to_string()),
        &Limits::default(),
    );
    let refs: Vec<&kubecomply_core::Object> = loaded.objects.iter().collect();
    let (set, diagnostics) = VapSet::new(&refs);
    (set, Inventory::new(loaded.objects), diagnostics)
}

const ANNOTATED: &str = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: no-latest
  annotations:
    kubecomply.io/code: ACME-001
    kubecomply.io/title: Images are pinned
    kubecomply.io/severity: medium
    kubecomply.io/description: Tags must not be latest.
    kubecomply.io/frameworks: "pci-dss:2.2.1, hipaa:164.312(a)(1)"
spec:
  matchConstraints:
    resourceRules:
    - {apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["pods"]}
  validations:
  - expression: "object.spec.containers.all(c, !c.image.endsWith(':latest'))"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: Plain.Policy
spec:
  validations:
  - expression: "true"
    message: first message
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: no-latest}
spec: {policyName: no-latest, validationActions: [Warn]}
---
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p, namespace: default}
  spec:
    containers: [{name: a, image: "nginx:latest"}]
"#;

#[test]
fn rules_carry_annotations_and_defaults() {
    let (set, _, diagnostics) = run(ANNOTATED);
    assert_eq!(set.len(), 2);
    let rules = set.rules();
    let annotated = &rules[0];
    assert_eq!(annotated.code, "ACME-001");
    assert_eq!(annotated.slug, "no-latest");
    assert_eq!(annotated.title, "Images are pinned");
    assert_eq!(annotated.severity, Severity::Medium);
    assert_eq!(annotated.description, "Tags must not be latest.");
    assert_eq!(annotated.engine, "cel");
    assert_eq!(annotated.source, "policy.yaml");
    assert_eq!(
        annotated.frameworks,
        vec![
            FrameworkRef {
                framework: "pci-dss".into(),
                requirement: "2.2.1".into()
            },
            FrameworkRef {
                framework: "hipaa".into(),
                requirement: "164.312(a)(1)".into()
            },
        ]
    );
    let plain = &rules[1];
    assert_eq!(plain.code, "VAP-PLAIN-POLICY");
    assert_eq!(plain.slug, "plain-policy");
    assert_eq!(plain.title, "Plain.Policy");
    assert_eq!(plain.severity, Severity::High);
    assert_eq!(plain.description, "first message");
    // The unbound policy is reported, not evaluated.
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert!(
        diagnostics[0]
            .message
            .contains("Plain.Policy has no binding")
    );
}

#[test]
fn finding_points_into_the_list_item_with_explicit_severity() {
    let (set, inventory, _) = run(ANNOTATED);
    let findings = set.evaluate(&inventory);
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f.rule, "ACME-001");
    assert_eq!(f.status, Status::Fail);
    // An explicit severity wins over the Warn default (low).
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.location.pointer, "/items/0");
    assert_eq!(f.resource.as_ref().map(|r| r.name.as_str()), Some("p"));
}

#[test]
fn severity_follows_validation_actions_by_default() {
    let text = ANNOTATED.replace("    kubecomply.io/severity: medium\n", "");
    let (set, inventory, _) = run(&text);
    let findings = set.evaluate(&inventory);
    assert_eq!(findings[0].severity, Severity::Low);
    let audit = text.replace("validationActions: [Warn]", "validationActions: [Audit]");
    let (set, inventory, _) = run(&audit);
    assert_eq!(set.evaluate(&inventory)[0].severity, Severity::Info);
    let deny = text.replace("validationActions: [Warn]", "validationActions: [Deny]");
    let (set, inventory, _) = run(&deny);
    assert_eq!(set.evaluate(&inventory)[0].severity, Severity::High);
}

/// Nested comprehensions over a list of 3000 items would take billions of steps: the cost
/// bound refuses them before they start, and the rest of the evaluation goes on.
#[test]
fn hostile_expression_is_bounded() {
    let items: Vec<String> = (0..3000).map(|i| format!("\"v{i}\"")).collect();
    let text = format!(
        r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: hostile}}
spec:
  matchConstraints:
    resourceRules:
    - {{apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"]}}
  validations:
  - expression: "object.spec.items.all(a, object.spec.items.all(b, object.spec.items.exists(c, a + b == c)))"
  - expression: "lists.range(int(object.spec.n)).all(i, i >= 0)"
  - expression: "object.spec.items.map(a, object.spec.items.map(b, a + b)).size() > 0"
  - expression: "object.spec.items.size() < 10"
    message: too many items
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {{name: hostile}}
spec: {{policyName: hostile, validationActions: [Deny]}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: big, namespace: default}}
spec:
  n: 100000000000
  items: [{}]
"#,
        items.join(", ")
    );
    let (set, inventory, _) = run(&text);
    // No wall-clock assertion: the cost bound, not a timer, is what stops these (the three
    // errors below say so).
    let findings = set.evaluate(&inventory);
    let errors: Vec<&str> = findings
        .iter()
        .filter(|f| f.status == Status::Error)
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(errors.len(), 3, "{findings:#?}");
    assert!(
        errors
            .iter()
            .all(|m| m.contains("estimated cost limit exceeded"))
    );
    assert!(
        findings
            .iter()
            .any(|f| f.status == Status::Fail && f.message.ends_with("too many items"))
    );
}

/// A single comprehension over a moderately large list stays under the bound.
#[test]
fn ordinary_comprehension_over_a_large_list_runs() {
    let containers: Vec<String> = (0..500)
        .map(|i| format!("{{name: c{i}, image: registry.example.com/app:{i}}}"))
        .collect();
    let text = format!(
        r#"
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: registry}}
spec:
  validations:
  - expression: "object.spec.containers.all(c, c.image.startsWith('registry.example.com/'))"
  - expression: "object.spec.containers.map(c, c.name).size() == 500"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {{name: registry}}
spec: {{policyName: registry, validationActions: [Deny]}}
---
apiVersion: v1
kind: Pod
metadata: {{name: many, namespace: default}}
spec:
  containers: [{}]
"#,
        containers.join(", ")
    );
    let (set, inventory, _) = run(&text);
    let findings = set.evaluate(&inventory);
    let on_pod: Vec<_> = findings
        .iter()
        .filter(|f| f.resource.as_ref().is_some_and(|r| r.kind == "Pod"))
        .collect();
    assert!(on_pod.is_empty(), "{on_pod:#?}");
}
