//! `policy.networking.k8s.io/v1alpha1` AdminNetworkPolicy and BaselineAdminNetworkPolicy
//! (network-policy-api v0.1.5 and later: `namespaces` peers are plain label selectors).
//!
//! Parsing validates what the CRD schema and its CEL rules reject: `priority` outside 0-1000,
//! more than 100 rules per direction, a rule without peers or with more than 100, a peer or
//! port with other than exactly one member, `Pass` in a baseline policy, a baseline policy not
//! named `default`, `networks` with a bad CIDR or more than 25 entries, a `portRange` whose
//! `end` is not above `start`. The `sameLabels` / `notSameLabels` peers of releases before
//! v0.1.5 were removed from the API; a policy using them is rejected rather than silently
//! read as "all namespaces" (which is what pruning by the current schema would make of it).

use kubecomply_core::value::Field;

use kubecomply_core::Value;

use crate::Protocol;
use crate::cidr::Cidr;
use crate::selector::{self, LabelSelector};

/// Whether a policy is an AdminNetworkPolicy or the BaselineAdminNetworkPolicy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminTier {
    /// AdminNetworkPolicy (before NetworkPolicy).
    Admin,
    /// BaselineAdminNetworkPolicy (after NetworkPolicy, only for non-isolated pods).
    Baseline,
}

/// A rule action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminAction {
    /// Allow (final).
    Allow,
    /// Deny (final).
    Deny,
    /// Pass: skip the remaining admin rules (AdminNetworkPolicy only).
    Pass,
}

impl AdminAction {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminAction::Allow => "Allow",
            AdminAction::Deny => "Deny",
            AdminAction::Pass => "Pass",
        }
    }
}

/// Which pods a policy applies to.
#[derive(Clone, Debug)]
pub(crate) enum Subject {
    /// Every pod of the selected namespaces.
    Namespaces(LabelSelector),
    /// Pods matching `podSelector` in namespaces matching `namespaceSelector`.
    Pods {
        namespaces: LabelSelector,
        pods: LabelSelector,
    },
}

/// A peer of a rule.
#[derive(Clone, Debug)]
pub(crate) enum AdminPeer {
    /// Every pod of the selected namespaces.
    Namespaces(LabelSelector),
    /// Selected pods of selected namespaces.
    Pods {
        namespaces: LabelSelector,
        pods: LabelSelector,
    },
    /// Egress only: the addresses of the selected Nodes.
    Nodes(LabelSelector),
    /// Egress only: address blocks (pod addresses included).
    Networks(Vec<Cidr>),
    /// Egress only, Allow rules only: FQDNs. Without DNS data no queried address is known to
    /// belong to them, so this peer matches nothing (an Allow rule, so failing closed).
    DomainNames,
}

/// A port of a rule.
#[derive(Clone, Debug)]
pub(crate) enum AdminPort {
    /// `portNumber`.
    Number(Protocol, u16),
    /// `namedPort`: a container port name of the destination pod, any protocol it declares.
    Named(String),
    /// `portRange` (inclusive).
    Range(Protocol, u16, u16),
}

/// A rule.
#[derive(Clone, Debug)]
pub(crate) struct AdminRule {
    pub name: String,
    pub action: AdminAction,
    pub peers: Vec<AdminPeer>,
    /// `None`: all ports.
    pub ports: Option<Vec<AdminPort>>,
}

/// A valid AdminNetworkPolicy or BaselineAdminNetworkPolicy.
#[derive(Clone, Debug)]
pub struct AdminPolicy {
    /// Which kind.
    pub tier: AdminTier,
    /// `metadata.name`.
    pub name: String,
    /// `spec.priority` (0 for the baseline policy).
    pub priority: u32,
    pub(crate) subject: Subject,
    pub(crate) ingress: Vec<AdminRule>,
    pub(crate) egress: Vec<AdminRule>,
}

