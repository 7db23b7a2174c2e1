//! KC-NET-110 workload-without-networkpolicy.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Rule, SINCE};
use crate::review::Review;

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-NET-110",
    slug: "workload-without-networkpolicy",
    title: "Workload is selected by no NetworkPolicy in either direction",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: DOCS,
    references: &[
        reference("cis", "5.3.2"),
        reference("nsa", "network-separation"),
    ],
};

/// The rule.
pub(crate) static RULE: Rule = Rule { meta: &META, check };

const DOCS: &str = r#"## What it checks
For every workload of the input (Pods and the pod templates of workload objects, without
`hostNetwork`), asks the reachability model whether some valid NetworkPolicy isolates it for
ingress or for egress. The rule fails for a workload that neither direction isolates: its
namespace has no default deny and no policy's `podSelector` matches its pod labels.

## Why it matters
Such a workload takes part in no network segmentation at all: every pod and every routable
address may connect to it, and it may connect anywhere. It is usually a workload added after
the policies were written, whose labels no policy anticipated.

## How to fix
Add a default-deny policy to the namespace (`podSelector: {}`, `policyTypes: [Ingress,
Egress]`), or give the workload the labels that the namespace's policies select.
"#;

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    let model = review.model;
    for (i, w) in model.workloads.iter().enumerate() {
        if w.host_network || model.isolated(i, true) || model.isolated(i, false) {
            continue;
        }
        let msg = format!(
            "{} is selected by no NetworkPolicy: neither its ingress nor its egress is isolated",
            w.display()
        );
        out.extend(review.finding(&META, w.object, &w.pointer, msg));
    }
}
