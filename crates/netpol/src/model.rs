//! Endpoints, namespaces and policies of one inventory, and reachability queries.

use kubecomply_core::value::Field;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use kubecomply_core::Value;
use kubecomply_core::{Inventory, Object};
use serde::Serialize;

use crate::anp::{AdminPolicy, AdminTier};
use crate::calico::{CalicoPolicy, Tier};
use crate::policy::{NetworkPolicy, Peer, PortRule, Rule};
use crate::tiers::{self, Step, TierSlot};
use crate::{Port, PortValue, Protocol};

/// The implied namespace label every namespace carries.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A container port of an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ContainerPort {
    /// `name`, if any.
    pub name: Option<String>,
    /// `containerPort`.
    pub port: u16,
    /// `protocol` (TCP when omitted).
    pub protocol: Protocol,
}

/// A pod, or the pod template of a workload, as policy sees it.
#[derive(Clone, Debug, Serialize)]
pub struct Workload {
    /// Kind of the object (`Pod`, `Deployment`, ...).
    pub kind: String,
    /// Name of the object.
    pub name: String,
    /// Namespace (`default` when unset).
    pub namespace: String,
    /// Pod labels (the template's labels for a workload).
    pub labels: BTreeMap<String, String>,
    /// Container ports of regular and init containers.
    pub ports: Vec<ContainerPort>,
    /// `spec.hostNetwork`.
    pub host_network: bool,
    /// `status.podIP(s)` of a Pod.
    pub ips: Vec<IpAddr>,
    /// `spec.nodeName` of a Pod (templates run on no particular node).
    #[serde(skip)]
    pub node: Option<String>,
    /// `spec.serviceAccountName` (`default` when unset).
    pub service_account: String,
    /// The labels Calico selectors see (own labels plus the implied `projectcalico.org/*`
    /// ones); filled only when Calico policies are present.
    #[serde(skip)]
    pub(crate) calico_labels: BTreeMap<String, String>,
    /// Index of the object in the inventory.
    #[serde(skip)]
    pub object: usize,
    /// JSON pointer of the pod template in the object (empty for a Pod).
    #[serde(skip)]
    pub pointer: String,
}

impl Workload {
    /// `NAMESPACE/KIND/NAME`.
    pub fn display(&self) -> String {
        format!("{}/{}/{}", self.namespace, self.kind, self.name)
    }
}

/// An endpoint reference as a user writes it: `NAMESPACE/NAME`, `NAMESPACE/KIND/NAME` or
/// `ip:ADDRESS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EndpointRef {
    /// A Pod, or a workload's pod template, by name.
    Named {
        /// Namespace.
        namespace: String,
        /// Kind, if given (case-insensitive).
        kind: Option<String>,
        /// Name.
        name: String,
    },
    /// An address outside the pod network.
    Ip(IpAddr),
    /// `node:NAME`: a Node, by the first address of its `status.addresses`.
    Node(String),
}

impl std::str::FromStr for EndpointRef {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<EndpointRef, QueryError> {
        let bad = || QueryError::BadEndpoint(s.to_string());
        if let Some(ip) = s.strip_prefix("ip:") {
            return ip.parse().map(EndpointRef::Ip).map_err(|_| bad());
        }
        if let Some(node) = s.strip_prefix("node:") {
            if node.is_empty() {
                return Err(bad());
            }
            return Ok(EndpointRef::Node(node.to_string()));
        }
        let parts: Vec<&str> = s.split('/').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        match parts.as_slice() {
            [ns, name] => Ok(EndpointRef::Named {
                namespace: ns.to_string(),
                kind: None,
                name: name.to_string(),
            }),
            [ns, kind, name] => Ok(EndpointRef::Named {
                namespace: ns.to_string(),
                kind: Some(kind.to_string()),
                name: name.to_string(),
            }),
            _ => Err(bad()),
        }
    }
}

/// A resolved endpoint of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// Index into [`Model::workloads`].
    Workload(usize),
    /// An address outside the pod network.
    Ip(IpAddr),
}

