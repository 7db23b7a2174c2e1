//! The tiered evaluation pipeline shared by Kubernetes NetworkPolicy, AdminNetworkPolicy,
//! BaselineAdminNetworkPolicy and Calico policies.
//!
//! Every direction of a connection is evaluated as Calico evaluates it, which is also the
//! order KEP-2091 prescribes:
//!
//! 1. tier `adminnetworkpolicy` (order 1,000, end of tier: Pass) holds the AdminNetworkPolicies
//!    by ascending `priority`, then name;
//! 2. Calico tiers by `order` (unset = last), then name; the `default` tier (order 1,000,000
//!    unless a Tier object says otherwise, end of tier: Deny) holds every Kubernetes
//!    NetworkPolicy at order 1,000 and the Calico policies without `spec.tier`;
//! 3. tier `baselineadminnetworkpolicy` (order 10,000,000, end of tier: Pass) holds the
//!    BaselineAdminNetworkPolicy;
//! 4. profiles: allow.
//!
//! Inside a tier only the policies selecting the endpoint (for the direction) are visited, in
//! order; the first matching rule with Allow or Deny decides, Pass jumps to the next tier, Log
//! goes on. When the tier has a selecting policy and no rule decided, the tier's default
//! action applies. A tier without selecting policy is skipped. With only Kubernetes
//! NetworkPolicies this is exactly the Kubernetes semantics: their rules only allow, so "some
//! rule of a selecting policy allows, else deny" (tested in `tests/cases/tiers_equivalence.yaml`).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use serde::Serialize;

use crate::anp::{AdminAction, AdminPeer, AdminPolicy, AdminPort, AdminRule, Subject};
use crate::calico::{
    ADMIN_TIER, BASELINE_TIER, CalicoAction, CalicoPolicy, CalicoPort, CalicoRule,
    DEFAULT_TIER_ORDER, EntityRule, KNP_ORDER, Tier,
};
use crate::model::{Dir, DirectionVerdict, Endpoint, Model, PolicyRef, RuleRef, Workload};
use crate::{PortValue, Protocol};

/// A member of a tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Member {
    /// Index into [`Model::admin`].
    Admin(usize),
    /// The BaselineAdminNetworkPolicy.
    Baseline,
    /// Index into [`Model::policies`].
    Kubernetes(usize),
    /// Index into [`Model::calico`].
    Calico(usize),
}

/// A tier with its members in evaluation order.
#[derive(Clone, Debug)]
pub(crate) struct TierSlot {
    pub name: String,
    pub order: Option<f64>,
    pub default_action: CalicoAction,
    pub members: Vec<Member>,
    /// Positions in `members` of the Kubernetes NetworkPolicies, by namespace: such a policy
    /// selects pods of its own namespace only, so a query looks at its endpoint's namespace.
    pub by_namespace: HashMap<String, Vec<usize>>,
    /// Positions in `members` of every other member (admin, baseline and Calico policies).
    pub unbound: Vec<usize>,
}

/// A policy as named in explanations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PolicyId {
    /// `NetworkPolicy`, `AdminNetworkPolicy`, `BaselineAdminNetworkPolicy`,
    /// `projectcalico.org/NetworkPolicy` or `GlobalNetworkPolicy`.
    pub kind: String,
    /// Namespace of a namespaced policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl std::fmt::Display for PolicyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {ns}/{}", self.kind, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// What decided a direction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// A rule's Allow or Deny.
    Rule,
    /// A tier's default action (Deny) after selecting policies matched no rule.
    TierDefault,
    /// No tier decided: profiles / default allow.
    DefaultAllow,
    /// The endpoint is an address outside the pod network: no policy applies.
    NotAPod,
    /// Traffic between a Pod and its own node (kubelet probes, hostNetwork pods on that node):
    /// always allowed, whatever the policies say.
    NodeLocal,
}

/// One step of an evaluation: the deciding one, or a Pass/Log on the way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The kind of step.
    pub kind: DecisionKind,
    /// `Allow`, `Deny`, `Pass` or `Log`.
    pub action: String,
    /// The tier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// The policy, for a rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyId>,
    /// Index of the rule in its direction's list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<usize>,
    /// The rule's `name` (AdminNetworkPolicy rules have one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_name: Option<String>,
}