impl AdminPolicy {
    /// `AdminNetworkPolicy` or `BaselineAdminNetworkPolicy`.
    pub fn kind(&self) -> &'static str {
        match self.tier {
            AdminTier::Admin => "AdminNetworkPolicy",
            AdminTier::Baseline => "BaselineAdminNetworkPolicy",
        }
    }

    /// Parses and validates a policy object; `Err` carries (JSON pointer, message) problems.
    pub fn parse(v: &Value, tier: AdminTier) -> Result<AdminPolicy, Vec<(String, String)>> {
        let mut out = Vec::new();
        let name = v
            .field("metadata")
            .and_then(|m| m.field("name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let spec = match v.field("spec") {
            Some(s @ Value::Object(_)) => s,
            _ => {
                out.push(("/spec".into(), "required object".into()));
                return Err(out);
            }
        };
        let priority = match tier {
            AdminTier::Baseline => {
                if name != "default" {
                    out.push((
                        "/metadata/name".into(),
                        "a BaselineAdminNetworkPolicy must be named `default` (it is a singleton)"
                            .into(),
                    ));
                }
                0
            }
            AdminTier::Admin => match spec.field("priority").map(|p| (p, p.as_u64())) {
                Some((_, Some(n @ 0..=1000))) => n as u32,
                Some(_) => {
                    out.push((
                        "/spec/priority".into(),
                        "must be an integer from 0 to 1000".into(),
                    ));
                    0
                }
                None => {
                    out.push(("/spec/priority".into(), "required".into()));
                    0
                }
            },
        };
        let subject = subject(spec.field("subject"), &mut out);
        let ingress = rules(spec, "ingress", "from", tier, &mut out);
        let egress = rules(spec, "egress", "to", tier, &mut out);
        match (out.is_empty(), subject) {
            (true, Some(subject)) => Ok(AdminPolicy {
                tier,
                name,
                priority,
                subject,
                ingress,
                egress,
            }),
            _ => Err(out),
        }
    }
}

fn label_selector(
    v: Option<&Value>,
    at: &str,
    out: &mut Vec<(String, String)>,
) -> Option<LabelSelector> {
    let Some(v) = v else {
        out.push((at.into(), "required".into()));
        return None;
    };
    let before = out.len();
    selector::problems(v, at, out);
    let parsed = LabelSelector::parse(v);
    if parsed.is_none() && out.len() == before {
        out.push((at.into(), "must be a label selector".into()));
    }
    parsed
}

/// The keys of an object other than nulls, for "exactly one of" checks.
fn members(v: &Value) -> Vec<&str> {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k.as_str())
                .collect()
        })
        .unwrap_or_default()
}

fn pods_pair(
    v: &Value,
    at: &str,
    out: &mut Vec<(String, String)>,
) -> Option<(LabelSelector, LabelSelector)> {
    let ns = label_selector(
        v.field("namespaceSelector"),
        &format!("{at}/namespaceSelector"),
        out,
    );
    let pods = label_selector(v.field("podSelector"), &format!("{at}/podSelector"), out);
    Some((ns?, pods?))
}

fn subject(v: Option<&Value>, out: &mut Vec<(String, String)>) -> Option<Subject> {
    let at = "/spec/subject";
    let Some(v) = v.filter(|v| v.is_object()) else {
        out.push((at.into(), "required object".into()));
        return None;
    };
    match members(v).as_slice() {
        ["namespaces"] => label_selector(v.field("namespaces"), &format!("{at}/namespaces"), out)
            .map(Subject::Namespaces),
        ["pods"] => pods_pair(&v["pods"], &format!("{at}/pods"), out)
            .map(|(namespaces, pods)| Subject::Pods { namespaces, pods }),
        _ => {
            out.push((
                at.into(),
                "must set exactly one of `namespaces`, `pods`".into(),
            ));
            None
        }
    }
}

