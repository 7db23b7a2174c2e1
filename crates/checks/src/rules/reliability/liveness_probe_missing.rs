//! KC-REL-001 liveness-probe-missing.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-REL-001",
        slug: "liveness-probe-missing",
        title: "Container has no liveness probe",
        severity: Severity::Low,
        category: Category::Reliability,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("checkov", "CKV_K8S_8"),
            reference("kubescape", "C-0056"),
            reference("polaris", "livenessProbeMissing"),
            reference("kube-score", "pod-probes"),
            reference("kube-linter", "no-liveness-probe"),
        ],
    },
    target: Target::PodTemplates,
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every regular container (`spec.containers`) without a `livenessProbe` in pod templates
whose pods are meant to keep running. Not checked:

- init containers, which run to completion (native sidecars, init containers with
  `restartPolicy: Always`, are not checked either), and ephemeral containers, which cannot have
  probes;
- Jobs and CronJobs, Pods owned by a Job (`metadata.ownerReferences` of kind `Job`), and any
  template whose `restartPolicy` is `Never` or `OnFailure` (bare Pods, job-like custom
  resources): their pods run to completion, and a liveness probe would only kill a slow batch
  step.

A `startupProbe` alone does not count: it only delays the other probes. The finding points at
the container.

## Why it matters
A process can hang without exiting: deadlocked, stuck on a lost connection, out of file
descriptors. Without a liveness probe the kubelet never restarts it, and the pod keeps counting
as running while serving nothing.

## How to fix
Add a `livenessProbe` that checks the process itself (an HTTP `/healthz`, a TCP socket or a
gRPC health check) and does not depend on downstream services, with a generous
`failureThreshold` so slow moments do not cause restart loops.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    super::probe_check(obj, out, "livenessProbe");
}
