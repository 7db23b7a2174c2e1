//! KC-REL-006 ssh-port-exposed.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-REL-006",
        slug: "ssh-port-exposed",
        title: "Container exposes the SSH port",
        severity: Severity::Medium,
        category: Category::Reliability,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("kube-linter", "ssh-port")],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every container and init container that declares a port with `containerPort: 22`
and protocol TCP (`protocol` unset or `TCP`). UDP and SCTP ports 22 pass. A port number of the
wrong type (`"22"`, quoted) is treated as unset. Only the declared ports are visible in a
manifest: an SSH server listening on an undeclared port is not detected.

## Why it matters
An SSH daemon inside a container is a second way in that bypasses the Kubernetes API, its RBAC
and its audit log, and it usually comes with long-lived keys or passwords baked into the image.
`kubectl exec` and ephemeral debug containers cover the same needs under RBAC.

## How to fix
Remove the SSH server from the image and the port from the manifest; use `kubectl exec` or
`kubectl debug` for interactive access. If the workload is an SSH service on purpose (a Git
server, a bastion), document an exception.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            let Some(ports) = c.value.field("ports").and_then(Value::as_array) else {
                continue;
            };
            for (i, p) in ports.iter().enumerate() {
                if p.field("containerPort").and_then(Value::as_i64) != Some(22) {
                    continue;
                }
                let protocol = p.field("protocol").and_then(Value::as_str).unwrap_or("TCP");
                if protocol != "TCP" {
                    continue;
                }
                out.fail_container(
                    &c,
                    t.container_path(&c, &["ports", &i.to_string(), "containerPort"]),
                    format!("{} {:?} exposes port 22/TCP (SSH)", c.kind.noun(), c.name),
                );
            }
        }
    }
}
