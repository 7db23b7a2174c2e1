//! `netpol review`: compliance findings computed from the reachability model (what the
//! policies allow), not from which fields are present; and the per-workload posture behind
//! `netpol inventory`.

use kubecomply_core::value::Field;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use kubecomply_core::Value;
use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, Inventory, Object, RuleMeta, Severity};
use serde::Serialize;

use crate::model::{Admission, Endpoint, Model, RuleRef, Workload};
use crate::policy::{NetworkPolicy, Peer, PortRule};
use crate::segmentation::Segmentation;
use crate::selector::LabelSelector;
use crate::{Port, PortValue, Protocol};

const SINCE: &str = "0.3.0";

/// The label (on a pod template or its namespace) that puts a workload in a data class.
pub const DATA_CLASS_LABEL: &str = kubecomply_core::dataclass::LABEL;

/// The address that stands for "the internet" in exposure queries (TEST-NET-3).
const INTERNET_PROBE: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10));

/// The cloud metadata endpoint.
const METADATA_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254));

/// Public addresses spread over the IPv4 space: egress that admits all of them is treated as
/// open to any external address.
const PUBLIC_V4: [Ipv4Addr; 8] = [
    Ipv4Addr::new(1, 1, 1, 1),
    Ipv4Addr::new(8, 8, 8, 8),
    Ipv4Addr::new(13, 107, 42, 14),
    Ipv4Addr::new(52, 94, 236, 248),
    Ipv4Addr::new(104, 16, 132, 229),
    Ipv4Addr::new(142, 250, 74, 46),
    Ipv4Addr::new(185, 199, 108, 153),
    Ipv4Addr::new(203, 0, 113, 10),
];

/// The same for IPv6.
const PUBLIC_V6: [Ipv6Addr; 3] = [
    Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888),
    Ipv6Addr::new(0x2606, 0x4700, 0, 0, 0, 0, 0, 0x1111),
    Ipv6Addr::new(0x2a00, 0x1450, 0x4001, 0, 0, 0, 0, 0x1),
];

/// Longest path KC-NET-113 searches, in hops.
const MAX_HOPS: usize = 6;

/// At most this many example sources per segmentation finding (and paths per KC-NET-113
/// finding).
const MAX_EXAMPLES: usize = 5;

/// KC-NET-101.
pub const NO_DEFAULT_DENY_INGRESS: RuleMeta = RuleMeta {
    code: "KC-NET-101",
    slug: "namespace-without-default-deny-ingress",
    title: "Namespace has workloads whose ingress no NetworkPolicy isolates",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: r#"## What it checks
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
"#,
    references: &[
        reference("cis", "5.3.2"),
        reference("nsa", "network-separation"),
        reference("kubescape", "C-0260"),
    ],
};

/// KC-NET-102.
pub const EGRESS_UNRESTRICTED: RuleMeta = RuleMeta {
    code: "KC-NET-102",
    slug: "egress-unrestricted",
    title: "Workload may connect to any external address",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: r#"## What it checks
Asks the reachability model whether the workload's egress admits, on at least one port, every
address of a fixed sample of public IPv4 addresses spread over the address space (or every one
of a sample of public IPv6 addresses). That is the case when no valid policy isolates the
workload for egress (or it uses `hostNetwork`), or when egress rules allow all those addresses:
a rule without `to`, an `ipBlock` of `0.0.0.0/0` or `::/0` whose `except` leaves public
addresses in, or several blocks that together cover them. The message names the rules, or says
that egress is not isolated.

## Why it matters
Unrestricted egress lets a compromised workload download tools, reach command-and-control
servers and exfiltrate data. PCI DSS 1.3.2 asks that outbound traffic from the cardholder data
environment be limited to what is necessary.

## How to fix
Select the workload with a policy of type `Egress` and allow only the destinations it needs
(cluster DNS, its dependencies, specific external CIDRs). An egress proxy with an allow-list
is an option for HTTP(S).
"#,
    references: &[reference("nsa", "network-separation")],
};

