//! KC-NET-103 workload-exposed-to-internet.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Rule, SINCE};
use crate::review::{INTERNET_PROBE, Review};

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-NET-103",
    slug: "workload-exposed-to-internet",
    title: "Workload is reachable from the internet",
    severity: Severity::High,
    category: Category::Network,
    since: SINCE,
    docs: DOCS,
    references: &[reference("nsa", "network-separation")],
};

/// The rule.
pub(crate) static RULE: Rule = Rule { meta: &META, check };

const DOCS: &str = r#"## What it checks
Finds the workloads that a Service selects (same namespace, every selector label equal) where
the Service has type `NodePort` or `LoadBalancer`, has `externalIPs`, or is the backend of an
Ingress (`spec.defaultBackend` or a path of `spec.rules`). For each Service port it resolves the
`targetPort` (a number, or a container-port name looked up on the workload; the `port` when
omitted) and asks the reachability model whether an external address (`203.0.113.10`) may
connect to the workload on that port. The rule fails when one may, and the message shows the
exposure path and the policy rule (or the lack of ingress isolation) that lets it through.

## Why it matters
Exposed workloads are the first target of an attack. Being selected by a public Service is
often intended; also letting any address through the pod's ingress policy usually is not, and
removes the second line of defence if the load balancer or ingress controller is misconfigured
or bypassed.

## How to fix
Isolate the workload for ingress and allow only the ingress controller's pods, or the load
balancer's source ranges (`ipBlock`), on the serving port. Use `ClusterIP` Services for
workloads that should not be public.
"#;

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    for (i, paths) in review.exposed().iter().enumerate() {
        if paths.is_empty() {
            continue;
        }
        let w = &review.model.workloads[i];
        let msg = format!(
            "{} is reachable from the internet ({INTERNET_PROBE}): {}",
            w.display(),
            paths.join("; ")
        );
        out.extend(review.finding(&META, w.object, &w.pointer, msg));
    }
}
