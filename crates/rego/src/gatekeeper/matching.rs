//! A constraint's `spec.match` block, with Gatekeeper's semantics: every field given must
//! match; an absent or empty field matches everything.
//!
//! * `kinds`: some entry whose `apiGroups` holds the object's group (or `*`, or is empty) and
//!   whose `kinds` holds its kind (or `*`, or is empty).
//! * `scope`: `*` (or absent) everything, `Cluster` objects without a namespace, `Namespaced`
//!   objects with one.
//! * `namespaces` / `excludedNamespaces`: globs with a leading or trailing `*`, applied to the
//!   object's namespace, or to the name of a Namespace object; other cluster-scoped objects
//!   are neither included nor excluded by them.
//! * `labelSelector`: `matchLabels` and `matchExpressions` (`In`, `NotIn`, `Exists`,
//!   `DoesNotExist`) on the object's labels.
//! * `namespaceSelector`: the same on the labels of the object's Namespace (a Namespace object:
//!   its own labels). A namespaced object whose Namespace is not in the input does not match.
//!   Cluster-scoped objects other than Namespaces are not affected.
//! * `name`: a glob on `metadata.name`.

use kubecomply_core::{Map, Value};

/// Whether `pattern` (a name, optionally with a leading or trailing `*`) matches `s`.
pub fn glob(pattern: &str, s: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(suffix), _) if !suffix.ends_with('*') => s.ends_with(suffix),
        (Some(inner), _) => s.contains(inner.trim_end_matches('*')),
        (None, Some(prefix)) => s.starts_with(prefix),
        (None, None) => pattern == s,
    }
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn labels(obj: &Value) -> Option<&Map> {
    obj.get("metadata")?.get("labels")?.as_object()
}

/// Whether a Kubernetes label selector selects `labels` (an empty selector selects all).
pub fn selects(selector: &Value, labels: Option<&Map>) -> bool {
    let empty = Map::new();
    let labels = labels.unwrap_or(&empty);
    if let Some(ml) = selector.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in ml {
            if labels.get(k).and_then(Value::as_str) != v.as_str() {
                return false;
            }
        }
    }
    if let Some(exprs) = selector.get("matchExpressions").and_then(Value::as_array) {
        for e in exprs {
            let key = e.get("key").and_then(Value::as_str).unwrap_or("");
            let values = strings(e.get("values"));
            let actual = labels.get(key).and_then(Value::as_str);
            let ok = match e.get("operator").and_then(Value::as_str).unwrap_or("") {
                "In" => actual.is_some_and(|a| values.contains(&a)),
                "NotIn" => actual.is_none_or(|a| !values.contains(&a)),
                "Exists" => actual.is_some(),
                "DoesNotExist" => actual.is_none(),
                // An unknown operator selects nothing, as the API server would reject it.
                _ => false,
            };
            if !ok {
                return false;
            }
        }
    }
    true
}

/// The identity of an object as matching sees it.
pub struct Subject<'a> {
    /// The object.
    pub object: &'a Value,
    /// API group (empty for core).
    pub group: &'a str,
    /// Kind.
    pub kind: &'a str,
    /// Name.
    pub name: &'a str,
    /// Namespace (empty for cluster-scoped).
    pub namespace: &'a str,
}

