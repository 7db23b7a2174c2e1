//! KC-NET-105 metadata-service-reachable.

use std::net::{IpAddr, Ipv4Addr};

use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Rule, SINCE};
use crate::Port;
use crate::model::Endpoint;
use crate::review::Review;

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-NET-105",
    slug: "metadata-service-reachable",
    title: "Workload may reach the cloud metadata endpoint",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: DOCS,
    references: &[],
};

/// The rule.
pub(crate) static RULE: Rule = Rule { meta: &META, check };

const DOCS: &str = r#"## What it checks
Asks the reachability model whether the workload's egress allows TCP connections to
`169.254.169.254` on port 80, the instance metadata service of AWS, GCP, Azure and most other
clouds. It fails when egress is not isolated or a rule allows that address and port (for
example an `ipBlock` of `0.0.0.0/0` without an `except` of `169.254.169.254/32`).

## Why it matters
The metadata service hands out the node's cloud credentials and bootstrap data. A server-side
request forgery in any pod is then enough to act as the node in the cloud account.

## How to fix
Isolate egress and exclude the endpoint, e.g. `ipBlock: {cidr: 0.0.0.0/0, except:
[169.254.169.254/32]}`; also require IMDSv2 or use workload identity where the cloud offers it.
"#;

/// The cloud metadata endpoint.
const METADATA_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254));

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    let model = review.model;
    for (i, w) in model.workloads.iter().enumerate() {
        let Ok(v) = model.query(
            Endpoint::Workload(i),
            Endpoint::Ip(METADATA_IP),
            &Port::tcp(80),
        ) else {
            continue;
        };
        if v.allowed {
            let msg = format!(
                "{} may connect to the cloud metadata endpoint {METADATA_IP}:80 ({})",
                w.display(),
                v.egress.reason
            );
            out.extend(review.finding(&META, w.object, &w.pointer, msg));
        }
    }
}