impl Step {
    fn describe(&self, word: &str) -> String {
        match self.kind {
            DecisionKind::Rule => {
                let policy = self
                    .policy
                    .as_ref()
                    .map(|p| p.to_string())
                    .unwrap_or_default();
                let tier = self.tier.as_deref().unwrap_or("");
                let name = self
                    .rule_name
                    .as_deref()
                    .filter(|n| !n.is_empty())
                    .map(|n| format!(" `{n}`"))
                    .unwrap_or_default();
                format!(
                    "{} by {policy} {word}[{}]{name} (tier {tier})",
                    self.action,
                    self.rule.unwrap_or(0)
                )
            }
            DecisionKind::TierDefault => format!(
                "{} by the end of tier {} (its default action)",
                self.action,
                self.tier.as_deref().unwrap_or("")
            ),
            DecisionKind::DefaultAllow => "Allow by default (no tier decided)".to_string(),
            DecisionKind::NotAPod => "Allow: not a pod, no policy applies".to_string(),
            DecisionKind::NodeLocal => {
                "Allow: traffic between a pod and its own node is always allowed".to_string()
            }
        }
    }
}

fn knp_id(p: &crate::NetworkPolicy) -> PolicyId {
    PolicyId {
        kind: "NetworkPolicy".into(),
        namespace: Some(p.namespace.clone()),
        name: p.name.clone(),
    }
}

fn order_key(o: Option<f64>) -> f64 {
    o.unwrap_or(f64::INFINITY)
}

/// Builds the tiers of a model: Calico tiers, the implied `default` and the two admin tiers.
pub(crate) fn build(m: &Model, tiers: &[Tier]) -> Vec<TierSlot> {
    let mut slots: Vec<TierSlot> = Vec::new();
    slots.push(TierSlot {
        name: ADMIN_TIER.0.into(),
        order: Some(ADMIN_TIER.1),
        default_action: CalicoAction::Pass,
        members: (0..m.admin.len()).map(Member::Admin).collect(),
        by_namespace: HashMap::new(),
        unbound: Vec::new(),
    });
    if !tiers.iter().any(|t| t.name == "default") {
        slots.push(TierSlot {
            name: "default".into(),
            order: Some(DEFAULT_TIER_ORDER),
            default_action: CalicoAction::Deny,
            members: Vec::new(),
            by_namespace: HashMap::new(),
            unbound: Vec::new(),
        });
    }
    for t in tiers {
        slots.push(TierSlot {
            name: t.name.clone(),
            order: t.order,
            default_action: t.default_action,
            members: Vec::new(),
            by_namespace: HashMap::new(),
            unbound: Vec::new(),
        });
    }
    slots.push(TierSlot {
        name: BASELINE_TIER.0.into(),
        order: Some(BASELINE_TIER.1),
        default_action: CalicoAction::Pass,
        members: m.baseline.iter().map(|_| Member::Baseline).collect(),
        by_namespace: HashMap::new(),
        unbound: Vec::new(),
    });
    // Members of Calico tiers: (order, name) keys.
    let mut keyed: Vec<(String, f64, String, Member)> = Vec::new();
    for (i, p) in m.policies.iter().enumerate() {
        keyed.push((
            "default".into(),
            KNP_ORDER,
            format!("{}/knp.default.{}", p.namespace, p.name),
            Member::Kubernetes(i),
        ));
    }
    for (i, p) in m.calico.iter().enumerate() {
        keyed.push((
            p.tier.clone(),
            order_key(p.order),
            p.display(),
            Member::Calico(i),
        ));
    }
    keyed.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.2.cmp(&b.2)));
    for (tier, _, _, member) in keyed {
        if let Some(s) = slots.iter_mut().find(|s| s.name == tier) {
            s.members.push(member);
        }
    }
    slots.sort_by(|a, b| {
        order_key(a.order)
            .total_cmp(&order_key(b.order))
            .then_with(|| a.name.cmp(&b.name))
    });
    for s in &mut slots {
        for (k, member) in s.members.iter().enumerate() {
            match member {
                Member::Kubernetes(i) => {
                    if let Some(p) = m.policies.get(*i) {
                        s.by_namespace
                            .entry(p.namespace.clone())
                            .or_default()
                            .push(k);
                    }
                }
                _ => s.unbound.push(k),
            }
        }
    }
    slots
}

/// Labels Calico gives a pod (its own plus the implied `projectcalico.org/*` ones).
pub(crate) fn calico_pod_labels(w: &Workload) -> BTreeMap<String, String> {
    let mut l = w.labels.clone();
    l.insert("projectcalico.org/namespace".into(), w.namespace.clone());
    l.insert("projectcalico.org/orchestrator".into(), "k8s".into());
    l.insert(
        "projectcalico.org/serviceaccount".into(),
        w.service_account.clone(),
    );
    l
}

