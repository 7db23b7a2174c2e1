//! KC-NET-009 networkpolicy-allows-all.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::value::array_at;
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{is_empty_selector, is_whole_internet};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NET-009",
        slug: "networkpolicy-allows-all",
        title: "NetworkPolicy rule allows traffic from or to everywhere",
        severity: Severity::Medium,
        category: Category::Network,
        since: "0.1.0",
        docs: DOCS,
        references: &[],
    },
    target: Target::Kinds(&["NetworkPolicy"]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Looks at every rule of `spec.ingress` and `spec.egress` that takes effect (ingress rules are
inert when `spec.policyTypes` is given without `Ingress`; egress rules likewise without
`Egress`) and fails when the rule:
- has no `from` (ingress) or `to` (egress), or an empty list: it allows all sources or
  destinations, on the listed ports or all ports. Egress rules whose ports are all port 53
  (DNS) are accepted, since a cluster DNS rule without a destination is the usual pattern;
- contains an empty peer `{}` (the API server rejects it; the finding has status `error`);
- contains a peer with `namespaceSelector: {}` (every namespace) and no `podSelector`, or an
  empty `podSelector`: every pod of every namespace;
- contains an `ipBlock` whose `cidr` has prefix length `/0` (`0.0.0.0/0`, `::/0`), whatever
  its `except` list: every address outside the exceptions, the internet included.

## Why it matters
A NetworkPolicy is read as a restriction, so a rule that opens everything is easy to miss: the
pods it selects look isolated in reviews and in tools that only check that a policy exists,
while any pod of any namespace, or any address, can connect.

## How to fix
Name the peers: a `podSelector` for pods of the same namespace, a `namespaceSelector` on
`kubernetes.io/metadata.name` together with a `podSelector` for other namespaces, and `ipBlock`
ranges for the specific external networks. For public endpoints, let the Ingress controller's
namespace in, not everything.
"#;

fn effective(obj: &Object, direction: &str) -> bool {
    match kubecomply_core::pointer::get(&obj.value, "/spec/policyTypes") {
        Some(Value::Array(types)) if !types.is_empty() => {
            types.iter().any(|t| t.as_str() == Some(direction))
        }
        _ => true,
    }
}

fn dns_only(rule: &Value) -> bool {
    let ports = array_at(rule, &["ports"]);
    !ports.is_empty()
        && ports.iter().all(|p| match p.field("port") {
            Some(Value::Number(n)) => n.as_i64() == Some(53),
            Some(Value::String(s)) => s == "53" || s == "dns" || s == "dns-tcp",
            _ => false,
        })
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for (direction, field, peers_field, noun) in [
        ("Ingress", "ingress", "from", "source"),
        ("Egress", "egress", "to", "destination"),
    ] {
        if !effective(obj, direction) {
            continue;
        }
        for (i, rule) in array_at(&obj.value, &["spec", field]).iter().enumerate() {
            if !rule.is_object() {
                continue;
            }
            let base = format!("/spec/{field}/{i}");
            let peers = array_at(rule, &[peers_field]);
            if peers.is_empty() {
                if direction == "Egress" && dns_only(rule) {
                    continue;
                }
                let ports = if array_at(rule, &["ports"]).is_empty() {
                    "on all ports"
                } else {
                    "on its ports"
                };
                let ptr = if rule.get(peers_field).is_some() {
                    format!("{base}/{peers_field}")
                } else {
                    base.clone()
                };
                out.fail(
                    ptr,
                    format!(
                        "NetworkPolicy {:?} {field} rule {i} has no {peers_field} peers, so it allows every {noun} {ports}",
                        obj.name
                    ),
                );
                continue;
            }
            for (j, peer) in peers.iter().enumerate() {
                let pptr = format!("{base}/{peers_field}/{j}");
                let Some(map) = peer.as_object() else {
                    continue;
                };
                if map.values().all(Value::is_null) {
                    out.invalid(
                        pptr,
                        format!(
                            "NetworkPolicy {:?} {field} rule {i} has an empty peer {{}}: the API server rejects it, and it reads as \"every {noun}\"",
                            obj.name
                        ),
                    );
                    continue;
                }
                if peer
                    .field("namespaceSelector")
                    .is_some_and(is_empty_selector)
                {
                    let pods_open = match peer.field("podSelector") {
                        None | Some(Value::Null) => true,
                        Some(p) => is_empty_selector(p),
                    };
                    if pods_open {
                        out.fail(
                            format!("{pptr}/namespaceSelector"),
                            format!(
                                "NetworkPolicy {:?} {field} rule {i} allows every pod of every namespace (empty namespaceSelector without podSelector)",
                                obj.name
                            ),
                        );
                        continue;
                    }
                }
                if let Some(cidr) = peer
                    .field("ipBlock")
                    .and_then(|b| b.field("cidr"))
                    .and_then(Value::as_str)
                    .filter(|c| is_whole_internet(c))
                {
                    let except = if array_at(peer, &["ipBlock", "except"]).is_empty() {
                        ""
                    } else {
                        " apart from its except list"
                    };
                    out.fail(
                        format!("{pptr}/ipBlock/cidr"),
                        format!(
                            "NetworkPolicy {:?} {field} rule {i} allows ipBlock {cidr:?}, every address{except}",
                            obj.name
                        ),
                    );
                }
            }
        }
    }
}
