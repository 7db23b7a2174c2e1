//! KC-NET-109 namespace-without-default-deny-egress.

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, RuleMeta, Severity};

use super::{Rule, SINCE};
use crate::review::Review;

/// The rule's metadata.
pub(crate) const META: RuleMeta<'static> = RuleMeta {
    code: "KC-NET-109",
    slug: "namespace-without-default-deny-egress",
    title: "Namespace has workloads whose egress no NetworkPolicy isolates",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: DOCS,
    references: &[
        reference("nsa", "network-separation"),
        reference("kubescape", "C-0260"),
    ],
};

/// The rule.
pub(crate) static RULE: Rule = Rule { meta: &META, check };

const DOCS: &str = r#"## What it checks
The egress counterpart of KC-NET-101. For every namespace with workloads in the input (Pods and
the pod templates of workload objects), evaluates which workloads are isolated for egress:
selected by at least one valid `networking.k8s.io/v1` NetworkPolicy whose (defaulted)
`policyTypes` include `Egress` (a policy without `policyTypes` has type `Egress` only when its
`egress` list is not empty). The rule fails once per namespace in which some workload is not
isolated, lists those workloads, and points at the Namespace object when the input has it,
otherwise at the first such workload. Pods with `hostNetwork: true` are not counted (KC-NET-112
covers them). Policies the API server would reject are ignored (KC-NET-108).

## Why it matters
A pod whose egress is not isolated may open connections to every pod of the cluster and to
every address its node can route to. Without a default deny for egress, a compromised pod can
move laterally and exfiltrate data, and each new workload starts with unrestricted egress.

## How to fix
Add a policy that selects every pod of the namespace for egress and allows nothing but DNS,
then allow the flows that are needed with further policies:

```yaml
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-egress, namespace: NAMESPACE}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
```

`kubecomply netpol generate` writes such policies from a list of flows.
"#;

fn check(review: &Review<'_>, out: &mut Vec<Finding>) {
    super::default_deny(review, &META, false, out);
}
