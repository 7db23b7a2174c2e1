//! Label selectors (`metav1.LabelSelector`) as used by `aggregationRule.clusterRoleSelectors`.

use kubecomply_core::value::Field;

use std::collections::BTreeMap;

use kubecomply_core::Value;

/// One requirement of a selector.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed label selector. An invalid selector matches nothing (upstream
/// `LabelSelectorAsSelector` fails and the aggregation controller does not use it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    requirements: Vec<Requirement>,
    invalid: bool,
}

impl Selector {
    /// Parses `{matchLabels, matchExpressions}`. The empty selector matches every label set.
    pub fn parse(v: &Value) -> Selector {
        let mut requirements = Vec::new();
        let mut invalid = !v.is_object();
        if let Some(m) = v.field("matchLabels") {
            match m.as_object() {
                Some(m) => {
                    for (k, val) in m {
                        match val.as_str() {
                            Some(s) => {
                                requirements.push(Requirement::In(k.clone(), vec![s.into()]))
                            }
                            None => invalid = true,
                        }
                    }
                }
                None if m.is_null() => {}
                None => invalid = true,
            }
        }
        if let Some(Value::Array(exprs)) = v.field("matchExpressions") {
            for e in exprs {
                let key = e
                    .field("key")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let values: Vec<String> = match e.field("values") {
                    Some(Value::Array(a)) => a
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect(),
                    _ => Vec::new(),
                };
                let op = e.field("operator").and_then(Value::as_str).unwrap_or("");
                // Upstream validation: In/NotIn need values, Exists/DoesNotExist forbid them.
                let r = match op {
                    "In" if !values.is_empty() => Requirement::In(key, values),
                    "NotIn" if !values.is_empty() => Requirement::NotIn(key, values),
                    "Exists" if values.is_empty() => Requirement::Exists(key),
                    "DoesNotExist" if values.is_empty() => Requirement::DoesNotExist(key),
                    _ => {
                        invalid = true;
                        continue;
                    }
                };
                requirements.push(r);
            }
        }
        Selector {
            requirements,
            invalid,
        }
    }

    /// Whether a label set matches every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        !self.invalid
            && self.requirements.iter().all(|r| match r {
                Requirement::In(k, vs) => labels.get(k).is_some_and(|v| vs.contains(v)),
                Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|v| !vs.contains(v)),
                Requirement::Exists(k) => labels.contains_key(k),
                Requirement::DoesNotExist(k) => !labels.contains_key(k),
            })
    }

    /// A selector matching `key=value`.
    pub fn label(key: &str, value: &str) -> Selector {
        Selector {
            requirements: vec![Requirement::In(key.into(), vec![value.into()])],
            invalid: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubecomply_core::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn operators() {
        let s = Selector::parse(&json!({
            "matchLabels": {"a": "1"},
            "matchExpressions": [
                {"key": "b", "operator": "In", "values": ["x", "y"]},
                {"key": "c", "operator": "NotIn", "values": ["z"]},
                {"key": "d", "operator": "Exists"},
                {"key": "e", "operator": "DoesNotExist"}
            ]
        }));
        assert!(s.matches(&labels(&[("a", "1"), ("b", "y"), ("d", "")])));
        assert!(!s.matches(&labels(&[("a", "1"), ("b", "y"), ("c", "z"), ("d", "")])));
        assert!(!s.matches(&labels(&[("a", "1"), ("b", "y"), ("d", ""), ("e", "1")])));
        assert!(!s.matches(&labels(&[("a", "1"), ("b", "q"), ("d", "")])));
        assert!(Selector::parse(&json!({})).matches(&labels(&[])));
        assert!(
            !Selector::parse(&json!({"matchExpressions": [{"key": "a", "operator": "Bogus"}]}))
                .matches(&labels(&[]))
        );
        assert!(!Selector::parse(&json!("x")).matches(&labels(&[])));
    }
}
