//! KC-NET-101 namespace-without-default-deny-ingress.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Rule, SINCE};
use crate::review::Review;

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-NET-101",
    slug: "namespace-without-default-deny-ingress",
    title: "Namespace has workloads whose ingress no NetworkPolicy isolates",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: DOCS,
    references: &[
        reference("cis", "5.3.2"),
        reference("nsa", "network-separation"),
        reference("kubescape", "C-0260"),
    ],
};

/// The rule.
pub(crate) static RULE: Rule = Rule { meta: &META, check };

const DOCS: &str = r#"## What it checks
For every namespace with workloads in the input (Pods and the pod templates of workload
objects), evaluates which workloads are isolated for ingress: selected by at least one valid
`networking.k8s.io/v1` NetworkPolicy whose (defaulted) `policyTypes` include `Ingress`. The rule
fails once per namespace in which some workload is not isolated, and lists those workloads. The
finding points at the Namespace object when the input has it, otherwise at the first such
workload. Pods with `hostNetwork: true` are not counted: no pod selector applies to them, so a
default deny cannot isolate them. Policies the API server would reject are ignored (KC-NET-108).

## Why it matters
A pod that no policy isolates accepts connections from every pod of the cluster and from any
address that can route to it. A default-deny ingress policy per namespace makes every allowed
flow an explicit decision, which is what network segmentation controls ask for.

## How to fix
Add a policy that selects every pod of the namespace and allows nothing, then allow the flows
that are needed with further policies:

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress, namespace: NAMESPACE}
spec:
  podSelector: {}
  policyTypes: [Ingress]
```
"#;

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    super::default_deny(review, &META, true, out);
}