fn rules(
    spec: &Value,
    dir: &str,
    peer_key: &str,
    tier: AdminTier,
    out: &mut Vec<(String, String)>,
) -> Vec<AdminRule> {
    let at = format!("/spec/{dir}");
    let items = match spec.field(dir) {
        None | Some(Value::Null) => return Vec::new(),
        Some(Value::Array(a)) => a,
        Some(_) => {
            out.push((at, "must be a list".into()));
            return Vec::new();
        }
    };
    if items.len() > 100 {
        out.push((
            at.clone(),
            format!("at most 100 rules, found {}", items.len()),
        ));
    }
    let mut rules = Vec::new();
    for (i, r) in items.iter().enumerate() {
        let at = format!("{at}/{i}");
        if !r.is_object() {
            out.push((at, "must be an object".into()));
            continue;
        }
        let name = match r.field("name") {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) if s.chars().count() <= 100 => s.clone(),
            Some(_) => {
                out.push((
                    format!("{at}/name"),
                    "must be a string of at most 100 characters".into(),
                ));
                String::new()
            }
        };
        let action = match (r.field("action").and_then(Value::as_str), tier) {
            (Some("Allow"), _) => Some(AdminAction::Allow),
            (Some("Deny"), _) => Some(AdminAction::Deny),
            (Some("Pass"), AdminTier::Admin) => Some(AdminAction::Pass),
            (Some("Pass"), AdminTier::Baseline) => {
                out.push((
                    format!("{at}/action"),
                    "`Pass` is not allowed in a BaselineAdminNetworkPolicy (supported: Allow, Deny)".into(),
                ));
                None
            }
            (None, _) => {
                out.push((format!("{at}/action"), "required".into()));
                None
            }
            (Some(_), AdminTier::Admin) => {
                out.push((
                    format!("{at}/action"),
                    "supported values: \"Allow\", \"Deny\", \"Pass\"".into(),
                ));
                None
            }
            (Some(_), AdminTier::Baseline) => {
                out.push((
                    format!("{at}/action"),
                    "supported values: \"Allow\", \"Deny\"".into(),
                ));
                None
            }
        };
        let peers = peers(
            r.field(peer_key),
            &format!("{at}/{peer_key}"),
            dir == "egress",
            out,
        );
        if action.is_some_and(|a| a != AdminAction::Allow)
            && peers.iter().any(|p| matches!(p, AdminPeer::DomainNames))
        {
            out.push((
                format!("{at}/action"),
                "`domainNames` peers may only be used in Allow rules".into(),
            ));
        }
        let ports = ports(r.field("ports"), &format!("{at}/ports"), out);
        if let Some(action) = action {
            rules.push(AdminRule {
                name,
                action,
                peers,
                ports,
            });
        }
    }
    rules
}

fn peers(
    v: Option<&Value>,
    at: &str,
    egress: bool,
    out: &mut Vec<(String, String)>,
) -> Vec<AdminPeer> {
    let items = match v {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) | None | Some(Value::Null) => {
            out.push((at.into(), "required: at least one peer".into()));
            return Vec::new();
        }
        Some(_) => {
            out.push((at.into(), "must be a list".into()));
            return Vec::new();
        }
    };
    if items.len() > 100 {
        out.push((
            at.into(),
            format!("at most 100 peers, found {}", items.len()),
        ));
    }
    let mut peers = Vec::new();
    for (j, p) in items.iter().enumerate() {
        let at = format!("{at}/{j}");
        let keys = members(p);
        let peer = match keys.as_slice() {
            ["namespaces"] => {
                let ns = &p["namespaces"];
                let old: Vec<&str> = ["sameLabels", "notSameLabels", "namespaceSelector"]
                    .into_iter()
                    .filter(|k| ns.field(k).is_some())
                    .collect();
                if !old.is_empty() {
                    out.push((
                        format!("{at}/namespaces"),
                        format!(
                            "`{}` belongs to the pre-v0.1.5 NamespacedPeer shape, removed from v1alpha1; `namespaces` is now a plain label selector",
                            old.join("`, `")
                        ),
                    ));
                    None
                } else {
                    label_selector(Some(ns), &format!("{at}/namespaces"), out)
                        .map(AdminPeer::Namespaces)
                }
            }
            ["pods"] => {
                let pods = &p["pods"];
                if pods.field("namespaces").is_some() {
                    out.push((
                        format!("{at}/pods/namespaces"),
                        "the pre-v0.1.5 `pods.namespaces` peer was removed; use `pods.namespaceSelector`".into(),
                    ));
                    None
                } else {
                    pods_pair(pods, &format!("{at}/pods"), out)
                        .map(|(namespaces, pods)| AdminPeer::Pods { namespaces, pods })
                }
            }
            ["nodes"] if egress => {
                label_selector(p.field("nodes"), &format!("{at}/nodes"), out).map(AdminPeer::Nodes)
            }
            ["networks"] if egress => networks(&p["networks"], &format!("{at}/networks"), out),
            ["domainNames"] if egress => {
                domain_names(&p["domainNames"], &format!("{at}/domainNames"), out)
            }
            [k @ ("nodes" | "networks" | "domainNames")] => {
                out.push((
                    format!("{at}/{k}"),
                    "only egress peers may select nodes, networks or domain names".into(),
                ));
                None
            }
            _ => {
                let allowed = if egress {
                    "`namespaces`, `pods`, `nodes`, `networks`, `domainNames`"
                } else {
                    "`namespaces`, `pods`"
                };
                out.push((at.clone(), format!("must set exactly one of {allowed}")));
                None
            }
        };
        peers.extend(peer);
    }
    peers
}

