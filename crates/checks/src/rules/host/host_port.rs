//! KC-HOST-009 host-port.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-HOST-009",
        slug: "host-port",
        title: "Container binds a port of the node (hostPort)",
        severity: Severity::Medium,
        category: Category::HostAccess,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_26"),
            reference("kubescape", "C-0044"),
            reference("trivy", "KSV-0024"),
            reference("polaris", "hostPortSet"),
            reference("pss", "baseline/hostPorts"),
            reference("cis", "5.2.12"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
For every container, init container and ephemeral container, fails for each entry of `ports`
whose `hostPort` is set to a non-zero integer. `hostPort: 0` means "no host port" and passes.
A quoted number is reported by `invalid-field-type` and treated as unset here. The message
gives the host port and the container port it forwards to.

## Why it matters
A host port publishes the container directly on the node's IP address, outside Services and
usually outside NetworkPolicies and load-balancer controls. It also limits scheduling (two pods
with the same host port cannot share a node) and lets a compromised pod squat a port that a node
service or another workload expects.

## How to fix
Remove `hostPort` and expose the workload with a Service (`ClusterIP`, or `NodePort` /
`LoadBalancer` for outside traffic) or an Ingress / Gateway.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for t in obj.templates() {
        for c in t.containers() {
            let Some(ports) = c.value.field("ports").and_then(Value::as_array) else {
                continue;
            };
            for (i, p) in ports.iter().enumerate() {
                let Some(host_port) = p.field("hostPort").and_then(Value::as_i64) else {
                    continue;
                };
                if host_port == 0 {
                    continue;
                }
                let target = p
                    .field("containerPort")
                    .and_then(Value::as_i64)
                    .map(|cp| format!(" (containerPort {cp})"))
                    .unwrap_or_default();
                out.fail_container(
                    &c,
                    t.container_path(&c, &["ports", &i.to_string(), "hostPort"]),
                    format!(
                        "{} {:?} binds host port {}{}",
                        c.kind.noun(),
                        c.name,
                        host_port,
                        target
                    ),
                );
            }
        }
    }
}
