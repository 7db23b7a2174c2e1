//! KC-NET-104 segmentation-violated.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Rule, SINCE};
use crate::model::Endpoint;
use crate::review::{MAX_EXAMPLES, Review, class_of, declared_ports, rule_name};

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-NET-104",
    slug: "segmentation-violated",
    title: "Workload of a data class is reachable from outside its class",
    severity: Severity::High,
    category: Category::Network,
    since: SINCE,
    docs: DOCS,
    references: &[reference("nsa", "network-separation")],
};

/// The rule.
pub(crate) static RULE: Rule = Rule { meta: &META, check };

const DOCS: &str = r#"## What it checks
A workload is in scope when its pod template, or failing that its namespace, carries the label
`compliance.kubecomply.io/data-class` (any value, e.g. `pci` or `phi`). For each in-scope
workload and each of its declared container ports, the reachability model is asked whether any
other workload of the input whose class differs (no class, or another value) may connect to it:
the source's egress and the destination's ingress must both allow the connection. The rule fails
once per reachable in-scope workload, with up to five example sources, their port and the rule
that allows each. Workloads without declared ports are not judged.

Connections that a segmentation file declares (`netpol review --segmentation FILE`: a list of
`{from, to, port, protocol, reason, owner}` where `from`/`to` select workloads by `namespace`,
`workload` and/or pod `labels`, and `port`/`protocol` default to any) are not reported; every
other cross-class connection is.

## Why it matters
PCI DSS 11.4.5 requires testing that segmentation isolates the cardholder data environment from
out-of-scope systems, and HIPAA 164.312 expects access to systems holding ePHI to be limited.
A single allowed path from an out-of-scope workload brings that workload into scope.

## How to fix
Isolate the in-scope workloads for ingress (a default deny in their namespace) and allow only
the sources of the same class, or the flows that the segmentation design explicitly permits;
then label those permitted sources so that the decision is visible.
"#;

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    let model = review.model;
    let ws = &model.workloads;
    for (i, w) in ws.iter().enumerate() {
        let Some(class) = class_of(model, w) else {
            continue;
        };
        let ports = declared_ports(w);
        let mut examples = Vec::new();
        let mut count = 0usize;
        for (j, s) in ws.iter().enumerate() {
            if j == i || class_of(model, s) == Some(class) {
                continue;
            }
            let hit = ports.iter().find_map(|p| {
                model
                    .query(Endpoint::Workload(j), Endpoint::Workload(i), p)
                    .ok()
                    .filter(|v| {
                        v.allowed
                            && review
                                .segmentation
                                .declared(model, j, i, v.port, v.protocol)
                                .is_none()
                    })
            });
            if let Some(v) = hit {
                count += 1;
                if examples.len() < MAX_EXAMPLES {
                    let how = match &v.ingress.allowed_by {
                        Some(r) => format!("allowed by {}", rule_name(r, "ingress")),
                        None => "ingress not isolated".to_string(),
                    };
                    let src_class =
                        class_of(model, s).map_or("none".to_string(), |c| c.to_string());
                    examples.push(format!(
                        "{} (class {src_class}) on {}/{} [{how}]",
                        s.display(),
                        v.port,
                        v.protocol
                    ));
                }
            }
        }
        if count == 0 {
            continue;
        }
        let more = if count > examples.len() {
            format!(" and {} more", count - examples.len())
        } else {
            String::new()
        };
        let msg = format!(
            "{} (data class {class}) is reachable from {count} workload(s) outside its class: {}{more}",
            w.display(),
            examples.join("; ")
        );
        out.extend(review.finding(&META, w.object, &w.pointer, msg));
    }
}