fn domain_names(v: &Value, at: &str, out: &mut Vec<(String, String)>) -> Option<AdminPeer> {
    let names: Option<Vec<String>> = v
        .as_array()
        .filter(|a| !a.is_empty() && a.len() <= 25)
        .and_then(|a| {
            a.iter()
                .map(|d| d.as_str().filter(|s| !s.is_empty()).map(str::to_string))
                .collect()
        });
    if names.is_none() {
        out.push((at.into(), "must be a list of 1 to 25 domain names".into()));
    }
    names.map(|_| AdminPeer::DomainNames)
}

fn networks(v: &Value, at: &str, out: &mut Vec<(String, String)>) -> Option<AdminPeer> {
    let Some(items) = v.as_array().filter(|a| !a.is_empty()) else {
        out.push((at.into(), "must be a non-empty list of CIDRs".into()));
        return None;
    };
    if items.len() > 25 {
        out.push((
            at.into(),
            format!("at most 25 CIDRs, found {}", items.len()),
        ));
    }
    let mut cidrs = Vec::new();
    for (k, c) in items.iter().enumerate() {
        match c.as_str().and_then(Cidr::parse) {
            Some(c) => cidrs.push(c),
            None => out.push((format!("{at}/{k}"), format!("invalid CIDR {c}"))),
        }
    }
    Some(AdminPeer::Networks(cidrs))
}

fn protocol(v: Option<&Value>, at: &str, out: &mut Vec<(String, String)>) -> Protocol {
    match v {
        None | Some(Value::Null) => Protocol::Tcp,
        Some(p) => match p.as_str().and_then(Protocol::parse) {
            Some(p) => p,
            None => {
                out.push((
                    at.into(),
                    "supported values: \"TCP\", \"UDP\", \"SCTP\"".into(),
                ));
                Protocol::Tcp
            }
        },
    }
}

fn port_number(v: Option<&Value>, at: &str, out: &mut Vec<(String, String)>) -> u16 {
    match v.and_then(Value::as_u64) {
        Some(n @ 1..=65535) => n as u16,
        _ => {
            out.push((at.into(), "must be a port number from 1 to 65535".into()));
            0
        }
    }
}

fn ports(v: Option<&Value>, at: &str, out: &mut Vec<(String, String)>) -> Option<Vec<AdminPort>> {
    let items = match v {
        None | Some(Value::Null) => return None,
        Some(Value::Array(a)) => a,
        Some(_) => {
            out.push((at.into(), "must be a list".into()));
            return None;
        }
    };
    if items.len() > 100 {
        out.push((
            at.into(),
            format!("at most 100 ports, found {}", items.len()),
        ));
    }
    let mut ports = Vec::new();
    for (k, p) in items.iter().enumerate() {
        let at = format!("{at}/{k}");
        match members(p).as_slice() {
            ["portNumber"] => {
                let n = &p["portNumber"];
                let proto = protocol(
                    n.field("protocol"),
                    &format!("{at}/portNumber/protocol"),
                    out,
                );
                let port = port_number(n.field("port"), &format!("{at}/portNumber/port"), out);
                ports.push(AdminPort::Number(proto, port));
            }
            ["namedPort"] => match p["namedPort"].as_str() {
                Some(s) if !s.is_empty() => ports.push(AdminPort::Named(s.to_string())),
                _ => out.push((
                    format!("{at}/namedPort"),
                    "must be a non-empty string".into(),
                )),
            },
            ["portRange"] => {
                let r = &p["portRange"];
                let proto = protocol(
                    r.field("protocol"),
                    &format!("{at}/portRange/protocol"),
                    out,
                );
                let start = port_number(r.field("start"), &format!("{at}/portRange/start"), out);
                let end = port_number(r.field("end"), &format!("{at}/portRange/end"), out);
                if start != 0 && end != 0 && end <= start {
                    out.push((
                        format!("{at}/portRange"),
                        "`start` must be less than `end`".into(),
                    ));
                }
                ports.push(AdminPort::Range(proto, start, end));
            }
            _ => out.push((
                at,
                "must set exactly one of `portNumber`, `namedPort`, `portRange`".into(),
            )),
        }
    }
    // An empty list restricts nothing, as an absent one.
    Some(ports).filter(|p| !p.is_empty())
}
