//! `netpol review`: compliance findings computed from the reachability model (what the
//! policies allow), not from which fields are present; and the per-workload posture behind
//! `netpol inventory`.
//!
//! Each rule is a module of `crate::rules`; this module holds what they share (the review's
//! model, the internet exposure of each workload computed once per review, the probes and
//! helpers) and runs them.

use kubecomply_core::value::Field;

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use kubecomply_core::Value;
use kubecomply_core::{Finding, Inventory, Object, RuleMeta};
use serde::Serialize;

use crate::model::{Admission, Endpoint, Model, RuleRef, Workload};
use crate::rules;
use crate::segmentation::Segmentation;
use crate::{Port, PortValue, Protocol};

/// The label (on a pod template or its namespace) that puts a workload in a data class.
pub const DATA_CLASS_LABEL: &str = kubecomply_core::dataclass::LABEL;

/// The address that stands for "the internet" in exposure queries (TEST-NET-3).
pub(crate) const INTERNET_PROBE: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10));

/// Public addresses spread over the IPv4 space: egress that admits all of them is treated as
/// open to any external address.
pub(crate) const PUBLIC_V4: [Ipv4Addr; 8] = [
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
pub(crate) const PUBLIC_V6: [Ipv6Addr; 3] = [
    Ipv6Addr::new(0x2001, 0x4860, 0x4860, 0, 0, 0, 0, 0x8888),
    Ipv6Addr::new(0x2606, 0x4700, 0, 0, 0, 0, 0, 0x1111),
    Ipv6Addr::new(0x2a00, 0x1450, 0x4001, 0, 0, 0, 0, 0x1),
];

/// At most this many example sources per segmentation finding (and paths per KC-NET-113
/// finding).
pub(crate) const MAX_EXAMPLES: usize = 5;

/// KC-NET-101.
pub const NO_DEFAULT_DENY_INGRESS: RuleMeta = rules::namespace_without_default_deny_ingress::META;
/// KC-NET-102.
pub const EGRESS_UNRESTRICTED: RuleMeta = rules::egress_unrestricted::META;
/// KC-NET-103.
pub const EXPOSED_TO_INTERNET: RuleMeta = rules::workload_exposed_to_internet::META;
/// KC-NET-104.
pub const SEGMENTATION_VIOLATED: RuleMeta = rules::segmentation_violated::META;
/// KC-NET-105.
pub const METADATA_REACHABLE: RuleMeta = rules::metadata_service_reachable::META;
/// KC-NET-108.
pub const INVALID_POLICY: RuleMeta = rules::networkpolicy_invalid::META;
/// KC-NET-109.
pub const NO_DEFAULT_DENY_EGRESS: RuleMeta = rules::namespace_without_default_deny_egress::META;
/// KC-NET-110.
pub const WORKLOAD_NOT_SELECTED: RuleMeta = rules::workload_without_networkpolicy::META;
/// KC-NET-111.
pub const ALLOW_ALL_RULE: RuleMeta = rules::networkpolicy_rule_allows_all::META;
/// KC-NET-112.
pub const HOST_NETWORK_BYPASS: RuleMeta = rules::host_network_bypasses_networkpolicy::META;
/// KC-NET-113.
pub const LATERAL_PATH: RuleMeta = rules::lateral_path_to_data_class::META;

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

/// What every rule of one review sees: the inventory, the model built from it once, the
/// declared flows, and what several rules derive from the model (computed on first use).
pub(crate) struct Review<'a> {
    /// The reviewed objects.
    pub(crate) inv: &'a Inventory,
    /// The reachability model of `inv`.
    pub(crate) model: &'a Model,
    /// Declared flows (KC-NET-104 does not report what they permit).
    pub(crate) segmentation: &'a Segmentation,
    exposed: OnceCell<Vec<Vec<String>>>,
}

impl Review<'_> {
    /// For each workload of the model, how the internet reaches it ([`exposed_to_internet`]),
    /// computed once per review (KC-NET-103 and KC-NET-113 use it).
    pub(crate) fn exposed(&self) -> &[Vec<String>] {
        self.exposed
            .get_or_init(|| exposed_to_internet(self.inv, self.model))
    }

    /// A failure of `meta` on object `object` of the inventory (none if there is no such object).
    pub(crate) fn finding(
        &self,
        meta: &RuleMeta<'static>,
        object: usize,
        pointer: &str,
        message: String,
    ) -> Option<Finding> {
        let o = self.inv.objects.get(object)?;
        Some(Finding::failure(meta, o, pointer, message))
    }
}

/// How messages name a policy rule: `NAMESPACE/NAME ingress[INDEX]`.
pub(crate) fn rule_name(r: &RuleRef, dir: &str) -> String {
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

/// An object's namespace, `default` when it names none.
pub(crate) fn ns_of(o: &Object) -> &str {
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

/// A workload's data class: its pod-template label, else its namespace's.
pub(crate) fn class_of<'a>(model: &'a Model, w: &'a Workload) -> Option<&'a str> {
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

/// The distinct container ports a workload declares.
pub(crate) fn declared_ports(w: &Workload) -> Vec<Port> {
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
pub(crate) fn public_admissions(
    model: &Model,
    i: usize,
) -> (Vec<Option<Admission>>, Vec<Option<Admission>>) {
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
    let review = Review {
        inv,
        model,
        segmentation,
        exposed: OnceCell::new(),
    };
    let mut out = Vec::new();
    for rule in rules::EVALUATION_ORDER {
        let before = out.len();
        (rule.check)(&review, &mut out);
        debug_assert!(
            out[before..].iter().all(|f| f.rule == rule.meta.code),
            "{} reported another rule's finding",
            rule.meta.code
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_evaluated_once() {
        let mut evaluated: Vec<&str> = rules::EVALUATION_ORDER
            .iter()
            .map(|r| r.meta.code)
            .collect();
        let mut listed: Vec<&str> = RULES.iter().map(|m| m.code).collect();
        evaluated.sort_unstable();
        listed.sort_unstable();
        assert_eq!(evaluated, listed);
    }
}
