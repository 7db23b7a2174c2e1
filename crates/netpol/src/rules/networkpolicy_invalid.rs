//! KC-NET-108 networkpolicy-invalid.

use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Rule, SINCE};
use crate::policy::NetworkPolicy;
use crate::review::{Review, ns_of};

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-NET-108",
    slug: "networkpolicy-invalid",
    title: "NetworkPolicy would be rejected by the API server",
    severity: Severity::High,
    category: Category::Network,
    since: SINCE,
    docs: DOCS,
    references: &[],
};

/// The rule.
pub(crate) static RULE: Rule = Rule { meta: &META, check };

const DOCS: &str = r#"## What it checks
Validates every `networking.k8s.io/v1` NetworkPolicy as the API server does: label selectors,
`policyTypes` values, ports (number range, name syntax, `endPort` only with a numeric port and
not below it), peers (not empty, `ipBlock` alone, CIDR syntax, `except` strictly inside the
`cidr`). The rule fails for each policy with a problem and points at the first offending field;
the message lists all problems. Such policies are left out of every other network analysis.

The rule also covers `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy and
BaselineAdminNetworkPolicy (CRD schema and CEL rules: `priority` 0-1000, at most 100 rules per
direction, peers and ports with exactly one member, `Pass` only in AdminNetworkPolicy, the
baseline policy named `default`) and Calico `projectcalico.org/v3` NetworkPolicy,
GlobalNetworkPolicy and Tier (selector syntax, with the column of the error, actions, ports only
with TCP/UDP/SCTP, a tier that exists, Pass never the `default` tier's default action).

## Why it matters
`kubectl apply` fails on such a policy, so the isolation it was meant to provide does not exist
in the cluster, while a reviewer reading the manifests believes it does.

## How to fix
Correct the fields named in the message, and validate manifests in CI (`kubectl apply
--dry-run=server` or this tool).
"#;

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    let inv = review.inv;
    for (idx, o) in inv.objects.iter().enumerate() {
        if o.kind != "NetworkPolicy" || o.group() != "networking.k8s.io" {
            continue;
        }
        let Err(problems) = NetworkPolicy::parse(&o.value) else {
            continue;
        };
        let pointer = problems.first().map(|p| p.0.clone()).unwrap_or_default();
        let list: Vec<String> = problems
            .iter()
            .map(|(p, m)| {
                if p.is_empty() {
                    m.clone()
                } else {
                    format!("{p}: {m}")
                }
            })
            .collect();
        let msg = format!(
            "NetworkPolicy {}/{} would be rejected by the API server ({}); it is ignored by the analysis",
            ns_of(o),
            o.name,
            list.join("; ")
        );
        out.extend(review.finding(&META, idx, &pointer, msg));
    }
    for (idx, problems) in crate::rejected_tiered(inv) {
        let Some(o) = inv.objects.get(idx) else {
            continue;
        };
        let pointer = problems.first().map(|p| p.0.clone()).unwrap_or_default();
        let list: Vec<String> = problems.iter().map(|(p, m)| format!("{p}: {m}")).collect();
        let msg = format!(
            "{} {} would be rejected by the API server ({}); it is ignored by the analysis",
            o.api_version,
            o.display_name(),
            list.join("; ")
        );
        out.extend(review.finding(&META, idx, &pointer, msg));
    }
}
