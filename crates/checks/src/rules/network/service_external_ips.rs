//! KC-NET-003 service-external-ips.

use kubecomply_core::rule::reference;
use kubecomply_core::value::{array_at, short};
use kubecomply_core::{Category, Object, RuleMeta, Severity};

use crate::rule::{Context, Rule, Target, Violations};

/// The rule.
pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "KC-NET-003",
        slug: "service-external-ips",
        title: "Service sets externalIPs",
        severity: Severity::High,
        category: Category::Network,
        since: "0.1.0",
        docs: DOCS,
        references: &[
            reference("trivy", "KSV-0108"),
            reference("cve", "CVE-2020-8554"),
        ],
    },
    target: Target::Kinds(&["Service"]),
    reads: &[],
    check,
};

const DOCS: &str = r#"## What it checks
Fails for every entry of a Service's `spec.externalIPs`, whatever the Service type. An empty or
absent list passes.

## Why it matters
kube-proxy sends traffic for an external IP to the Service's pods from every node and every pod,
without checking that the address belongs to the cluster. Anyone who can create Services can
therefore claim any IP address, such as a public DNS resolver or another tenant's database, and
intercept the cluster's traffic to it (CVE-2020-8554, a design flaw with no fix in Kubernetes
itself). Legitimate uses are rare.

## How to fix
Remove `externalIPs` and expose the Service through a LoadBalancer or an Ingress. Cluster
administrators should enable the `DenyServiceExternalIPs` admission plugin, or an admission
policy that allows only approved addresses.
"#;

fn check(_cx: &Context<'_>, obj: &Object, out: &mut Violations) {
    for (i, ip) in array_at(&obj.value, &["spec", "externalIPs"])
        .iter()
        .enumerate()
    {
        out.fail(
            format!("/spec/externalIPs/{i}"),
            format!(
                "Service {:?} claims external IP {}, which kube-proxy routes to it from every node (CVE-2020-8554)",
                obj.name,
                short(ip)
            ),
        );
    }
}
