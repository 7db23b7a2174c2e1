//! Calico `projectcalico.org/v3` (and its `crd.projectcalico.org/v1` storage form) NetworkPolicy,
//! GlobalNetworkPolicy and Tier.

pub mod selector;

use kubecomply_core::value::Field;

use kubecomply_core::Value;

use crate::Protocol;
use crate::cidr::Cidr;
pub use selector::{Selector, SelectorError};

/// Calico's order of the `default` tier when no Tier object sets one (Calico 3.30 and later).
pub const DEFAULT_TIER_ORDER: f64 = 1_000_000.0;
/// Calico's tier for AdminNetworkPolicies and its order.
pub const ADMIN_TIER: (&str, f64) = ("adminnetworkpolicy", 1_000.0);
/// Calico's tier for the BaselineAdminNetworkPolicy and its order.
pub const BASELINE_TIER: (&str, f64) = ("baselineadminnetworkpolicy", 10_000_000.0);
/// The order Calico gives Kubernetes NetworkPolicies (as `knp.default.<name>`) in `default`.
pub const KNP_ORDER: f64 = 1_000.0;

/// What a Calico rule (or a tier's end) does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalicoAction {
    /// Allow (final).
    Allow,
    /// Deny (final).
    Deny,
    /// Skip to the next tier.
    Pass,
    /// Record and go on with the next rule.
    Log,
}

impl CalicoAction {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CalicoAction::Allow => "Allow",
            CalicoAction::Deny => "Deny",
            CalicoAction::Pass => "Pass",
            CalicoAction::Log => "Log",
        }
    }
}

/// A `projectcalico.org/v3` Tier.
#[derive(Clone, Debug)]
pub struct Tier {
    /// `metadata.name`.
    pub name: String,
    /// `spec.order`; `None` sorts after every ordered tier.
    pub order: Option<f64>,
    /// `spec.defaultAction` (Deny when unset).
    pub default_action: CalicoAction,
}

impl Tier {
    /// Parses and validates a Tier object.
    pub fn parse(v: &Value) -> Result<Tier, Vec<(String, String)>> {
        let mut out = Vec::new();
        let name = v
            .field("metadata")
            .and_then(|m| m.field("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let spec = v.field("spec").unwrap_or(&Value::Null);
        let order = order(spec.field("order"), "/spec/order", &mut out);
        let default_action = match spec.field("defaultAction").and_then(Value::as_str) {
            None => CalicoAction::Deny,
            Some("Deny") => CalicoAction::Deny,
            Some("Pass") if name != "default" => CalicoAction::Pass,
            Some("Pass") => {
                out.push((
                    "/spec/defaultAction".into(),
                    "the `default` tier's defaultAction must be Deny".into(),
                ));
                CalicoAction::Deny
            }
            Some(_) => {
                out.push((
                    "/spec/defaultAction".into(),
                    "supported values: \"Deny\", \"Pass\"".into(),
                ));
                CalicoAction::Deny
            }
        };
        if name == ADMIN_TIER.0 || name == BASELINE_TIER.0 {
            out.push((
                "/metadata/name".into(),
                format!("`{name}` is reserved for Calico's AdminNetworkPolicy tiers"),
            ));
        }
        if out.is_empty() {
            Ok(Tier {
                name,
                order,
                default_action,
            })
        } else {
            Err(out)
        }
    }
}

fn order(v: Option<&Value>, at: &str, out: &mut Vec<(String, String)>) -> Option<f64> {
    match v {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_f64().filter(|f| f.is_finite()) {
            Some(f) => Some(f),
            None => {
                out.push((at.into(), "must be a number".into()));
                None
            }
        },
    }
}

/// A protocol as a Calico rule names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CalicoProtocol {
    /// TCP, UDP or SCTP (by name or number 6, 17, 132).
    Known(Protocol),
    /// ICMP, ICMPv6, UDPLite or another number: never one of the queried protocols.
    Other,
}

impl CalicoProtocol {
    fn matches(&self, p: Protocol) -> bool {
        *self == CalicoProtocol::Known(p)
    }
}

/// A port of an entity rule.
#[derive(Clone, Debug)]
pub(crate) enum CalicoPort {
    /// A number or `first:last` range.
    Range(u16, u16),
    /// A named container port of the endpoint.
    Named(String),
}

/// `source` or `destination` of a rule.
#[derive(Clone, Debug, Default)]
pub(crate) struct EntityRule {
    pub nets: Vec<Cidr>,
    pub not_nets: Vec<Cidr>,
    pub selector: Option<Selector>,
    pub not_selector: Option<Selector>,
    pub namespace_selector: Option<Selector>,
    /// `serviceAccounts`: names (any of) and a selector on ServiceAccount labels.
    pub service_accounts: Option<(Vec<String>, Option<Selector>)>,
    pub ports: Vec<CalicoPort>,
    pub not_ports: Vec<CalicoPort>,
}

/// A rule.
#[derive(Clone, Debug)]
pub(crate) struct CalicoRule {
    pub action: CalicoAction,
    pub protocol: Option<CalicoProtocol>,
    pub not_protocol: Option<CalicoProtocol>,
    pub ip_version: Option<u8>,
    pub source: EntityRule,
    pub destination: EntityRule,
}

impl CalicoRule {
    pub(crate) fn protocol_matches(&self, p: Protocol) -> bool {
        self.protocol.as_ref().is_none_or(|x| x.matches(p))
            && self.not_protocol.as_ref().is_none_or(|x| !x.matches(p))
    }
}

/// A valid Calico NetworkPolicy (namespaced) or GlobalNetworkPolicy.
#[derive(Clone, Debug)]
pub struct CalicoPolicy {
    /// GlobalNetworkPolicy (cluster-scoped) or NetworkPolicy.
    pub global: bool,
    /// Namespace of a NetworkPolicy (`default` when unset); empty for a global one.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec.tier` (`default` when unset).
    pub tier: String,
    /// `spec.order`; `None` sorts after every ordered policy.
    pub order: Option<f64>,
    /// Whether it has type Ingress (after Calico's defaulting).
    pub ingress_type: bool,
    /// Whether it has type Egress (after Calico's defaulting).
    pub egress_type: bool,
    pub(crate) selector: Selector,
    pub(crate) namespace_selector: Option<Selector>,
    pub(crate) service_account_selector: Option<Selector>,
    pub(crate) ingress: Vec<CalicoRule>,
    pub(crate) egress: Vec<CalicoRule>,
}

impl CalicoPolicy {
    /// `GlobalNetworkPolicy` or `NetworkPolicy`.
    pub fn kind(&self) -> &'static str {
        if self.global {
            "GlobalNetworkPolicy"
        } else {
            "NetworkPolicy"
        }
    }

