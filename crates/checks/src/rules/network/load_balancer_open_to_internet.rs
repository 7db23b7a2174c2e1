//! KC-NET-004 load-balancer-open-to-internet.

use kubecomply_core::Value;
use kubecomply_core::value::{array_at, str_at};
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use super::{annotation_pointer, is_whole_internet};
use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NET-004",
        slug: "load-balancer-open-to-internet",
        title: "LoadBalancer Service accepts traffic from any address",
        severity: Severity::Medium,
        category: Category::Network,
        since: "0.1.0",
        docs: DOCS,
        references: &[],
    },
    target: Target::Kinds(&["Service"]),
    reads: &[],
    check,
};

/// The legacy annotation that `loadBalancerSourceRanges` replaced; honoured when the field is empty.
const SOURCE_RANGES_ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

const DOCS: &str = r#"## What it checks
Fails for a Service of `type: LoadBalancer` that is not internal and whose allowed source
ranges are missing or include the whole address space. The allowed ranges are
`spec.loadBalancerSourceRanges`, or, when that is empty, the comma-separated annotation
`service.beta.kubernetes.io/load-balancer-source-ranges` (which Kubernetes honours in that
case). A range "includes everything" when its prefix length is `/0` (`0.0.0.0/0`, `::/0`).

A Service counts as internal, and passes, when it carries one of these annotations:
- AWS: `service.beta.kubernetes.io/aws-load-balancer-internal` with any value other than
  `false`, or `service.beta.kubernetes.io/aws-load-balancer-scheme: internal` (AWS Load
  Balancer Controller);
- Google Cloud: `networking.gke.io/load-balancer-type: Internal` or the older
  `cloud.google.com/load-balancer-type: Internal` (case-insensitive);
- Azure: `service.beta.kubernetes.io/azure-load-balancer-internal: "true"`.

Other providers' internal annotations are not recognised; record an exception for them.

## Why it matters
A cloud load balancer without source ranges is reachable from the whole internet. Services that
were meant for an office network, a partner or another VPC are then exposed to scanners within
minutes, including admin interfaces that rely on network position for security.

## How to fix
Make the load balancer internal with your provider's annotation, or list the client networks in
`spec.loadBalancerSourceRanges`. For public web traffic, put one Ingress controller or Gateway
behind the load balancer rather than exposing each application.
"#;

fn internal(obj: &Object) -> bool {
    let a = |k: &str| obj.annotation(k).map(str::trim);
    a("service.beta.kubernetes.io/aws-load-balancer-internal")
        .is_some_and(|v| !v.is_empty() && v != "false")
        || a("service.beta.kubernetes.io/aws-load-balancer-scheme") == Some("internal")
        || a("networking.gke.io/load-balancer-type")
            .is_some_and(|v| v.eq_ignore_ascii_case("internal"))
        || a("cloud.google.com/load-balancer-type")
            .is_some_and(|v| v.eq_ignore_ascii_case("internal"))
        || a("service.beta.kubernetes.io/azure-load-balancer-internal") == Some("true")
}

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    if str_at(&obj.value, &["spec", "type"]) != Some("LoadBalancer") || internal(obj) {
        return;
    }
    let ranges = array_at(&obj.value, &["spec", "loadBalancerSourceRanges"]);
    if !ranges.is_empty() {
        for (i, r) in ranges.iter().enumerate() {
            if let Some(cidr) = r.as_str().filter(|c| is_whole_internet(c)) {
                out.fail(
                    format!("/spec/loadBalancerSourceRanges/{i}"),
                    format!(
                        "LoadBalancer Service {:?} allows source range {cidr:?}, that is any address",
                        obj.name
                    ),
                );
            }
        }
        return;
    }
    if let Some(ann) = obj
        .annotation(SOURCE_RANGES_ANNOTATION)
        .filter(|a| !a.trim().is_empty())
    {
        if let Some(cidr) = ann.split(',').map(str::trim).find(|c| is_whole_internet(c)) {
            out.fail(
                annotation_pointer(SOURCE_RANGES_ANNOTATION),
                format!(
                    "LoadBalancer Service {:?} allows source range {cidr:?} (annotation {SOURCE_RANGES_ANNOTATION}), that is any address",
                    obj.name
                ),
            );
        }
        return;
    }
    let ptr = if kubecomply_core::pointer::get(&obj.value, "/spec/loadBalancerSourceRanges")
        .is_some_and(Value::is_array)
    {
        "/spec/loadBalancerSourceRanges"
    } else {
        "/spec/type"
    };
    out.fail(
        ptr,
        format!(
            "LoadBalancer Service {:?} has no loadBalancerSourceRanges and no internal annotation, so it is reachable from any address",
            obj.name
        ),
    );
}