/// KC-NET-103.
pub const EXPOSED_TO_INTERNET: RuleMeta = RuleMeta {
    code: "KC-NET-103",
    slug: "workload-exposed-to-internet",
    title: "Workload is reachable from the internet",
    severity: Severity::High,
    category: Category::Network,
    since: SINCE,
    docs: r#"## What it checks
Finds the workloads that a Service selects (same namespace, every selector label equal) where
the Service has type `NodePort` or `LoadBalancer`, has `externalIPs`, or is the backend of an
Ingress (`spec.defaultBackend` or a path of `spec.rules`). For each Service port it resolves the
`targetPort` (a number, or a container-port name looked up on the workload; the `port` when
omitted) and asks the reachability model whether an external address (`203.0.113.10`) may
connect to the workload on that port. The rule fails when one may, and the message shows the
exposure path and the policy rule (or the lack of ingress isolation) that lets it through.

## Why it matters
Exposed workloads are the first target of an attack. Being selected by a public Service is
often intended; also letting any address through the pod's ingress policy usually is not, and
removes the second line of defence if the load balancer or ingress controller is misconfigured
or bypassed.

## How to fix
Isolate the workload for ingress and allow only the ingress controller's pods, or the load
balancer's source ranges (`ipBlock`), on the serving port. Use `ClusterIP` Services for
workloads that should not be public.
"#,
    references: &[reference("nsa", "network-separation")],
};

/// KC-NET-104.
pub const SEGMENTATION_VIOLATED: RuleMeta = RuleMeta {
    code: "KC-NET-104",
    slug: "segmentation-violated",
    title: "Workload of a data class is reachable from outside its class",
    severity: Severity::High,
    category: Category::Network,
    since: SINCE,
    docs: r#"## What it checks
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
"#,
    references: &[reference("nsa", "network-separation")],
};

/// KC-NET-105.
pub const METADATA_REACHABLE: RuleMeta = RuleMeta {
    code: "KC-NET-105",
    slug: "metadata-service-reachable",
    title: "Workload may reach the cloud metadata endpoint",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: r#"## What it checks
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
"#,
    references: &[],
};

