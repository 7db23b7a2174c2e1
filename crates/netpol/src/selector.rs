//! `metav1.LabelSelector` with the API server's matching rules.

use kubecomply_core::value::Field;

use std::collections::BTreeMap;

use kubecomply_core::Value;

/// One `matchExpressions` requirement.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Requirement {
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    DoesNotExist(String),
}

/// A parsed label selector; an empty one matches everything.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct LabelSelector {
    labels: Vec<(String, String)>,
    requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses a selector value; `None` when it is malformed (the API server would reject it).
    pub fn parse(v: &Value) -> Option<LabelSelector> {
        let map = match v {
            Value::Null => return Some(LabelSelector::default()),
            Value::Object(m) => m,
            _ => return None,
        };
        let mut sel = LabelSelector::default();
        match map.field("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Object(ml)) => {
                for (k, v) in ml {
                    sel.labels.push((k.clone(), v.as_str()?.to_string()));
                }
            }
            Some(_) => return None,
        }
        match map.field("matchExpressions") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for e in items {
                    sel.requirements.push(parse_requirement(e)?);
                }
            }
            Some(_) => return None,
        }
        Some(sel)
    }

    /// Whether the selector has no requirement (selects everything).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.requirements.is_empty()
    }

    /// The label keys the selector looks at.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.labels
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(self.requirements.iter().map(|r| match r {
                Requirement::In(k, _)
                | Requirement::NotIn(k, _)
                | Requirement::Exists(k)
                | Requirement::DoesNotExist(k) => k.as_str(),
            }))
    }

    /// Whether a label set satisfies every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.labels
            .iter()
            .all(|(k, v)| labels.get(k).is_some_and(|x| x == v))
            && self.requirements.iter().all(|r| match r {
                Requirement::In(k, vs) => labels.get(k).is_some_and(|x| vs.contains(x)),
                Requirement::NotIn(k, vs) => labels.get(k).is_none_or(|x| !vs.contains(x)),
                Requirement::Exists(k) => labels.contains_key(k),
                Requirement::DoesNotExist(k) => !labels.contains_key(k),
            })
    }
}

fn parse_requirement(e: &Value) -> Option<Requirement> {
    let key = e.field("key")?.as_str()?.to_string();
    let values = match e.field("values") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()?,
        Some(_) => return None,
    };
    match e.field("operator")?.as_str()? {
        "In" if !values.is_empty() => Some(Requirement::In(key, values)),
        "NotIn" if !values.is_empty() => Some(Requirement::NotIn(key, values)),
        "Exists" if values.is_empty() => Some(Requirement::Exists(key)),
        "DoesNotExist" if values.is_empty() => Some(Requirement::DoesNotExist(key)),
        _ => None,
    }
}

/// Explains why a selector value is malformed, for validation messages.
pub(crate) fn problems(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    let map = match v {
        Value::Null => return,
        Value::Object(m) => m,
        _ => {
            out.push((at.to_string(), "must be a label selector object".into()));
            return;
        }
    };
    match map.field("matchLabels") {
        None | Some(Value::Null) => {}
        Some(Value::Object(ml)) => {
            for (k, v) in ml {
                let here = format!("{at}/matchLabels/{}", escape(k));
                if let Some(m) = key_problem(k) {
                    out.push((here.clone(), m));
                }
                match v.as_str() {
                    Some(s) if !is_label_value(s) => out.push((here, value_message(s))),
                    Some(_) => {}
                    None => out.push((here, "label value must be a string".into())),
                }
            }
        }
        Some(_) => out.push((format!("{at}/matchLabels"), "must be a map".into())),
    }
    match map.field("matchExpressions") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, e) in items.iter().enumerate() {
                if let Some(m) = e.field("key").and_then(Value::as_str).and_then(key_problem) {
                    out.push((format!("{at}/matchExpressions/{i}/key"), m));
                }
                if let Some(Value::Array(vs)) = e.field("values") {
                    for (j, v) in vs.iter().enumerate() {
                        if let Some(s) = v.as_str().filter(|s| !is_label_value(s)) {
                            out.push((
                                format!("{at}/matchExpressions/{i}/values/{j}"),
                                value_message(s),
                            ));
                        }
                    }
                }
                if parse_requirement(e).is_none() {
                    out.push((
                        format!("{at}/matchExpressions/{i}"),
                        "invalid requirement: needs a string `key`, an operator In/NotIn (with non-empty `values`) or Exists/DoesNotExist (without `values`)".into(),
                    ));
                }
            }
        }
        Some(_) => out.push((format!("{at}/matchExpressions"), "must be a list".into())),
    }
}

/// Escapes a JSON pointer token.
pub(crate) fn escape(token: &str) -> String {
    kubecomply_core::pointer::escape(token).into_owned()
}

/// A label name segment or value: at most 63 characters, alphanumerics with `-`, `_`, `.` inside.
fn is_name_segment(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A label value: empty, or a name segment.
fn is_label_value(s: &str) -> bool {
    s.is_empty() || is_name_segment(s)
}

fn value_message(s: &str) -> String {
    format!(
        "invalid label value `{s}`: at most 63 characters, alphanumerics, `-`, `_` or `.`, starting and ending with an alphanumeric"
    )
}

/// Why a label key is invalid (an optional DNS-subdomain prefix and `/`, then a name segment).
fn key_problem(k: &str) -> Option<String> {
    let (prefix, name) = match k.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                let b = l.as_bytes();
                !b.is_empty()
                    && b.len() <= 63
                    && b[0].is_ascii_alphanumeric()
                    && b[b.len() - 1].is_ascii_alphanumeric()
                    && b.iter()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
            })
    });
    if prefix_ok && is_name_segment(name) {
        None
    } else {
        Some(format!(
            "invalid label key `{k}`: an optional DNS subdomain prefix and `/`, then at most 63 alphanumerics, `-`, `_` or `.`"
        ))
    }
}
