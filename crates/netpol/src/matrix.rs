//! The reachability matrix of every workload pair on a list of ports, computed once per
//! equivalence class of endpoints instead of once per pair.
//!
//! Two workloads fall in the same class when nothing an evaluation looks at tells them apart:
//! namespace, `hostNetwork`, service account, container ports (named ports), the values of the
//! label keys some pod selector references (Kubernetes, AdminNetworkPolicy or Calico), and per
//! address its family and which address blocks (ipBlock, `networks`, `nets`/`notNets`)
//! contain it. Namespace and service-account labels follow from the namespace and service
//! account.
//!
//! With Kubernetes NetworkPolicies only (their rules only allow, so "some rule of a selecting
//! policy allows, else deny"), each rule's admitted peers are one bitset over classes and a
//! direction's verdict for all peers at once is a union of bitsets. With tiered policies
//! (ordered Allow/Deny/Pass) every class pair goes through the tier pipeline on
//! representatives, in parallel, with each class's selecting policies computed once. Explanations stay with [`Model::query`], which the CLI calls
//! for a single pair.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rayon::prelude::*;

use crate::anp::{AdminPeer, Subject};
use crate::calico::CalicoAction;
use crate::model::{ContainerPort, Dir, Endpoint, Model, Workload};
use crate::policy::{Peer, Rule};
use crate::tiers::Member;
use crate::{Cidr, LabelSelector, Port, PortValue, Protocol};

/// A fixed-size set of class indices.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn empty(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }

    fn full(n: usize) -> Bits {
        let mut b = Bits(vec![u64::MAX; n.div_ceil(64)]);
        if !n.is_multiple_of(64)
            && let Some(last) = b.0.last_mut()
        {
            *last = (1u64 << (n % 64)) - 1;
        }
        b
    }

    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    fn get(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let bit = w.trailing_zeros() as usize;
                w &= w - 1;
                Some(i * 64 + bit)
            })
        })
    }

    /// Moves the members of `set` out of `self`, into `into` when given.
    fn take(&mut self, set: &Bits, into: Option<&mut Bits>) {
        match into {
            Some(into) => {
                for ((a, s), t) in self.0.iter_mut().zip(&set.0).zip(into.0.iter_mut()) {
                    *t |= *a & s;
                    *a &= !s;
                }
            }
            None => {
                for (a, s) in self.0.iter_mut().zip(&set.0) {
                    *a &= !s;
                }
            }
        }
    }

    fn or(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    fn or_and(&mut self, x: &Bits, y: &Bits) {
        for ((a, b), c) in self.0.iter_mut().zip(&x.0).zip(&y.0) {
            *a |= b & c;
        }
    }

    fn and(&mut self, other: &Bits) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a &= b;
        }
    }
}

/// What a class signature keeps of a workload.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Signature<'a> {
    namespace: &'a str,
    host_network: bool,
    service_account: &'a str,
    labels: Vec<(&'a str, &'a str)>,
    ports: &'a [ContainerPort],
    /// Per address, its family and which address blocks contain it (sorted, deduplicated).
    blocks: Vec<Vec<bool>>,
    /// The Pod's node, when a hostNetwork Pod runs on that node too (traffic between a pod
    /// and its own node is always allowed, so such pods differ by node).
    node: Option<&'a str>,
}

/// The workloads of a model grouped by what policy can tell apart.
#[derive(Clone, Debug)]
pub struct Classes {
    /// Class of each workload, by index into [`Model::workloads`].
    pub class_of: Vec<usize>,
    /// Workloads of each class (ascending); the first is the representative.
    pub members: Vec<Vec<usize>>,
}

/// The allowed ports of every (source, destination) workload pair.
#[derive(Clone, Debug)]
pub struct Reachability {
    /// The endpoint classes.
    pub classes: Classes,
    /// The ports, as given.
    pub ports: Vec<Port>,
    /// `egress[s][k]`: destination classes source class `s` may reach on port `k` as far as
    /// its egress (and the port's resolution on the destination) goes.
    egress: Vec<Vec<Bits>>,
    /// `ingress[d][k]`: source classes whose connections on port `k` destination class `d`
    /// admits.
    ingress: Vec<Vec<Bits>>,
}

