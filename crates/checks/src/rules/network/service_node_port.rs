//! KC-NET-002 service-node-port.

use kubecomply_core::rule::reference;
use kubecomply_core::value::{bool_at, str_at};
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NET-002",
        slug: "service-node-port",
        title: "Service opens a port on every node",
        severity: Severity::Medium,
        category: Category::Network,
        since: "0.1.0",
        docs: DOCS,
        references: &[reference("kube-score", "service-type")],
    },
    target: Target::Kinds(&["Service"]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for a Service whose `spec.type` is `NodePort`, and for a `LoadBalancer` Service unless
`spec.allocateLoadBalancerNodePorts` is `false`: a LoadBalancer Service allocates node ports by
default, because most cloud load balancers forward to them. The type is compared exactly, as the
API server does (`nodeport` is not a valid type). `ClusterIP`, `ExternalName` and headless
Services pass.

## Why it matters
A node port listens on every node of the cluster, on all of its addresses, and bypasses Ingress
controllers and their authentication, TLS and rate limits. Anything that can reach a node (other
tenants of the network, a misconfigured firewall, the internet) reaches the Service.

## How to fix
Use a `ClusterIP` Service behind an Ingress or Gateway. For a LoadBalancer whose implementation
routes to pods directly (for example AWS NLB in IP mode, GKE container-native load balancing,
MetalLB in L2 mode), set `allocateLoadBalancerNodePorts: false`.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    match str_at(&obj.value, &["spec", "type"]) {
        Some("NodePort") => out.fail(
            "/spec/type",
            format!(
                "Service {:?} is of type NodePort and listens on every node",
                obj.name
            ),
        ),
        Some("LoadBalancer") if bool_at(&obj.value, &["spec", "allocateLoadBalancerNodePorts"]) != Some(false) => out.fail(
            "/spec/type",
            format!(
                "Service {:?} is of type LoadBalancer and also allocates node ports on every node (allocateLoadBalancerNodePorts is not false)",
                obj.name
            ),
        ),
        _ => {}
    }
}
