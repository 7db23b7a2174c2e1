//! KC-SEC-001 secret-in-env-ref.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-SEC-001",
        slug: "secret-in-env-ref",
        title: "Secret is exposed as environment variables",
        severity: Severity::Low,
        category: Category::Secrets,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_35"),
            reference("kubescape", "C-0207"),
            reference("kube-linter", "read-secret-from-env-var"),
            reference("cis", "5.4.1"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container, init container and ephemeral container that reads a Secret into
its environment: each `env[].valueFrom.secretKeyRef` and each `envFrom[].secretRef` is reported
at its own pointer, naming the Secret (and key). ConfigMap references are not reported.

## Why it matters
Environment variables leak easily: they are inherited by every child process, printed by crash
handlers, debug pages and `env` in support sessions, visible in `/proc/<pid>/environ` to anyone
who shares the process namespace, and they cannot be rotated without restarting the pod.
Secrets mounted as files have none of these problems and are updated in place when the Secret
changes.

## How to fix
Mount the Secret as a volume (`volumes[].secret` with a `volumeMount`, `readOnly: true`) and
have the application read the file; many libraries accept a `*_FILE` variable that names the
file.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            if let Some(env) = c.value.field("env").and_then(Value::as_array) {
                for (i, e) in env.iter().enumerate() {
                    let Some(r) = e
                        .field("valueFrom")
                        .and_then(|v| v.field("secretKeyRef"))
                        .filter(|r| r.is_object())
                    else {
                        continue;
                    };
                    let var = e.field("name").and_then(Value::as_str).unwrap_or("");
                    let secret = r.field("name").and_then(Value::as_str).unwrap_or("");
                    let key = r.field("key").and_then(Value::as_str).unwrap_or("");
                    out.fail_container(
                        &c,
                        t.container_path(&c, &["env", &i.to_string(), "valueFrom", "secretKeyRef"]),
                        format!(
                            "{} {:?} reads key {key:?} of Secret {secret:?} into env var {var:?}",
                            c.kind.noun(),
                            c.name
                        ),
                    );
                }
            }
            if let Some(env_from) = c.value.field("envFrom").and_then(Value::as_array) {
                for (i, e) in env_from.iter().enumerate() {
                    let Some(r) = e.field("secretRef").filter(|r| r.is_object()) else {
                        continue;
                    };
                    let secret = r.field("name").and_then(Value::as_str).unwrap_or("");
                    out.fail_container(
                        &c,
                        t.container_path(&c, &["envFrom", &i.to_string(), "secretRef"]),
                        format!(
                            "{} {:?} loads every key of Secret {secret:?} as env vars (envFrom)",
                            c.kind.noun(),
                            c.name
                        ),
                    );
                }
            }
        }
    }
}