impl Reachability {
    /// Whether workload `from` may connect to workload `to` on `ports[port]` (as
    /// [`Model::query`] answers it).
    pub fn allowed(&self, from: usize, to: usize, port: usize) -> bool {
        let (Some(&s), Some(&d)) = (
            self.classes.class_of.get(from),
            self.classes.class_of.get(to),
        ) else {
            return false;
        };
        self.class_allowed(s, d, port)
    }

    /// The classes class `s` may connect to on `ports[port]`, ascending.
    pub fn reachable(&self, s: usize, port: usize) -> impl Iterator<Item = usize> + '_ {
        let row = self.egress.get(s).and_then(|r| r.get(port));
        row.into_iter().flat_map(|b| b.ones()).filter(move |&d| {
            self.ingress
                .get(d)
                .and_then(|r| r.get(port))
                .is_some_and(|b| b.get(s))
        })
    }

    /// Whether class `s` may connect to class `d` on `ports[port]`.
    pub fn class_allowed(&self, s: usize, d: usize, port: usize) -> bool {
        self.egress
            .get(s)
            .and_then(|r| r.get(port))
            .is_some_and(|b| b.get(d))
            && self
                .ingress
                .get(d)
                .and_then(|r| r.get(port))
                .is_some_and(|b| b.get(s))
    }
}

/// The class signature of a workload: the label `keys` some selector references, and per
/// address its family and which address `blocks` contain it.
fn signature<'a>(
    w: &'a Workload,
    keys: &BTreeSet<&str>,
    blocks: &[Cidr],
    host_nodes: &BTreeSet<&str>,
) -> Signature<'a> {
    let mut per_ip: Vec<Vec<bool>> = w
        .ips
        .iter()
        .map(|ip| {
            std::iter::once(ip.is_ipv6())
                .chain(blocks.iter().map(|c| c.contains(*ip)))
                .collect()
        })
        .collect();
    per_ip.sort();
    per_ip.dedup();
    Signature {
        namespace: &w.namespace,
        host_network: w.host_network,
        service_account: &w.service_account,
        labels: w
            .labels
            .iter()
            .filter(|(k, _)| keys.contains(k.as_str()))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        ports: &w.ports,
        blocks: per_ip,
        node: w.node.as_deref().filter(|n| host_nodes.contains(n)),
    }
}

/// The destination port number of each port on each class (`None`: a named port the class
/// does not declare).
fn resolved_ports(m: &Model, reps: &[usize], ports: &[Port]) -> Vec<Vec<Option<u16>>> {
    reps.iter()
        .map(|&w| {
            ports
                .iter()
                .map(|p| m.resolve_port(Endpoint::Workload(w), p).ok())
                .collect()
        })
        .collect()
}

/// Per port, the classes where it resolves.
fn resolvable(resolved: &[Vec<Option<u16>>], ports: usize) -> Vec<Bits> {
    (0..ports)
        .map(|k| {
            let mut b = Bits::empty(resolved.len());
            for (d, r) in resolved.iter().enumerate() {
                if r.get(k).copied().flatten().is_some() {
                    b.set(d);
                }
            }
            b
        })
        .collect()
}

/// Which destination classes an egress rule's ports admit on one port.
enum PortMask {
    /// Every destination where the port resolves.
    Resolvable,
    /// None.
    Never,
    /// These (named ports).
    Classes(Bits),
}

/// Admitted classes of the distinct pod selectors, namespace selectors, namespaces and
/// address blocks of the NetworkPolicies' peers.
struct PeerIndex<'a> {
    n: usize,
    /// Pod selector (`None`: all pods) -> classes not on the host network that it matches.
    by_pods: HashMap<Option<&'a LabelSelector>, Bits>,
    /// Namespace selector -> classes in the namespaces it matches.
    by_namespace: HashMap<&'a LabelSelector, Bits>,
    /// Namespace -> its classes.
    own: HashMap<&'a str, Bits>,
    by_block: HashMap<(&'a Cidr, &'a [Cidr]), Bits>,
}

