//! `networking.k8s.io/v1` NetworkPolicy: parsing with API defaulting, and validation.

use kubecomply_core::value::Field;

use kubecomply_core::Value;

use crate::cidr::Cidr;
use crate::selector::{self, LabelSelector};
use crate::{PortValue, Protocol};

/// One peer of a rule.
#[derive(Clone, Debug)]
pub(crate) enum Peer {
    /// `podSelector` and/or `namespaceSelector` (both present: AND). A missing
    /// `namespaceSelector` means the policy's namespace; a missing `podSelector` all pods.
    Selectors {
        namespaces: Option<LabelSelector>,
        pods: Option<LabelSelector>,
    },
    /// An address block minus exceptions.
    IpBlock { cidr: Cidr, except: Vec<Cidr> },
}

/// One entry of a rule's `ports`.
#[derive(Clone, Debug)]
pub(crate) struct PortRule {
    pub protocol: Protocol,
    pub port: Option<PortValue>,
    pub end_port: Option<u16>,
}

/// An ingress or egress rule; `None` peers or ports (absent or empty list) mean all.
#[derive(Clone, Debug)]
pub(crate) struct Rule {
    pub peers: Option<Vec<Peer>>,
    pub ports: Option<Vec<PortRule>>,
}

/// A valid NetworkPolicy after API defaulting.
#[derive(Clone, Debug)]
pub struct NetworkPolicy {
    /// `metadata.namespace` (`default` when unset).
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    pub(crate) pod_selector: LabelSelector,
    /// Whether the policy has type Ingress (after defaulting).
    pub ingress_type: bool,
    /// Whether the policy has type Egress (after defaulting).
    pub egress_type: bool,
    pub(crate) ingress: Vec<Rule>,
    pub(crate) egress: Vec<Rule>,
}

impl NetworkPolicy {
    /// Parses a policy object; `Err` carries the [`validate`] problems when it is invalid.
    pub fn parse(v: &Value) -> Result<NetworkPolicy, Vec<(String, String)>> {
        let problems = validate(v);
        if !problems.is_empty() {
            return Err(problems);
        }
        parse_valid(v).ok_or_else(|| vec![(String::new(), "malformed policy".to_string())])
    }
}

