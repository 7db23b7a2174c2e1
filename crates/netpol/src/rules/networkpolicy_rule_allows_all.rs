//! KC-NET-111 networkpolicy-rule-allows-all.

use std::net::IpAddr;

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Rule, SINCE};
use crate::policy::{NetworkPolicy, Peer, PortRule};
use crate::review::{PUBLIC_V4, PUBLIC_V6, Review};
use crate::selector::LabelSelector;

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-NET-111",
    slug: "networkpolicy-rule-allows-all",
    title: "NetworkPolicy rule admits every peer",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: DOCS,
    references: &[reference("nsa", "network-separation")],
};

/// The rule.
pub(crate) static RULE: Rule = Rule { meta: &META, check };

const DOCS: &str = r#"## What it checks
Examines each rule of every valid NetworkPolicy and fails for a rule whose peers admit every
source (ingress) or destination (egress) of some kind:
* no `from`/`to` (absent or empty): every pod and every address;
* a peer `namespaceSelector: {}` without a `podSelector`, or with `podSelector: {}`: every pod
  of every namespace;
* an `ipBlock` that contains every address of a sample of public IPv4 (or IPv6) addresses spread
  over the address space, after its `except` list: `0.0.0.0/0` or `::/0` with no `except`, or
  with one that only removes private ranges.

The finding points at the rule (or at the peer) by line, and the message says which ports the
rule is limited to, if any. Rules that merely allow all ports from a narrow peer are not
reported.

## Why it matters
A rule that admits everyone undoes the isolation of the policy that holds it, usually by
accident (an empty `from` list, a `namespaceSelector: {}` meant as "this namespace"). Reviewers
reading such a policy believe a flow is restricted when it is not.

## How to fix
Name the peers that need the flow: a `podSelector` for pods of the policy's namespace, a
`namespaceSelector` on `kubernetes.io/metadata.name` plus a `podSelector` for other namespaces,
specific CIDRs for external addresses. If the flow really is public (an ingress controller's
listening port), keep the rule and record an exception.
"#;

/// What a peer admits when it admits every peer of some kind.
fn admits_all(peer: &Peer) -> Option<&'static str> {
    match peer {
        Peer::Selectors {
            namespaces: Some(n),
            pods,
        } if n.is_empty() && pods.as_ref().is_none_or(LabelSelector::is_empty) => {
            Some("every pod of every namespace")
        }
        Peer::Selectors { .. } => None,
        Peer::IpBlock { cidr, except } => {
            let hit = |ip: IpAddr| cidr.contains(ip) && !except.iter().any(|e| e.contains(ip));
            let all_v4 = PUBLIC_V4.iter().all(|a| hit(IpAddr::V4(*a)));
            let all_v6 = PUBLIC_V6.iter().all(|a| hit(IpAddr::V6(*a)));
            (all_v4 || all_v6).then_some("every external address")
        }
    }
}

fn ports_text(ports: Option<&[PortRule]>) -> String {
    let Some(ports) = ports else {
        return "on every port".to_string();
    };
    let list: Vec<String> = ports
        .iter()
        .map(|p| {
            let n = match (&p.port, p.end_port) {
                (None, _) => "all ports".to_string(),
                (Some(v), None) => v.to_string(),
                (Some(v), Some(e)) => format!("{v}-{e}"),
            };
            format!("{n}/{}", p.protocol)
        })
        .collect();
    format!("on {}", list.join(", "))
}

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    for (idx, o) in review.inv.objects.iter().enumerate() {
        if o.kind != "NetworkPolicy" || o.group() != "networking.k8s.io" {
            continue;
        }
        let Ok(p) = NetworkPolicy::parse(&o.value) else {
            continue;
        };
        let policy = format!("{}/{}", p.namespace, p.name);
        let dirs = [
            ("ingress", "from", "sources", p.ingress_type, &p.ingress),
            ("egress", "to", "destinations", p.egress_type, &p.egress),
        ];
        for (dir, key, what, active, rules) in dirs {
            if !active {
                continue;
            }
            for (i, r) in rules.iter().enumerate() {
                let ports = ports_text(r.ports.as_deref());
                let hit = match &r.peers {
                    None => Some((
                        format!("/spec/{dir}/{i}"),
                        format!(
                            "has no `{key}`, so it admits all {what} (every pod and every address)"
                        ),
                    )),
                    Some(peers) => peers.iter().enumerate().find_map(|(k, peer)| {
                        admits_all(peer).map(|all| {
                            (
                                format!("/spec/{dir}/{i}/{key}/{k}"),
                                format!("admits {all} through {key}[{k}]"),
                            )
                        })
                    }),
                };
                if let Some((pointer, how)) = hit {
                    let msg = format!("NetworkPolicy {policy} {dir}[{i}] {how} {ports}");
                    out.extend(review.finding(&META, idx, &pointer, msg));
                }
            }
        }
    }
}
