//! KC-SA-001 service-account-token-automount.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::service_account;
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-SA-001",
        slug: "service-account-token-automount",
        title: "Service account token is mounted into the pod",
        severity: Severity::Medium,
        category: Category::ServiceAccounts,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_38"),
            reference("kubescape", "C-0034"),
            reference("polaris", "automountServiceAccountToken"),
            reference("trivy", "KSV-0036"),
            reference("cis", "5.1.6"),
        ],
    },
    target: Target::PodTemplates,
    reads: &["ServiceAccount"],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every pod template whose pods will get a service account token mounted, computed as
the kubelet decides it:

- `spec.automountServiceAccountToken: false` on the pod: passes;
- `spec.automountServiceAccountToken: true` on the pod: fails, whatever the ServiceAccount
  says (the pod-level setting wins);
- unset on the pod: the ServiceAccount decides. The pod's ServiceAccount is
  `serviceAccountName`, else the deprecated `serviceAccount`, else `default`; it is looked up
  in the input by name in the object's namespace (an object without a namespace matches a
  ServiceAccount without one). The template passes only when that ServiceAccount is found and
  sets `automountServiceAccountToken: false`; when it is not in the input, the default
  (mount) is assumed and the template fails.

The finding points at the pod's `automountServiceAccountToken` when it is `true`, else at the
pod spec. A value of the wrong type is treated as unset.

## Why it matters
Every process in the pod can read the mounted token and call the Kubernetes API with the
service account's permissions. Most applications never talk to the API server, so the token
only helps an attacker who got code execution move on to the cluster.

## How to fix
Set `automountServiceAccountToken: false` in the pod spec, or on the ServiceAccount so that it
applies to every pod using it. Workloads that do need the API can mount a short-lived,
audience-bound token through a projected `serviceAccountToken` volume instead.

## Differences from other tools
Checkov (CKV_K8S_38) only reads the pod-level field, so a pod whose ServiceAccount disables
automounting still fails there; kubecomply follows the ServiceAccount, like Kubescape.
"#;

fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    let ns = obj.namespace.as_deref().unwrap_or("");
    for t in obj.templates() {
        match t
            .spec
            .field("automountServiceAccountToken")
            .and_then(Value::as_bool)
        {
            Some(false) => continue,
            Some(true) => {
                out.fail(
                    t.spec_path(&["automountServiceAccountToken"]),
                    "pod spec sets automountServiceAccountToken: true, so the service account token is mounted",
                );
                continue;
            }
            None => {}
        }
        let sa = service_account(&t);
        let reason = match cx.inventory.get("ServiceAccount", ns, &sa.name) {
            Some(o) => match o
                .value
                .field("automountServiceAccountToken")
                .and_then(Value::as_bool)
            {
                Some(false) => continue,
                Some(true) => format!(
                    "ServiceAccount {:?} sets automountServiceAccountToken: true",
                    sa.name
                ),
                None => format!(
                    "ServiceAccount {:?} does not set automountServiceAccountToken: false",
                    sa.name
                ),
            },
            None => format!(
                "ServiceAccount {:?} is not in the input, so the default (mount) applies",
                sa.name
            ),
        };
        out.fail(
            t.spec_pointer(),
            format!("pod spec does not set automountServiceAccountToken: false and {reason}"),
        );
    }
}
