//! `netpol generate`: NetworkPolicies that allow exactly a list of flows, and the proof that
//! they do (checked with [`Model::query`] on the inputs with the generated policies).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use kubecomply_core::value::Field;
use kubecomply_core::{Map, Value, json};

use crate::cidr::Cidr;
use crate::model::{Dir, Endpoint, Model, Verdict};
use crate::tiers::Member;
use crate::{Port, PortValue, Protocol};

/// The namespace label every namespace carries, used to select namespaces.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// The address that stands for `internet` in the proof (TEST-NET-3).
const INTERNET_PROBE: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10));

/// Labels of a workload are searched for a distinguishing subset up to this size.
const MAX_SELECTOR_LABELS: usize = 4;

/// A count of the work of `generate` and `prove` beyond the queries the proof must make: pod
/// labels and policy selectors compared, flows and names looked through. For tests that check
/// it stays linear in the flows (a count, not a clock).
pub mod work {
    use std::cell::Cell;

    thread_local! {
        static WORK: Cell<u64> = const { Cell::new(0) };
    }

    /// Records `n` units of work.
    pub(crate) fn count(n: usize) {
        WORK.with(|c| c.set(c.get().saturating_add(n as u64)));
    }

    /// Units of work done on the current thread so far.
    #[doc(hidden)]
    pub fn units() -> u64 {
        WORK.with(Cell::get)
    }
}

/// One end of a flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowEnd {
    /// A workload of the model (index into [`Model::workloads`]).
    Workload(usize),
    /// `ip:CIDR`: the text and the block.
    Cidr(String, Cidr),
    /// Any address outside the cluster (`0.0.0.0/0` and `::/0`).
    Internet,
}

/// A flow to allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flow {
    /// Source.
    pub from: FlowEnd,
    /// Destination.
    pub to: FlowEnd,
    /// Destination port (a number or a container-port name of the destination).
    pub port: Port,
}

/// Parses a flows file (a YAML list of `{from, to, port, protocol}`) against the model; errors
/// name the entry (`flows[i]`).
pub fn parse_flows(model: &Model, v: &Value) -> Result<Vec<Flow>, String> {
    let Value::Array(items) = v else {
        return Err("the flows file must be a list of {from, to, port, protocol}".into());
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = |m: String| format!("flows[{i}]: {m}");
        // A misspelt key must not change the flow silently (`protocl: UDP` would give TCP).
        if let Some(k) = item.as_object().and_then(|m| {
            m.keys()
                .find(|k| !["from", "to", "port", "protocol"].contains(&k.as_str()))
        }) {
            return Err(format!(
                "flows[{i}].{k}: unknown field `{k}` (expected from, to, port, protocol)"
            ));
        }
        let end = |key: &str| -> Result<FlowEnd, String> {
            let s = item
                .field(key)
                .and_then(Value::as_str)
                .ok_or_else(|| at(format!("`{key}` must be a string")))?;
            if s == "internet" {
                return Ok(FlowEnd::Internet);
            }
            if let Some(c) = s.strip_prefix("ip:") {
                let cidr = if c.contains('/') {
                    Cidr::parse(c)
                } else {
                    c.parse::<IpAddr>().ok().and_then(|ip| {
                        Cidr::parse(&format!("{ip}/{}", if ip.is_ipv4() { 32 } else { 128 }))
                    })
                };
                return cidr
                    .map(|b| FlowEnd::Cidr(c.to_string(), b))
                    .ok_or_else(|| at(format!("`{key}`: invalid CIDR `{c}`")));
            }
            match model.endpoint(s).map_err(|e| at(e.to_string()))? {
                Endpoint::Workload(w) if model.workloads[w].host_network => Err(at(format!(
                    "{} uses hostNetwork: NetworkPolicy pod selectors never select or match it, \
                     so no label-based policy can express this flow",
                    model.workloads[w].display()
                ))),
                Endpoint::Workload(w) => Ok(FlowEnd::Workload(w)),
                Endpoint::Ip(_) => Err(at(format!("`{key}`: use ip:CIDR"))),
            }
        };
        let from = end("from")?;
        let to = end("to")?;
        if !matches!(from, FlowEnd::Workload(_)) && !matches!(to, FlowEnd::Workload(_)) {
            return Err(at(
                "at least one of `from` and `to` must be a workload".into()
            ));
        }
        let port = match item.field("port") {
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .filter(|&n| n > 0)
                .map(PortValue::Number)
                .ok_or_else(|| at(format!("port {n} is not in 1-65535")))?,
            Some(Value::String(s)) if !s.is_empty() => PortValue::parse(s),
            _ => return Err(at("`port` (a number or a port name) is required".into())),
        };
        let protocol = match item.field("protocol") {
            None | Some(Value::Null) => Protocol::Tcp,
            Some(p) => p
                .as_str()
                .and_then(Protocol::parse)
                .ok_or_else(|| at("`protocol` must be TCP, UDP or SCTP".into()))?,
        };
        if let PortValue::Name(n) = &port
            && !matches!(to, FlowEnd::Workload(_))
        {
            return Err(at(format!(
                "named port `{n}` needs a workload destination (names resolve on the destination pod)"
            )));
        }
        out.push(Flow {
            from,
            to,
            port: Port { port, protocol },
        });
    }
    Ok(out)
}

