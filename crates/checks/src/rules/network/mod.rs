//! Network exposure: Services, Ingresses and NetworkPolicies.

use kubecomply_core::value::Field;

use kubecomply_core::{Map, Value};

use crate::rule::Rule;

pub mod ingress_nginx_snippet;
pub mod ingress_nginx_snippet_code_execution;
pub mod ingress_without_tls;
pub mod load_balancer_open_to_internet;
pub mod networkpolicy_allows_all;
pub mod pod_without_network_policy;
pub mod service_external_ips;
pub mod service_node_port;
pub mod tiller_service;

/// The rules of this area, in code order.
pub static RULES: &[&Rule] = &[
    &pod_without_network_policy::RULE,
    &service_node_port::RULE,
    &service_external_ips::RULE,
    &load_balancer_open_to_internet::RULE,
    &ingress_without_tls::RULE,
    &ingress_nginx_snippet::RULE,
    &ingress_nginx_snippet_code_execution::RULE,
    &tiller_service::RULE,
    &networkpolicy_allows_all::RULE,
];

/// Whether a label selector (`matchLabels` and `matchExpressions` with `In`, `NotIn`, `Exists`,
/// `DoesNotExist`) selects an object with `labels`. A missing selector is empty and selects
/// everything; a selector that is malformed (wrong types, unknown operator) selects nothing,
/// because the API server would have rejected it.
pub(crate) fn selector_matches(selector: Option<&Value>, labels: Option<&Map>) -> bool {
    let selector = match selector {
        None | Some(Value::Null) => return true,
        Some(Value::Object(s)) => s,
        Some(_) => return false,
    };
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    match selector.field("matchLabels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(ml)) => {
            for (k, v) in ml {
                let Some(v) = v.as_str() else { return false };
                if label(k) != Some(v) {
                    return false;
                }
            }
        }
        Some(_) => return false,
    }
    match selector.field("matchExpressions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(exprs)) => {
            for e in exprs {
                let Some(key) = e.field("key").and_then(Value::as_str) else {
                    return false;
                };
                let values: Vec<&str> = match e.field("values") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
                    Some(_) => return false,
                };
                let have = label(key);
                let ok = match e.field("operator").and_then(Value::as_str) {
                    Some("In") => have.is_some_and(|h| values.contains(&h)),
                    Some("NotIn") => have.is_none_or(|h| !values.contains(&h)),
                    Some("Exists") => have.is_some(),
                    Some("DoesNotExist") => have.is_none(),
                    _ => return false,
                };
                if !ok {
                    return false;
                }
            }
        }
        Some(_) => return false,
    }
    true
}

/// Whether a selector value is the empty selector `{}` (selects everything).
pub(crate) fn is_empty_selector(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().all(|(k, v)| match (k.as_str(), v) {
            (_, Value::Null) => true,
            ("matchLabels", Value::Object(o)) => o.is_empty(),
            ("matchExpressions", Value::Array(a)) => a.is_empty(),
            _ => false,
        }),
        _ => false,
    }
}

/// Whether a CIDR covers the whole address family (`0.0.0.0/0`, `::/0`, any `/0`).
pub(crate) fn is_whole_internet(cidr: &str) -> bool {
    cidr.trim()
        .rsplit_once('/')
        .is_some_and(|(_, bits)| bits.trim() == "0")
}

/// The annotation prefix of the community ingress-nginx controller.
pub(crate) const NGINX_PREFIX: &str = "nginx.ingress.kubernetes.io/";

/// The ingress-nginx snippet annotations of an object: (key, value), in key order.
pub(crate) fn nginx_snippets(obj: &kubecomply_core::Object) -> Vec<(&str, Option<&str>)> {
    let Some(Value::Object(ann)) = obj
        .value
        .field("metadata")
        .and_then(|m| m.field("annotations"))
    else {
        return Vec::new();
    };
    ann.iter()
        .filter(|(k, _)| k.starts_with(NGINX_PREFIX) && k.ends_with("-snippet"))
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The JSON pointer of an annotation.
pub(crate) fn annotation_pointer(key: &str) -> String {
    kubecomply_core::pointer::join("", &["metadata", "annotations", key])
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubecomply_core::json;

    #[test]
    fn selectors() {
        let labels = json!({"app": "web", "tier": "front"});
        let l = labels.as_object();
        assert!(selector_matches(Some(&json!({})), l));
        assert!(selector_matches(None, l));
        assert!(selector_matches(
            Some(&json!({"matchLabels": {"app": "web"}})),
            l
        ));
        assert!(!selector_matches(
            Some(&json!({"matchLabels": {"app": "db"}})),
            l
        ));
        let e = |op: &str, vals: Value| json!({"matchExpressions": [{"key": "tier", "operator": op, "values": vals}]});
        assert!(selector_matches(Some(&e("In", json!(["front", "x"]))), l));
        assert!(!selector_matches(Some(&e("NotIn", json!(["front"]))), l));
        assert!(selector_matches(Some(&e("Exists", json!(null))), l));
        assert!(!selector_matches(Some(&e("DoesNotExist", json!(null))), l));
        assert!(!selector_matches(Some(&e("Bogus", json!(null))), l));
        assert!(selector_matches(Some(&e("NotIn", json!(["x"]))), None));
        assert!(is_empty_selector(&json!({})));
        assert!(is_empty_selector(&json!({"matchLabels": {}})));
        assert!(!is_empty_selector(&json!({"matchLabels": {"a": "b"}})));
        assert!(is_whole_internet("0.0.0.0/0"));
        assert!(is_whole_internet("::/0"));
        assert!(!is_whole_internet("10.0.0.0/8"));
    }
}