/// KC-NET-108.
pub const INVALID_POLICY: RuleMeta = RuleMeta {
    code: "KC-NET-108",
    slug: "networkpolicy-invalid",
    title: "NetworkPolicy would be rejected by the API server",
    severity: Severity::High,
    category: Category::Network,
    since: SINCE,
    docs: r#"## What it checks
Validates every `networking.k8s.io/v1` NetworkPolicy as the API server does: label selectors,
`policyTypes` values, ports (number range, name syntax, `endPort` only with a numeric port and
not below it), peers (not empty, `ipBlock` alone, CIDR syntax, `except` strictly inside the
`cidr`). The rule fails for each policy with a problem and points at the first offending field;
the message lists all problems. Such policies are left out of every other network analysis.

The rule also covers `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy and
BaselineAdminNetworkPolicy (CRD schema and CEL rules: `priority` 0-1000, at most 100 rules per
direction, peers and ports with exactly one member, `Pass` only in AdminNetworkPolicy, the
baseline policy named `default`) and Calico `projectcalico.org/v3` NetworkPolicy,
GlobalNetworkPolicy and Tier (selector syntax, with the column of the error, actions, ports only
with TCP/UDP/SCTP, a tier that exists, Pass never the `default` tier's default action).

## Why it matters
`kubectl apply` fails on such a policy, so the isolation it was meant to provide does not exist
in the cluster, while a reviewer reading the manifests believes it does.

## How to fix
Correct the fields named in the message, and validate manifests in CI (`kubectl apply
--dry-run=server` or this tool).
"#,
    references: &[],
};

/// KC-NET-109.
pub const NO_DEFAULT_DENY_EGRESS: RuleMeta = RuleMeta {
    code: "KC-NET-109",
    slug: "namespace-without-default-deny-egress",
    title: "Namespace has workloads whose egress no NetworkPolicy isolates",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: r#"## What it checks
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
"#,
    references: &[
        reference("nsa", "network-separation"),
        reference("kubescape", "C-0260"),
    ],
};

/// KC-NET-110.
pub const WORKLOAD_NOT_SELECTED: RuleMeta = RuleMeta {
    code: "KC-NET-110",
    slug: "workload-without-networkpolicy",
    title: "Workload is selected by no NetworkPolicy in either direction",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: r#"## What it checks
For every workload of the input (Pods and the pod templates of workload objects, without
`hostNetwork`), asks the reachability model whether some valid NetworkPolicy isolates it for
ingress or for egress. The rule fails for a workload that neither direction isolates: its
namespace has no default deny and no policy's `podSelector` matches its pod labels.

## Why it matters
Such a workload takes part in no network segmentation at all: every pod and every routable
address may connect to it, and it may connect anywhere. It is usually a workload added after
the policies were written, whose labels no policy anticipated.

## How to fix
Add a default-deny policy to the namespace (`podSelector: {}`, `policyTypes: [Ingress,
Egress]`), or give the workload the labels that the namespace's policies select.
"#,
    references: &[
        reference("cis", "5.3.2"),
        reference("nsa", "network-separation"),
    ],
};

/// KC-NET-111.
pub const ALLOW_ALL_RULE: RuleMeta = RuleMeta {
    code: "KC-NET-111",
    slug: "networkpolicy-rule-allows-all",
    title: "NetworkPolicy rule admits every peer",
    severity: Severity::Medium,
    category: Category::Network,
    since: SINCE,
    docs: r#"## What it checks
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
"#,
    references: &[reference("nsa", "network-separation")],
};

/// KC-NET-112.
pub const HOST_NETWORK_BYPASS: RuleMeta = RuleMeta {
    code: "KC-NET-112",
    slug: "host-network-bypasses-networkpolicy",
    title: "hostNetwork workload escapes the NetworkPolicies meant for it",
    severity: Severity::High,
    category: Category::Network,
    since: SINCE,
    docs: r#"## What it checks
For every workload with `hostNetwork: true`, looks for the valid NetworkPolicies of its
namespace whose `podSelector` matches its pod labels, i.e. the policies that would isolate it if
it used the pod network. This includes a namespace default deny (`podSelector: {}`). The rule
fails when there is at least one; the message names them per direction (ingress, egress).
NetworkPolicy applies to pod-network traffic only: a `hostNetwork` pod shares its node's network
namespace and addresses, no policy selects it, and selector peers never match it, so the
isolation these policies express does not happen. A `hostNetwork` workload that no policy would
select is not reported here (KC-NET-101/109/110 report missing isolation only for pod-network
workloads).

## Why it matters
The workload looks isolated to whoever reads the policies, while it can reach and be reached
from everything the node can, including the node's own services.

## How to fix
Drop `hostNetwork` unless the workload really needs the node's network (CNI agents, node
exporters), and restrict such workloads with node-level firewalls or host-endpoint policies
of the CNI (for instance Calico `HostEndpoint`).
"#,
    references: &[
        reference("pss", "baseline/hostNamespaces"),
        reference("nsa", "network-separation"),
    ],
};

/// KC-NET-113.
pub const LATERAL_PATH: RuleMeta = RuleMeta {
    code: "KC-NET-113",
    slug: "lateral-path-to-data-class",
    title: "Workload of a data class is reachable in several hops from an internet-exposed workload",
    severity: Severity::High,
    category: Category::Network,
    since: SINCE,
    docs: r#"## What it checks
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
"#,
    references: &[reference("nsa", "network-separation")],
};

/// The rules of `netpol review`.
pub static RULES: &[RuleMeta] = &[
    NO_DEFAULT_DENY_INGRESS,
    EGRESS_UNRESTRICTED,
    EXPOSED_TO_INTERNET,
    SEGMENTATION_VIOLATED,
    METADATA_REACHABLE,
    INVALID_POLICY,
    NO_DEFAULT_DENY_EGRESS,
    WORKLOAD_NOT_SELECTED,
    ALLOW_ALL_RULE,
    HOST_NETWORK_BYPASS,
    LATERAL_PATH,
];

fn finding(
    meta: &RuleMeta<'static>,
    inv: &Inventory,
    object: usize,
    pointer: &str,
    message: String,
) -> Option<Finding> {
    let o = inv.objects.get(object)?;
    Some(Finding::failure(meta, o, pointer, message))
}

fn rule_name(r: &RuleRef, dir: &str) -> String {
    format!("{}/{} {dir}[{}]", r.policy.namespace, r.policy.name, r.rule)
}

/// What a workload's network policy posture is.
#[derive(Clone, Debug, Serialize)]
pub struct WorkloadPosture {
    /// `NAMESPACE/KIND/NAME`.
    pub workload: String,
    /// Some valid policy isolates its ingress.
    pub ingress_isolated: bool,
    /// Some valid policy isolates its egress.
    pub egress_isolated: bool,
    /// Reachable from the internet through a public Service or an Ingress (as KC-NET-103).
    pub internet_exposed: bool,
    /// The exposure paths, when exposed.
    pub exposure: Vec<String>,
    /// Some workload of another namespace may connect to one of its declared ports; `None`
    /// when it declares no port.
    pub reachable_from_other_namespaces: Option<bool>,
    /// Its egress admits some public address on some port.
    pub can_reach_internet: bool,
}

fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn ns_of(o: &Object) -> &str {
    o.namespace.as_deref().unwrap_or("default")
}

fn selects(selector: &kubecomply_core::Map, w: &Workload) -> bool {
    !selector.is_empty()
        && selector.iter().all(|(k, v)| {
            v.as_str()
                .is_some_and(|v| w.labels.get(k).map(String::as_str) == Some(v))
        })
}

/// Service names that an Ingress (`networking.k8s.io` or `extensions`) routes to, with the
/// Ingress, per namespace.
fn ingress_backends(inv: &Inventory) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for o in &inv.objects {
        if o.kind != "Ingress" || !matches!(o.group(), "networking.k8s.io" | "extensions") {
            continue;
        }
        let spec = o.value.field("spec").unwrap_or(&Value::Null);
        let mut backends: Vec<&Value> = Vec::new();
        for key in ["defaultBackend", "backend"] {
            if let Some(b) = spec.get(key) {
                backends.push(b);
            }
        }
        if let Some(Value::Array(rules)) = spec.field("rules") {
            for r in rules {
                if let Some(Value::Array(paths)) = r.field("http").and_then(|h| h.field("paths")) {
                    backends.extend(paths.iter().filter_map(|p| p.field("backend")));
                }
            }
        }
        for b in backends {
            let name = b
                .field("service")
                .and_then(|s| str_field(s, "name"))
                .or_else(|| str_field(b, "serviceName"));
            if let Some(name) = name {
                out.entry((ns_of(o).to_string(), name.to_string()))
                    .or_insert_with(|| format!("Ingress {}/{}", ns_of(o), o.name));
            }
        }
    }
    out
}

/// For each workload of the model, the paths by which an external address reaches it
/// (empty when none): a public Service or an Ingress, AND ingress that admits the address.
pub fn exposed_to_internet(inv: &Inventory, model: &Model) -> Vec<Vec<String>> {
    let mut out = vec![Vec::new(); model.workloads.len()];
    let ingresses = ingress_backends(inv);
    for o in &inv.objects {
        if o.kind != "Service" || !o.group().is_empty() {
            continue;
        }
        let spec = o.value.field("spec").unwrap_or(&Value::Null);
        let ns = ns_of(o);
        let svc = format!("Service {ns}/{}", o.name);
        let mut ways = Vec::new();
        if let Some(t @ ("NodePort" | "LoadBalancer")) = str_field(spec, "type") {
            ways.push(format!("{svc} (type {t})"));
        }
        if matches!(spec.field("externalIPs"), Some(Value::Array(a)) if !a.is_empty()) {
            ways.push(format!("{svc} (externalIPs)"));
        }
        if let Some(ing) = ingresses.get(&(ns.to_string(), o.name.clone())) {
            ways.push(format!("{ing} -> {svc}"));
        }
        if ways.is_empty() {
            continue;
        }
        let Some(Value::Object(selector)) = spec.field("selector") else {
            continue;
        };
        let ports: &[Value] = match spec.field("ports") {
            Some(Value::Array(a)) => a,
            _ => &[],
        };
        for (i, w) in model.workloads.iter().enumerate() {
            if w.namespace != ns || !selects(selector, w) {
                continue;
            }
            for sp in ports {
                let Some(protocol) = Protocol::parse(str_field(sp, "protocol").unwrap_or("TCP"))
                else {
                    continue;
                };
                let target = match sp.field("targetPort").or_else(|| sp.field("port")) {
                    Some(Value::Number(n)) => {
                        match n.as_u64().and_then(|n| u16::try_from(n).ok()) {
                            Some(n) if n > 0 => PortValue::Number(n),
                            _ => continue,
                        }
                    }
                    Some(Value::String(s)) => PortValue::parse(s),
                    _ => continue,
                };
                let port = Port {
                    port: target,
                    protocol,
                };
                let Ok(v) = model.query(Endpoint::Ip(INTERNET_PROBE), Endpoint::Workload(i), &port)
                else {
                    continue;
                };
                if v.allowed {
                    for way in &ways {
                        out[i].push(format!(
                            "{way} -> targetPort {}/{} ({})",
                            v.port, v.protocol, v.ingress.reason
                        ));
                    }
                }
            }
        }
    }
    out
}

fn class_of<'a>(model: &'a Model, w: &'a Workload) -> Option<&'a str> {
    w.labels
        .get(DATA_CLASS_LABEL)
        .or_else(|| {
            model
                .namespaces
                .get(&w.namespace)
                .and_then(|l| l.get(DATA_CLASS_LABEL))
        })
        .map(String::as_str)
}

fn declared_ports(w: &Workload) -> Vec<Port> {
    let mut ports: Vec<Port> = Vec::new();
    for cp in &w.ports {
        let p = Port {
            port: PortValue::Number(cp.port),
            protocol: cp.protocol,
        };
        if !ports.contains(&p) {
            ports.push(p);
        }
    }
    ports
}

/// Public addresses the egress of workload `i` admits, with how.
fn public_admissions(model: &Model, i: usize) -> (Vec<Option<Admission>>, Vec<Option<Admission>>) {
    let probe = |ip: IpAddr| model.admits_any_port(i, false, Endpoint::Ip(ip));
    (
        PUBLIC_V4.iter().map(|a| probe(IpAddr::V4(*a))).collect(),
        PUBLIC_V6.iter().map(|a| probe(IpAddr::V6(*a))).collect(),
    )
}

/// The posture of every workload, for `netpol inventory`.
pub fn inventory(inv: &Inventory, model: &Model) -> Vec<WorkloadPosture> {
    let exposed = exposed_to_internet(inv, model);
    model
        .workloads
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let ports = declared_ports(w);
            let cross = (!ports.is_empty()).then(|| {
                model.workloads.iter().enumerate().any(|(j, s)| {
                    s.namespace != w.namespace
                        && ports.iter().any(|p| {
                            model
                                .query(Endpoint::Workload(j), Endpoint::Workload(i), p)
                                .is_ok_and(|v| v.allowed)
                        })
                })
            });
            let (v4, v6) = public_admissions(model, i);
            WorkloadPosture {
                workload: w.display(),
                ingress_isolated: model.isolated(i, true),
                egress_isolated: model.isolated(i, false),
                internet_exposed: !exposed[i].is_empty(),
                exposure: exposed[i].clone(),
                reachable_from_other_namespaces: cross,
                can_reach_internet: v4.iter().chain(&v6).any(Option::is_some),
            }
        })
        .collect()
}

/// Reviews an inventory; returns only failures.
pub fn review(inv: &Inventory) -> Vec<Finding> {
    review_model(inv, &Model::new(inv))
}

/// Reviews with an already built model of the same inventory.
pub fn review_model(inv: &Inventory, model: &Model) -> Vec<Finding> {
    review_with(inv, model, &Segmentation::default())
}

/// [`review_model`] with declared flows: KC-NET-104 does not report the connections they
/// permit.
pub fn review_with(inv: &Inventory, model: &Model, segmentation: &Segmentation) -> Vec<Finding> {
    let mut out = Vec::new();
    let ws = &model.workloads;

    // KC-NET-101, KC-NET-109.
    default_deny(inv, model, true, &mut out);
    default_deny(inv, model, false, &mut out);

    // KC-NET-102.
    for (i, w) in ws.iter().enumerate() {
        let (v4, v6) = public_admissions(model, i);
        let all = |a: &[Option<Admission>]| a.iter().all(Option::is_some);
        let open: Vec<&Admission> = if all(&v4) {
            v4.iter().flatten().collect()
        } else if all(&v6) {
            v6.iter().flatten().collect()
        } else {
            continue;
        };
        let msg = if open.contains(&&Admission::NotIsolated) {
            let why = if w.host_network {
                "it uses hostNetwork, which no policy applies to"
            } else {
                "egress is not isolated (no NetworkPolicy of type Egress selects it)"
            };
            format!("{} may connect to any external address: {why}", w.display())
        } else {
            let mut rules: Vec<String> = Vec::new();
            for a in open {
                let n = match a {
                    Admission::Rule(r) => rule_name(r, "egress"),
                    // An AdminNetworkPolicy, Calico or baseline decision: its explanation.
                    Admission::Tiered(reason) => reason.clone(),
                    Admission::NotIsolated => continue,
                };
                if !rules.contains(&n) {
                    rules.push(n);
                }
            }
            format!(
                "{} may connect to any external address: allowed by {}",
                w.display(),
                rules.join(", ")
            )
        };
        out.extend(finding(
            &EGRESS_UNRESTRICTED,
            inv,
            w.object,
            &w.pointer,
            msg,
        ));
    }

    // KC-NET-103.
    for (i, paths) in exposed_to_internet(inv, model).into_iter().enumerate() {
        if paths.is_empty() {
            continue;
        }
        let w = &ws[i];
        let msg = format!(
            "{} is reachable from the internet ({INTERNET_PROBE}): {}",
            w.display(),
            paths.join("; ")
        );
        out.extend(finding(
            &EXPOSED_TO_INTERNET,
            inv,
            w.object,
            &w.pointer,
            msg,
        ));
    }

    // KC-NET-104.
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
                            && segmentation
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
        out.extend(finding(
            &SEGMENTATION_VIOLATED,
            inv,
            w.object,
            &w.pointer,
            msg,
        ));
    }

    // KC-NET-105.
    for (i, w) in ws.iter().enumerate() {
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
            out.extend(finding(&METADATA_REACHABLE, inv, w.object, &w.pointer, msg));
        }
    }

    // KC-NET-110.
    for (i, w) in ws.iter().enumerate() {
        if w.host_network || model.isolated(i, true) || model.isolated(i, false) {
            continue;
        }
        let msg = format!(
            "{} is selected by no NetworkPolicy: neither its ingress nor its egress is isolated",
            w.display()
        );
        out.extend(finding(
            &WORKLOAD_NOT_SELECTED,
            inv,
            w.object,
            &w.pointer,
            msg,
        ));
    }

    // KC-NET-111.
    allow_all_rules(inv, &mut out);

    // KC-NET-112.
    for w in ws.iter().filter(|w| w.host_network) {
        let would = |ingress: bool| -> Vec<String> {
            model
                .policies
                .iter()
                .filter(|p| {
                    if ingress {
                        p.ingress_type
                    } else {
                        p.egress_type
                    }
                })
                .filter(|p| p.namespace == w.namespace && p.pod_selector.matches(&w.labels))
                .map(|p| format!("{}/{}", p.namespace, p.name))
                .collect()
        };
        let (ing, eg) = (would(true), would(false));
        if ing.is_empty() && eg.is_empty() {
            continue;
        }
        let mut parts = Vec::new();
        if !ing.is_empty() {
            parts.push(format!("ingress by {}", ing.join(", ")));
        }
        if !eg.is_empty() {
            parts.push(format!("egress by {}", eg.join(", ")));
        }
        let msg = format!(
            "{} uses hostNetwork, so the NetworkPolicies that select its labels do not apply to it: it would be isolated for {}",
            w.display(),
            parts.join(" and ")
        );
        out.extend(finding(
            &HOST_NETWORK_BYPASS,
            inv,
            w.object,
            &w.pointer,
            msg,
        ));
    }

    // KC-NET-113.
    lateral_paths(inv, model, &mut out);

    // KC-NET-108.
    for (idx, o) in inv.objects.iter().enumerate() {
        if o.kind != "NetworkPolicy" || o.group() != "networking.k8s.io" {
            continue;
        }
        let Err(problems) = NetworkPolicy::parse(&o.value) else {
            continue;
        };
        let pointer = problems.first().map(|p| p.0.clone()).unwrap_or_default();
        let list: Vec<String> = problems
            .iter()
            .map(|(p, m)| {
                if p.is_empty() {
                    m.clone()
                } else {
                    format!("{p}: {m}")
                }
            })
            .collect();
        let msg = format!(
            "NetworkPolicy {}/{} would be rejected by the API server ({}); it is ignored by the analysis",
            ns_of(o),
            o.name,
            list.join("; ")
        );
        out.extend(finding(&INVALID_POLICY, inv, idx, &pointer, msg));
    }
    for (idx, problems) in crate::rejected_tiered(inv) {
        let Some(o) = inv.objects.get(idx) else {
            continue;
        };
        let pointer = problems.first().map(|p| p.0.clone()).unwrap_or_default();
        let list: Vec<String> = problems.iter().map(|(p, m)| format!("{p}: {m}")).collect();
        let msg = format!(
            "{} {} would be rejected by the API server ({}); it is ignored by the analysis",
            o.api_version,
            o.display_name(),
            list.join("; ")
        );
        out.extend(finding(&INVALID_POLICY, inv, idx, &pointer, msg));
    }
    out
}

/// KC-NET-101 (`ingress`) or KC-NET-109: one finding per namespace with a pod-network workload
/// that no policy isolates in that direction.
fn default_deny(inv: &Inventory, model: &Model, ingress: bool, out: &mut Vec<Finding>) {
    let ws = &model.workloads;
    let (meta, word) = if ingress {
        (&NO_DEFAULT_DENY_INGRESS, "ingress")
    } else {
        (&NO_DEFAULT_DENY_EGRESS, "egress")
    };
    let mut by_ns: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, w) in ws.iter().enumerate() {
        if !w.host_network {
            by_ns.entry(w.namespace.as_str()).or_default().push(i);
        }
    }
    for (ns, members) in &by_ns {
        let open: Vec<usize> = members
            .iter()
            .copied()
            .filter(|&i| !model.isolated(i, ingress))
            .collect();
        let Some(&first) = open.first() else {
            continue;
        };
        let names: Vec<String> = open.iter().map(|&i| ws[i].display()).collect();
        let msg = format!(
            "namespace {ns} has no default-deny {word}: no NetworkPolicy isolates the {word} of {}",
            names.join(", ")
        );
        let ns_obj = inv
            .objects
            .iter()
            .position(|o| o.kind == "Namespace" && o.namespace.is_none() && o.name == *ns);
        out.extend(match ns_obj {
            Some(o) => finding(meta, inv, o, "/metadata/name", msg),
            None => finding(meta, inv, ws[first].object, &ws[first].pointer, msg),
        });
    }
}

/// What a peer admits when it admits every peer of some kind, for KC-NET-111.
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

/// KC-NET-111: rules of valid policies whose peers admit everyone (of a kind).
fn allow_all_rules(inv: &Inventory, out: &mut Vec<Finding>) {
    for (idx, o) in inv.objects.iter().enumerate() {
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
                    out.extend(finding(&ALLOW_ALL_RULE, inv, idx, &pointer, msg));
                }
            }
        }
    }
}

/// One hop of a lateral path, as text.
fn hop_text(model: &Model, from: usize, to: usize, v: &crate::Verdict) -> String {
    let side = |d: &crate::DirectionVerdict, dir: &str| match &d.allowed_by {
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

/// KC-NET-113: shortest multi-hop paths from internet-exposed workloads to data-class workloads.
fn lateral_paths(inv: &Inventory, model: &Model, out: &mut Vec<Finding>) {
    let ws = &model.workloads;
    let targets: Vec<bool> = ws.iter().map(|w| class_of(model, w).is_some()).collect();
    if !targets.iter().any(|&t| t) {
        return;
    }
    let exposed = exposed_to_internet(inv, model);
    let sources: Vec<usize> = (0..ws.len()).filter(|&i| !exposed[i].is_empty()).collect();
    if sources.is_empty() {
        return;
    }
    let ports: Vec<Vec<Port>> = ws.iter().map(declared_ports).collect();
    // edges[a]: (b, the verdict of the first allowed port), computed on first visit.
    let mut edges: Vec<Option<Vec<(usize, crate::Verdict)>>> = vec![None; ws.len()];
    // paths[target]: hop texts of each reported path, by source order.
    let mut paths: BTreeMap<usize, Vec<Vec<String>>> = BTreeMap::new();
    for &src in &sources {
        // Breadth-first: parent[b] = (a, index of the edge a -> b in edges[a]).
        let mut parent: Vec<Option<(usize, usize)>> = vec![None; ws.len()];
        let mut depth = vec![usize::MAX; ws.len()];
        depth[src] = 0;
        let mut queue = std::collections::VecDeque::from([src]);
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
        out.extend(finding(&LATERAL_PATH, inv, w.object, &w.pointer, msg));
    }
}
