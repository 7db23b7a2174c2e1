//! Kubernetes NetworkPolicy reachability with exact upstream semantics.
//!
//! * [`Model::new`] collects endpoints (Pods and the pod templates of workloads), namespaces
//!   (with the implied `kubernetes.io/metadata.name` label) and `networking.k8s.io/v1`
//!   NetworkPolicies from an inventory. Policies the API server would reject ([`validate`]) are
//!   left out of the model and listed in [`Model::rejected`].
//! * [`Model::query`] answers whether a connection is allowed and why, per direction: a
//!   connection is allowed iff the source's egress and the destination's ingress allow it, and a
//!   direction no policy isolates allows everything.
//!
//! Choices where the API leaves room (see `netpol-reports.md`, section 2.1):
//! * `hostNetwork` pods are outside every pod selector (policies never select them and selector
//!   peers never match them), as most plugins do; an `ipBlock` still matches their IP.
//! * `ipBlock` matches any address, pod IPs included (`status.podIP(s)`), as the upstream e2e CIDR
//!   tests expect; pod templates have no IP and are never matched by an `ipBlock`.
//! * A `v1` Node (`node:NAME` in queries) is an address outside the pod network: the first of
//!   its `status.addresses`, matched by `ipBlock` only. A `hostNetwork` Pod with
//!   `spec.nodeName` has its node's addresses too.
//! * Named ports resolve on the destination pod's container ports, by name AND protocol; they
//!   never match an address outside the pod network.

mod anp;
pub mod calico;
mod cidr;
mod generate;
mod matrix;
mod model;
mod policy;
mod review;
mod rules;
mod segmentation;
mod selector;
mod service;
mod tiers;

pub use anp::{AdminAction, AdminPolicy, AdminTier};
pub use cidr::Cidr;
#[doc(hidden)]
pub use generate::work as generate_work;
pub use generate::{
    Flow, FlowEnd, Proof, distinguishing_labels, flow_namespaces, generate, parse_flows, prove,
};
pub use matrix::{Classes, Reachability};
pub use model::{
    Admission, DirectionVerdict, Endpoint, EndpointRef, Model, Node, PolicyRef, QueryError,
    RuleRef, Verdict, Workload, rejected_tiered,
};
pub use policy::{NetworkPolicy, validate};
pub use review::{
    ALLOW_ALL_RULE, EGRESS_UNRESTRICTED, HOST_NETWORK_BYPASS, INVALID_POLICY, LATERAL_PATH,
    METADATA_REACHABLE, NO_DEFAULT_DENY_EGRESS, NO_DEFAULT_DENY_INGRESS, RULES,
    SEGMENTATION_VIOLATED, WORKLOAD_NOT_SELECTED, WorkloadPosture, exposed_to_internet, inventory,
    review, review_model, review_with,
};
pub use segmentation::{DeclaredFlow, FlowSelector, Segmentation};
pub use selector::LabelSelector;
pub use service::{Backend, service_backends};
pub use tiers::{DecisionKind, PolicyId, Step};

use serde::Serialize;

/// A transport protocol NetworkPolicy knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Protocol {
    /// TCP (the default everywhere a protocol is omitted).
    Tcp,
    /// UDP.
    Udp,
    /// SCTP.
    Sctp,
}

impl Protocol {
    /// Parses `TCP`, `UDP` or `SCTP` (case-sensitive, as the API server does).
    pub fn parse(s: &str) -> Option<Protocol> {
        match s {
            "TCP" => Some(Protocol::Tcp),
            "UDP" => Some(Protocol::Udp),
            "SCTP" => Some(Protocol::Sctp),
            _ => None,
        }
    }

    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

impl std::fmt::Display for Protocol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A port as given in a query or a policy: a number or a container-port name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum PortValue {
    /// A port number (1-65535).
    Number(u16),
    /// A named container port (IANA_SVC_NAME).
    Name(String),
}

impl PortValue {
    /// Parses a number, or else takes the text as a port name.
    pub fn parse(s: &str) -> PortValue {
        match s.parse::<u16>() {
            Ok(n) => PortValue::Number(n),
            Err(_) => PortValue::Name(s.to_string()),
        }
    }
}

impl std::fmt::Display for PortValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortValue::Number(n) => write!(f, "{n}"),
            PortValue::Name(s) => f.write_str(s),
        }
    }
}

/// The destination port of a queried connection.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Port {
    /// Number, or a container-port name resolved on the destination.
    pub port: PortValue,
    /// Protocol.
    pub protocol: Protocol,
}

impl Port {
    /// A TCP port by number.
    pub fn tcp(n: u16) -> Port {
        Port {
            port: PortValue::Number(n),
            protocol: Protocol::Tcp,
        }
    }
}
