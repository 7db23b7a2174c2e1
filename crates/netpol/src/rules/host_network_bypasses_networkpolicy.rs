//! KC-NET-112 host-network-bypasses-networkpolicy.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Rule, SINCE};
use crate::review::Review;

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-NET-112",
    slug: "host-network-bypasses-networkpolicy",
    title: "hostNetwork workload escapes the NetworkPolicies meant for it",
    severity: Severity::High,
    category: Category::Network,
    since: SINCE,
    docs: DOCS,
    references: &[
        reference("pss", "baseline/hostNamespaces"),
        reference("nsa", "network-separation"),
    ],
};

/// The rule.
pub(crate) static RULE: Rule = Rule { meta: &META, check };

const DOCS: &str = r#"## What it checks
For every workload with `hostNetwork: true`, looks for the valid NetworkPolicies of its
namespace whose `podSelector` matches its pod labels, i.e. the policies that would isolate it if
it used the pod network. This includes a namespace default deny (`podSelector: {}`). The rule
fails when there is at least one; the message names them per direction (ingress, egress).
NetworkPolicy applies to pod-network traffic only: a `hostNetwork` pod shares its node's network
namespace and addresses, no policy selects it, and selector peers never match it, so the
isolation these policies express does not happen. A `hostNetwork` workload that no policy would
select is not reported here (KC-NET-101/109/110 report missing isolation only for pod-network
workloads).

## Why it matters
The workload looks isolated to whoever reads the policies, while it can reach and be reached
from everything the node can, including the node's own services.

## How to fix
Drop `hostNetwork` unless the workload really needs the node's network (CNI agents, node
exporters), and restrict such workloads with node-level firewalls or host-endpoint policies
of the CNI (for instance Calico `HostEndpoint`).
"#;

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    let model = review.model;
    for w in model.workloads.iter().filter(|w| w.host_network) {
        // The policies that would isolate the workload in one direction if it used the pod
        // network.
        let would = |ingress: bool| -> Vec<String> {
            model
                .policies
                .iter()
                .filter(|p| {
                    if ingress {
                        p.ingress_type
                    } else {
                        p.egress_type
                    }
                })
                .filter(|p| p.namespace == w.namespace && p.pod_selector.matches(&w.labels))
                .map(|p| format!("{}/{}", p.namespace, p.name))
                .collect()
        };
        let (ing, eg) = (would(true), would(false));
        if ing.is_empty() && eg.is_empty() {
            continue;
        }
        let mut parts = Vec::new();
        if !ing.is_empty() {
            parts.push(format!("ingress by {}", ing.join(", ")));
        }
        if !eg.is_empty() {
            parts.push(format!("egress by {}", eg.join(", ")));
        }
        let msg = format!(
            "{} uses hostNetwork, so the NetworkPolicies that select its labels do not apply to it: it would be isolated for {}",
            w.display(),
            parts.join(" and ")
        );
        out.extend(review.finding(&META, w.object, &w.pointer, msg));
    }
}