/// Why a query cannot be answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QueryError {
    /// The endpoint text has none of the accepted forms.
    BadEndpoint(String),
    /// No Pod or workload has that name.
    UnknownEndpoint(String),
    /// Several workloads of different kinds have that name.
    AmbiguousEndpoint(String, Vec<String>),
    /// A named port the destination does not have (with that protocol).
    UnresolvedPort(String),
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::BadEndpoint(s) => write!(
                f,
                "invalid endpoint `{s}`: expected NAMESPACE/NAME, NAMESPACE/KIND/NAME, ip:ADDRESS or node:NAME"
            ),
            QueryError::UnknownEndpoint(s) if s.starts_with("node:") => {
                write!(f, "no Node `{s}` with an address in the inputs")
            }
            QueryError::UnknownEndpoint(s) => write!(f, "no Pod or workload `{s}` in the inputs"),
            QueryError::AmbiguousEndpoint(s, c) => write!(
                f,
                "`{s}` is ambiguous: {}; use NAMESPACE/KIND/NAME",
                c.join(", ")
            ),
            QueryError::UnresolvedPort(s) => write!(f, "{s}"),
        }
    }
}

impl std::error::Error for QueryError {}

/// A policy by namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyRef {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
}

/// A rule of a policy: index into the policy's `ingress` or `egress` list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RuleRef {
    /// The policy.
    pub policy: PolicyRef,
    /// Index of the rule in its direction's list.
    pub rule: usize,
}

/// The outcome for one direction (egress of the source or ingress of the destination).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DirectionVerdict {
    /// Whether the direction allows the connection.
    pub allowed: bool,
    /// Whether policy applies at all (false for an address outside the pod network).
    pub applies: bool,
    /// Whether some policy of this direction selects the endpoint.
    pub isolated: bool,
    /// The policies of this direction that select the endpoint.
    pub policies: Vec<PolicyRef>,
    /// The first rule that allows the connection, when isolated and allowed.
    pub allowed_by: Option<RuleRef>,
    /// A one-line explanation.
    pub reason: String,
    /// What decided: a rule (with tier, policy and action), a tier's default action, the
    /// default allow, or "not a pod".
    pub decision: Step,
    /// The Pass and Log steps taken before the decision, in order.
    pub trail: Vec<Step>,
}

/// The answer to a query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Egress of the source AND ingress of the destination.
    pub allowed: bool,
    /// The source's egress.
    pub egress: DirectionVerdict,
    /// The destination's ingress.
    pub ingress: DirectionVerdict,
    /// The destination port number after resolving a named port.
    pub port: u16,
    /// The protocol.
    pub protocol: Protocol,
}

/// Endpoints, namespaces and valid NetworkPolicies of one inventory.
#[derive(Debug, Default)]
pub struct Model {
    /// Pods and workload pod templates.
    pub workloads: Vec<Workload>,
    /// Namespace labels, the implied name label included.
    pub namespaces: BTreeMap<String, BTreeMap<String, String>>,
    /// The valid policies.
    pub policies: Vec<NetworkPolicy>,
    /// Policies the API server would reject: `Kind/namespace/name` and the problems.
    pub rejected: Vec<(String, Vec<(String, String)>)>,
    /// Valid AdminNetworkPolicies, by ascending priority then name.
    pub admin: Vec<AdminPolicy>,
    /// The valid BaselineAdminNetworkPolicy.
    pub baseline: Option<AdminPolicy>,
    /// Valid Calico NetworkPolicies and GlobalNetworkPolicies.
    pub calico: Vec<CalicoPolicy>,
    /// Nodes (labels and addresses), for AdminNetworkPolicy `nodes` peers.
    pub nodes: Vec<Node>,
    /// Notes about choices the inputs leave open (e.g. AdminNetworkPolicies sharing a priority).
    pub warnings: Vec<String>,
    pub(crate) service_accounts: BTreeMap<(String, String), BTreeMap<String, String>>,
    pub(crate) tiers: Vec<TierSlot>,
    pub(crate) calico_namespaces: BTreeMap<String, BTreeMap<String, String>>,
    by_name: HashMap<(String, String), Vec<usize>>,
}

/// A Node as AdminNetworkPolicy `nodes` peers see it.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    /// Name.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// `status.addresses[].address` that parse as IP addresses.
    pub addresses: Vec<IpAddr>,
}

/// How a direction of a workload lets a peer through, on at least one port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Admission {
    /// No policy isolates the workload for the direction (or it uses hostNetwork).
    NotIsolated,
    /// A rule of a selecting policy allows it.
    Rule(RuleRef),
    /// An AdminNetworkPolicy, Calico or baseline decision allows it (the explanation).
    Tiered(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    Ingress,
    Egress,
}

