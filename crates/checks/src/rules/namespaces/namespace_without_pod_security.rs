//! KC-NS-002 namespace-without-pod-security.

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NS-002",
        slug: "namespace-without-pod-security",
        title: "Namespace does not enforce a Pod Security level",
        severity: Severity::Medium,
        category: Category::Namespaces,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("kubescape", "C-0192"), reference("cis", "5.2.1")],
    },
    target: Target::Kinds(&["Namespace"]),
    reads: &[],
    check,
};

const ENFORCE: &str = "pod-security.kubernetes.io/enforce";

/// Namespaces of the control plane that legitimately run privileged pods.
const SYSTEM: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

const DOCS: &str = r#"## What it checks
Fails for a Namespace object without the label `pod-security.kubernetes.io/enforce`, or whose
value is `privileged` (which enforces nothing), or is not one of the levels `privileged`,
`baseline`, `restricted` (values are case-sensitive, as in the admission controller). The
`audit` and `warn` labels do not count: they never block a pod. `kube-system`, `kube-public` and
`kube-node-lease` pass.

## Why it matters
Pod Security admission only enforces what the namespace label asks for. Without `enforce`, the
namespace accepts privileged pods, host namespaces and hostPath mounts from anyone allowed to
create pods there, and the per-workload checks of this tool become the only line of defence.

## How to fix
Label the namespace with `pod-security.kubernetes.io/enforce: restricted` (or `baseline` where
restricted is not yet reachable), and pin `pod-security.kubernetes.io/enforce-version`. Roll out
with the `warn` and `audit` labels first. If the cluster sets a default level in its
`AdmissionConfiguration`, or uses another policy engine, record an exception.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    if SYSTEM.contains(&obj.name.as_str()) {
        return;
    }
    let labels = obj.labels();
    match labels.and_then(|l| l.get(ENFORCE)) {
        None | Some(Value::Null) => {
            let ptr = if labels.is_some() {
                "/metadata/labels"
            } else {
                "/metadata"
            };
            out.fail(
                ptr,
                format!(
                    "Namespace {:?} has no {ENFORCE} label, so Pod Security admission does not enforce any level",
                    obj.name
                ),
            );
        }
        Some(v) => {
            let ptr = kubecomply_core::pointer::join("", &["metadata", "labels", ENFORCE]);
            match v.as_str() {
                Some("baseline") | Some("restricted") => {}
                Some("privileged") => out.fail(
                    ptr,
                    format!(
                        "Namespace {:?} enforces the privileged level, which allows every pod",
                        obj.name
                    ),
                ),
                _ => out.fail(
                    ptr,
                    format!(
                        "Namespace {:?} sets {ENFORCE} to {}, which is not a Pod Security level (privileged, baseline, restricted)",
                        obj.name,
                        kubecomply_core::value::short(v)
                    ),
                ),
            }
        }
    }
}
