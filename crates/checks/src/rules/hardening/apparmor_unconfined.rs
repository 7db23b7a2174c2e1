//! KC-CTR-013 apparmor-unconfined.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::pointer;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-CTR-013",
        slug: "apparmor-unconfined",
        title: "AppArmor explicitly disabled (Unconfined)",
        severity: Severity::High,
        category: Category::ContainerHardening,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("pss", "baseline/appArmorProfile")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

const DOCS: &str = r#"## What it checks
Fails wherever AppArmor confinement is explicitly turned off:

- `spec.securityContext.appArmorProfile.type: Unconfined` at pod level (reported once for the
  pod);
- `securityContext.appArmorProfile.type: Unconfined` on any container, init container or
  ephemeral container;
- a pod template annotation `container.apparmor.security.beta.kubernetes.io/<container name>`
  with the value `unconfined` (the pre-1.30 way of choosing a profile, still honoured by the
  API server), reported for the container it names.

Types and annotation values are compared exactly, as the API spells them. A missing profile is
not reported: the runtime then applies its default profile on nodes with AppArmor enabled.

## Why it matters
The runtime's default AppArmor profile blocks writes to sensitive parts of `/proc` and `/sys`,
mounting, and other operations that container escapes rely on. `Unconfined` removes that layer
on purpose, for every process of the container.

## How to fix
Remove the `Unconfined` setting (the runtime default then applies) or use
`type: Localhost` with a profile loaded on the nodes that allows what the application needs.
"#;

fn unconfined(sc: Option<&Value>) -> bool {
    sc.and_then(|s| s.field("appArmorProfile"))
        .and_then(|p| p.field("type"))
        .and_then(Value::as_str)
        == Some("Unconfined")
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        if unconfined(t.pod_security_context()) {
            out.fail(
                t.spec_path(&["securityContext", "appArmorProfile", "type"]),
                "pod sets its default AppArmor profile to Unconfined",
            );
        }
        for c in t.containers() {
            if unconfined(c.value.field("securityContext")) {
                out.fail_container(
                    &c,
                    t.container_path(&c, &["securityContext", "appArmorProfile", "type"]),
                    format!(
                        "{} {:?} runs with AppArmor Unconfined",
                        c.kind.noun(),
                        c.name
                    ),
                );
            }
        }
        let annotations = t
            .metadata
            .and_then(|m| m.field("annotations"))
            .and_then(Value::as_object);
        for (key, value) in annotations.into_iter().flatten() {
            let Some(name) = key.strip_prefix(ANNOTATION_PREFIX) else {
                continue;
            };
            if value.as_str() != Some("unconfined") {
                continue;
            }
            let ptr = pointer::join(&t.meta_pointer(), &["annotations", key]);
            let message =
                format!("annotation {key:?} runs container {name:?} with AppArmor unconfined");
            match t.containers().find(|c| c.name == name) {
                Some(c) => out.fail_container(&c, ptr, message),
                None => out.fail(ptr, message),
            }
        }
    }
}