fn parse_valid(v: &Value) -> Option<NetworkPolicy> {
    let meta = v.field("metadata");
    let namespace = meta
        .and_then(|m| m.field("namespace"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or("default")
        .to_string();
    let name = meta
        .and_then(|m| m.field("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let spec = v.field("spec").unwrap_or(&Value::Null);
    let pod_selector = LabelSelector::parse(spec.field("podSelector").unwrap_or(&Value::Null))?;
    let ingress = rules(spec.field("ingress"), "from")?;
    let egress = rules(spec.field("egress"), "to")?;
    let types: Vec<&str> = match spec.field("policyTypes") {
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    // SetDefaults_NetworkPolicy: only an empty/absent list is defaulted; Egress is added
    // only when the egress list is non-empty (`egress: []` does not isolate egress).
    let (ingress_type, egress_type) = if types.is_empty() {
        (true, !egress.is_empty())
    } else {
        (types.contains(&"Ingress"), types.contains(&"Egress"))
    };
    Some(NetworkPolicy {
        namespace,
        name,
        pod_selector,
        ingress_type,
        egress_type,
        ingress,
        egress,
    })
}

fn list(v: Option<&Value>) -> Option<&[Value]> {
    match v {
        None | Some(Value::Null) => Some(&[]),
        Some(Value::Array(a)) => Some(a),
        Some(_) => None,
    }
}

fn rules(v: Option<&Value>, peer_key: &str) -> Option<Vec<Rule>> {
    list(v)?
        .iter()
        .map(|r| {
            let peers = list(r.get(peer_key))?
                .iter()
                .map(peer)
                .collect::<Option<Vec<_>>>()?;
            let ports = list(r.field("ports"))?
                .iter()
                .map(port_rule)
                .collect::<Option<Vec<_>>>()?;
            Some(Rule {
                peers: (!peers.is_empty()).then_some(peers),
                ports: (!ports.is_empty()).then_some(ports),
            })
        })
        .collect()
}

fn peer(p: &Value) -> Option<Peer> {
    if let Some(b) = p.field("ipBlock").filter(|b| !b.is_null()) {
        let cidr = Cidr::parse(b.field("cidr")?.as_str()?)?;
        let except = list(b.field("except"))?
            .iter()
            .map(|e| e.as_str().and_then(Cidr::parse))
            .collect::<Option<Vec<_>>>()?;
        return Some(Peer::IpBlock { cidr, except });
    }
    let sel = |k: &str| match p.get(k) {
        None | Some(Value::Null) => Some(None),
        Some(s) => LabelSelector::parse(s).map(Some),
    };
    Some(Peer::Selectors {
        namespaces: sel("namespaceSelector")?,
        pods: sel("podSelector")?,
    })
}

fn port_rule(p: &Value) -> Option<PortRule> {
    let protocol = match p.field("protocol") {
        None | Some(Value::Null) => Protocol::Tcp,
        Some(v) => Protocol::parse(v.as_str()?)?,
    };
    let port = match p.field("port") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(PortValue::Name(s.clone())),
        Some(v) => Some(PortValue::Number(u16::try_from(v.as_u64()?).ok()?)),
    };
    let end_port = match p.field("endPort") {
        None | Some(Value::Null) => None,
        Some(v) => Some(u16::try_from(v.as_u64()?).ok()?),
    };
    Some(PortRule {
        protocol,
        port,
        end_port,
    })
}

/// Whether a string is a valid IANA_SVC_NAME (what a named port must be).
fn is_port_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 15
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// The problems for which the API server would reject a NetworkPolicy, as (JSON pointer,
/// message) pairs; empty for a valid policy.
pub fn validate(v: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let spec = match v.field("spec") {
        Some(Value::Object(_)) => &v["spec"],
        None | Some(Value::Null) => &Value::Null,
        Some(_) => {
            out.push(("/spec".into(), "must be an object".into()));
            return out;
        }
    };
    if let Some(s) = spec.field("podSelector") {
        selector::problems(s, "/spec/podSelector", &mut out);
    }
    match spec.field("policyTypes") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            if a.len() > 2 {
                out.push(("/spec/policyTypes".into(), "at most 2 entries".into()));
            }
            let mut seen = Vec::new();
            for (i, t) in a.iter().enumerate() {
                match t.as_str() {
                    Some(s @ ("Ingress" | "Egress")) => {
                        if seen.contains(&s) {
                            out.push((
                                format!("/spec/policyTypes/{i}"),
                                format!("duplicate `{s}`"),
                            ));
                        }
                        seen.push(s);
                    }
                    _ => out.push((
                        format!("/spec/policyTypes/{i}"),
                        "supported values: \"Ingress\", \"Egress\"".into(),
                    )),
                }
            }
        }
        Some(_) => out.push(("/spec/policyTypes".into(), "must be a list".into())),
    }
    for (dir, peer_key) in [("ingress", "from"), ("egress", "to")] {
        let at = format!("/spec/{dir}");
        let Some(items) = list(spec.get(dir)) else {
            out.push((at, "must be a list".into()));
            continue;
        };
        for (i, r) in items.iter().enumerate() {
            let at = format!("{at}/{i}");
            if !(r.is_object() || r.is_null()) {
                out.push((at, "must be an object".into()));
                continue;
            }
            match list(r.field("ports")) {
                None => out.push((format!("{at}/ports"), "must be a list".into())),
                Some(ports) => {
                    for (j, p) in ports.iter().enumerate() {
                        port_problems(p, &format!("{at}/ports/{j}"), &mut out);
                    }
                }
            }
            match list(r.get(peer_key)) {
                None => out.push((format!("{at}/{peer_key}"), "must be a list".into())),
                Some(peers) => {
                    for (j, p) in peers.iter().enumerate() {
                        peer_problems(p, &format!("{at}/{peer_key}/{j}"), &mut out);
                    }
                }
            }
        }
    }
    out
}

fn port_problems(p: &Value, at: &str, out: &mut Vec<(String, String)>) {
    if !p.is_object() {
        out.push((at.into(), "must be an object".into()));
        return;
    }
    match p.field("protocol") {
        None | Some(Value::Null) => {}
        Some(v) if v.as_str().and_then(Protocol::parse).is_some() => {}
        Some(_) => out.push((
            format!("{at}/protocol"),
            "supported values: \"SCTP\", \"TCP\", \"UDP\"".into(),
        )),
    }
    let mut number = None;
    let mut named = false;
    match p.field("port") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            named = true;
            if !is_port_name(s) {
                out.push((
                    format!("{at}/port"),
                    "a named port must be an IANA_SVC_NAME: at most 15 lower-case letters, digits and single hyphens, with a letter".into(),
                ));
            }
        }
        Some(v) => match v.as_u64() {
            Some(n @ 1..=65535) => number = Some(n),
            _ => out.push((
                format!("{at}/port"),
                "must be between 1 and 65535, inclusive".into(),
            )),
        },
    }
    match p.field("endPort") {
        None | Some(Value::Null) => {}
        Some(v) => {
            let ep = format!("{at}/endPort");
            match v.as_u64() {
                Some(e @ 1..=65535) => {
                    if named {
                        out.push((ep, "may not be specified when `port` is non-numeric".into()));
                    } else if let Some(n) = number {
                        if e < n {
                            out.push((ep, "must be greater than or equal to `port`".into()));
                        }
                    } else if p.field("port").is_none_or(Value::is_null) {
                        out.push((
                            ep,
                            "may not be specified when `port` is not specified".into(),
                        ));
                    }
                }
                _ => out.push((ep, "must be between 1 and 65535, inclusive".into())),
            }
        }
    }
}

