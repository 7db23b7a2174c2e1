//! KC-NET-102 egress-unrestricted.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Rule, SINCE};
use crate::model::Admission;
use crate::review::{Review, public_admissions, rule_name};

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-NET-102",
    slug: "egress-unrestricted",
    title: "Workload may connect to any external address",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: DOCS,
    references: &[reference("nsa", "network-separation")],
};

/// The rule.
pub(crate) static RULE: Rule = Rule { meta: &META, check };

const DOCS: &str = r#"## What it checks
Asks the reachability model whether the workload's egress admits, on at least one port, every
address of a fixed sample of public IPv4 addresses spread over the address space (or every one
of a sample of public IPv6 addresses). That is the case when no valid policy isolates the
workload for egress (or it uses `hostNetwork`), or when egress rules allow all those addresses:
a rule without `to`, an `ipBlock` of `0.0.0.0/0` or `::/0` whose `except` leaves public
addresses in, or several blocks that together cover them. The message names the rules, or says
that egress is not isolated.

## Why it matters
Unrestricted egress lets a compromised workload download tools, reach command-and-control
servers and exfiltrate data. PCI DSS 1.3.2 asks that outbound traffic from the cardholder data
environment be limited to what is necessary.

## How to fix
Select the workload with a policy of type `Egress` and allow only the destinations it needs
(cluster DNS, its dependencies, specific external CIDRs). An egress proxy with an allow-list
is an option for HTTP(S).
"#;

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    let model = review.model;
    for (i, w) in model.workloads.iter().enumerate() {
        let (v4, v6) = public_admissions(model, i);
        let all = |a: &[Option<Admission>]| a.iter().all(Option::is_some);
        let open: Vec<&Admission> = if all(&v4) {
            v4.iter().flatten().collect()
        } else if all(&v6) {
            v6.iter().flatten().collect()
        } else {
            continue;
        };
        let msg = if open.contains(&&Admission::NotIsolated) {
            let why = if w.host_network {
                "it uses hostNetwork, which no policy applies to"
            } else {
                "egress is not isolated (no NetworkPolicy of type Egress selects it)"
            };
            format!("{} may connect to any external address: {why}", w.display())
        } else {
            let mut rules: Vec<String> = Vec::new();
            for a in open {
                let n = match a {
                    Admission::Rule(r) => rule_name(r, "egress"),
                    // An AdminNetworkPolicy, Calico or baseline decision: its explanation.
                    Admission::Tiered(reason) => reason.clone(),
                    Admission::NotIsolated => continue,
                };
                if !rules.contains(&n) {
                    rules.push(n);
                }
            }
            format!(
                "{} may connect to any external address: allowed by {}",
                w.display(),
                rules.join(", ")
            )
        };
        out.extend(review.finding(&META, w.object, &w.pointer, msg));
    }
}