    /// `NAMESPACE/NAME` or `NAME`.
    pub fn display(&self) -> String {
        if self.global {
            self.name.clone()
        } else {
            format!("{}/{}", self.namespace, self.name)
        }
    }

    /// Parses and validates a policy object; `Err` carries (JSON pointer, message) problems.
    /// Selector problems name the column inside the selector text.
    pub fn parse(v: &Value, global: bool) -> Result<CalicoPolicy, Vec<(String, String)>> {
        let mut out = Vec::new();
        let meta = v.field("metadata");
        let text = |k: &str| {
            meta.and_then(|m| m.field(k))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let name = text("name");
        let namespace = if global {
            String::new()
        } else {
            Some(text("namespace"))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "default".to_string())
        };
        let spec = match v.field("spec") {
            Some(s @ Value::Object(_)) => s,
            None | Some(Value::Null) => &Value::Null,
            Some(_) => {
                out.push(("/spec".into(), "must be an object".into()));
                return Err(out);
            }
        };
        let tier = match spec.field("tier") {
            None | Some(Value::Null) => "default".to_string(),
            Some(Value::String(s)) if !s.is_empty() => s.clone(),
            Some(_) => {
                out.push(("/spec/tier".into(), "must be a tier name".into()));
                String::new()
            }
        };
        let order = order(spec.field("order"), "/spec/order", &mut out);
        let selector =
            sel(spec.field("selector"), "/spec/selector", &mut out).unwrap_or(Selector::All);
        let namespace_selector = if global {
            sel(
                spec.field("namespaceSelector"),
                "/spec/namespaceSelector",
                &mut out,
            )
        } else {
            if spec
                .field("namespaceSelector")
                .is_some_and(|v| !v.is_null())
            {
                out.push((
                    "/spec/namespaceSelector".into(),
                    "only a GlobalNetworkPolicy has a namespaceSelector".into(),
                ));
            }
            None
        };
        let service_account_selector = sel(
            spec.field("serviceAccountSelector"),
            "/spec/serviceAccountSelector",
            &mut out,
        );
        let ingress = rules(spec.field("ingress"), "/spec/ingress", &mut out);
        let egress = rules(spec.field("egress"), "/spec/egress", &mut out);
        // Calico's defaulting: without `types`, Ingress when there are no egress rules, Egress
        // when there are egress rules but no ingress rules, both when there are both.
        let (ingress_type, egress_type) = match spec.field("types") {
            None | Some(Value::Null) => {
                (!ingress.is_empty() || egress.is_empty(), !egress.is_empty())
            }
            Some(Value::Array(a)) => {
                let mut t = (false, false);
                for (i, x) in a.iter().enumerate() {
                    match x.as_str() {
                        Some("Ingress") => t.0 = true,
                        Some("Egress") => t.1 = true,
                        _ => out.push((
                            format!("/spec/types/{i}"),
                            "supported values: \"Ingress\", \"Egress\"".into(),
                        )),
                    }
                }
                if a.is_empty() {
                    (!ingress.is_empty() || egress.is_empty(), !egress.is_empty())
                } else {
                    t
                }
            }
            Some(_) => {
                out.push(("/spec/types".into(), "must be a list".into()));
                (false, false)
            }
        };
        if !ingress_type && !ingress.is_empty() {
            out.push((
                "/spec/ingress".into(),
                "ingress rules need type Ingress in `types`".into(),
            ));
        }
        if !egress_type && !egress.is_empty() {
            out.push((
                "/spec/egress".into(),
                "egress rules need type Egress in `types`".into(),
            ));
        }
        if out.is_empty() {
            Ok(CalicoPolicy {
                global,
                namespace,
                name,
                tier,
                order,
                ingress_type,
                egress_type,
                selector,
                namespace_selector,
                service_account_selector,
                ingress,
                egress,
            })
        } else {
            Err(out)
        }
    }
}