fn peer_problems(p: &Value, at: &str, out: &mut Vec<(String, String)>) {
    let Some(map) = p.as_object() else {
        out.push((at.into(), "must be an object".into()));
        return;
    };
    let present = |k: &str| map.get(k).is_some_and(|v| !v.is_null());
    let n = ["podSelector", "namespaceSelector", "ipBlock"]
        .iter()
        .filter(|k| present(k))
        .count();
    if n == 0 {
        out.push((at.into(), "must specify a peer".into()));
    }
    if present("ipBlock") && n > 1 {
        out.push((
            at.into(),
            "may not specify more than 1 peer type when `ipBlock` is set".into(),
        ));
    }
    for k in ["podSelector", "namespaceSelector"] {
        if let Some(s) = map.get(k) {
            selector::problems(s, &format!("{at}/{k}"), out);
        }
    }
    let Some(b) = map.field("ipBlock").filter(|b| !b.is_null()) else {
        return;
    };
    let at = format!("{at}/ipBlock");
    let cidr = match b.field("cidr").and_then(Value::as_str) {
        Some(s) => match Cidr::parse(s) {
            Some(c) => Some(c),
            None => {
                out.push((format!("{at}/cidr"), format!("invalid CIDR `{s}`")));
                None
            }
        },
        None => {
            out.push((format!("{at}/cidr"), "required".into()));
            None
        }
    };
    match list(b.field("except")) {
        None => out.push((format!("{at}/except"), "must be a list".into())),
        Some(ex) => {
            for (i, e) in ex.iter().enumerate() {
                let ea = format!("{at}/except/{i}");
                match e.as_str().map(|s| (s, Cidr::parse(s))) {
                    Some((_, Some(c))) => {
                        if let Some(cidr) = cidr
                            && !cidr.strictly_contains(&c)
                        {
                            out.push((ea, "must be a strict subset of `cidr`".into()));
                        }
                    }
                    Some((s, None)) => out.push((ea, format!("invalid CIDR `{s}`"))),
                    None => out.push((ea, "must be a string".into())),
                }
            }
        }
    }
}