/// The namespaces of the workloads the flows name: those that get a default deny.
pub fn flow_namespaces(model: &Model, flows: &[Flow]) -> BTreeSet<String> {
    flows
        .iter()
        .flat_map(|f| [&f.from, &f.to])
        .filter_map(|e| match e {
            FlowEnd::Workload(w) => model.workloads.get(*w).map(|w| w.namespace.clone()),
            _ => None,
        })
        .collect()
}

/// The smallest set of pod-template labels that selects workload `w` and no other workload of
/// its namespace.
pub fn distinguishing_labels(model: &Model, w: usize) -> Result<BTreeMap<String, String>, String> {
    let me = model.workloads.get(w).ok_or("unknown workload")?;
    let others: Vec<_> = model
        .workloads
        .iter()
        .enumerate()
        .filter(|(i, o)| *i != w && o.namespace == me.namespace)
        .map(|(_, o)| o)
        .collect();
    work::count(model.workloads.len());
    let labels: Vec<(&String, &String)> = me.labels.iter().collect();
    let n = labels.len();
    for size in 1..=n.min(MAX_SELECTOR_LABELS) {
        // Subsets of `size` labels in lexicographic order of indices.
        let mut idx: Vec<usize> = (0..size).collect();
        loop {
            work::count(others.len());
            let selects_other = others.iter().any(|o| {
                idx.iter()
                    .all(|&k| o.labels.get(labels[k].0) == Some(labels[k].1))
            });
            if !selects_other {
                return Ok(idx
                    .iter()
                    .map(|&k| (labels[k].0.clone(), labels[k].1.clone()))
                    .collect());
            }
            // Next combination.
            let mut k = size;
            while k > 0 && idx[k - 1] == n - size + k - 1 {
                k -= 1;
            }
            if k == 0 {
                break;
            }
            idx[k - 1] += 1;
            for j in k..size {
                idx[j] = idx[j - 1] + 1;
            }
        }
    }
    let mut why = format!(
        "no set of at most {MAX_SELECTOR_LABELS} of its pod labels selects {} alone",
        me.display()
    );
    if let Some(o) = others
        .iter()
        .find(|o| me.labels.iter().all(|(k, v)| o.labels.get(k) == Some(v)))
    {
        why.push_str(&format!(" ({} has all of them)", o.display()));
    }
    Err(why)
}

/// A DNS-1123 name part.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