enum Outcome {
    Final(Step),
    Pass(Step),
}

impl Model {
    fn calico_ns_labels(&self, ns: &str) -> std::borrow::Cow<'_, BTreeMap<String, String>> {
        match self.calico_namespaces.get(ns) {
            Some(l) => std::borrow::Cow::Borrowed(l),
            None => {
                let mut l = self.ns_labels(ns).into_owned();
                l.insert("projectcalico.org/name".into(), ns.to_string());
                std::borrow::Cow::Owned(l)
            }
        }
    }

    fn sa_labels(&self, ns: &str, sa: &str) -> BTreeMap<String, String> {
        let mut l = self
            .service_accounts
            .get(&(ns.to_string(), sa.to_string()))
            .cloned()
            .unwrap_or_default();
        l.insert("projectcalico.org/name".into(), sa.to_string());
        l
    }

    fn admin_subject(&self, p: &AdminPolicy, w: &Workload) -> bool {
        if w.host_network {
            return false;
        }
        match &p.subject {
            Subject::Namespaces(s) => s.matches(&self.ns_labels(&w.namespace)),
            Subject::Pods { namespaces, pods } => {
                namespaces.matches(&self.ns_labels(&w.namespace)) && pods.matches(&w.labels)
            }
        }
    }

    fn ips_of(&self, e: Endpoint) -> Vec<IpAddr> {
        match e {
            Endpoint::Ip(ip) => vec![ip],
            Endpoint::Workload(i) => self
                .workloads
                .get(i)
                .map(|w| w.ips.clone())
                .unwrap_or_default(),
        }
    }

    fn admin_peer(&self, peer: &AdminPeer, who: Endpoint) -> bool {
        let pod = self.workload(who).filter(|w| !w.host_network);
        match peer {
            AdminPeer::Namespaces(s) => {
                pod.is_some_and(|w| s.matches(&self.ns_labels(&w.namespace)))
            }
            AdminPeer::Pods { namespaces, pods } => pod.is_some_and(|w| {
                namespaces.matches(&self.ns_labels(&w.namespace)) && pods.matches(&w.labels)
            }),
            AdminPeer::Nodes(s) => match who {
                Endpoint::Ip(ip) => self
                    .nodes
                    .iter()
                    .any(|n| n.addresses.contains(&ip) && s.matches(&n.labels)),
                Endpoint::Workload(_) => false,
            },
            AdminPeer::DomainNames => false,
            AdminPeer::Networks(cidrs) => self
                .ips_of(who)
                .iter()
                .any(|ip| cidrs.iter().any(|c| c.contains(*ip))),
        }
    }

    fn named_port(&self, dst: Endpoint, name: &str, port: u16, protocol: Option<Protocol>) -> bool {
        self.workload(dst).is_some_and(|w| {
            w.ports.iter().any(|cp| {
                cp.name.as_deref() == Some(name)
                    && cp.port == port
                    && protocol.is_none_or(|p| p == cp.protocol)
            })
        })
    }

    fn admin_rule(
        &self,
        r: &AdminRule,
        peer: Endpoint,
        dst: Endpoint,
        port: u16,
        q: Protocol,
    ) -> bool {
        r.peers.iter().any(|p| self.admin_peer(p, peer)) && self.admin_ports(r, dst, port, q)
    }

    fn admin_ports(&self, r: &AdminRule, dst: Endpoint, port: u16, q: Protocol) -> bool {
        r.ports.as_ref().is_none_or(|ps| {
            ps.iter().any(|p| match p {
                AdminPort::Number(proto, n) => *proto == q && *n == port,
                AdminPort::Range(proto, s, e) => *proto == q && (*s..=*e).contains(&port),
                AdminPort::Named(n) => self.named_port(dst, n, port, Some(q)),
            })
        })
    }

    fn calico_selects(&self, p: &CalicoPolicy, w: &Workload) -> bool {
        if w.host_network {
            return false;
        }
        if !p.global && w.namespace != p.namespace {
            return false;
        }
        p.selector.matches(&w.calico_labels)
            && p.namespace_selector
                .as_ref()
                .is_none_or(|s| s.matches(&self.calico_ns_labels(&w.namespace)))
            && p.service_account_selector
                .as_ref()
                .is_none_or(|s| s.matches(&self.sa_labels(&w.namespace, &w.service_account)))
    }

    fn calico_port(&self, ports: &[CalicoPort], dst: Endpoint, port: u16, q: Protocol) -> bool {
        ports.iter().any(|p| match p {
            CalicoPort::Range(a, b) => (*a..=*b).contains(&port),
            CalicoPort::Named(n) => self.named_port(dst, n, port, Some(q)),
        })
    }

    /// Whether endpoint `e` satisfies an entity rule of policy `p` (`is_dst`: the destination
    /// side, where ports apply).
    #[allow(clippy::too_many_arguments)]
    fn calico_entity(
        &self,
        p: &CalicoPolicy,
        er: &EntityRule,
        e: Endpoint,
        is_dst: bool,
        port: u16,
        q: Protocol,
    ) -> bool {
        let ips = self.ips_of(e);
        if !er.nets.is_empty() && !ips.iter().any(|ip| er.nets.iter().any(|c| c.contains(*ip))) {
            return false;
        }
        if ips
            .iter()
            .any(|ip| er.not_nets.iter().any(|c| c.contains(*ip)))
        {
            return false;
        }
        let pod = self.workload(e).filter(|w| !w.host_network);
        if er.selector.is_some() || er.namespace_selector.is_some() || er.service_accounts.is_some()
        {
            let Some(w) = pod else {
                return false;
            };
            let ns_ok = match &er.namespace_selector {
                Some(s) => s.matches(&self.calico_ns_labels(&w.namespace)),
                None => p.global || w.namespace == p.namespace,
            };
            let sel_ok = er
                .selector
                .as_ref()
                .is_none_or(|s| s.matches(&w.calico_labels));
            let sa_ok = er.service_accounts.as_ref().is_none_or(|(names, sel)| {
                (names.is_empty() || names.contains(&w.service_account))
                    && sel.as_ref().is_none_or(|s| {
                        s.matches(&self.sa_labels(&w.namespace, &w.service_account))
                    })
            });
            if !(ns_ok && sel_ok && sa_ok) {
                return false;
            }
        }
        if let (Some(s), Some(w)) = (&er.not_selector, pod)
            && s.matches(&w.calico_labels)
        {
            return false;
        }
        if is_dst {
            (er.ports.is_empty() || self.calico_port(&er.ports, e, port, q))
                && !self.calico_port(&er.not_ports, e, port, q)
        } else {
            // The source port of a connection is ephemeral and unknown: a rule that names
            // source ports never matches; source notPorts are taken to hold.
            er.ports.is_empty()
        }
    }

    /// A rule's `ipVersion` against the peer's addresses (a peer without address passes).
    fn calico_ip_version(&self, r: &CalicoRule, peer: Endpoint) -> bool {
        let Some(v) = r.ip_version else {
            return true;
        };
        let ips = self.ips_of(peer);
        ips.is_empty()
            || ips
                .iter()
                .any(|ip| (ip.is_ipv4() && v == 4) || (ip.is_ipv6() && v == 6))
    }

    #[allow(clippy::too_many_arguments)]
    fn calico_rule(
        &self,
        p: &CalicoPolicy,
        r: &CalicoRule,
        src: Endpoint,
        dst: Endpoint,
        port: u16,
        q: Protocol,
        peer: Endpoint,
    ) -> bool {
        if !r.protocol_matches(q) || !self.calico_ip_version(r, peer) {
            return false;
        }
        self.calico_entity(p, &r.source, src, false, port, q)
            && self.calico_entity(p, &r.destination, dst, true, port, q)
    }

    /// The rules of a member for a direction: how many, and each one's action (Kubernetes
    /// rules allow).
    pub(crate) fn member_rules(&self, m: Member, dir: Dir) -> Vec<CalicoAction> {
        let pick = |i: &Vec<_>, e: &Vec<_>| -> usize {
            match dir {
                Dir::Ingress => i.len(),
                Dir::Egress => e.len(),
            }
        };
        match m {
            Member::Admin(_) | Member::Baseline => {
                let p = match m {
                    Member::Admin(i) => self.admin.get(i),
                    _ => self.baseline.as_ref(),
                };
                let Some(p) = p else { return Vec::new() };
                let rules = match dir {
                    Dir::Ingress => &p.ingress,
                    Dir::Egress => &p.egress,
                };
                rules
                    .iter()
                    .map(|r| match r.action {
                        AdminAction::Allow => CalicoAction::Allow,
                        AdminAction::Deny => CalicoAction::Deny,
                        AdminAction::Pass => CalicoAction::Pass,
                    })
                    .collect()
            }
            Member::Kubernetes(i) => self.policies.get(i).map_or(Vec::new(), |p| {
                vec![CalicoAction::Allow; pick(&p.ingress, &p.egress)]
            }),
            Member::Calico(i) => self.calico.get(i).map_or(Vec::new(), |p| {
                let rules = match dir {
                    Dir::Ingress => &p.ingress,
                    Dir::Egress => &p.egress,
                };
                rules.iter().map(|r| r.action).collect()
            }),
        }
    }

    /// A rule's match split in two: the part that depends on the peer (`peer: true`; the
    /// destination port `port` only matters for egress, where the peer is the destination) and
    /// the part that depends on the subject (`peer: false`). [`Model::evaluate`]'s rule match
    /// is exactly the conjunction of both.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn rule_part(
        &self,
        m: Member,
        dir: Dir,
        ri: usize,
        peer: bool,
        e: Endpoint,
        port: u16,
        q: Protocol,
    ) -> bool {
        // The side of `e` that carries the ports: the destination.
        let e_is_dst = matches!((dir, peer), (Dir::Egress, true) | (Dir::Ingress, false));
        match m {
            Member::Admin(_) | Member::Baseline => {
                let p = match m {
                    Member::Admin(i) => self.admin.get(i),
                    _ => self.baseline.as_ref(),
                };
                let Some(r) = p.and_then(|p| match dir {
                    Dir::Ingress => p.ingress.get(ri),
                    Dir::Egress => p.egress.get(ri),
                }) else {
                    return false;
                };
                (!peer || r.peers.iter().any(|x| self.admin_peer(x, e)))
                    && (!e_is_dst || self.admin_ports(r, e, port, q))
            }
            Member::Kubernetes(i) => {
                let Some(p) = self.policies.get(i) else {
                    return false;
                };
                let Some(r) = (match dir {
                    Dir::Ingress => p.ingress.get(ri),
                    Dir::Egress => p.egress.get(ri),
                }) else {
                    return false;
                };
                (!peer
                    || r.peers
                        .as_ref()
                        .is_none_or(|ps| ps.iter().any(|x| self.peer_matches(&p.namespace, x, e))))
                    && (!e_is_dst
                        || r.ports
                            .as_ref()
                            .is_none_or(|ps| ps.iter().any(|x| self.port_matches(x, port, q, e))))
            }
            Member::Calico(i) => {
                let Some(p) = self.calico.get(i) else {
                    return false;
                };
                let Some(r) = (match dir {
                    Dir::Ingress => p.ingress.get(ri),
                    Dir::Egress => p.egress.get(ri),
                }) else {
                    return false;
                };
                let entity = if e_is_dst { &r.destination } else { &r.source };
                (peer || r.protocol_matches(q))
                    && (!peer || self.calico_ip_version(r, e))
                    && self.calico_entity(p, entity, e, e_is_dst, port, q)
            }
        }
    }

    /// Whether a tier member selects workload `w` for direction `dir`.
    pub(crate) fn member_selects(&self, m: Member, dir: Dir, w: &Workload) -> bool {
        crate::generate::work::count(1);
        match m {
            Member::Admin(i) => self.admin.get(i).is_some_and(|p| {
                let rules = match dir {
                    Dir::Ingress => &p.ingress,
                    Dir::Egress => &p.egress,
                };
                // A policy without rules for the direction has no effect on it.
                !rules.is_empty() && self.admin_subject(p, w)
            }),
            Member::Baseline => self.baseline.as_ref().is_some_and(|p| {
                let rules = match dir {
                    Dir::Ingress => &p.ingress,
                    Dir::Egress => &p.egress,
                };
                !rules.is_empty() && self.admin_subject(p, w)
            }),
            Member::Kubernetes(i) => self.policies.get(i).is_some_and(|p| {
                (match dir {
                    Dir::Ingress => p.ingress_type,
                    Dir::Egress => p.egress_type,
                }) && self.selects(p, w)
            }),
            Member::Calico(i) => self.calico.get(i).is_some_and(|p| {
                (match dir {
                    Dir::Ingress => p.ingress_type,
                    Dir::Egress => p.egress_type,
                }) && self.calico_selects(p, w)
            }),
        }
    }

    /// Whether a Kubernetes or Calico policy selects the workload for the direction.
    pub(crate) fn tier_isolated(&self, dir: Dir, w: &Workload) -> bool {
        self.tiers.iter().flat_map(|t| &t.members).any(|m| {
            matches!(m, Member::Kubernetes(_) | Member::Calico(_))
                && self.member_selects(*m, dir, w)
        })
    }

    /// Evaluates one member's rules; `None` when no rule decided or passed.
    #[allow(clippy::too_many_arguments)]
    fn member_outcome(
        &self,
        tier: &str,
        m: Member,
        dir: Dir,
        src: Endpoint,
        dst: Endpoint,
        port: u16,
        q: Protocol,
        trail: &mut Vec<Step>,
    ) -> Option<(Outcome, Option<RuleRef>)> {
        let peer = match dir {
            Dir::Ingress => src,
            Dir::Egress => dst,
        };
        let step = |policy: PolicyId, rule: usize, rule_name: Option<String>, action: &str| Step {
            kind: DecisionKind::Rule,
            action: action.to_string(),
            tier: Some(tier.to_string()),
            policy: Some(policy),
            rule: Some(rule),
            rule_name,
        };
        match m {
            Member::Admin(_) | Member::Baseline => {
                let p = match m {
                    Member::Admin(i) => self.admin.get(i)?,
                    _ => self.baseline.as_ref()?,
                };
                let rules = match dir {
                    Dir::Ingress => &p.ingress,
                    Dir::Egress => &p.egress,
                };
                let (i, r) = rules
                    .iter()
                    .enumerate()
                    .find(|(_, r)| self.admin_rule(r, peer, dst, port, q))?;
                let id = PolicyId {
                    kind: p.kind().into(),
                    namespace: None,
                    name: p.name.clone(),
                };
                let s = step(id, i, Some(r.name.clone()), r.action.as_str());
                Some(match r.action {
                    AdminAction::Pass => (Outcome::Pass(s), None),
                    _ => (Outcome::Final(s), None),
                })
            }
            Member::Kubernetes(i) => {
                let p = self.policies.get(i)?;
                let rules = match dir {
                    Dir::Ingress => &p.ingress,
                    Dir::Egress => &p.egress,
                };
                let ri = rules
                    .iter()
                    .position(|r| self.rule_allows(p, r, peer, dst, port, q))?;
                let rr = RuleRef {
                    policy: PolicyRef {
                        namespace: p.namespace.clone(),
                        name: p.name.clone(),
                    },
                    rule: ri,
                };
                Some((Outcome::Final(step(knp_id(p), ri, None, "Allow")), Some(rr)))
            }
            Member::Calico(i) => {
                let p = self.calico.get(i)?;
                let rules = match dir {
                    Dir::Ingress => &p.ingress,
                    Dir::Egress => &p.egress,
                };
                let id = PolicyId {
                    kind: if p.global {
                        "GlobalNetworkPolicy".into()
                    } else {
                        "projectcalico.org/NetworkPolicy".into()
                    },
                    namespace: (!p.global).then(|| p.namespace.clone()),
                    name: p.name.clone(),
                };
                for (ri, r) in rules.iter().enumerate() {
                    if !self.calico_rule(p, r, src, dst, port, q, peer) {
                        continue;
                    }
                    let s = step(id.clone(), ri, None, r.action.as_str());
                    match r.action {
                        CalicoAction::Log => trail.push(s),
                        CalicoAction::Pass => return Some((Outcome::Pass(s), None)),
                        CalicoAction::Allow | CalicoAction::Deny => {
                            return Some((Outcome::Final(s), None));
                        }
                    }
                }
                None
            }
        }
    }

    /// Evaluates one direction through every tier.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn evaluate(
        &self,
        dir: Dir,
        subject: Endpoint,
        src: Endpoint,
        dst: Endpoint,
        port: u16,
        q: Protocol,
    ) -> DirectionVerdict {
        let word = match dir {
            Dir::Ingress => "ingress",
            Dir::Egress => "egress",
        };
        let Some(w) = self.workload(subject) else {
            let decision = Step {
                kind: DecisionKind::NotAPod,
                action: "Allow".into(),
                tier: None,
                policy: None,
                rule: None,
                rule_name: None,
            };
            return DirectionVerdict {
                allowed: true,
                applies: false,
                isolated: false,
                policies: Vec::new(),
                allowed_by: None,
                reason: format!("{word}: not a pod, no policy applies"),
                decision,
                trail: Vec::new(),
            };
        };
        if let Some(v) = self.node_local(dir, w, if dir == Dir::Ingress { src } else { dst }) {
            return v;
        }
        let selected = self.selected_members(dir, w);
        self.evaluate_selected(dir, subject, src, dst, port, q, &selected)
    }

    /// Kubernetes: "traffic to and from the node where a Pod is running is always allowed,
    /// regardless of the IP address of the Pod or the node" (kubelet probes, and hostNetwork
    /// pods on that node, which have its addresses). `peer` is the other end; a pod template
    /// runs on no known node, so this applies to Pods with `spec.nodeName` only. It holds in
    /// both directions whatever the tiers: AdminNetworkPolicy ingress peers cannot name nodes
    /// and Calico allows host-to-local-workload traffic by default; an AdminNetworkPolicy
    /// `nodes` or Calico rule denying a pod's egress to its own node is not modelled (the pair
    /// is reported reachable, the safe side for an audit).
    fn node_local(&self, dir: Dir, w: &Workload, peer: Endpoint) -> Option<DirectionVerdict> {
        if w.host_network {
            return None;
        }
        let addresses = self.node_addresses(w.node.as_deref()?)?;
        let on_node = match peer {
            Endpoint::Ip(ip) => addresses.contains(&ip),
            Endpoint::Workload(_) => self
                .workload(peer)
                .is_some_and(|p| p.ips.iter().any(|ip| addresses.contains(ip))),
        };
        if !on_node {
            return None;
        }
        let word = match dir {
            Dir::Ingress => "ingress from",
            Dir::Egress => "egress to",
        };
        Some(DirectionVerdict {
            allowed: true,
            applies: false,
            isolated: self.tier_isolated(dir, w),
            policies: Vec::new(),
            allowed_by: None,
            reason: format!(
                "{word} the pod's own node {}: always allowed, whatever the policies say",
                w.node.as_deref().unwrap_or("")
            ),
            decision: Step {
                kind: DecisionKind::NodeLocal,
                action: "Allow".into(),
                tier: None,
                policy: None,
                rule: None,
                rule_name: None,
            },
            trail: Vec::new(),
        })
    }

    /// The members of each tier that select workload `w` for direction `dir`.
    pub(crate) fn selected_members(&self, dir: Dir, w: &Workload) -> Vec<Vec<Member>> {
        self.tiers
            .iter()
            .map(|t| {
                // The members that can select `w`, in tier order: the Kubernetes policies of
                // its namespace merged with the members bound to no namespace.
                let own = t
                    .by_namespace
                    .get(&w.namespace)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                let mut positions = Vec::with_capacity(own.len() + t.unbound.len());
                let (mut a, mut b) = (own.iter().peekable(), t.unbound.iter().peekable());
                loop {
                    let next = match (a.peek(), b.peek()) {
                        (Some(&&x), Some(&&y)) if x < y => a.next(),
                        (Some(_), Some(_)) => b.next(),
                        (Some(_), None) => a.next(),
                        (None, Some(_)) => b.next(),
                        (None, None) => break,
                    };
                    positions.extend(next.copied());
                }
                positions
                    .into_iter()
                    .filter_map(|k| t.members.get(k).copied())
                    .filter(|m| self.member_selects(*m, dir, w))
                    .collect()
            })
            .collect()
    }

    /// [`Model::evaluate`] with the subject's selecting members already known (as
    /// [`Model::selected_members`] gives them).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn evaluate_selected(
        &self,
        dir: Dir,
        subject: Endpoint,
        src: Endpoint,
        dst: Endpoint,
        port: u16,
        q: Protocol,
        selected: &[Vec<Member>],
    ) -> DirectionVerdict {
        let word = match dir {
            Dir::Ingress => "ingress",
            Dir::Egress => "egress",
        };
        let Some(w) = self.workload(subject) else {
            return self.evaluate(dir, subject, src, dst, port, q);
        };
        let isolated = selected
            .iter()
            .flatten()
            .any(|m| matches!(m, Member::Kubernetes(_) | Member::Calico(_)));
        let mut knp: Vec<usize> = selected
            .iter()
            .flatten()
            .filter_map(|m| match m {
                Member::Kubernetes(i) => Some(*i),
                _ => None,
            })
            .collect();
        knp.sort_unstable();
        let policies: Vec<PolicyRef> = knp
            .iter()
            .filter_map(|&i| self.policies.get(i))
            .map(|p| PolicyRef {
                namespace: p.namespace.clone(),
                name: p.name.clone(),
            })
            .collect();
        let tiered = self.has_tiered_objects();
        let mut trail: Vec<Step> = Vec::new();
        for (t, selecting) in self.tiers.iter().zip(selected) {
            if selecting.is_empty() {
                continue;
            }
            let mut passed = false;
            for m in selecting.iter().copied() {
                match self.member_outcome(&t.name, m, dir, src, dst, port, q, &mut trail) {
                    None => {}
                    Some((Outcome::Pass(s), _)) => {
                        trail.push(s);
                        passed = true;
                        break;
                    }
                    Some((Outcome::Final(s), allowed_by)) => {
                        let allowed = s.action == "Allow";
                        let reason = match (&allowed_by, tiered) {
                            (Some(r), false) => format!(
                                "{word} allowed by {}/{} {word}[{}]",
                                r.policy.namespace, r.policy.name, r.rule
                            ),
                            _ => explain(word, &trail, &s),
                        };
                        return DirectionVerdict {
                            allowed,
                            applies: true,
                            isolated,
                            policies,
                            allowed_by,
                            reason,
                            decision: s,
                            trail,
                        };
                    }
                }
            }
            if passed {
                continue;
            }
            let s = Step {
                kind: DecisionKind::TierDefault,
                action: t.default_action.as_str().into(),
                tier: Some(t.name.clone()),
                policy: None,
                rule: None,
                rule_name: None,
            };
            if t.default_action == CalicoAction::Deny {
                let reason = if tiered {
                    explain(word, &trail, &s)
                } else {
                    format!(
                        "{word} denied: isolated by {}; no rule of the selecting policies allows it",
                        policies
                            .iter()
                            .map(|p| format!("{}/{}", p.namespace, p.name))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                };
                return DirectionVerdict {
                    allowed: false,
                    applies: true,
                    isolated,
                    policies,
                    allowed_by: None,
                    reason,
                    decision: s,
                    trail,
                };
            }
            trail.push(s);
        }
        let decision = Step {
            kind: DecisionKind::DefaultAllow,
            action: "Allow".into(),
            tier: None,
            policy: None,
            rule: None,
            rule_name: None,
        };
        let reason = if trail.is_empty() {
            let why = if w.host_network {
                "hostNetwork pod, outside every pod selector"
            } else {
                "no policy isolates it"
            };
            format!("{word} not isolated: {why}")
        } else {
            explain(word, &trail, &decision)
        };
        DirectionVerdict {
            allowed: true,
            applies: true,
            isolated,
            policies,
            allowed_by: None,
            reason,
            decision,
            trail,
        }
    }

    /// Representative destination ports: one per cell of the partition of port numbers by
    /// every rule's ports and ranges, and the destination's container ports (for named ports).
    pub(crate) fn port_cells(&self, dst: Endpoint) -> Vec<(u16, Protocol)> {
        let mut cuts: Vec<u32> = vec![1];
        let mut add = |a: u16, b: u16| {
            cuts.push(a.into());
            cuts.push(u32::from(b) + 1);
        };
        for p in &self.policies {
            for r in p.ingress.iter().chain(&p.egress) {
                for pr in r.ports.iter().flatten() {
                    if let Some(PortValue::Number(n)) = pr.port {
                        add(n, pr.end_port.unwrap_or(n));
                    }
                }
            }
        }
        for p in self.admin.iter().chain(&self.baseline) {
            for r in p.ingress.iter().chain(&p.egress) {
                for pr in r.ports.iter().flatten() {
                    match pr {
                        AdminPort::Number(_, n) => add(*n, *n),
                        AdminPort::Range(_, s, e) => add(*s, *e),
                        AdminPort::Named(_) => {}
                    }
                }
            }
        }
        for p in &self.calico {
            for r in p.ingress.iter().chain(&p.egress) {
                for e in [&r.source, &r.destination] {
                    for pr in e.ports.iter().chain(&e.not_ports) {
                        if let CalicoPort::Range(a, b) = pr {
                            add(*a, *b);
                        }
                    }
                }
            }
        }
        if let Some(w) = self.workload(dst) {
            for cp in &w.ports {
                add(cp.port, cp.port);
            }
        }
        cuts.retain(|c| (1..=65535).contains(c));
        cuts.sort_unstable();
        cuts.dedup();
        let mut out = Vec::new();
        for proto in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
            for c in &cuts {
                if let Ok(c) = u16::try_from(*c) {
                    out.push((c, proto));
                }
            }
        }
        out
    }
}

fn explain(word: &str, trail: &[Step], decision: &Step) -> String {
    let verdict = if decision.action == "Allow" {
        "allowed"
    } else {
        "denied"
    };
    let mut s = format!("{word} {verdict}: {}", decision.describe(word));
    if !trail.is_empty() {
        s.push_str("; after ");
        s.push_str(
            &trail
                .iter()
                .map(|t| t.describe(word))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    s
}
