//! KC-REL-002 readiness-probe-missing.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-REL-002",
        slug: "readiness-probe-missing",
        title: "Container has no readiness probe",
        severity: Severity::Low,
        category: Category::Reliability,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_9"),
            reference("kubescape", "C-0018"),
            reference("polaris", "readinessProbeMissing"),
            reference("kube-score", "pod-probes"),
            reference("kube-linter", "no-readiness-probe"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every regular container (`spec.containers`) without a `readinessProbe` in pod
templates whose pods are meant to keep running. Not checked:

- init containers (including native sidecars, init containers with `restartPolicy: Always`)
  and ephemeral containers, which cannot have probes;
- Jobs and CronJobs, Pods owned by a Job (`metadata.ownerReferences` of kind `Job`), and any
  template whose `restartPolicy` is `Never` or `OnFailure` (bare Pods, job-like custom
  resources): their pods run to completion and serve no traffic.

The finding points at the container.

## Why it matters
Without a readiness probe a pod counts as ready as soon as its containers start, so Services
send it traffic while it is still loading caches or connecting to its database, and a rolling
update happily replaces working pods with ones that cannot serve yet.

## How to fix
Add a `readinessProbe` that answers only when the container can actually serve requests.

## Differences from other tools
kube-score only asks for a readiness probe when a Service in the input selects the pod;
kubecomply asks for it on every long-running container, because Services are often defined
elsewhere.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    super::probe_check(obj, out, "readinessProbe");
}
