//! Which requests a policy or binding applies to: `matchConstraints` / `matchResources`.

use kubecomply_core::{Map, Value};

/// A label selector (`matchLabels` and `matchExpressions`). The empty selector matches all.
#[derive(Clone, Debug, Default)]
pub(crate) struct Selector {
    labels: Vec<(String, String)>,
    expressions: Vec<Requirement>,
}

#[derive(Clone, Debug)]
struct Requirement {
    key: String,
    operator: String,
    values: Vec<String>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

impl Selector {
    /// Reads a selector; `None` when absent.
    pub fn parse(v: Option<&Value>) -> Option<Selector> {
        let v = v?.as_object()?;
        let labels = v
            .get("matchLabels")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), scalar_text(v))).collect())
            .unwrap_or_default();
        let expressions = v
            .get("matchExpressions")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|e| Requirement {
                        key: e
                            .get("key")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        operator: e
                            .get("operator")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        values: strings(e.get("values")),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Selector {
            labels,
            expressions,
        })
    }

    /// Whether `labels` satisfy the selector. An unknown operator matches nothing.
    pub fn matches(&self, labels: &dyn Fn(&str) -> Option<String>) -> bool {
        self.labels
            .iter()
            .all(|(k, v)| labels(k).as_deref() == Some(v.as_str()))
            && self.expressions.iter().all(|r| {
                let value = labels(&r.key);
                match r.operator.as_str() {
                    "In" => value.is_some_and(|v| r.values.contains(&v)),
                    "NotIn" => value.is_none_or(|v| !r.values.contains(&v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    _ => false,
                }
            })
    }
}

fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Label values by key.
pub(crate) type Labels<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A label lookup over a `metadata.labels` map.
pub(crate) fn label_lookup(labels: Option<&Map>) -> impl Fn(&str) -> Option<String> + '_ {
    move |k| labels.and_then(|m| m.get(k)).map(scalar_text)
}

/// One `NamedRuleWithOperations`.
#[derive(Clone, Debug, Default)]
struct ResourceRule {
    groups: Vec<String>,
    versions: Vec<String>,
    resources: Vec<String>,
    operations: Vec<String>,
    names: Vec<String>,
    scope: String,
}

fn any_or(list: &[String], want: &str) -> bool {
    list.iter().any(|x| x == "*" || x == want)
}

/// What a rule is matched against: one CREATE of one object.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attributes<'a> {
    /// API group (empty for core).
    pub group: &'a str,
    /// API version.
    pub version: &'a str,
    /// Plural resource.
    pub resource: &'a str,
    /// Object name.
    pub name: &'a str,
    /// Namespace of the request (empty for cluster-scoped objects).
    pub namespace: &'a str,
}

/// Groups a resource moved between: matchPolicy Equivalent matches them as one.
const MOVED: &[(&str, &[&str])] = &[
    ("deployments", &["apps", "extensions"]),
    ("daemonsets", &["apps", "extensions"]),
    ("replicasets", &["apps", "extensions"]),
    ("ingresses", &["networking.k8s.io", "extensions"]),
    ("networkpolicies", &["networking.k8s.io", "extensions"]),
    ("podsecuritypolicies", &["policy", "extensions"]),
];

impl ResourceRule {
    fn parse(v: &Value) -> ResourceRule {
        ResourceRule {
            groups: strings(v.get("apiGroups")),
            versions: strings(v.get("apiVersions")),
            resources: strings(v.get("resources")),
            operations: strings(v.get("operations")),
            names: strings(v.get("resourceNames")),
            scope: v
                .get("scope")
                .and_then(Value::as_str)
                .unwrap_or("*")
                .to_string(),
        }
    }

    fn matches(&self, a: &Attributes<'_>, equivalent: bool) -> bool {
        if !any_or(&self.operations, "CREATE") {
            return false;
        }
        if !self.names.is_empty() && !self.names.iter().any(|n| n == a.name) {
            return false;
        }
        let scope_ok = match self.scope.as_str() {
            "Cluster" => a.namespace.is_empty(),
            "Namespaced" => !a.namespace.is_empty(),
            _ => true,
        };
        if !scope_ok {
            return false;
        }
        // A CREATE has no subresource: `pods`, `pods/*`, `*` and `*/*` match it.
        let resource_ok = self.resources.iter().any(|r| {
            let (res, sub) = r.split_once('/').unwrap_or((r, ""));
            (res == "*" || res == a.resource) && (sub == "*" || sub.is_empty())
        });
        if !resource_ok {
            return false;
        }
        if any_or(&self.groups, a.group) && any_or(&self.versions, a.version) {
            return true;
        }
        // Equivalent: the same resource served at another version or in the group it moved
        // from or to is converted by the API server and matches.
        equivalent && {
            let groups: Vec<&str> = MOVED
                .iter()
                .find(|(r, gs)| *r == a.resource && gs.contains(&a.group))
                .map_or_else(|| vec![a.group], |(_, gs)| gs.to_vec());
            groups.iter().any(|g| any_or(&self.groups, g))
        }
    }
}

/// `matchConstraints` of a policy or `matchResources` of a binding.
#[derive(Clone, Debug, Default)]
pub(crate) struct MatchResources {
    namespace_selector: Option<Selector>,
    object_selector: Option<Selector>,
    rules: Vec<ResourceRule>,
    excluded: Vec<ResourceRule>,
    equivalent: bool,
}

impl MatchResources {
    /// Reads the block; absent means "everything".
    pub fn parse(v: Option<&Value>) -> MatchResources {
        let Some(v) = v else {
            return MatchResources {
                equivalent: true,
                ..MatchResources::default()
            };
        };
        let rules = |key: &str| -> Vec<ResourceRule> {
            v.get(key)
                .and_then(Value::as_array)
                .map(|a| a.iter().map(ResourceRule::parse).collect())
                .unwrap_or_default()
        };
        MatchResources {
            namespace_selector: Selector::parse(v.get("namespaceSelector")),
            object_selector: Selector::parse(v.get("objectSelector")),
            rules: rules("resourceRules"),
            excluded: rules("excludeResourceRules"),
            equivalent: v.get("matchPolicy").and_then(Value::as_str) != Some("Exact"),
        }
    }

    /// Whether a CREATE with attributes `a` matches. `namespace_labels` are the labels the
    /// namespace selector is matched against: those of the namespace of a namespaced object,
    /// of the object itself for a Namespace, and `None` for other cluster-scoped objects
    /// (which the namespace selector does not restrict).
    pub fn matches(
        &self,
        a: &Attributes<'_>,
        object_labels: &dyn Fn(&str) -> Option<String>,
        namespace_labels: Option<Labels<'_>>,
    ) -> bool {
        if let (Some(sel), Some(labels)) = (&self.namespace_selector, namespace_labels)
            && !sel.matches(labels)
        {
            return false;
        }
        if let Some(sel) = &self.object_selector
            && !sel.matches(object_labels)
        {
            return false;
        }
        if self.excluded.iter().any(|r| r.matches(a, self.equivalent)) {
            return false;
        }
        self.rules.is_empty() || self.rules.iter().any(|r| r.matches(a, self.equivalent))
    }
}
