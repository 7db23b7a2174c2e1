//! Services as query destinations: the backing workloads (through the selector) and the
//! target port of each (a Service port maps to `targetPort`, a number or a container-port
//! name resolved per backend by name and protocol).

use kubecomply_core::Inventory;
use kubecomply_core::Value;
use kubecomply_core::value::Field;

use crate::model::Model;
use crate::{Port, PortValue};

/// A backend of a Service port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backend {
    /// Index into [`Model::workloads`].
    pub workload: usize,
    /// The port to query on the backend (the resolved `targetPort`).
    pub target: Port,
}

/// The backends of Service `namespace/name` for the Service port `port` (its number or name,
/// with its protocol). Errors say why there are none to query.
pub fn service_backends(
    inv: &Inventory,
    model: &Model,
    namespace: &str,
    name: &str,
    port: &Port,
) -> Result<Vec<Backend>, String> {
    let svc = inv
        .objects
        .iter()
        .find(|o| {
            o.kind == "Service"
                && o.group().is_empty()
                && o.name == name
                && o.namespace.as_deref().unwrap_or("default") == namespace
        })
        .ok_or_else(|| format!("no Service {namespace}/{name} in the inputs"))?;
    let spec = svc.value.field("spec").unwrap_or(&Value::Null);
    let selector = match spec.field("selector") {
        Some(Value::Object(m)) if !m.is_empty() => m,
        _ => {
            return Err(format!(
                "Service {namespace}/{name} has no selector: its endpoints are managed outside \
                 the manifests (EndpointSlices or ExternalName), so its backends are unknown"
            ));
        }
    };
    let ports: &[Value] = match spec.field("ports") {
        Some(Value::Array(a)) => a,
        _ => &[],
    };
    let sp = ports
        .iter()
        .find(|p| {
            let proto = p.field("protocol").and_then(Value::as_str).unwrap_or("TCP");
            let hit = match &port.port {
                PortValue::Number(n) => {
                    p.field("port").and_then(Value::as_u64) == Some(u64::from(*n))
                }
                PortValue::Name(s) => p.field("name").and_then(Value::as_str) == Some(s.as_str()),
            };
            hit && proto == port.protocol.as_str()
        })
        .ok_or_else(|| {
            format!(
                "Service {namespace}/{name} has no {} port {}",
                port.protocol, port.port
            )
        })?;
    let target = match sp.field("targetPort").or_else(|| sp.field("port")) {
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .filter(|&n| n > 0)
            .map(PortValue::Number),
        Some(Value::String(s)) => Some(PortValue::parse(s)),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "Service {namespace}/{name} port {}: invalid targetPort",
            port.port
        )
    })?;
    let backends: Vec<Backend> = model
        .workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| {
            w.namespace == namespace
                && selector.iter().all(|(k, v)| {
                    v.as_str()
                        .is_some_and(|v| w.labels.get(k).map(String::as_str) == Some(v))
                })
        })
        .map(|(i, _)| Backend {
            workload: i,
            target: Port {
                port: target.clone(),
                protocol: port.protocol,
            },
        })
        .collect();
    if backends.is_empty() {
        return Err(format!(
            "Service {namespace}/{name}: its selector matches no Pod or workload of the inputs"
        ));
    }
    Ok(backends)
}