impl PeerIndex<'_> {
    /// The classes a rule of a policy in `policy_ns` admits as peers.
    fn rule(&self, policy_ns: &str, rule: &Rule) -> Bits {
        let Some(peers) = &rule.peers else {
            return Bits::full(self.n);
        };
        let mut b = Bits::empty(self.n);
        for peer in peers {
            match peer {
                Peer::Selectors { namespaces, pods } => {
                    let ns = match namespaces {
                        Some(s) => self.by_namespace.get(s),
                        None => self.own.get(policy_ns),
                    };
                    if let (Some(ns), Some(ps)) = (ns, self.by_pods.get(&pods.as_ref())) {
                        b.or_and(ns, ps);
                    }
                }
                Peer::IpBlock { cidr, except } => {
                    if let Some(x) = self.by_block.get(&(cidr, except.as_slice())) {
                        b.or(x);
                    }
                }
            }
        }
        b
    }
}

impl Model {
    /// Whether only Kubernetes NetworkPolicies decide (their tiers end in Deny), so that the
    /// bitset evaluation applies.
    fn kubernetes_only(&self) -> bool {
        !self.has_tiered_objects()
            && self.tiers.iter().all(|t| {
                t.members.is_empty()
                    || (t.default_action == CalicoAction::Deny
                        && t.members.iter().all(|m| matches!(m, Member::Kubernetes(_))))
            })
    }