fn sel(v: Option<&Value>, at: &str, out: &mut Vec<(String, String)>) -> Option<Selector> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match Selector::parse(s) {
            Ok(s) => Some(s),
            Err(e) => {
                out.push((at.into(), format!("invalid selector {s:?}: {e}")));
                None
            }
        },
        Some(_) => {
            out.push((at.into(), "must be a selector string".into()));
            None
        }
    }
}

fn protocol(
    v: Option<&Value>,
    at: &str,
    out: &mut Vec<(String, String)>,
) -> Option<CalicoProtocol> {
    match v? {
        Value::Null => None,
        Value::String(s) => match s.as_str() {
            "TCP" => Some(CalicoProtocol::Known(Protocol::Tcp)),
            "UDP" => Some(CalicoProtocol::Known(Protocol::Udp)),
            "SCTP" => Some(CalicoProtocol::Known(Protocol::Sctp)),
            "ICMP" | "ICMPv6" | "UDPLite" => Some(CalicoProtocol::Other),
            _ => {
                out.push((
                    at.into(),
                    "supported values: TCP, UDP, ICMP, ICMPv6, SCTP, UDPLite or a number from 0 to 255".into(),
                ));
                None
            }
        },
        n => match n.as_u64() {
            Some(6) => Some(CalicoProtocol::Known(Protocol::Tcp)),
            Some(17) => Some(CalicoProtocol::Known(Protocol::Udp)),
            Some(132) => Some(CalicoProtocol::Known(Protocol::Sctp)),
            Some(0..=255) => Some(CalicoProtocol::Other),
            _ => {
                out.push((at.into(), "a protocol number must be from 0 to 255".into()));
                None
            }
        },
    }
}

fn rules(v: Option<&Value>, at: &str, out: &mut Vec<(String, String)>) -> Vec<CalicoRule> {
    let items = match v {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(a)) => a,
        Some(_) => {
            out.push((at.into(), "must be a list".into()));
            return Vec::new();
        }
    };
    let mut rules = Vec::new();
    for (i, r) in items.iter().enumerate() {
        let at = format!("{at}/{i}");
        if !r.is_object() {
            out.push((at, "must be an object".into()));
            continue;
        }
        let action = match r.field("action").and_then(Value::as_str) {
            Some("Allow") => CalicoAction::Allow,
            Some("Deny") => CalicoAction::Deny,
            Some("Pass") => CalicoAction::Pass,
            Some("Log") => CalicoAction::Log,
            _ => {
                out.push((
                    format!("{at}/action"),
                    "required, one of \"Allow\", \"Deny\", \"Log\", \"Pass\"".into(),
                ));
                CalicoAction::Deny
            }
        };
        let protocol_v = protocol(r.field("protocol"), &format!("{at}/protocol"), out);
        let not_protocol = protocol(r.field("notProtocol"), &format!("{at}/notProtocol"), out);
        let ip_version = match r.field("ipVersion") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(4) => Some(4),
                Some(6) => Some(6),
                _ => {
                    out.push((format!("{at}/ipVersion"), "must be 4 or 6".into()));
                    None
                }
            },
        };
        let source = entity(r.field("source"), &format!("{at}/source"), out);
        let destination = entity(r.field("destination"), &format!("{at}/destination"), out);
        let has_ports = |e: &EntityRule| !e.ports.is_empty() || !e.not_ports.is_empty();
        if (has_ports(&source) || has_ports(&destination))
            && !matches!(protocol_v, Some(CalicoProtocol::Known(_)))
        {
            out.push((
                format!("{at}/protocol"),
                "rules with ports or notPorts must set protocol TCP, UDP or SCTP".into(),
            ));
        }
        rules.push(CalicoRule {
            action,
            protocol: protocol_v,
            not_protocol,
            ip_version,
            source,
            destination,
        });
    }
    rules
}

