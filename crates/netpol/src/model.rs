//! Endpoints, namespaces and policies of one inventory, and reachability queries.

use kubecomply_core::value::Field;

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use kubecomply_core::{Inventory, Object};
use serde::Serialize;
use serde_json::Value;

use crate::policy::{NetworkPolicy, Peer, PortRule, Rule};
use crate::{Port, PortValue, Protocol};

/// The implied namespace label every namespace carries.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A container port of an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    /// `v1` Nodes and the addresses of their `status.addresses`, in order.
    pub nodes: BTreeMap<String, Vec<IpAddr>>,
    by_name: HashMap<(String, String), Vec<usize>>,
}

/// How a direction of a workload lets a peer through, on at least one port.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Admission {
    /// No policy isolates the workload for the direction (or it uses hostNetwork).
    NotIsolated,
    /// A rule of a selecting policy allows it.
    Rule(RuleRef),
}

#[derive(Clone, Copy)]
enum Dir {
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
        out.push(Workload {
            kind: o.kind.clone(),
            name: o.name.clone(),
            namespace: namespace.clone(),
            labels,
            ports,
            host_network,
            ips,
            object: index,
            pointer: t.pointer.to_string(),
        });
    }
}

impl Model {
    /// Builds the model from an inventory.
    pub fn new(inv: &Inventory) -> Model {
        let mut m = Model::default();
        for (index, o) in inv.objects.iter().enumerate() {
            if o.kind == "Namespace" && o.namespace.is_none() && !o.name.is_empty() {
                let mut labels = str_map(o.labels().map(|_| &o.value["metadata"]["labels"]));
                labels.insert(NAME_LABEL.to_string(), o.name.clone());
                m.namespaces.insert(o.name.clone(), labels);
            } else if o.kind == "NetworkPolicy" && o.group() == "networking.k8s.io" {
                match NetworkPolicy::parse(&o.value) {
                    Ok(p) => m.policies.push(p),
                    Err(problems) => m.rejected.push((o.display_name(), problems)),
                }
            } else if o.kind == "Node" && o.api_version == "v1" {
                let mut addrs: Vec<IpAddr> = Vec::new();
                if let Some(Value::Array(a)) =
                    o.value.field("status").and_then(|s| s.field("addresses"))
                {
                    for e in a {
                        if let Some(ip) = e
                            .field("address")
                            .and_then(Value::as_str)
                            .and_then(|s| s.parse().ok())
                            && !addrs.contains(&ip)
                        {
                            addrs.push(ip);
                        }
                    }
                }
                m.nodes.insert(o.name.clone(), addrs);
            } else if o.kind != "PodTemplate" {
                workloads_of(index, o, &mut m.workloads);
            }
        }
        // A hostNetwork Pod has the addresses of its node (`spec.nodeName`).
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
            if let Some(addrs) = node.and_then(|n| m.nodes.get(n)) {
                for a in addrs {
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
        for (i, w) in m.workloads.iter().enumerate() {
            m.by_name
                .entry((w.namespace.clone(), w.name.clone()))
                .or_default()
                .push(i);
        }
        m
    }

    /// Resolves an endpoint reference; a Pod wins over a workload of the same name.
    pub fn resolve(&self, r: &EndpointRef) -> Result<Endpoint, QueryError> {
        let (namespace, kind, name) = match r {
            EndpointRef::Ip(ip) => return Ok(Endpoint::Ip(*ip)),
            EndpointRef::Node(n) => {
                return match self.nodes.get(n).and_then(|a| a.first()) {
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

    fn workload(&self, e: Endpoint) -> Option<&Workload> {
        match e {
            Endpoint::Workload(i) => self.workloads.get(i),
            Endpoint::Ip(_) => None,
        }
    }

    /// Whether a policy selects a workload (hostNetwork pods are never selected).
    fn selects(&self, p: &NetworkPolicy, w: &Workload) -> bool {
        !w.host_network && w.namespace == p.namespace && p.pod_selector.matches(&w.labels)
    }

    fn ns_labels(&self, ns: &str) -> BTreeMap<String, String> {
        self.namespaces
            .get(ns)
            .cloned()
            .unwrap_or_else(|| BTreeMap::from([(NAME_LABEL.to_string(), ns.to_string())]))
    }

    fn peer_matches(&self, policy_ns: &str, peer: &Peer, who: Endpoint) -> bool {
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

    fn port_matches(&self, rule: &PortRule, port: u16, protocol: Protocol, dst: Endpoint) -> bool {
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

    fn rule_allows(
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

    fn direction(
        &self,
        dir: Dir,
        subject: Endpoint,
        peer: Endpoint,
        dst: Endpoint,
        port: u16,
        protocol: Protocol,
    ) -> DirectionVerdict {
        let word = match dir {
            Dir::Ingress => "ingress",
            Dir::Egress => "egress",
        };
        let Some(w) = self.workload(subject) else {
            return DirectionVerdict {
                allowed: true,
                applies: false,
                isolated: false,
                policies: Vec::new(),
                allowed_by: None,
                reason: format!("{word}: not a pod, no policy applies"),
            };
        };
        let selecting: Vec<&NetworkPolicy> = self
            .policies
            .iter()
            .filter(|p| match dir {
                Dir::Ingress => p.ingress_type,
                Dir::Egress => p.egress_type,
            })
            .filter(|p| self.selects(p, w))
            .collect();
        let policies: Vec<PolicyRef> = selecting
            .iter()
            .map(|p| PolicyRef {
                namespace: p.namespace.clone(),
                name: p.name.clone(),
            })
            .collect();
        if selecting.is_empty() {
            let why = if w.host_network {
                "hostNetwork pod, outside every pod selector"
            } else {
                "no policy isolates it"
            };
            return DirectionVerdict {
                allowed: true,
                applies: true,
                isolated: false,
                policies,
                allowed_by: None,
                reason: format!("{word} not isolated: {why}"),
            };
        }
        for (pr, p) in policies.iter().zip(&selecting) {
            let rules = match dir {
                Dir::Ingress => &p.ingress,
                Dir::Egress => &p.egress,
            };
            if let Some(i) = rules
                .iter()
                .position(|r| self.rule_allows(p, r, peer, dst, port, protocol))
            {
                return DirectionVerdict {
                    allowed: true,
                    applies: true,
                    isolated: true,
                    allowed_by: Some(RuleRef {
                        policy: pr.clone(),
                        rule: i,
                    }),
                    reason: format!("{word} allowed by {}/{} {word}[{i}]", pr.namespace, pr.name),
                    policies,
                };
            }
        }
        DirectionVerdict {
            allowed: false,
            applies: true,
            isolated: true,
            reason: format!(
                "{word} denied: isolated by {}; no rule of the selecting policies allows it",
                policies
                    .iter()
                    .map(|p| format!("{}/{}", p.namespace, p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            policies,
            allowed_by: None,
        }
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
            .is_some_and(|wl| !self.selecting(dir, wl).is_empty())
    }

    /// Whether the ingress (`ingress`) or egress of workload `w` admits `peer` on at least one
    /// port, and how; `None` when it admits it on no port. Named ports count when the
    /// destination declares them (never towards an address).
    pub fn admits_any_port(&self, w: usize, ingress: bool, peer: Endpoint) -> Option<Admission> {
        let wl = self.workloads.get(w)?;
        let dir = if ingress { Dir::Ingress } else { Dir::Egress };
        let dst = if ingress { Endpoint::Workload(w) } else { peer };
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
        let egress = self.direction(Dir::Egress, from, to, to, number, port.protocol);
        let ingress = self.direction(Dir::Ingress, to, from, to, number, port.protocol);
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
