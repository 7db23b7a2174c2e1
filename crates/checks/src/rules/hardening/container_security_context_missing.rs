//! KC-CTR-016 container-security-context-missing.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-016",
        slug: "container-security-context-missing",
        title: "Container has no security context",
        severity: Severity::Low,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("checkov", "CKV_K8S_30")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container whose `securityContext` is
missing, `null`, an empty mapping (`securityContext: {}`), or not a mapping at all (which the
API server rejects; it is also reported by `invalid-field-type`). A pod-level security context
does not make this pass: several settings (`allowPrivilegeEscalation`,
`readOnlyRootFilesystem`, `capabilities`, `privileged`) exist only per container. The specific
settings are judged by the other rules.

## Why it matters
A container without its own security context keeps privilege escalation enabled, a writable
root file system and the runtime's default capabilities, whatever the pod-level context says.

## How to fix
Give every container a security context, for example:

```yaml
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: [ALL]
```
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            let who = format!("{} {:?}", c.kind.noun(), c.name);
            match c.value.field("securityContext") {
                Some(Value::Object(m)) if !m.is_empty() => {}
                Some(Value::Object(_)) => out.fail_container(
                    &c,
                    t.container_path(&c, &["securityContext"]),
                    format!("{who} has an empty security context (securityContext is {{}})"),
                ),
                Some(v) if !v.is_null() => out.fail_container(
                    &c,
                    t.container_path(&c, &["securityContext"]),
                    format!(
                        "{who} has no usable security context (securityContext is not a mapping)"
                    ),
                ),
                _ => out.fail_container(
                    &c,
                    t.container_path(&c, &[]),
                    format!("{who} has no security context"),
                ),
            }
        }
    }
}
