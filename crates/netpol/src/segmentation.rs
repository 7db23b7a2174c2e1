//! Declared flows for KC-NET-104: connections that the segmentation design permits across data
//! classes, so that the review reports only the undeclared ones.

use std::collections::BTreeMap;

use kubecomply_core::Value;
use kubecomply_core::value::Field;

use crate::model::{Model, Workload};
use crate::{PortValue, Protocol};

/// Which workloads one end of a declared flow covers; every given field must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FlowSelector {
    /// `namespace`: the workload's namespace.
    pub namespace: Option<String>,
    /// `workload`: `NAMESPACE/NAME` or `NAMESPACE/KIND/NAME`.
    pub workload: Option<String>,
    /// `labels`: pod-template labels that must all be present with these values.
    pub labels: BTreeMap<String, String>,
}

/// One declared flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeclaredFlow {
    /// Sources.
    pub from: FlowSelector,
    /// Destinations.
    pub to: FlowSelector,
    /// Destination port (number or container-port name of the destination); any when absent.
    pub port: Option<PortValue>,
    /// Protocol; any when absent.
    pub protocol: Option<Protocol>,
    /// Why the flow is permitted.
    pub reason: String,
    /// Who is accountable for it.
    pub owner: String,
}

/// The declared flows of a segmentation file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Segmentation {
    /// The flows.
    pub flows: Vec<DeclaredFlow>,
}

fn selector(v: Option<&Value>, at: &str) -> Result<FlowSelector, String> {
    let Some(Value::Object(m)) = v else {
        return Err(format!(
            "{at}: must be a map with namespace, workload and/or labels"
        ));
    };
    let mut s = FlowSelector::default();
    for (k, x) in m {
        match (k.as_str(), x) {
            ("namespace", Value::String(n)) => s.namespace = Some(n.clone()),
            ("workload", Value::String(w)) if matches!(w.split('/').count(), 2 | 3) => {
                s.workload = Some(w.clone())
            }
            ("labels", Value::Object(l)) => {
                for (lk, lv) in l {
                    let lv = lv
                        .as_str()
                        .ok_or_else(|| format!("{at}.labels.{lk}: must be a string"))?;
                    s.labels.insert(lk.clone(), lv.to_string());
                }
            }
            _ => return Err(format!("{at}.{k}: unexpected field or value")),
        }
    }
    if s == FlowSelector::default() {
        return Err(format!("{at}: give namespace, workload or labels"));
    }
    Ok(s)
}

/// The fields of a declared flow.
const FLOW_FIELDS: [&str; 6] = ["from", "to", "port", "protocol", "reason", "owner"];

impl Segmentation {
    /// Parses `{flows: [{from, to, port, protocol, reason, owner}]}` (or the bare list);
    /// `reason` and `owner` are required, so that every exception is accounted for.
    pub fn parse(v: &Value) -> Result<Segmentation, String> {
        let list = match v {
            Value::Array(a) => a,
            Value::Object(_) => match v.field("flows") {
                Some(Value::Array(a)) => a,
                _ => return Err("`flows` must be a list".into()),
            },
            _ => return Err("expected a list of flows or a map with `flows`".into()),
        };
        if let Some(k) = v
            .as_object()
            .and_then(|m| m.keys().find(|k| k.as_str() != "flows"))
        {
            return Err(format!("{k}: unknown field `{k}` (expected flows)"));
        }
        let mut flows = Vec::new();
        for (i, f) in list.iter().enumerate() {
            let at = format!("flows[{i}]");
            // A misspelt key must not widen a declared exception (a `prot:` would otherwise
            // declare the flow on every port).
            let Some(fields) = f.as_object() else {
                return Err(format!(
                    "{at}: must be a map with from, to, port, protocol, reason, owner"
                ));
            };
            if let Some(k) = fields.keys().find(|k| !FLOW_FIELDS.contains(&k.as_str())) {
                return Err(format!(
                    "{at}.{k}: unknown field `{k}` (expected from, to, port, protocol, reason, owner)"
                ));
            }
            let text = |k: &str| -> Result<String, String> {
                f.field(k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.trim().is_empty())
                    .map(str::to_string)
                    .ok_or_else(|| format!("{at}.{k}: required (a non-empty string)"))
            };
            let port = match f.field("port") {
                None | Some(Value::Null) => None,
                Some(Value::Number(n)) => Some(PortValue::Number(
                    n.as_u64()
                        .and_then(|n| u16::try_from(n).ok())
                        .filter(|&n| n > 0)
                        .ok_or_else(|| format!("{at}.port: not in 1-65535"))?,
                )),
                Some(Value::String(s)) => Some(PortValue::parse(s)),
                Some(_) => return Err(format!("{at}.port: a number or a port name")),
            };
            let protocol = match f.field("protocol") {
                None | Some(Value::Null) => None,
                Some(p) => Some(
                    p.as_str()
                        .and_then(Protocol::parse)
                        .ok_or_else(|| format!("{at}.protocol: TCP, UDP or SCTP"))?,
                ),
            };
            flows.push(DeclaredFlow {
                from: selector(f.field("from"), &format!("{at}.from"))?,
                to: selector(f.field("to"), &format!("{at}.to"))?,
                port,
                protocol,
                reason: text("reason")?,
                owner: text("owner")?,
            });
        }
        Ok(Segmentation { flows })
    }

    /// The declared flow that permits `from` -> `to` on `port`/`protocol` (the resolved
    /// number), if any.
    pub fn declared(
        &self,
        model: &Model,
        from: usize,
        to: usize,
        port: u16,
        protocol: Protocol,
    ) -> Option<&DeclaredFlow> {
        let (Some(s), Some(d)) = (model.workloads.get(from), model.workloads.get(to)) else {
            return None;
        };
        self.flows.iter().find(|f| {
            covers(&f.from, s)
                && covers(&f.to, d)
                && f.protocol.is_none_or(|p| p == protocol)
                && match &f.port {
                    None => true,
                    Some(PortValue::Number(n)) => *n == port,
                    Some(PortValue::Name(name)) => d.ports.iter().any(|cp| {
                        cp.name.as_deref() == Some(name.as_str())
                            && cp.port == port
                            && cp.protocol == protocol
                    }),
                }
        })
    }
}

fn covers(s: &FlowSelector, w: &Workload) -> bool {
    s.namespace.as_ref().is_none_or(|n| *n == w.namespace)
        && s.workload.as_ref().is_none_or(|r| {
            let parts: Vec<&str> = r.split('/').collect();
            match parts.as_slice() {
                [ns, name] => *ns == w.namespace && *name == w.name,
                [ns, kind, name] => {
                    *ns == w.namespace && kind.eq_ignore_ascii_case(&w.kind) && *name == w.name
                }
                _ => false,
            }
        })
        && s.labels.iter().all(|(k, v)| w.labels.get(k) == Some(v))
}
