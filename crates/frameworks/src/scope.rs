//! Scope by data class: a framework that declares `appliesTo: pci|phi|pii` evaluates its
//! findings on the resources that hold that class of data.
//!
//! A resource holds a class when the label or annotation `compliance.kubecomply.io/data-class`
//! (a comma-separated list) names it on the resource itself or its pod template, or, when those
//! name none, on its Namespace (`kubecomply_core::dataclass`). Findings about namespaced resources out of scope are left out of the
//! evaluation; findings without a resource and findings about cluster-scoped resources (RBAC
//! cluster roles, nodes, admission policies) always count, because they affect every
//! namespace; a Namespace is in scope when it holds the class. When no resource of the input
//! holds the class at all (nothing is labelled), everything is evaluated and the scope says so,
//! rather than reporting every requirement as not applicable.

use std::collections::HashSet;

use kubecomply_core::Finding;

use crate::Framework;

/// The label (or annotation) that marks the data classes a resource holds.
pub use kubecomply_core::dataclass::LABEL as DATA_CLASS_LABEL;

/// What the scope selection needs to know about one input resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    /// `kind`.
    pub kind: String,
    /// Namespace (`None` for cluster-scoped resources).
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
    /// Data classes it holds (own, pod template or namespace marking), lower-case.
    pub classes: Vec<String>,
}

impl Resource {
    fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{ns}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

/// The outcome of scope selection for one framework.
#[derive(Clone, Debug, PartialEq)]
pub struct Scope {
    /// In words, for reports.
    pub description: String,
    /// The in-scope resources (`Kind/namespace/name`), when the selection filtered anything.
    pub resources: Option<Vec<String>>,
    /// (kind, namespace, name) of the namespaced resources in scope; `None`: everything counts.
    keys: Option<HashSet<(String, String, String)>>,
}

impl Scope {
    /// Whether a finding counts for the framework.
    pub fn admits(&self, f: &Finding) -> bool {
        let Some(keys) = &self.keys else {
            return true;
        };
        let Some(r) = &f.resource else {
            return true;
        };
        if r.kind == "Namespace" && r.namespace.is_none() {
            return keys.contains(&("Namespace".to_string(), String::new(), r.name.clone()));
        }
        match &r.namespace {
            None => true,
            Some(ns) => keys.contains(&(r.kind.clone(), ns.clone(), r.name.clone())),
        }
    }
}

/// Selects the resources a framework evaluates. `all` (`--scope all`) evaluates everything.
pub fn select(framework: &Framework, resources: &[Resource], all: bool) -> Scope {
    let Some(class) = framework.applies_to else {
        return Scope {
            description: "every scanned resource".into(),
            resources: None,
            keys: None,
        };
    };
    let class = class.as_str();
    if all {
        return Scope {
            description: format!(
                "framework applies to data class {class:?}; every scanned resource was evaluated (--scope all)"
            ),
            resources: None,
            keys: None,
        };
    }
    let holds = |r: &Resource| r.classes.iter().any(|c| c == class);
    let in_scope: Vec<&Resource> = resources.iter().filter(|r| holds(r)).collect();
    if in_scope.is_empty() {
        return Scope {
            description: format!(
                "framework applies to data class {class:?}, but no resource is marked with it ({DATA_CLASS_LABEL} on the resource, its pod template or its namespace); every scanned resource was evaluated"
            ),
            resources: None,
            keys: None,
        };
    }
    let namespaced = resources
        .iter()
        .filter(|r| r.namespace.is_some() || r.kind == "Namespace")
        .count();
    let selected = in_scope
        .iter()
        .filter(|r| r.namespace.is_some() || r.kind == "Namespace")
        .count();
    let keys = in_scope
        .iter()
        .map(|r| {
            (
                r.kind.clone(),
                r.namespace.clone().unwrap_or_default(),
                r.name.clone(),
            )
        })
        .collect();
    Scope {
        description: format!(
            "data class {class:?}: {selected} of {namespaced} namespaces and namespaced resources hold it and were evaluated, with every cluster-scoped resource ({DATA_CLASS_LABEL} on the resource, its pod template or its namespace; --scope all evaluates everything)"
        ),
        resources: Some(in_scope.iter().map(|r| r.label()).collect()),
        keys: Some(keys),
    }
}

/// The findings a scope admits.
pub fn filter(scope: &Scope, findings: &[Finding]) -> Vec<Finding> {
    findings
        .iter()
        .filter(|f| scope.admits(f))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fw(class: Option<crate::DataClass>) -> Framework {
        Framework {
            id: "t".into(),
            name: "T".into(),
            version: "1".into(),
            description: String::new(),
            applies_to: class,
            extends: None,
            requirements: Vec::new(),
        }
    }

    fn res(kind: &str, ns: Option<&str>, name: &str, classes: &[&str]) -> Resource {
        Resource {
            kind: kind.into(),
            namespace: ns.map(String::from),
            name: name.into(),
            classes: classes.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn finding(kind: &str, ns: Option<&str>, name: &str) -> Finding {
        let mut f = Finding {
            rule: "KC-HOST-001".into(),
            slug: "privileged-container".into(),
            status: kubecomply_core::Status::Fail,
            severity: kubecomply_core::Severity::High,
            resource: None,
            container: None,
            message: String::new(),
            location: kubecomply_core::Location::at("x.yaml", 1, 1),
            exception: None,
        };
        f.resource = Some(std::sync::Arc::new(kubecomply_core::ObjectRef {
            api_version: "v1".into(),
            kind: kind.into(),
            namespace: ns.map(String::from),
            name: name.into(),
        }));
        f
    }

    #[test]
    fn scope_admits_holders_cluster_scoped_and_unlabelled_inputs() {
        let inputs = vec![
            res("Namespace", None, "payments", &["pci"]),
            res("Deployment", Some("payments"), "api", &["pci"]),
            res("Deployment", Some("shop"), "cart", &[]),
            res("ClusterRole", None, "admin", &[]),
        ];
        let s = select(&fw(Some(crate::DataClass::Pci)), &inputs, false);
        assert!(s.admits(&finding("Deployment", Some("payments"), "api")));
        assert!(s.admits(&finding("Namespace", None, "payments")));
        assert!(s.admits(&finding("ClusterRole", None, "admin")));
        assert!(!s.admits(&finding("Deployment", Some("shop"), "cart")));
        assert!(!s.admits(&finding("Namespace", None, "shop")));
        assert_eq!(s.resources.as_ref().map(Vec::len), Some(2));
        // --scope all, and inputs where nothing holds the class: everything counts.
        assert!(
            select(&fw(Some(crate::DataClass::Pci)), &inputs, true).admits(&finding(
                "Deployment",
                Some("shop"),
                "cart"
            ))
        );
        let phi = select(&fw(Some(crate::DataClass::Phi)), &inputs, false);
        assert!(phi.admits(&finding("Deployment", Some("shop"), "cart")));
        assert!(
            phi.description.contains("no resource is marked"),
            "{}",
            phi.description
        );
        assert!(select(&fw(None), &inputs, false).admits(&finding(
            "Deployment",
            Some("shop"),
            "cart"
        )));
    }
}