fn end_slug(model: &Model, e: &FlowEnd) -> String {
    match e {
        FlowEnd::Workload(w) => model
            .workloads
            .get(*w)
            .map(|w| slug(&w.name))
            .unwrap_or_default(),
        FlowEnd::Cidr(text, _) => format!("ip-{}", slug(text)),
        FlowEnd::Internet => "internet".into(),
    }
}

fn port_json(p: &Port) -> Value {
    let port = match &p.port {
        PortValue::Number(n) => json!(n),
        PortValue::Name(s) => json!(s),
    };
    json!({"port": port, "protocol": p.protocol.as_str()})
}

fn policy(name: &str, ns: &str, selector: Value, types: &[&str], spec: Map) -> Value {
    let mut s = Map::new();
    s.insert("podSelector".into(), selector);
    s.insert("policyTypes".into(), json!(types));
    s.extend(spec);
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/managed-by": "kubecomply"}},
        "spec": Value::Object(s),
    })
}

/// [`distinguishing_labels`] of each workload, computed once however many flows name it (once
/// per flow end was quadratic: flows times workloads).
#[derive(Default)]
struct Labels(HashMap<usize, Result<BTreeMap<String, String>, String>>);

impl Labels {
    fn of(&mut self, model: &Model, w: usize) -> Result<BTreeMap<String, String>, String> {
        self.0
            .entry(w)
            .or_insert_with(|| distinguishing_labels(model, w))
            .clone()
    }
}

/// The peers that stand for a flow end (ipBlocks, or namespace + pod selector).
fn peers(model: &Model, e: &FlowEnd, cache: &mut Labels) -> Result<Value, String> {
    Ok(match e {
        FlowEnd::Workload(w) => {
            let labels = cache.of(model, *w)?;
            let ns = &model.workloads[*w].namespace;
            json!([{
                "namespaceSelector": {"matchLabels": {NAME_LABEL: ns}},
                "podSelector": {"matchLabels": labels},
            }])
        }
        FlowEnd::Cidr(_, c) => json!([{"ipBlock": {"cidr": c.to_string()}}]),
        FlowEnd::Internet => {
            json!([{"ipBlock": {"cidr": "0.0.0.0/0"}}, {"ipBlock": {"cidr": "::/0"}}])
        }
    })
}

