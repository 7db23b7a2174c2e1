//! Resources: CPU, memory and ephemeral-storage requests and limits.

use kubecomply_core::value::Field;

use kubecomply_core::Value;
use kubecomply_core::pod::{Container, PodTemplate};
use kubecomply_core::pointer::nearest_existing;
use kubecomply_core::{Inventory, Object};

use crate::rule::{Context, Rule, Violations};

pub mod cpu_limits_missing;
pub mod cpu_requests_missing;
pub mod ephemeral_storage_limits_missing;
pub mod memory_limits_missing;
pub mod memory_requests_missing;

/// The rules of this area, in code order.
pub static RULES: &[&Rule] = &[
    &cpu_requests_missing::RULE,
    &cpu_limits_missing::RULE,
    &memory_requests_missing::RULE,
    &memory_limits_missing::RULE,
    &ephemeral_storage_limits_missing::RULE,
];

/// Whether `resources.<section>.<name>` of a container (or pod) value holds a quantity: a
/// non-empty string or a number. Other types are treated as unset.
fn has(holder: &Value, section: &str, name: &str) -> bool {
    match holder
        .field("resources")
        .and_then(|r| r.get(section))
        .and_then(|s| s.get(name))
    {
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Number(_)) => true,
        _ => false,
    }
}

/// Whether a `LimitRange` of the object's namespace in the input gives containers a default
/// for `<section>.<name>` (`limits` or `requests`), after the API server's own defaulting of
/// the LimitRange: a default limit comes from `default` or else `max`; a default request from
/// `defaultRequest`, else `default`, else `max`, else `min`.
fn limit_range_default(inventory: &Inventory, obj: &Object, section: &str, name: &str) -> bool {
    let ns = obj.namespace.as_deref().unwrap_or("");
    let fields: &[&str] = if section == "limits" {
        &["default", "max"]
    } else {
        &["defaultRequest", "default", "max", "min"]
    };
    inventory
        .in_namespace("LimitRange", ns)
        .flat_map(|lr| {
            lr.value
                .field("spec")
                .and_then(|s| s.field("limits"))
                .and_then(Value::as_array)
                .map(|a| a.as_slice())
                .unwrap_or(&[])
        })
        .filter(|item| item.field("type").and_then(Value::as_str) == Some("Container"))
        .any(|item| {
            fields
                .iter()
                .any(|f| match item.get(*f).and_then(|m| m.get(name)) {
                    Some(Value::String(s)) => !s.trim().is_empty(),
                    Some(Value::Number(_)) => true,
                    _ => false,
                })
        })
}

/// What a resource rule looks for.
pub(crate) struct Spec {
    /// `requests` or `limits`.
    pub section: &'static str,
    /// `cpu`, `memory` or `ephemeral-storage`.
    pub name: &'static str,
    /// Words for messages (`CPU`, `memory`...).
    pub noun: &'static str,
    /// Whether pod-level `spec.resources` (the Pod-level resources feature) counts.
    pub pod_level: bool,
}

/// Shared check: every regular and init container must end up with the quantity.
pub(crate) fn check(cx: &Context<'_>, obj: &Object, out: &mut Violations, spec: &Spec) {
    let from_limit_range = limit_range_default(cx.inventory, obj, spec.section, spec.name);
    if from_limit_range {
        return;
    }
    for t in obj.templates() {
        if pod_level(&t, spec) {
            continue;
        }
        for c in t.regular_and_init() {
            if satisfied(&c, spec) {
                continue;
            }
            let full = t.container_path(&c, &["resources", spec.section, spec.name]);
            let pointer = nearest_existing(&obj.value, &full).to_string();
            let extra = if spec.section == "requests" {
                format!(" and no {} limit it would default to", spec.noun)
            } else {
                String::new()
            };
            out.fail_container(
                &c,
                pointer,
                format!(
                    "{} {:?} sets no {} {} (resources.{}.{}){extra}",
                    c.kind.noun(),
                    c.name,
                    spec.noun,
                    if spec.section == "requests" {
                        "request"
                    } else {
                        "limit"
                    },
                    spec.section,
                    spec.name
                ),
            );
        }
    }
}

fn pod_level(t: &PodTemplate<'_>, spec: &Spec) -> bool {
    spec.pod_level
        && (has(t.spec, spec.section, spec.name)
            || (spec.section == "requests" && has(t.spec, "limits", spec.name)))
}

fn satisfied(c: &Container<'_>, spec: &Spec) -> bool {
    has(c.value, spec.section, spec.name)
        || (spec.section == "requests" && has(c.value, "limits", spec.name))
}