impl<'a> Subject<'a> {
    /// Reads the identity from an object's fields.
    pub fn of(object: &'a Value) -> Subject<'a> {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let group = api_version.split_once('/').map_or("", |(g, _)| g);
        let meta = object.get("metadata");
        let field = |k: &str| {
            meta.and_then(|m| m.get(k))
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        Subject {
            object,
            group,
            kind: object.get("kind").and_then(Value::as_str).unwrap_or(""),
            name: field("name"),
            namespace: field("namespace"),
        }
    }

    fn is_namespace(&self) -> bool {
        self.kind == "Namespace" && self.group.is_empty()
    }
}

/// Whether the `match` block `m` (the constraint's `spec.match`, possibly absent) selects the
/// subject. `namespace_of` returns the Namespace object of a namespace name when known.
pub fn matches<'n>(
    m: Option<&Value>,
    s: &Subject<'_>,
    namespace_of: &dyn Fn(&str) -> Option<&'n Value>,
) -> bool {
    let Some(m) = m.filter(|m| m.is_object()) else {
        return true;
    };
    if let Some(kinds) = m.get("kinds").and_then(Value::as_array)
        && !kinds.is_empty()
    {
        let any = kinds.iter().any(|k| {
            let groups = strings(k.get("apiGroups"));
            let names = strings(k.get("kinds"));
            (groups.is_empty() || groups.iter().any(|g| *g == "*" || *g == s.group))
                && (names.is_empty() || names.iter().any(|n| *n == "*" || *n == s.kind))
        });
        if !any {
            return false;
        }
    }
    match m.get("scope").and_then(Value::as_str).unwrap_or("*") {
        "Cluster" if !s.namespace.is_empty() => return false,
        "Namespaced" if s.namespace.is_empty() => return false,
        _ => {}
    }
    // The namespace the namespace criteria look at: the object's, or a Namespace's own name.
    let ns_name = if s.is_namespace() {
        Some(s.name)
    } else if s.namespace.is_empty() {
        None
    } else {
        Some(s.namespace)
    };
    if let Some(ns) = ns_name {
        let included = strings(m.get("namespaces"));
        if !included.is_empty() && !included.iter().any(|p| glob(p, ns)) {
            return false;
        }
        if strings(m.get("excludedNamespaces"))
            .iter()
            .any(|p| glob(p, ns))
        {
            return false;
        }
    }
    if let Some(sel) = m.get("labelSelector").filter(|v| v.is_object())
        && !selects(sel, labels(s.object))
    {
        return false;
    }
    if let Some(sel) = m.get("namespaceSelector").filter(|v| v.is_object()) {
        if s.is_namespace() {
            if !selects(sel, labels(s.object)) {
                return false;
            }
        } else if !s.namespace.is_empty() {
            match namespace_of(s.namespace) {
                Some(ns) if selects(sel, labels(ns)) => {}
                _ => return false,
            }
        }
    }
    if let Some(name) = m.get("name").and_then(Value::as_str)
        && !name.is_empty()
        && !glob(name, s.name)
    {
        return false;
    }
    true
}

/// The wrongly typed fields of a `match` block (pointer relative to it, message): Gatekeeper's
/// schema types every field, and a wrongly typed one read as absent would widen the match to
/// everything (`kinds: 5`, `namespaces: prod`) or drop an exclusion.
pub fn validate(m: Option<&Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Some(m) = m.filter(|m| !m.is_null()) else {
        return out;
    };
    let Some(map) = m.as_object() else {
        out.push((String::new(), "must be a mapping".to_string()));
        return out;
    };
    let strings_at = |v: Option<&Value>, at: String, out: &mut Vec<(String, String)>| match v
        .filter(|v| !v.is_null())
    {
        None => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if !item.is_string() {
                    out.push((format!("{at}/{i}"), "must be a string".into()));
                }
            }
        }
        Some(_) => out.push((at, "must be a list of strings".into())),
    };
    match map.get("kinds").filter(|v| !v.is_null()) {
        None => {}
        Some(Value::Array(items)) => {
            for (i, k) in items.iter().enumerate() {
                if !k.is_object() {
                    out.push((format!("/kinds/{i}"), "must be a mapping".into()));
                    continue;
                }
                strings_at(
                    k.get("apiGroups"),
                    format!("/kinds/{i}/apiGroups"),
                    &mut out,
                );
                strings_at(k.get("kinds"), format!("/kinds/{i}/kinds"), &mut out);
            }
        }
        Some(_) => out.push(("/kinds".into(), "must be a list".into())),
    }
    for key in ["namespaces", "excludedNamespaces"] {
        strings_at(map.get(key), format!("/{key}"), &mut out);
    }
    for key in ["name", "source"] {
        if map.get(key).is_some_and(|v| !v.is_null() && !v.is_string()) {
            out.push((format!("/{key}"), "must be a string".into()));
        }
    }
    match map.get("scope").filter(|v| !v.is_null()) {
        None => {}
        Some(v) if matches!(v.as_str(), Some("*" | "Cluster" | "Namespaced")) => {}
        Some(_) => out.push((
            "/scope".into(),
            "must be \"*\", \"Cluster\" or \"Namespaced\"".into(),
        )),
    }
    for key in ["labelSelector", "namespaceSelector"] {
        let Some(sel) = map.get(key).filter(|v| !v.is_null()) else {
            continue;
        };
        let Some(sm) = sel.as_object() else {
            out.push((format!("/{key}"), "must be a mapping".into()));
            continue;
        };
        match sm.get("matchLabels").filter(|v| !v.is_null()) {
            None => {}
            Some(Value::Object(ml)) => {
                for (k, v) in ml {
                    if !v.is_string() {
                        out.push((format!("/{key}/matchLabels/{k}"), "must be a string".into()));
                    }
                }
            }
            Some(_) => out.push((format!("/{key}/matchLabels"), "must be a mapping".into())),
        }
        match sm.get("matchExpressions").filter(|v| !v.is_null()) {
            None => {}
            Some(Value::Array(items)) => {
                for (i, e) in items.iter().enumerate() {
                    let at = format!("/{key}/matchExpressions/{i}");
                    if !e.is_object() {
                        out.push((at, "must be a mapping".into()));
                        continue;
                    }
                    if !e.get("key").is_some_and(Value::is_string) {
                        out.push((format!("{at}/key"), "must be a string".into()));
                    }
                    if !matches!(
                        e.get("operator").and_then(Value::as_str),
                        Some("In" | "NotIn" | "Exists" | "DoesNotExist")
                    ) {
                        out.push((
                            format!("{at}/operator"),
                            "must be In, NotIn, Exists or DoesNotExist".into(),
                        ));
                    }
                    strings_at(e.get("values"), format!("{at}/values"), &mut out);
                }
            }
            Some(_) => out.push((format!("/{key}/matchExpressions"), "must be a list".into())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("kube-*", "kube-system"));
        assert!(glob("*-system", "gatekeeper-system"));
        assert!(!glob("kube-*", "default"));
        assert!(glob("default", "default"));
        assert!(!glob("default", "default2"));
        assert!(glob("*", "x"));
    }

    #[test]
    fn wrongly_typed_match_fields_are_reported() {
        let m = kubecomply_core::json!({
            "kinds": 5,
            "namespaces": "prod",
            "excludedNamespaces": ["kube-system", 3],
            "scope": "Everything",
            "labelSelector": {"matchExpressions": [{"key": "a", "operator": "Equals"}]}
        });
        let got: Vec<String> = validate(Some(&m)).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            got,
            [
                "/kinds",
                "/namespaces",
                "/excludedNamespaces/1",
                "/scope",
                "/labelSelector/matchExpressions/0/operator"
            ]
        );
        let ok = kubecomply_core::json!({
            "kinds": [{"apiGroups": [""], "kinds": ["Pod"]}],
            "excludedNamespaces": ["kube-*"],
            "labelSelector": {"matchLabels": {"a": "b"}}
        });
        assert!(validate(Some(&ok)).is_empty());
        assert!(validate(None).is_empty());
    }
}