/// The policies: per namespace of the flows a default deny (ingress and egress) and, with
/// `dns`, egress to kube-system's kube-dns on 53/UDP and 53/TCP; per flow an egress policy in
/// the source's namespace and an ingress policy in the destination's (for workload ends).
pub fn generate(model: &Model, flows: &[Flow], dns: bool) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for ns in flow_namespaces(model, flows) {
        out.push(policy(
            "default-deny",
            &ns,
            json!({}),
            &["Ingress", "Egress"],
            Map::new(),
        ));
        if dns {
            let mut spec = Map::new();
            spec.insert(
                "egress".into(),
                json!([{
                    "to": [{
                        "namespaceSelector": {"matchLabels": {NAME_LABEL: "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }],
                    "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
                }]),
            );
            out.push(policy(
                "allow-dns-egress",
                &ns,
                json!({}),
                &["Egress"],
                spec,
            ));
        }
    }
    let mut names: BTreeSet<(String, String)> = BTreeSet::new();
    // Per (namespace, base): the next suffix to try. Suffixes of a base are taken in order
    // and names are never released, so trying from there gives the name a search from 2 would
    // (which was quadratic in the flows that share a base).
    // Per (namespace, base): the next candidate (1: the base itself, n: `base-n`). Candidates
    // are tried in order and names are never released, so starting there gives the name a
    // search from the base would (which was quadratic in the flows sharing a base).
    let mut next: HashMap<(String, String), usize> = HashMap::new();
    let mut unique = |ns: &str, base: String| -> String {
        let mut base: String = base.chars().take(240).collect();
        base = base.trim_end_matches('-').to_string();
        let k = next.entry((ns.to_string(), base.clone())).or_insert(1);
        loop {
            work::count(1);
            let name = if *k == 1 {
                base.clone()
            } else {
                format!("{base}-{k}")
            };
            *k += 1;
            if names.insert((ns.to_string(), name.clone())) {
                return name;
            }
        }
    };
    let mut labels = Labels::default();
    for f in flows {
        let mut base = format!(
            "allow-{}-to-{}-{}",
            end_slug(model, &f.from),
            end_slug(model, &f.to),
            slug(&f.port.port.to_string())
        );
        if f.port.protocol != Protocol::Tcp {
            base.push('-');
            base.push_str(&f.port.protocol.as_str().to_ascii_lowercase());
        }
        let ports = json!([port_json(&f.port)]);
        // The source's egress towards the destination, then the destination's ingress from
        // the source: each side that is a workload gets its policy.
        for (own, peer, dir, peer_key, kind) in [
            (&f.from, &f.to, "egress", "to", "Egress"),
            (&f.to, &f.from, "ingress", "from", "Ingress"),
        ] {
            let FlowEnd::Workload(w) = own else {
                continue;
            };
            let ns = model.workloads[*w].namespace.clone();
            let selector = json!({"matchLabels": labels.of(model, *w)?});
            let mut spec = Map::new();
            spec.insert(
                dir.into(),
                json!([{peer_key: peers(model, peer, &mut labels)?, "ports": ports}]),
            );
            let name = unique(&ns, format!("{base}-{dir}"));
            out.push(policy(&name, &ns, selector, &[kind], spec));
        }
    }
    Ok(out)
}

fn probe(e: &FlowEnd) -> Endpoint {
    match e {
        FlowEnd::Workload(w) => Endpoint::Workload(*w),
        FlowEnd::Cidr(text, c) => {
            let addr = text.split('/').next().and_then(|a| a.parse().ok());
            Endpoint::Ip(addr.filter(|a| c.contains(*a)).unwrap_or(INTERNET_PROBE))
        }
        FlowEnd::Internet => Endpoint::Ip(INTERNET_PROBE),
    }
}

/// The outcome of the round-trip check.
#[derive(Clone, Debug, Default)]
pub struct Proof {
    /// Queries made.
    pub checked: usize,
    /// Each query whose answer differs from the flows: a one-line explanation.
    pub failures: Vec<String>,
}

/// Checks `after` (the inputs with the generated policies instead of the namespaces' own):
/// every flow is allowed, and for every ordered pair of pod-network workloads with at least
/// one in a namespace of the flows, on every (port, protocol) of the flows, the connection is
/// allowed only when a flow (or, with `dns`, the DNS allowance to kube-system's kube-dns on
/// port 53) lists it. Workload indices of `after` must be those of the model the flows were
/// parsed against (policies are not workloads, so replacing them keeps the order).
pub fn prove(after: &Model, flows: &[Flow], dns: bool) -> Proof {
    let mut proof = Proof::default();
    let mut selections = Selections::new(after);
    for f in flows {
        proof.checked += 1;
        let (a, b) = (probe(&f.from), probe(&f.to));
        match selections.query(a, b, &f.port) {
            Ok(v) if v.allowed => {}
            Ok(v) => proof.failures.push(format!(
                "listed flow {} -> {} {}/{} is denied ({}; {})",
                after.describe(a),
                after.describe(b),
                f.port.port,
                f.port.protocol,
                v.egress.reason,
                v.ingress.reason
            )),
            Err(e) => proof.failures.push(format!("listed flow: {e}")),
        }
    }
    let namespaces = flow_namespaces(after, flows);
    // The distinct ports in the order of the flows, and the listed (source, destination, port)
    // triples: looked up, not searched for each pair (which was quadratic in the flows).
    let mut ports: Vec<&Port> = Vec::new();
    let mut seen: HashSet<&Port> = HashSet::new();
    let mut listed_flows: HashSet<(usize, usize, &Port)> = HashSet::new();
    for f in flows {
        work::count(1);
        if seen.insert(&f.port) {
            ports.push(&f.port);
        }
        if let (FlowEnd::Workload(a), FlowEnd::Workload(b)) = (&f.from, &f.to) {
            listed_flows.insert((*a, *b, &f.port));
        }
    }
    let ws = &after.workloads;
    let is_dns = |b: usize| {
        ws[b].namespace == "kube-system"
            && ws[b].labels.get("k8s-app").map(String::as_str) == Some("kube-dns")
    };
    for a in 0..ws.len() {
        for b in 0..ws.len() {
            if a == b
                || ws[a].host_network
                || ws[b].host_network
                || !(namespaces.contains(&ws[a].namespace) || namespaces.contains(&ws[b].namespace))
            {
                continue;
            }
            for p in &ports {
                let listed = listed_flows.contains(&(a, b, *p));
                let dns_ok = dns
                    && is_dns(b)
                    && namespaces.contains(&ws[a].namespace)
                    && p.port == PortValue::Number(53)
                    && matches!(p.protocol, Protocol::Udp | Protocol::Tcp);
                // A named port the destination lacks cannot be connected to.
                let Ok(v) = selections.query(Endpoint::Workload(a), Endpoint::Workload(b), p)
                else {
                    if listed {
                        proof.failures.push(format!(
                            "{} has no port `{}`/{}",
                            ws[b].display(),
                            p.port,
                            p.protocol
                        ));
                    }
                    continue;
                };
                proof.checked += 1;
                if v.allowed && !listed && !dns_ok {
                    proof.failures.push(format!(
                        "unlisted flow {} -> {} {}/{} is allowed ({}; {})",
                        ws[a].display(),
                        ws[b].display(),
                        v.port,
                        v.protocol,
                        v.egress.reason,
                        v.ingress.reason
                    ));
                }
            }
        }
    }
    proof
}

/// The policies that select each workload, per direction, found once for every query of the
/// proof (finding them for each query scanned every policy of the namespace: the proof's
/// queries times the flows).
struct Selections<'m> {
    model: &'m Model,
    egress: HashMap<usize, Vec<Vec<Member>>>,
    ingress: HashMap<usize, Vec<Vec<Member>>>,
}

impl<'m> Selections<'m> {
    fn new(model: &'m Model) -> Selections<'m> {
        Selections {
            model,
            egress: HashMap::new(),
            ingress: HashMap::new(),
        }
    }

    /// [`Model::query`], with the selecting policies of workload ends found once.
    fn query(
        &mut self,
        from: Endpoint,
        to: Endpoint,
        port: &Port,
    ) -> Result<Verdict, crate::QueryError> {
        let number = self.model.resolve_port(to, port)?;
        let egress = self.direction(Dir::Egress, from, from, to, number, port.protocol);
        let ingress = self.direction(Dir::Ingress, to, from, to, number, port.protocol);
        Ok(Verdict {
            allowed: egress.allowed && ingress.allowed,
            egress,
            ingress,
            port: number,
            protocol: port.protocol,
        })
    }

    fn direction(
        &mut self,
        dir: Dir,
        subject: Endpoint,
        src: Endpoint,
        dst: Endpoint,
        number: u16,
        protocol: Protocol,
    ) -> crate::DirectionVerdict {
        let m = self.model;
        let w = match subject {
            Endpoint::Workload(i) => m.workloads.get(i).map(|w| (i, w)),
            Endpoint::Ip(_) => None,
        };
        let Some((i, w)) = w else {
            return m.evaluate(dir, subject, src, dst, number, protocol);
        };
        let cache = match dir {
            Dir::Egress => &mut self.egress,
            Dir::Ingress => &mut self.ingress,
        };
        let selected = cache.entry(i).or_insert_with(|| m.selected_members(dir, w));
        m.evaluate_selected(dir, subject, src, dst, number, protocol, selected)
    }
}