fn cidrs(v: Option<&Value>, at: &str, out: &mut Vec<(String, String)>) -> Vec<Cidr> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Vec::new();
    };
    let Some(items) = v.as_array() else {
        out.push((at.into(), "must be a list of CIDRs".into()));
        return Vec::new();
    };
    let mut res = Vec::new();
    for (i, c) in items.iter().enumerate() {
        // Calico accepts a bare address as a /32 (or /128).
        let parsed = c.as_str().and_then(|s| {
            Cidr::parse(s).or_else(|| {
                let ip: std::net::IpAddr = s.parse().ok()?;
                let bits = if ip.is_ipv4() { 32 } else { 128 };
                Cidr::parse(&format!("{ip}/{bits}"))
            })
        });
        match parsed {
            Some(c) => res.push(c),
            None => out.push((format!("{at}/{i}"), format!("invalid CIDR {c}"))),
        }
    }
    res
}

fn ports(v: Option<&Value>, at: &str, out: &mut Vec<(String, String)>) -> Vec<CalicoPort> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Vec::new();
    };
    let Some(items) = v.as_array() else {
        out.push((at.into(), "must be a list of ports".into()));
        return Vec::new();
    };
    let mut res = Vec::new();
    for (i, p) in items.iter().enumerate() {
        let num = |s: &str| s.parse::<u16>().ok();
        let parsed = match p {
            Value::String(s) => match s.split_once(':') {
                Some((a, b)) => match (num(a), num(b)) {
                    (Some(a), Some(b)) if a <= b => Some(CalicoPort::Range(a, b)),
                    _ => None,
                },
                None => match num(s) {
                    Some(n) => Some(CalicoPort::Range(n, n)),
                    None if !s.is_empty()
                        && s.len() <= 15
                        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
                    {
                        Some(CalicoPort::Named(s.clone()))
                    }
                    None => None,
                },
            },
            n => n
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .map(|n| CalicoPort::Range(n, n)),
        };
        match parsed {
            Some(p) => res.push(p),
            None => out.push((
                format!("{at}/{i}"),
                "a port is a number 0-65535, a range `first:last` or a port name".into(),
            )),
        }
    }
    res
}

fn entity(v: Option<&Value>, at: &str, out: &mut Vec<(String, String)>) -> EntityRule {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return EntityRule::default();
    };
    if !v.is_object() {
        out.push((at.into(), "must be an object".into()));
        return EntityRule::default();
    }
    let service_accounts = v
        .field("serviceAccounts")
        .filter(|s| !s.is_null())
        .map(|s| {
            let names = match s.field("names") {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            let selector = sel(
                s.field("selector"),
                &format!("{at}/serviceAccounts/selector"),
                out,
            );
            (names, selector)
        });
    EntityRule {
        nets: cidrs(v.field("nets"), &format!("{at}/nets"), out),
        not_nets: cidrs(v.field("notNets"), &format!("{at}/notNets"), out),
        selector: sel(v.field("selector"), &format!("{at}/selector"), out),
        not_selector: sel(v.field("notSelector"), &format!("{at}/notSelector"), out),
        namespace_selector: sel(
            v.field("namespaceSelector"),
            &format!("{at}/namespaceSelector"),
            out,
        ),
        service_accounts,
        ports: ports(v.field("ports"), &format!("{at}/ports"), out),
        not_ports: ports(v.field("notPorts"), &format!("{at}/notPorts"), out),
    }
}
