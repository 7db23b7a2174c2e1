//! KC-NET-113 lateral-path-to-data-class.

use std::collections::{BTreeMap, VecDeque};

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Rule, SINCE};
use crate::Port;
use crate::model::{DirectionVerdict, Endpoint, Model, Verdict};
use crate::review::{MAX_EXAMPLES, Review, class_of, declared_ports, rule_name};

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-NET-113",
    slug: "lateral-path-to-data-class",
    title: "Workload of a data class is reachable in several hops from an internet-exposed workload",
    severity: Severity::High,
    category: Category::Network,
    since: SINCE,
    docs: DOCS,
    references: &[reference("nsa", "network-separation")],
};

/// The rule.
pub(crate) static RULE: Rule = Rule { meta: &META, check };

const DOCS: &str = r#"## What it checks
Builds the workload graph of the reachability model: an edge A -> B when A may connect to B on
at least one container port B declares (egress of A and ingress of B both allow it). From every
workload exposed to the internet (as KC-NET-103 finds them) it runs a breadth-first search and
reports, for every workload of a data class (label `compliance.kubecomply.io/data-class` on the
pod template or its namespace), the shortest paths of two hops or more: A -> B -> C. Each hop
shows the port and the policy rule that allows it on each side (or that the side is not
isolated). A one-hop path is left to KC-NET-103/KC-NET-104.

Bounds, so that the output stays readable and the work bounded on large inputs: paths of at most
6 hops are searched; one shortest path per (exposed workload, data-class workload) pair, at most
5 paths per finding (the message counts the rest); the edges out of a workload are computed once,
with one query per pair of workloads and declared port.

## Why it matters
An attacker who compromises a public-facing workload continues from there. Segmentation that
keeps the data store unreachable from the internet but reachable from a service that the
internet can reach only adds one hop; PCI DSS 1.4.4 asks that systems storing account data not
be reachable from untrusted networks, directly or through intermediate systems.

## How to fix
Cut one hop of each path: restrict the egress of the intermediate workload to the services it
needs, or the ingress of the data-class workload to the workloads of its class. Run
`kubecomply netpol query` on each hop to check the fix.
"#;

/// Longest path searched, in hops.
const MAX_HOPS: usize = 6;

/// One hop of a lateral path, as text.
fn hop_text(model: &Model, from: usize, to: usize, v: &Verdict) -> String {
    let side = |d: &DirectionVerdict, dir: &str| match &d.allowed_by {
        Some(r) => rule_name(r, dir),
        None => "not isolated".to_string(),
    };
    format!(
        "{} -> {} on {}/{} [egress: {}; ingress: {}]",
        model.workloads[from].display(),
        model.workloads[to].display(),
        v.port,
        v.protocol,
        side(&v.egress, "egress"),
        side(&v.ingress, "ingress")
    )
}

/// Shortest multi-hop paths from internet-exposed workloads to data-class workloads.
fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    let model = review.model;
    let ws = &model.workloads;
    let targets: Vec<bool> = ws.iter().map(|w| class_of(model, w).is_some()).collect();
    if !targets.iter().any(|&t| t) {
        return;
    }
    let exposed = review.exposed();
    let sources: Vec<usize> = (0..ws.len()).filter(|&i| !exposed[i].is_empty()).collect();
    if sources.is_empty() {
        return;
    }
    let ports: Vec<Vec<Port>> = ws.iter().map(declared_ports).collect();
    // edges[a]: (b, the verdict of the first allowed port), computed on first visit.
    let mut edges: Vec<Option<Vec<(usize, Verdict)>>> = vec![None; ws.len()];
    // paths[target]: hop texts of each reported path, by source order.
    let mut paths: BTreeMap<usize, Vec<Vec<String>>> = BTreeMap::new();
    for &src in &sources {
        // Breadth-first: parent[b] = (a, index of the edge a -> b in edges[a]).
        let mut parent: Vec<Option<(usize, usize)>> = vec![None; ws.len()];
        let mut depth = vec![usize::MAX; ws.len()];
        depth[src] = 0;
        let mut queue = VecDeque::from([src]);
        while let Some(a) = queue.pop_front() {
            if depth[a] >= MAX_HOPS {
                continue;
            }
            if edges[a].is_none() {
                let list = (0..ws.len())
                    .filter(|&b| b != a)
                    .filter_map(|b| {
                        ports[b].iter().find_map(|p| {
                            model
                                .query(Endpoint::Workload(a), Endpoint::Workload(b), p)
                                .ok()
                                .filter(|v| v.allowed)
                                .map(|v| (b, v))
                        })
                    })
                    .collect();
                edges[a] = Some(list);
            }
            let Some(list) = edges[a].as_ref() else {
                continue;
            };
            for (k, (b, _)) in list.iter().enumerate() {
                if depth[*b] == usize::MAX {
                    depth[*b] = depth[a] + 1;
                    parent[*b] = Some((a, k));
                    queue.push_back(*b);
                }
            }
        }
        for (t, &is_target) in targets.iter().enumerate() {
            if !is_target || t == src || depth[t] < 2 || depth[t] == usize::MAX {
                continue;
            }
            let mut hops = Vec::new();
            let mut at = t;
            while let Some((a, k)) = parent[at] {
                if let Some((b, v)) = edges[a].as_ref().and_then(|l| l.get(k)) {
                    hops.push(hop_text(model, a, *b, v));
                }
                at = a;
            }
            hops.reverse();
            paths.entry(t).or_default().push(hops);
        }
    }
    for (t, found) in paths {
        let w = &ws[t];
        let class = class_of(model, w).unwrap_or_default();
        let shown: Vec<String> = found
            .iter()
            .take(MAX_EXAMPLES)
            .map(|hops| hops.join(", then "))
            .collect();
        let more = if found.len() > shown.len() {
            format!(" and {} more", found.len() - shown.len())
        } else {
            String::new()
        };
        let msg = format!(
            "{} (data class {class}) is reachable from {} internet-exposed workload(s) through other workloads: {}{more}",
            w.display(),
            found.len(),
            shown.join("; ")
        );
        out.extend(review.finding(&META, w.object, &w.pointer, msg));
    }
}