fn str_map(v: Option<&Value>) -> BTreeMap<String, String> {
    v.and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn workloads_of(index: usize, o: &Object, out: &mut Vec<Workload>) {
    let namespace = o.namespace.clone().unwrap_or_else(|| "default".to_string());
    for t in o.templates() {
        let labels = str_map(t.metadata.and_then(|m| m.field("labels")));
        let mut ports = Vec::new();
        for c in t.regular_and_init() {
            let Some(Value::Array(ps)) = c.value.field("ports") else {
                continue;
            };
            for p in ps {
                let Some(port) = p
                    .field("containerPort")
                    .and_then(Value::as_u64)
                    .and_then(|n| u16::try_from(n).ok())
                else {
                    continue;
                };
                let protocol = match p.field("protocol").and_then(Value::as_str) {
                    None => Protocol::Tcp,
                    Some(s) => match Protocol::parse(s) {
                        Some(p) => p,
                        None => continue,
                    },
                };
                ports.push(ContainerPort {
                    name: p.field("name").and_then(Value::as_str).map(str::to_string),
                    port,
                    protocol,
                });
            }
        }
        let host_network = t.spec.field("hostNetwork").and_then(Value::as_bool) == Some(true);
        let service_account = ["serviceAccountName", "serviceAccount"]
            .iter()
            .find_map(|k| {
                t.spec
                    .field(k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or("default")
            .to_string();
        let mut ips = Vec::new();
        if t.pointer.is_empty()
            && let Some(status) = o.value.field("status")
        {
            let mut add = |v: Option<&Value>| {
                if let Some(ip) = v.and_then(Value::as_str).and_then(|s| s.parse().ok())
                    && !ips.contains(&ip)
                {
                    ips.push(ip);
                }
            };
            add(status.field("podIP"));
            if let Some(Value::Array(a)) = status.field("podIPs") {
                for e in a {
                    add(e.field("ip"));
                }
            }
        }
        let node = t
            .pointer
            .is_empty()
            .then(|| t.spec.field("nodeName").and_then(Value::as_str))
            .flatten()
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        out.push(Workload {
            kind: o.kind.clone(),
            name: o.name.clone(),
            namespace: namespace.clone(),
            labels,
            ports,
            host_network,
            ips,
            node,
            service_account,
            calico_labels: BTreeMap::new(),
            object: index,
            pointer: t.pointer.to_string(),
        });
    }
}

impl Model {
    /// Builds the model from an inventory.
    pub fn new(inv: &Inventory) -> Model {
        let mut m = Model::default();
        let mut tiers: Vec<Tier> = Vec::new();
        let reject =
            |m: &mut Model, o: &Object, problems| m.rejected.push((o.display_name(), problems));
        for (index, o) in inv.objects.iter().enumerate() {
            let calico = matches!(o.group(), "projectcalico.org" | "crd.projectcalico.org");
            if o.group() == "policy.networking.k8s.io"
                && matches!(
                    o.kind.as_str(),
                    "AdminNetworkPolicy" | "BaselineAdminNetworkPolicy"
                )
            {
                let tier = if o.kind == "AdminNetworkPolicy" {
                    AdminTier::Admin
                } else {
                    AdminTier::Baseline
                };
                match AdminPolicy::parse(&o.value, tier) {
                    Ok(p) if tier == AdminTier::Admin => m.admin.push(p),
                    Ok(p) => m.baseline = Some(p),
                    Err(problems) => reject(&mut m, o, problems),
                }
            } else if calico && matches!(o.kind.as_str(), "NetworkPolicy" | "GlobalNetworkPolicy") {
                match CalicoPolicy::parse(&o.value, o.kind == "GlobalNetworkPolicy") {
                    Ok(p) => m.calico.push(p),
                    Err(problems) => reject(&mut m, o, problems),
                }
            } else if calico && o.kind == "Tier" {
                match Tier::parse(&o.value) {
                    Ok(t) => tiers.push(t),
                    Err(problems) => reject(&mut m, o, problems),
                }
            } else if calico {
                // Other Calico kinds (profiles, network sets, ...) are not modelled.
            } else if o.kind == "Node" && o.group().is_empty() {
                m.nodes.push(node(o));
            } else if o.kind == "ServiceAccount" && o.group().is_empty() {
                m.service_accounts.insert(
                    (
                        o.namespace.clone().unwrap_or_else(|| "default".to_string()),
                        o.name.clone(),
                    ),
                    str_map(o.value.field("metadata").and_then(|v| v.field("labels"))),
                );
            } else if o.kind == "Namespace" && o.namespace.is_none() && !o.name.is_empty() {
                let mut labels = str_map(o.labels().map(|_| &o.value["metadata"]["labels"]));
                labels.insert(NAME_LABEL.to_string(), o.name.clone());
                m.namespaces.insert(o.name.clone(), labels);
            } else if o.kind == "NetworkPolicy" && o.group() == "networking.k8s.io" {
                match NetworkPolicy::parse(&o.value) {
                    Ok(p) => m.policies.push(p),
                    Err(problems) => m.rejected.push((o.display_name(), problems)),
                }
            } else if o.kind != "PodTemplate" {
                workloads_of(index, o, &mut m.workloads);
            }
        }
        // A hostNetwork Pod has the addresses of its node (`spec.nodeName`).
        let node_addresses: HashMap<&str, &[IpAddr]> = m
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), n.addresses.as_slice()))
            .collect();
        for w in m
            .workloads
            .iter_mut()
            .filter(|w| w.host_network && w.kind == "Pod")
        {
            let node = inv
                .objects
                .get(w.object)
                .and_then(|o| o.value.field("spec"))
                .and_then(|s| s.field("nodeName"))
                .and_then(Value::as_str);
            if let Some(addrs) = node.and_then(|n| node_addresses.get(n)) {
                for a in *addrs {
                    if !w.ips.contains(a) {
                        w.ips.push(*a);
                    }
                }
            }
        }
        let mut referenced: Vec<String> = m.workloads.iter().map(|w| w.namespace.clone()).collect();
        referenced.extend(m.policies.iter().map(|p| p.namespace.clone()));
        for ns in referenced {
            m.namespaces
                .entry(ns.clone())
                .or_insert_with(|| BTreeMap::from([(NAME_LABEL.to_string(), ns)]));
        }
        m.finish_tiers(tiers);
        for (i, w) in m.workloads.iter().enumerate() {
            m.by_name
                .entry((w.namespace.clone(), w.name.clone()))
                .or_default()
                .push(i);
        }
        m
    }

    /// Orders the admin policies, checks tier references and builds the evaluation tiers.
    fn finish_tiers(&mut self, tiers: Vec<Tier>) {
        self.admin.sort_by(|a, b| {
            a.priority
                .cmp(&b.priority)
                .then_with(|| a.name.cmp(&b.name))
        });
        for pair in self.admin.windows(2) {
            if pair[0].priority == pair[1].priority {
                self.warnings.push(format!(
                    "AdminNetworkPolicies {} and {} share priority {}: the API leaves their relative order undefined (implementations may differ where both match); kubecomply evaluates them by name",
                    pair[0].name, pair[1].name, pair[0].priority
                ));
            }
        }
        let known: Vec<&str> = tiers.iter().map(|t| t.name.as_str()).collect();
        let (kept, unknown): (Vec<CalicoPolicy>, Vec<CalicoPolicy>) =
            std::mem::take(&mut self.calico)
                .into_iter()
                .partition(|p| p.tier == "default" || known.contains(&p.tier.as_str()));
        self.calico = kept;
        for p in unknown {
            self.rejected.push((
                format!("{}/{}", p.kind(), p.display()),
                vec![(
                    "/spec/tier".into(),
                    format!(
                        "tier `{}` does not exist (no Tier object in the inputs)",
                        p.tier
                    ),
                )],
            ));
        }
        self.tiers = tiers::build(self, &tiers);
        if !self.calico.is_empty() {
            // Selectors see these maps many times per query: build them once.
            for w in &mut self.workloads {
                w.calico_labels = tiers::calico_pod_labels(w);
            }
            for (ns, labels) in &self.namespaces {
                let mut l = labels.clone();
                l.insert("projectcalico.org/name".into(), ns.clone());
                self.calico_namespaces.insert(ns.clone(), l);
            }
        }
    }

    /// Whether any AdminNetworkPolicy, BaselineAdminNetworkPolicy or Calico policy is present
    /// (otherwise explanations keep the plain NetworkPolicy wording).
    pub fn has_tiered_objects(&self) -> bool {
        !self.admin.is_empty() || self.baseline.is_some() || !self.calico.is_empty()
    }

    /// The addresses of the Node named `name` (`status.addresses`, in order).
    pub fn node_addresses(&self, name: &str) -> Option<&[IpAddr]> {
        self.nodes
            .iter()
            .find(|n| n.name == name)
            .map(|n| n.addresses.as_slice())
    }

    /// Resolves an endpoint reference; a Pod wins over a workload of the same name.
    pub fn resolve(&self, r: &EndpointRef) -> Result<Endpoint, QueryError> {
        let (namespace, kind, name) = match r {
            EndpointRef::Ip(ip) => return Ok(Endpoint::Ip(*ip)),
            EndpointRef::Node(n) => {
                return match self.node_addresses(n).and_then(|a| a.first()) {
                    Some(ip) => Ok(Endpoint::Ip(*ip)),
                    None => Err(QueryError::UnknownEndpoint(format!("node:{n}"))),
                };
            }
            EndpointRef::Named {
                namespace,
                kind,
                name,
            } => (namespace, kind, name),
        };
        let text = match kind {
            Some(k) => format!("{namespace}/{k}/{name}"),
            None => format!("{namespace}/{name}"),
        };
        let candidates: Vec<usize> = self
            .by_name
            .get(&(namespace.clone(), name.clone()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .copied()
            .filter(|&i| {
                kind.as_ref()
                    .is_none_or(|k| self.workloads[i].kind.eq_ignore_ascii_case(k))
            })
            .collect();
        if let Some(&i) = candidates
            .iter()
            .find(|&&i| self.workloads[i].kind == "Pod")
        {
            return Ok(Endpoint::Workload(i));
        }
        match candidates.as_slice() {
            [] => Err(QueryError::UnknownEndpoint(text)),
            [i] => Ok(Endpoint::Workload(*i)),
            many => {
                let mut kinds: Vec<String> =
                    many.iter().map(|&i| self.workloads[i].display()).collect();
                kinds.dedup();
                if kinds.len() == 1 {
                    // Several templates in one object: they share labels for policy purposes
                    // only if identical; take the first, which is what `NS/KIND/NAME` means.
                    Ok(Endpoint::Workload(many[0]))
                } else {
                    Err(QueryError::AmbiguousEndpoint(text, kinds))
                }
            }
        }
    }

    /// Parses and resolves `NAMESPACE/NAME`, `NAMESPACE/KIND/NAME` or `ip:ADDRESS`.
    pub fn endpoint(&self, s: &str) -> Result<Endpoint, QueryError> {
        self.resolve(&s.parse()?)
    }

    /// A display name for an endpoint.
    pub fn describe(&self, e: Endpoint) -> String {
        match e {
            Endpoint::Workload(i) => self
                .workloads
                .get(i)
                .map(Workload::display)
                .unwrap_or_default(),
            Endpoint::Ip(ip) => format!("ip:{ip}"),
        }
    }

    pub(crate) fn workload(&self, e: Endpoint) -> Option<&Workload> {
        match e {
            Endpoint::Workload(i) => self.workloads.get(i),
            Endpoint::Ip(_) => None,
        }
    }

    /// Whether a policy selects a workload (hostNetwork pods are never selected).
    pub(crate) fn selects(&self, p: &NetworkPolicy, w: &Workload) -> bool {
        !w.host_network && w.namespace == p.namespace && p.pod_selector.matches(&w.labels)
    }

    pub(crate) fn ns_labels(&self, ns: &str) -> std::borrow::Cow<'_, BTreeMap<String, String>> {
        match self.namespaces.get(ns) {
            Some(l) => std::borrow::Cow::Borrowed(l),
            None => {
                std::borrow::Cow::Owned(BTreeMap::from([(NAME_LABEL.to_string(), ns.to_string())]))
            }
        }
    }

    pub(crate) fn peer_matches(&self, policy_ns: &str, peer: &Peer, who: Endpoint) -> bool {
        match peer {
            Peer::IpBlock { cidr, except } => {
                let hit =
                    |ip: &IpAddr| cidr.contains(*ip) && !except.iter().any(|e| e.contains(*ip));
                match who {
                    Endpoint::Ip(ip) => hit(&ip),
                    Endpoint::Workload(_) => {
                        self.workload(who).is_some_and(|w| w.ips.iter().any(hit))
                    }
                }
            }
            Peer::Selectors { namespaces, pods } => {
                let Some(w) = self.workload(who) else {
                    return false;
                };
                if w.host_network {
                    return false;
                }
                let ns_ok = match namespaces {
                    Some(s) => s.matches(&self.ns_labels(&w.namespace)),
                    None => w.namespace == policy_ns,
                };
                ns_ok && pods.as_ref().is_none_or(|s| s.matches(&w.labels))
            }
        }
    }

    pub(crate) fn port_matches(
        &self,
        rule: &PortRule,
        port: u16,
        protocol: Protocol,
        dst: Endpoint,
    ) -> bool {
        if rule.protocol != protocol {
            return false;
        }
        match &rule.port {
            None => true,
            Some(PortValue::Number(p)) => match rule.end_port {
                None => port == *p,
                Some(e) => (*p..=e).contains(&port),
            },
            Some(PortValue::Name(n)) => self.workload(dst).is_some_and(|w| {
                w.ports.iter().any(|cp| {
                    cp.name.as_deref() == Some(n.as_str())
                        && cp.protocol == rule.protocol
                        && cp.port == port
                })
            }),
        }
    }

    pub(crate) fn rule_allows(
        &self,
        p: &NetworkPolicy,
        r: &Rule,
        peer: Endpoint,
        dst: Endpoint,
        port: u16,
        protocol: Protocol,
    ) -> bool {
        r.peers
            .as_ref()
            .is_none_or(|ps| ps.iter().any(|x| self.peer_matches(&p.namespace, x, peer)))
            && r.ports
                .as_ref()
                .is_none_or(|ps| ps.iter().any(|x| self.port_matches(x, port, protocol, dst)))
    }

    fn selecting(&self, dir: Dir, w: &Workload) -> Vec<&NetworkPolicy> {
        self.policies
            .iter()
            .filter(|p| match dir {
                Dir::Ingress => p.ingress_type,
                Dir::Egress => p.egress_type,
            })
            .filter(|p| self.selects(p, w))
            .collect()
    }

    /// Whether some policy isolates workload `w` for ingress (`ingress`) or egress.
    pub fn isolated(&self, w: usize, ingress: bool) -> bool {
        let dir = if ingress { Dir::Ingress } else { Dir::Egress };
        self.workloads
            .get(w)
            .is_some_and(|wl| self.tier_isolated(dir, wl))
    }

    /// Whether the ingress (`ingress`) or egress of workload `w` admits `peer` on at least one
    /// port, and how; `None` when it admits it on no port. Named ports count when the
    /// destination declares them (never towards an address).
    pub fn admits_any_port(&self, w: usize, ingress: bool, peer: Endpoint) -> Option<Admission> {
        let wl = self.workloads.get(w)?;
        let dir = if ingress { Dir::Ingress } else { Dir::Egress };
        let dst = if ingress { Endpoint::Workload(w) } else { peer };
        if self.has_tiered_objects() {
            let (subject, src) = if ingress {
                (Endpoint::Workload(w), peer)
            } else {
                (Endpoint::Workload(w), Endpoint::Workload(w))
            };
            let mut first = None;
            for (port, q) in self.port_cells(dst) {
                let v = self.evaluate(dir, subject, src, dst, port, q);
                if !v.allowed {
                    continue;
                }
                let a = match v.allowed_by {
                    Some(r) => Admission::Rule(r),
                    None if v.decision.kind == tiers::DecisionKind::DefaultAllow
                        && v.trail.is_empty() =>
                    {
                        Admission::NotIsolated
                    }
                    None => Admission::Tiered(v.reason),
                };
                if a == Admission::NotIsolated {
                    return Some(a);
                }
                first.get_or_insert(a);
            }
            return first;
        }
        let selecting = self.selecting(dir, wl);
        if selecting.is_empty() {
            return Some(Admission::NotIsolated);
        }
        for p in selecting {
            let rules = if ingress { &p.ingress } else { &p.egress };
            for (i, r) in rules.iter().enumerate() {
                let peer_ok = r
                    .peers
                    .as_ref()
                    .is_none_or(|ps| ps.iter().any(|x| self.peer_matches(&p.namespace, x, peer)));
                let port_ok = r.ports.as_ref().is_none_or(|ps| {
                    ps.iter().any(|x| match &x.port {
                        None | Some(PortValue::Number(_)) => true,
                        Some(PortValue::Name(n)) => self.workload(dst).is_some_and(|d| {
                            d.ports.iter().any(|cp| {
                                cp.name.as_deref() == Some(n.as_str()) && cp.protocol == x.protocol
                            })
                        }),
                    })
                });
                if peer_ok && port_ok {
                    return Some(Admission::Rule(RuleRef {
                        policy: PolicyRef {
                            namespace: p.namespace.clone(),
                            name: p.name.clone(),
                        },
                        rule: i,
                    }));
                }
            }
        }
        None
    }

    /// Resolves a (possibly named) port on the destination.
    pub fn resolve_port(&self, dst: Endpoint, port: &Port) -> Result<u16, QueryError> {
        match &port.port {
            PortValue::Number(n) => Ok(*n),
            PortValue::Name(name) => self
                .workload(dst)
                .and_then(|w| {
                    w.ports.iter().find(|cp| {
                        cp.name.as_deref() == Some(name.as_str()) && cp.protocol == port.protocol
                    })
                })
                .map(|cp| cp.port)
                .ok_or_else(|| {
                    QueryError::UnresolvedPort(format!(
                        "{} has no {} container port named `{name}`",
                        self.describe(dst),
                        port.protocol
                    ))
                }),
        }
    }

    /// Whether `from` may open a connection to `to` on `port`, and why.
    pub fn query(&self, from: Endpoint, to: Endpoint, port: &Port) -> Result<Verdict, QueryError> {
        let number = self.resolve_port(to, port)?;
        let egress = self.evaluate(Dir::Egress, from, from, to, number, port.protocol);
        let ingress = self.evaluate(Dir::Ingress, to, from, to, number, port.protocol);
        Ok(Verdict {
            allowed: egress.allowed && ingress.allowed,
            egress,
            ingress,
            port: number,
            protocol: port.protocol,
        })
    }

    /// [`Model::query`] with endpoint texts.
    pub fn query_str(&self, from: &str, to: &str, port: &Port) -> Result<Verdict, QueryError> {
        let f = self.endpoint(from)?;
        let t = self.endpoint(to)?;
        self.query(f, t, port)
    }
}

/// AdminNetworkPolicies, BaselineAdminNetworkPolicies, Calico policies and Tiers the API server
/// (or the CRD validation) would reject: (inventory index, `Kind` label, problems). A Calico policy
/// naming a tier no Tier object defines counts as rejected (Calico refuses it).
pub fn rejected_tiered(inv: &Inventory) -> Vec<(usize, Vec<(String, String)>)> {
    let tiers: Vec<&str> = inv
        .objects
        .iter()
        .filter(|o| {
            o.kind == "Tier" && matches!(o.group(), "projectcalico.org" | "crd.projectcalico.org")
        })
        .map(|o| o.name.as_str())
        .collect();
    let mut out = Vec::new();
    for (i, o) in inv.objects.iter().enumerate() {
        let calico = matches!(o.group(), "projectcalico.org" | "crd.projectcalico.org");
        let problems = if o.group() == "policy.networking.k8s.io" && o.kind == "AdminNetworkPolicy"
        {
            AdminPolicy::parse(&o.value, AdminTier::Admin).err()
        } else if o.group() == "policy.networking.k8s.io" && o.kind == "BaselineAdminNetworkPolicy"
        {
            AdminPolicy::parse(&o.value, AdminTier::Baseline).err()
        } else if calico && matches!(o.kind.as_str(), "NetworkPolicy" | "GlobalNetworkPolicy") {
            match CalicoPolicy::parse(&o.value, o.kind == "GlobalNetworkPolicy") {
                Err(p) => Some(p),
                Ok(p) if p.tier != "default" && !tiers.contains(&p.tier.as_str()) => Some(vec![(
                    "/spec/tier".to_string(),
                    format!(
                        "tier `{}` does not exist (no Tier object in the inputs)",
                        p.tier
                    ),
                )]),
                Ok(_) => None,
            }
        } else if calico && o.kind == "Tier" {
            Tier::parse(&o.value).err()
        } else {
            None
        };
        if let Some(p) = problems {
            out.push((i, p));
        }
    }
    out
}

fn node(o: &Object) -> Node {
    let mut addresses = Vec::new();
    if let Some(Value::Array(a)) = o.value.field("status").and_then(|s| s.field("addresses")) {
        for e in a {
            if let Some(ip) = e
                .field("address")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
            {
                addresses.push(ip);
            }
        }
    }
    Node {
        name: o.name.clone(),
        labels: str_map(o.value.field("metadata").and_then(|v| v.field("labels"))),
        addresses,
    }
}
