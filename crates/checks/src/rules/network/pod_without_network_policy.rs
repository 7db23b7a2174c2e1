//! KC-NET-001 pod-without-network-policy.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::pointer::nearest_existing;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::selector_matches;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NET-001",
        slug: "pod-without-network-policy",
        title: "Pods are not selected by any NetworkPolicy",
        severity: Severity::Medium,
        category: Category::Network,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV2_K8S_6"),
            reference("kubescape", "C-0260"),
            reference("polaris", "missingNetworkPolicy"),
            reference("kube-linter", "non-isolated-pod"),
            reference("cis", "5.3.2"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
For every pod template (a Pod, or the template of a Deployment, StatefulSet, DaemonSet, Job,
CronJob and the like), looks for a NetworkPolicy **in the same input** and in the same
namespace whose `spec.podSelector` selects the template's labels (`spec.template.metadata.labels`,
or `metadata.labels` of a Pod). The selector is evaluated like the API server does:
`matchLabels` and `matchExpressions` with `In`, `NotIn`, `Exists` and `DoesNotExist`; an empty
(or absent) `podSelector` selects every pod of its namespace; a malformed selector selects
nothing. Namespaces are compared as written: an object without `metadata.namespace` is matched
only by NetworkPolicies that have none either (both are applied to the same namespace with
`kubectl apply -n`). A policy of any `policyTypes` counts, since it isolates the pod in at least
one direction. Pods with `hostNetwork: true` always fail, with a message saying why: the
NetworkPolicy API leaves host-network pods undefined and most network plugins do not apply
policies to them, so a selecting policy does not make them isolated.

## Why it matters
Without a NetworkPolicy a pod accepts connections from every pod of every namespace and can
connect anywhere. A single compromised workload can then reach databases, internal admin
interfaces and cloud metadata endpoints.

## How to fix
Add a default-deny NetworkPolicy per namespace (`podSelector: {}` with `policyTypes: [Ingress,
Egress]`), then policies that allow the traffic each application needs. Keep the policies in
the same manifests as the workloads, so that this check can see them. Avoid `hostNetwork`;
where it is unavoidable, restrict the node's traffic with host firewall rules.

## Differences from other tools
Checkov's CKV2_K8S_6 only looks at Pods and Deployments; kubecomply checks every object with a
pod template (StatefulSets, DaemonSets, Jobs, CronJobs and custom resources too). Like every
static tool, kubecomply only sees the NetworkPolicies it is given: a policy kept in another
repository makes this check fail, so scan them together or record an exception.
"#;

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let ns = obj.namespace.as_deref();
    let where_ = match ns {
        Some(n) => format!("namespace {n:?}"),
        None => "its namespace".to_string(),
    };
    let policies: Vec<&Object> = cx
        .inventory
        .in_namespace("NetworkPolicy", ns.unwrap_or(""))
        .collect();
    for t in obj.templates() {
        if t.spec.field("hostNetwork").and_then(Value::as_bool) == Some(true) {
            out.fail(
                t.spec_path(&["hostNetwork"]),
                format!(
                    "{} {:?} uses hostNetwork: most network plugins do not apply NetworkPolicy to host-network pods, so no policy isolates them",
                    obj.kind, obj.name
                ),
            );
            continue;
        }
        let labels = t
            .metadata
            .and_then(|m| m.field("labels"))
            .and_then(Value::as_object);
        let selected = policies.iter().any(|p| {
            let spec = p.value.field("spec");
            selector_matches(spec.and_then(|s| s.field("podSelector")), labels)
        });
        if selected {
            continue;
        }
        let ptr = format!("{}/labels", t.meta_pointer());
        let ptr = nearest_existing(&obj.value, &ptr).to_string();
        let ptr = if ptr.is_empty() {
            t.spec_pointer()
        } else {
            ptr
        };
        out.fail(
            ptr,
            format!(
                "pods of {} {:?} are not selected by any NetworkPolicy in {where_} ({} there in the input)",
                obj.kind,
                obj.name,
                match policies.len() {
                    1 => "1 policy".to_string(),
                    n => format!("{n} policies"),
                }
            ),
        );
    }
}
