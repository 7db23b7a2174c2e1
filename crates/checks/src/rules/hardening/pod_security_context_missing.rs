//! KC-CTR-015 pod-security-context-missing.

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-015",
        slug: "pod-security-context-missing",
        title: "Pod has no security context",
        severity: Severity::Low,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("checkov", "CKV_K8S_29")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every pod template whose `spec.securityContext` is missing, `null`, an empty mapping
(`securityContext: {}`), or not a mapping at all (which the API server rejects; it is also
reported by `invalid-field-type`). Any field inside it is enough to pass: the specific settings
are judged by the other rules (`run-as-root-allowed`, `seccomp-profile-missing`,
`root-group`...).

## Why it matters
The pod-level security context is where defaults for every container are set once: the user and
group the processes run as, `runAsNonRoot`, the seccomp profile, `fsGroup` for volumes. A pod
without one runs every container with the image's and runtime's defaults, usually root and no
seccomp filtering.

## How to fix
Add a pod-level security context, for example:

```yaml
spec:
  securityContext:
    runAsNonRoot: true
    runAsUser: 10001
    runAsGroup: 10001
    fsGroup: 10001
    seccompProfile:
      type: RuntimeDefault
```
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        match t.pod_security_context() {
            Some(Value::Object(m)) if !m.is_empty() => {}
            Some(Value::Object(_)) => out.fail(
                t.spec_path(&["securityContext"]),
                "pod has an empty security context (spec.securityContext is {})",
            ),
            Some(v) if !v.is_null() => out.fail(
                t.spec_path(&["securityContext"]),
                "pod has no usable security context (spec.securityContext is not a mapping)",
            ),
            _ => out.fail(
                t.spec_pointer(),
                "pod has no security context (spec.securityContext is not set)",
            ),
        }
    }
}
