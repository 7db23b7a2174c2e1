//! The rules of the network policy review, one module each: its metadata, its documentation
//! and the function that finds its failures from the reachability model the review built once
//! (and from what the review derives from it once, such as the internet exposure of each
//! workload). The model and the queries live in the shared modules; `crate::review` runs the
//! rules.

use std::collections::BTreeMap;

use kubecomply_core::{Finding, RuleMeta};

use crate::review::Review;

pub(crate) mod egress_unrestricted;
pub(crate) mod host_network_bypasses_networkpolicy;
pub(crate) mod lateral_path_to_data_class;
pub(crate) mod metadata_service_reachable;
pub(crate) mod namespace_without_default_deny_egress;
pub(crate) mod namespace_without_default_deny_ingress;
pub(crate) mod networkpolicy_invalid;
pub(crate) mod networkpolicy_rule_allows_all;
pub(crate) mod segmentation_violated;
pub(crate) mod workload_exposed_to_internet;
pub(crate) mod workload_without_networkpolicy;

/// The version that introduced the review rules.
pub(crate) const SINCE: &str = "0.3.0";

/// A review rule: its metadata and the function that appends its findings.
pub(crate) struct Rule {
    /// Code, slug, title, severity, docs, references.
    pub(crate) meta: &'static RuleMeta<'static>,
    /// Finds the rule's failures in the review's model.
    pub(crate) check: fn(&Review<'_>, &mut Vec<Finding>),
}

/// Every rule in evaluation order, which is the order of the review's findings (kept from the
/// review's first version, where the invalid policies came last).
pub(crate) static EVALUATION_ORDER: &[&Rule] = &[
    &namespace_without_default_deny_ingress::RULE,
    &namespace_without_default_deny_egress::RULE,
    &egress_unrestricted::RULE,
    &workload_exposed_to_internet::RULE,
    &segmentation_violated::RULE,
    &metadata_service_reachable::RULE,
    &workload_without_networkpolicy::RULE,
    &networkpolicy_rule_allows_all::RULE,
    &host_network_bypasses_networkpolicy::RULE,
    &lateral_path_to_data_class::RULE,
    &networkpolicy_invalid::RULE,
];

/// KC-NET-101 (`ingress`) and KC-NET-109: one finding per namespace with a pod-network
/// workload that no policy isolates in that direction.
pub(crate) fn default_deny(
    review: &Review<'_>,
    meta: &RuleMeta<'static>,
    ingress: bool,
    out: &mut Vec<Finding>,
) {
    let (inv, model) = (review.inv, review.model);
    let ws = &model.workloads;
    let word = if ingress { "ingress" } else { "egress" };
    let mut by_ns: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, w) in ws.iter().enumerate() {
        if !w.host_network {
            by_ns.entry(w.namespace.as_str()).or_default().push(i);
        }
    }
    for (ns, members) in &by_ns {
        let open: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| !model.isolated(i, ingress))
            .collect();
        let Some(&first) = open.first() else {
            continue;
        };
        let names: Vec<String> = open.iter().map(|&i| ws[i].display()).collect();
        let msg = format!(
            "namespace {ns} has no default-deny {word}: no NetworkPolicy isolates the {word} of {}",
            names.join(", ")
        );
        let ns_obj = inv
            .objects
            .iter()
            .position(|o| o.kind == "Namespace" && o.namespace.is_none() && o.name == *ns);
        out.extend(match ns_obj {
            Some(o) => review.finding(meta, o, "/metadata/name", msg),
            None => review.finding(meta, ws[first].object, &ws[first].pointer, msg),
        });
    }
}