    /// Groups the workloads into classes no policy of the model can tell apart.
    pub fn classes(&self) -> Classes {
        let mut keys: BTreeSet<&str> = BTreeSet::new();
        let mut blocks: Vec<Cidr> = Vec::new();
        for p in &self.policies {
            keys.extend(p.pod_selector.keys());
            for r in p.ingress.iter().chain(&p.egress) {
                for peer in r.peers.iter().flatten() {
                    match peer {
                        Peer::Selectors {
                            namespaces: _,
                            pods,
                        } => {
                            keys.extend(pods.iter().flat_map(|s| s.keys()));
                        }
                        Peer::IpBlock { cidr, except } => {
                            blocks.push(*cidr);
                            blocks.extend(except.iter().copied());
                        }
                    }
                }
            }
        }
        for p in self.admin.iter().chain(&self.baseline) {
            if let Subject::Pods { pods, .. } = &p.subject {
                keys.extend(pods.keys());
            }
            for r in p.ingress.iter().chain(&p.egress) {
                for peer in &r.peers {
                    match peer {
                        AdminPeer::Pods { pods, .. } => keys.extend(pods.keys()),
                        AdminPeer::Networks(cidrs) => blocks.extend(cidrs.iter().copied()),
                        AdminPeer::Namespaces(_) | AdminPeer::Nodes(_) | AdminPeer::DomainNames => {
                        }
                    }
                }
            }
        }
        for p in &self.calico {
            p.selector.keys(&mut keys);
            for r in p.ingress.iter().chain(&p.egress) {
                for e in [&r.source, &r.destination] {
                    for s in e.selector.iter().chain(&e.not_selector) {
                        s.keys(&mut keys);
                    }
                    blocks.extend(e.nets.iter().chain(&e.not_nets).copied());
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        blocks.retain(|c| seen.insert(*c));
        let host_nodes = self.host_nodes();
        let mut index: HashMap<Signature<'_>, usize> = HashMap::new();
        let mut class_of = Vec::with_capacity(self.workloads.len());
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (i, w) in self.workloads.iter().enumerate() {
            let next = members.len();
            let c = *index
                .entry(signature(w, &keys, &blocks, &host_nodes))
                .or_insert(next);
            if c == next {
                members.push(Vec::new());
            }
            members[c].push(i);
            class_of.push(c);
        }
        Classes { class_of, members }
    }

    /// The classes (indices into `reps`) of each namespace.
    fn classes_by_namespace(&self, reps: &[usize]) -> HashMap<&str, Vec<usize>> {
        let mut by_ns: HashMap<&str, Vec<usize>> = HashMap::new();
        for (c, &w) in reps.iter().enumerate() {
            by_ns
                .entry(self.workloads[w].namespace.as_str())
                .or_default()
                .push(c);
        }
        by_ns
    }

    /// The reachability of every workload pair on `ports`; the same answers as
    /// [`Model::query`] pair by pair.
    pub fn reachability(&self, ports: &[Port]) -> Reachability {
        let classes = self.classes();
        let reps: Vec<usize> = classes.members.iter().map(|m| m[0]).collect();
        let (mut egress, mut ingress) = if self.kubernetes_only() {
            self.kubernetes_matrix(&reps, ports)
        } else {
            self.tiered_matrix(&reps, ports)
        };
        self.node_local_pairs(&reps, ports, &mut egress, &mut ingress);
        Reachability {
            classes,
            ports: ports.to_vec(),
            egress,
            ingress,
        }
    }

    /// The nodes on which some hostNetwork Pod runs (the only pods whose traffic with the
    /// pods of their node the matrix must tell apart by node).
    fn host_nodes(&self) -> BTreeSet<&str> {
        self.workloads
            .iter()
            .filter(|w| w.host_network)
            .filter_map(|w| w.node.as_deref())
            .filter(|n| self.node_addresses(n).is_some_and(|a| !a.is_empty()))
            .collect()
    }

    /// Traffic between a Pod and its own node is always allowed ([`Model::query`] says why):
    /// in the matrix, between a hostNetwork Pod (which has its node's addresses) and the other
    /// Pods of that node, in both directions. Classes differ by node where this matters
    /// ([`signature`]), so a representative speaks for its class.
    fn node_local_pairs(
        &self,
        reps: &[usize],
        ports: &[Port],
        egress: &mut [Vec<Bits>],
        ingress: &mut [Vec<Bits>],
    ) {
        let host_nodes = self.host_nodes();
        if host_nodes.is_empty() {
            return;
        }
        let resolved = resolved_ports(self, reps, ports);
        let on = |c: usize| self.workloads.get(reps[c]);
        let mut by_node: BTreeMap<&str, (Vec<usize>, Vec<usize>)> = BTreeMap::new();
        for c in 0..reps.len() {
            let Some(w) = on(c) else { continue };
            let Some(node) = w.node.as_deref().filter(|n| host_nodes.contains(n)) else {
                continue;
            };
            let entry = by_node.entry(node).or_default();
            if w.host_network {
                entry.0.push(c);
            } else {
                entry.1.push(c);
            }
        }
        for (hosts, pods) in by_node.values() {
            for &h in hosts {
                for &p in pods {
                    let (on_pod, on_host) = (&resolved[p], &resolved[h]);
                    for (k, (to_pod, to_host)) in on_pod.iter().zip(on_host).enumerate() {
                        // host -> pod: the pod's ingress admits its node.
                        if to_pod.is_some()
                            && let Some(b) = ingress.get_mut(p).and_then(|r| r.get_mut(k))
                        {
                            b.set(h);
                        }
                        // pod -> host: the pod's egress to its node.
                        if to_host.is_some()
                            && let Some(b) = egress.get_mut(p).and_then(|r| r.get_mut(k))
                        {
                            b.set(h);
                        }
                    }
                }
            }
        }
    }

    /// The tier pipeline on sets of peers: per subject class, direction and port, the
    /// undecided peers walk the selecting members' rules in order; each rule takes the peers it
    /// matches (a bitset computed once per rule and port) out of the undecided set, adding them
    /// to the allowed set (Allow), dropping them (Deny) or moving them to the next tier (Pass).
    fn tiered_matrix(&self, reps: &[usize], ports: &[Port]) -> (Vec<Vec<Bits>>, Vec<Vec<Bits>>) {
        let n = reps.len();
        let resolved = resolved_ports(self, reps, ports);
        let resolvable = resolvable(&resolved, ports.len());
        let by_ns = self.classes_by_namespace(reps);
        // selected[class][0 egress, 1 ingress][tier]: the selecting members in tier order (what
        // `selected_members` gives), found per member among the classes it can select.
        let all: Vec<usize> = (0..n).collect();
        let per_member: Vec<Vec<(usize, [bool; 2])>> = self
            .tiers
            .par_iter()
            .flat_map(|t| t.members.par_iter())
            .map(|&m| {
                let ns = match m {
                    Member::Kubernetes(i) => self.policies.get(i).map(|p| p.namespace.as_str()),
                    Member::Calico(i) => self
                        .calico
                        .get(i)
                        .filter(|p| !p.global)
                        .map(|p| p.namespace.as_str()),
                    Member::Admin(_) | Member::Baseline => None,
                };
                let candidates = match ns {
                    Some(ns) => by_ns.get(ns).map_or(&[][..], Vec::as_slice),
                    None => all.as_slice(),
                };
                candidates
                    .iter()
                    .filter_map(|&c| {
                        let w = &self.workloads[reps[c]];
                        let dirs = [
                            self.member_selects(m, Dir::Egress, w),
                            self.member_selects(m, Dir::Ingress, w),
                        ];
                        (dirs[0] || dirs[1]).then_some((c, dirs))
                    })
                    .collect()
            })
            .collect();
        let mut selected: Vec<[Vec<Vec<Member>>; 2]> = (0..n)
            .map(|_| {
                [
                    vec![Vec::new(); self.tiers.len()],
                    vec![Vec::new(); self.tiers.len()],
                ]
            })
            .collect();
        let mut hits = per_member.iter();
        for (ti, t) in self.tiers.iter().enumerate() {
            for &m in &t.members {
                for &(c, dirs) in hits.next().into_iter().flatten() {
                    for (d, on) in dirs.iter().enumerate() {
                        if *on {
                            selected[c][d][ti].push(m);
                        }
                    }
                }
            }
        }
        // Peer sets of every rule of every member that selects some class: ingress ones do
        // not depend on the port; egress ones are per port (the peer is the destination).
        let mut used: Vec<(Member, usize, usize)> = Vec::new();
        for sel in &selected {
            for (d, tiers) in sel.iter().enumerate() {
                for m in tiers.iter().flatten() {
                    let dir = if d == 0 { Dir::Egress } else { Dir::Ingress };
                    for ri in 0..self.member_rules(*m, dir).len() {
                        used.push((*m, d, ri));
                    }
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        used.retain(|k| seen.insert(*k));
        let index = self.peer_index(reps, &by_ns);
        let peers: HashMap<(Member, usize, usize), Vec<Bits>> = used
            .par_iter()
            .map(|&(m, d, ri)| {
                let knp = match m {
                    Member::Kubernetes(i) => self.policies.get(i).and_then(|p| {
                        let rule = if d == 1 {
                            p.ingress.get(ri)
                        } else {
                            p.egress.get(ri)
                        };
                        rule.map(|r| (p, r))
                    }),
                    _ => None,
                };
                let sets = if let Some((p, rule)) = knp {
                    let base = index.rule(&p.namespace, rule);
                    if d == 1 {
                        vec![base]
                    } else {
                        (0..ports.len())
                            .map(|k| {
                                let mut b = base.clone();
                                match self.port_mask(rule, ports, k, reps, &resolved) {
                                    PortMask::Resolvable => b.and(&resolvable[k]),
                                    PortMask::Never => b = Bits::empty(n),
                                    PortMask::Classes(m) => b.and(&m),
                                }
                                b
                            })
                            .collect()
                    }
                } else if d == 1 {
                    let mut b = Bits::empty(n);
                    for (c, &w) in reps.iter().enumerate() {
                        let e = Endpoint::Workload(w);
                        if self.rule_part(m, Dir::Ingress, ri, true, e, 0, Protocol::Tcp) {
                            b.set(c);
                        }
                    }
                    vec![b]
                } else {
                    (0..ports.len())
                        .map(|k| {
                            let mut b = Bits::empty(n);
                            for (c, &w) in reps.iter().enumerate() {
                                let Some(number) = resolved[c][k] else {
                                    continue;
                                };
                                let e = Endpoint::Workload(w);
                                let q = ports[k].protocol;
                                if self.rule_part(m, Dir::Egress, ri, true, e, number, q) {
                                    b.set(c);
                                }
                            }
                            b
                        })
                        .collect()
                };
                ((m, d, ri), sets)
            })
            .collect();
        let actions: HashMap<(Member, usize), Vec<CalicoAction>> = used
            .iter()
            .map(|&(m, d, _)| {
                let dir = if d == 0 { Dir::Egress } else { Dir::Ingress };
                ((m, d), self.member_rules(m, dir))
            })
            .collect();
        let walk = |x: usize, d: usize, k: usize| -> Bits {
            let dir = if d == 0 { Dir::Egress } else { Dir::Ingress };
            let subject = Endpoint::Workload(reps[x]);
            let q = ports[k].protocol;
            // The subject side of a rule sees the destination port: for ingress the subject's
            // own resolution, for egress the peer's (its rules' subject parts ignore it).
            let number = if d == 1 { resolved[x][k] } else { Some(0) };
            let mut undecided = Bits::full(n);
            let mut allowed = Bits::empty(n);
            for (t, members) in self.tiers.iter().zip(&selected[x][d]) {
                if members.is_empty() {
                    continue;
                }
                let mut passed = Bits::empty(n);
                for &m in members {
                    let Some(rules) = actions.get(&(m, d)) else {
                        continue;
                    };
                    for (ri, &action) in rules.iter().enumerate() {
                        let Some(number) = number else {
                            break;
                        };
                        if action == CalicoAction::Log
                            || !self.rule_part(m, dir, ri, false, subject, number, q)
                        {
                            continue;
                        }
                        let Some(sets) = peers.get(&(m, d, ri)) else {
                            continue;
                        };
                        let Some(set) = sets.get(if d == 1 { 0 } else { k }) else {
                            continue;
                        };
                        match action {
                            CalicoAction::Allow => undecided.take(set, Some(&mut allowed)),
                            CalicoAction::Pass => undecided.take(set, Some(&mut passed)),
                            CalicoAction::Deny | CalicoAction::Log => undecided.take(set, None),
                        }
                    }
                }
                // Any end-of-tier action but Deny goes on to the next tier, as in `evaluate`.
                if t.default_action != CalicoAction::Deny {
                    passed.or(&undecided);
                }
                undecided = passed;
            }
            allowed.or(&undecided);
            allowed
        };
        let egress = (0..n)
            .into_par_iter()
            .map(|x| {
                (0..ports.len())
                    .map(|k| {
                        let mut b = walk(x, 0, k);
                        b.and(&resolvable[k]);
                        b
                    })
                    .collect()
            })
            .collect();
        let ingress = (0..n)
            .into_par_iter()
            .map(|x| {
                (0..ports.len())
                    .map(|k| {
                        if resolved[x][k].is_none() {
                            return Bits::empty(n);
                        }
                        walk(x, 1, k)
                    })
                    .collect()
            })
            .collect();
        (egress, ingress)
    }

    /// Which destination classes a NetworkPolicy egress rule's ports admit on `ports[k]`; a
    /// rule without named ports treats every destination alike when the port is a number.
    fn port_mask(
        &self,
        rule: &Rule,
        ports: &[Port],
        k: usize,
        reps: &[usize],
        resolved: &[Vec<Option<u16>>],
    ) -> PortMask {
        let Some(ps) = &rule.ports else {
            return PortMask::Resolvable;
        };
        let q = ports[k].protocol;
        let named = ps
            .iter()
            .any(|x| matches!(x.port, Some(PortValue::Name(_))));
        if let (PortValue::Number(number), false) = (&ports[k].port, named) {
            // Numbered ports do not look at the destination.
            let nowhere = Endpoint::Workload(usize::MAX);
            return if ps.iter().any(|x| self.port_matches(x, *number, q, nowhere)) {
                PortMask::Resolvable
            } else {
                PortMask::Never
            };
        }
        let mut b = Bits::empty(reps.len());
        for (d, &w) in reps.iter().enumerate() {
            if let Some(number) = resolved[d][k]
                && ps
                    .iter()
                    .any(|x| self.port_matches(x, number, q, Endpoint::Workload(w)))
            {
                b.set(d);
            }
        }
        PortMask::Classes(b)
    }

    /// The classes each distinct peer part of the NetworkPolicies admits, so that a rule's
    /// peers are a few bitset operations.
    fn peer_index<'a>(
        &'a self,
        reps: &[usize],
        by_ns: &HashMap<&'a str, Vec<usize>>,
    ) -> PeerIndex<'a> {
        let n = reps.len();
        let mut pods: Vec<Option<&LabelSelector>> = Vec::new();
        let mut namespaces: Vec<&LabelSelector> = Vec::new();
        let mut blocks: Vec<(&Cidr, &[Cidr])> = Vec::new();
        for p in &self.policies {
            for r in p.ingress.iter().chain(&p.egress) {
                for peer in r.peers.iter().flatten() {
                    match peer {
                        Peer::Selectors {
                            namespaces: ns,
                            pods: ps,
                        } => {
                            pods.push(ps.as_ref());
                            namespaces.extend(ns.as_ref());
                        }
                        Peer::IpBlock { cidr, except } => blocks.push((cidr, except)),
                    }
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        pods.retain(|s| seen.insert(*s));
        let mut seen = std::collections::HashSet::new();
        namespaces.retain(|s| seen.insert(*s));
        let mut seen = std::collections::HashSet::new();
        blocks.retain(|b| seen.insert(*b));
        let by_pods = pods
            .par_iter()
            .map(|s| {
                let mut b = Bits::empty(n);
                for (c, &w) in reps.iter().enumerate() {
                    let w = &self.workloads[w];
                    if !w.host_network && s.is_none_or(|s| s.matches(&w.labels)) {
                        b.set(c);
                    }
                }
                (*s, b)
            })
            .collect();
        let ns_bits = |names: &mut dyn Iterator<Item = &&str>| {
            let mut b = Bits::empty(n);
            for ns in names {
                for &c in by_ns.get(*ns).into_iter().flatten() {
                    b.set(c);
                }
            }
            b
        };
        let by_namespace: HashMap<&LabelSelector, Bits> = namespaces
            .iter()
            .map(|s| {
                let mut names = by_ns.keys().filter(|ns| s.matches(&self.ns_labels(ns)));
                (*s, ns_bits(&mut names))
            })
            .collect();
        let own: HashMap<&str, Bits> = by_ns
            .keys()
            .map(|ns| (*ns, ns_bits(&mut std::iter::once(ns))))
            .collect();
        let by_block = blocks
            .par_iter()
            .map(|&(cidr, except)| {
                let mut b = Bits::empty(n);
                let peer = Peer::IpBlock {
                    cidr: *cidr,
                    except: except.to_vec(),
                };
                for (c, &w) in reps.iter().enumerate() {
                    if self.peer_matches("", &peer, Endpoint::Workload(w)) {
                        b.set(c);
                    }
                }
                ((cidr, except), b)
            })
            .collect();
        PeerIndex {
            n,
            by_pods,
            by_namespace,
            own,
            by_block,
        }
    }

    /// The bitset evaluation for Kubernetes NetworkPolicies only.
    fn kubernetes_matrix(
        &self,
        reps: &[usize],
        ports: &[Port],
    ) -> (Vec<Vec<Bits>>, Vec<Vec<Bits>>) {
        let n = reps.len();
        let by_ns = self.classes_by_namespace(reps);
        // Which policies select each class, per direction.
        let selected: Vec<Vec<usize>> = self
            .policies
            .par_iter()
            .map(|p| {
                by_ns
                    .get(p.namespace.as_str())
                    .map(|cs| {
                        cs.iter()
                            .copied()
                            .filter(|&c| self.selects(p, &self.workloads[reps[c]]))
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        let mut sel_in: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut sel_eg: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, cs) in selected.iter().enumerate() {
            let p = &self.policies[i];
            for &c in cs {
                if p.ingress_type {
                    sel_in[c].push(i);
                }
                if p.egress_type {
                    sel_eg[c].push(i);
                }
            }
        }
        // Admitted peers of every rule: (policy, ingress?, rule) -> bits.
        let rules: Vec<(usize, bool, usize)> = self
            .policies
            .iter()
            .enumerate()
            .filter(|(i, _)| !selected[*i].is_empty())
            .flat_map(|(i, p)| {
                (0..p.ingress.len())
                    .map(move |r| (i, true, r))
                    .chain((0..p.egress.len()).map(move |r| (i, false, r)))
            })
            .collect();
        let rule_of = |&(i, ingress, r): &(usize, bool, usize)| -> &Rule {
            let p = &self.policies[i];
            if ingress { &p.ingress[r] } else { &p.egress[r] }
        };
        let index = self.peer_index(reps, &by_ns);
        let peer_bits: HashMap<(usize, bool, usize), Bits> = rules
            .par_iter()
            .map(|key| {
                let b = index.rule(&self.policies[key.0].namespace, rule_of(key));
                (*key, b)
            })
            .collect();
        // The destination port number of each port on each class (None: unresolved).
        let resolved = resolved_ports(self, reps, ports);
        let port_ok = |rule: &Rule, k: usize, d: usize| -> bool {
            let Some(number) = resolved[d][k] else {
                return false;
            };
            rule.ports.as_ref().is_none_or(|ps| {
                ps.iter().any(|x| {
                    self.port_matches(x, number, ports[k].protocol, Endpoint::Workload(reps[d]))
                })
            })
        };
        let resolvable = resolvable(&resolved, ports.len());
        let ingress: Vec<Vec<Bits>> = (0..n)
            .into_par_iter()
            .map(|d| {
                (0..ports.len())
                    .map(|k| {
                        if sel_in[d].is_empty() {
                            return Bits::full(n);
                        }
                        let mut b = Bits::empty(n);
                        for &i in &sel_in[d] {
                            for (r, rule) in self.policies[i].ingress.iter().enumerate() {
                                if port_ok(rule, k, d)
                                    && let Some(pb) = peer_bits.get(&(i, true, r))
                                {
                                    b.or(pb);
                                }
                            }
                        }
                        b
                    })
                    .collect()
            })
            .collect();
        // Destination classes each egress rule's ports admit on each port; a rule without named
        // ports treats every destination alike when the port is a number.
        let egress_rules: Vec<(usize, bool, usize)> =
            rules.iter().copied().filter(|k| !k.1).collect();
        let dst_ports: HashMap<(usize, usize), Vec<PortMask>> = egress_rules
            .par_iter()
            .map(|key| {
                let rule = rule_of(key);
                let masks = (0..ports.len())
                    .map(|k| self.port_mask(rule, ports, k, reps, &resolved))
                    .collect();
                ((key.0, key.2), masks)
            })
            .collect();
        let egress: Vec<Vec<Bits>> = (0..n)
            .into_par_iter()
            .map(|s| {
                (0..ports.len())
                    .map(|k| {
                        if sel_eg[s].is_empty() {
                            return resolvable[k].clone();
                        }
                        let mut b = Bits::empty(n);
                        for &i in &sel_eg[s] {
                            for r in 0..self.policies[i].egress.len() {
                                let (Some(pb), Some(masks)) =
                                    (peer_bits.get(&(i, false, r)), dst_ports.get(&(i, r)))
                                else {
                                    continue;
                                };
                                match &masks[k] {
                                    PortMask::Resolvable => b.or(pb),
                                    PortMask::Never => {}
                                    PortMask::Classes(m) => b.or_and(pb, m),
                                }
                            }
                        }
                        b.and(&resolvable[k]);
                        b
                    })
                    .collect()
            })
            .collect();
        (egress, ingress)
    }
}

#[cfg(test)]
mod tests {
    use super::Bits;

    #[test]
    fn full_sets_exactly_n_bits() {
        let b = Bits::full(70);
        assert!(b.get(0) && b.get(69));
        assert!(!b.get(70) && !b.get(127) && !b.get(128));
        assert_eq!(Bits::full(64).0, vec![u64::MAX]);
    }

    #[test]
    fn or_and_is_union_of_intersection() {
        let mut a = Bits::empty(10);
        let mut x = Bits::empty(10);
        let mut y = Bits::empty(10);
        x.set(1);
        x.set(2);
        y.set(2);
        y.set(3);
        a.or_and(&x, &y);
        assert!(a.get(2) && !a.get(1) && !a.get(3));
        let mut undecided = Bits::full(10);
        let mut into = Bits::empty(10);
        undecided.take(&y, Some(&mut into));
        assert!(into.get(2) && into.get(3) && !into.get(1));
        assert!(!undecided.get(2) && !undecided.get(3) && undecided.get(1));
        x.set(9);
        assert_eq!(x.ones().collect::<Vec<_>>(), vec![1, 2, 9]);
        assert_eq!(Bits::full(130).ones().count(), 130);
    }
}
