//! The RBAC authorizer's decision procedure over a [`Policy`], with indexes for fast queries.
//!
//! Semantics follow upstream `plugin/pkg/auth/authorizer/rbac/rbac.go` (`RuleAllows`),
//! `pkg/apis/rbac/v1/evaluation_helpers.go` (the `*Matches` helpers) and
//! `pkg/registry/rbac/validation/rule.go` (`VisitRulesFor`, `appliesTo`).

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{
    Binding, BindingKind, Identity, ObjectKey, Policy, PolicyRule, Principal, Subject,
};

/// A question to the authorizer, like `kubectl auth can-i`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The verb (`get`, `list`, `create`, `impersonate`, ...).
    pub verb: String,
    /// What is asked about.
    pub target: Target,
    /// The namespace; `None` asks about cluster scope (cluster-scoped resources, or all
    /// namespaces at once, which only ClusterRoleBindings grant).
    pub namespace: Option<String>,
    /// The object name; `None` for requests without one (`list`, `watch`, `create`,
    /// `deletecollection`), which rules with `resourceNames` never allow.
    pub name: Option<String>,
}

/// A resource or a non-resource URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// An API resource.
    Resource {
        /// API group (empty for the core group).
        group: String,
        /// Resource (plural, lower case).
        resource: String,
        /// Subresource, e.g. `exec`.
        subresource: Option<String>,
    },
    /// A non-resource URL path such as `/healthz`.
    NonResource(String),
}

/// Resources that are cluster-scoped: a RoleBinding never grants them, so a question about
/// them is always a cluster-scope question whatever namespace is given.
const CLUSTER_SCOPED: &[&str] = &[
    "nodes",
    "namespaces",
    "persistentvolumes",
    "clusterroles",
    "clusterrolebindings",
    "storageclasses",
    "customresourcedefinitions",
    "mutatingwebhookconfigurations",
    "validatingwebhookconfigurations",
    "validatingadmissionpolicies",
    "validatingadmissionpolicybindings",
    "certificatesigningrequests",
    "apiservices",
    "priorityclasses",
    "csidrivers",
    "csinodes",
    "volumeattachments",
    "runtimeclasses",
    "ingressclasses",
    "podsecuritypolicies",
    "tokenreviews",
    "subjectaccessreviews",
    "selfsubjectaccessreviews",
    "selfsubjectrulesreviews",
    "selfsubjectreviews",
    "componentstatuses",
    "flowschemas",
    "prioritylevelconfigurations",
    "users",
    "groups",
    "userextras",
    "uids",
];

impl Request {
    /// Builds a request from the `kubectl auth can-i` style arguments: `RESOURCE[/SUB]`, or a
    /// path starting with `/` for a non-resource URL.
    pub fn new(
        verb: &str,
        resource: &str,
        api_group: &str,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Request {
        let target = if resource.starts_with('/') {
            Target::NonResource(resource.to_string())
        } else {
            let (res, sub) = match resource.split_once('/') {
                Some((r, s)) => (r, Some(s.to_string())),
                None => (resource, None),
            };
            Target::Resource {
                group: api_group.to_string(),
                resource: res.to_string(),
                subresource: sub,
            }
        };
        let mut r = Request {
            verb: verb.to_string(),
            target,
            namespace: namespace.filter(|n| !n.is_empty()).map(str::to_string),
            name: name.filter(|n| !n.is_empty()).map(str::to_string),
        };
        match &r.target {
            Target::NonResource(_) => r.namespace = None,
            Target::Resource { resource, .. } if CLUSTER_SCOPED.contains(&resource.as_str()) => {
                r.namespace = None
            }
            Target::Resource { .. } => {}
        }
        r
    }

    /// `verb resource/sub in ns` for messages.
    pub fn describe(&self) -> String {
        let what = match &self.target {
            Target::NonResource(p) => p.clone(),
            Target::Resource {
                group,
                resource,
                subresource,
            } => {
                let mut s = resource.clone();
                if let Some(sub) = subresource {
                    s.push('/');
                    s.push_str(sub);
                }
                if !group.is_empty() {
                    s.push('.');
                    s.push_str(group);
                }
                if let Some(n) = &self.name {
                    s.push('/');
                    s.push_str(n);
                }
                s
            }
        };
        match &self.namespace {
            Some(ns) => format!("{} {what} in namespace {ns}", self.verb),
            None => format!("{} {what} (cluster scope)", self.verb),
        }
    }
}

fn verb_matches(rule: &PolicyRule, verb: &str) -> bool {
    rule.verbs.iter().any(|v| v == "*" || v == verb)
}

fn group_matches(rule: &PolicyRule, group: &str) -> bool {
    rule.api_groups.iter().any(|g| g == "*" || g == group)
}

/// Upstream `ResourceMatches`: `*` matches everything; otherwise the rule entry must equal
/// `resource` or `resource/subresource`; only `*/SUB` is a wildcard for subresources, so
/// `pods/*` matches no real request and `pods` does not cover `pods/exec`.
fn resource_matches(rule: &PolicyRule, resource: &str, subresource: Option<&str>) -> bool {
    rule.resources.iter().any(|r| {
        if r == "*" {
            return true;
        }
        match subresource {
            None => r == resource,
            Some(sub) => {
                (r.len() == resource.len() + 1 + sub.len()
                    && r.starts_with(resource)
                    && r.as_bytes().get(resource.len()) == Some(&b'/')
                    && r.ends_with(sub))
                    || r.strip_prefix("*/") == Some(sub)
            }
        }
    })
}

/// Upstream `ResourceNameMatches`: no names means all; otherwise the request's name must be
/// listed, so a request without a name (list, watch, create, deletecollection) is denied.
fn name_matches(rule: &PolicyRule, name: Option<&str>) -> bool {
    if rule.resource_names.is_empty() {
        return true;
    }
    match name {
        Some(n) => rule.resource_names.iter().any(|r| r == n),
        None => false,
    }
}

/// Upstream `NonResourceURLMatches`: `*` matches all, an entry ending in `*` is a prefix,
/// anything else must be equal.
fn url_matches(rule: &PolicyRule, path: &str) -> bool {
    rule.non_resource_urls.iter().any(|u| {
        u == "*"
            || u == path
            || u.strip_suffix('*')
                .is_some_and(|prefix| path.starts_with(prefix))
    })
}

/// Whether one rule allows a request (ignoring namespace scope, which is the binding's).
pub fn rule_allows(rule: &PolicyRule, req: &Request) -> bool {
    crate::work::matched();
    if !verb_matches(rule, &req.verb) {
        return false;
    }
    match &req.target {
        Target::Resource {
            group,
            resource,
            subresource,
        } => {
            group_matches(rule, group)
                && resource_matches(rule, resource, subresource.as_deref())
                && name_matches(rule, req.name.as_deref())
        }
        Target::NonResource(path) => url_matches(rule, path),
    }
}

/// Whether a rule allows a request for some object name: like [`rule_allows`], but a rule
/// with `resourceNames` counts whatever the request's name. A cheap filter before asking about
/// many names.
pub fn rule_allows_some_name(rule: &PolicyRule, req: &Request) -> bool {
    crate::work::matched();
    match &req.target {
        Target::Resource {
            group,
            resource,
            subresource,
        } => {
            verb_matches(rule, &req.verb)
                && group_matches(rule, group)
                && resource_matches(rule, resource, subresource.as_deref())
        }
        Target::NonResource(_) => rule_allows(rule, req),
    }
}

/// Whether a binding's grants reach a request's namespace: a ClusterRoleBinding everywhere, a
/// RoleBinding only for namespaced requests in its namespace. Non-resource URLs are only ever
/// granted through ClusterRoleBindings (they have no namespace).
pub fn binding_applies(b: &Binding, req: &Request) -> bool {
    match b.kind {
        BindingKind::ClusterRoleBinding => true,
        BindingKind::RoleBinding => {
            !matches!(req.target, Target::NonResource(_))
                && req.namespace.as_deref() == Some(b.namespace.as_str())
        }
    }
}

/// One way a subject is allowed something: a subject of a binding and a rule of its role.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// The subject as the binding names it.
    pub subject: Subject,
    /// The binding.
    pub binding: ObjectKey,
    /// The role it refers to.
    pub role: ObjectKey,
    /// Index of the rule in the role's effective rules.
    pub rule_index: usize,
    /// Index of the subject in the binding's `subjects`.
    pub subject_index: usize,
    /// For aggregated ClusterRoles, the ClusterRole the rule comes from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregated_from: Option<String>,
    /// Where it applies: a namespace, or `None` for every namespace and cluster scope.
    pub namespace: Option<String>,
}

impl Grant {
    /// `Binding → Role rule N`.
    pub fn via(&self) -> String {
        let mut s = format!(
            "{} -> {} rule {}",
            self.binding.display(),
            self.role.display(),
            self.rule_index
        );
        if let Some(f) = &self.aggregated_from {
            s.push_str(&format!(" (aggregated from ClusterRole/{f})"));
        }
        s
    }
}

/// One row of a subject's permission table.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Permission {
    /// Namespace, or `None` for every namespace and cluster scope.
    pub namespace: Option<String>,
    /// The rule.
    pub rule: PolicyRule,
    /// How the subject gets it.
    pub grant: Grant,
}

/// Interned strings for index keys.
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.ids.len() as u32;
        self.ids.insert(s.to_string(), i);
        i
    }

    fn get(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied()
    }
}

/// The policy with indexes: (verb, group, resource) → role rules and (role, scope) → bindings
/// for `who-can`, principal → bindings for `can` and `permissions`.
#[derive(Debug)]
pub struct Authorizer {
    /// The policy.
    pub policy: Policy,
    strings: Interner,
    /// (verb, group, resource) → (role, rule) of every bound role.
    by_key: HashMap<[u32; 3], Vec<(u32, u32)>>,
    /// (role, scope) → bindings. Scope is the RoleBinding namespace, or the empty string for
    /// ClusterRoleBindings.
    role_bindings: HashMap<(u32, u32), Vec<u32>>,
    /// (binding, rule) of ClusterRoleBinding-bound ClusterRole rules with nonResourceURLs.
    non_resource: Vec<(u32, u32)>,
    /// Principal → (binding, subject index).
    by_principal: HashMap<Principal, Vec<(u32, u32)>>,
}

impl Authorizer {
    /// Indexes a policy.
    pub fn new(policy: Policy) -> Authorizer {
        let mut strings = Interner::default();
        strings.intern("");
        let mut by_key: HashMap<[u32; 3], Vec<(u32, u32)>> = HashMap::new();
        let mut role_bindings: HashMap<(u32, u32), Vec<u32>> = HashMap::new();
        let mut non_resource = Vec::new();
        let mut by_principal: HashMap<Principal, Vec<(u32, u32)>> = HashMap::new();
        let mut bound = vec![false; policy.roles.len()];
        for (bi, b) in policy.bindings.iter().enumerate() {
            let bi = bi as u32;
            for (si, s) in b.subjects.iter().enumerate() {
                if let Some(p) = s.as_ref().and_then(Subject::principal) {
                    by_principal.entry(p).or_default().push((bi, si as u32));
                }
            }
            let Some(role) = b.role else { continue };
            bound[role] = true;
            let scope = strings.intern(b.scope().unwrap_or(""));
            role_bindings
                .entry((role as u32, scope))
                .or_default()
                .push(bi);
            if b.kind == BindingKind::ClusterRoleBinding {
                for (ri, r) in policy.roles[role].rules.iter().enumerate() {
                    if !r.non_resource_urls.is_empty() {
                        non_resource.push((bi, ri as u32));
                    }
                }
            }
        }
        for (role, r) in policy.roles.iter().enumerate() {
            if !bound[role] {
                continue;
            }
            for (ri, rule) in r.rules.iter().enumerate() {
                for verb in &rule.verbs {
                    let v = strings.intern(verb);
                    for group in &rule.api_groups {
                        let g = strings.intern(group);
                        for res in &rule.resources {
                            let x = strings.intern(res);
                            by_key
                                .entry([v, g, x])
                                .or_default()
                                .push((role as u32, ri as u32));
                        }
                    }
                }
            }
        }
        Authorizer {
            policy,
            strings,
            by_key,
            role_bindings,
            non_resource,
            by_principal,
        }
    }

    /// Builds and indexes the policy of an inventory.
    pub fn from_inventory(inv: &kubecomply_core::Inventory) -> Authorizer {
        Authorizer::new(Policy::from_inventory(inv))
    }

    fn grant(&self, bi: usize, si: usize, ri: usize) -> Option<Grant> {
        let b = self.policy.bindings.get(bi)?;
        let subject = b.subjects.get(si)?.clone()?;
        let role = &self.policy.roles[b.role?];
        Some(Grant {
            subject,
            binding: b.key(),
            role: role.key(),
            rule_index: ri,
            subject_index: si,
            aggregated_from: role
                .rules
                .get(ri)
                .and_then(|r| r.aggregated_from.as_deref())
                .map(str::to_string),
            namespace: b.scope().map(str::to_string),
        })
    }

    /// The (binding, rule) pairs that allow a request, found through the index.
    pub fn allowing_rules(&self, req: &Request) -> Vec<(usize, usize)> {
        let mut found: Vec<(u32, u32)> = Vec::new();
        match &req.target {
            Target::NonResource(_) => {
                for &(bi, ri) in &self.non_resource {
                    found.push((bi, ri));
                }
            }
            Target::Resource {
                group,
                resource,
                subresource,
            } => {
                let combined;
                let wildcard_sub;
                let mut resources: Vec<&str> = vec!["*"];
                match subresource {
                    Some(sub) => {
                        combined = format!("{resource}/{sub}");
                        wildcard_sub = format!("*/{sub}");
                        resources.push(&combined);
                        resources.push(&wildcard_sub);
                    }
                    None => resources.push(resource),
                }
                let mut scopes = vec![""];
                if let Some(ns) = &req.namespace {
                    scopes.push(ns);
                }
                let ids = |items: &[&str]| -> Vec<u32> {
                    items.iter().filter_map(|s| self.strings.get(s)).collect()
                };
                let scopes = ids(&scopes);
                let verbs = ids(&[req.verb.as_str(), "*"]);
                let groups = ids(&[group.as_str(), "*"]);
                let resources = ids(&resources);
                let mut role_rules: Vec<(u32, u32)> = Vec::new();
                for &v in &verbs {
                    for &g in &groups {
                        for &x in &resources {
                            if let Some(list) = self.by_key.get(&[v, g, x]) {
                                role_rules.extend_from_slice(list);
                            }
                        }
                    }
                }
                role_rules.sort_unstable();
                role_rules.dedup();
                for (role, ri) in role_rules {
                    for &s in &scopes {
                        if let Some(bs) = self.role_bindings.get(&(role, s)) {
                            found.extend(bs.iter().map(|&b| (b, ri)));
                        }
                    }
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
            .into_iter()
            .map(|(b, r)| (b as usize, r as usize))
            .filter(|&(bi, ri)| {
                let b = &self.policy.bindings[bi];
                binding_applies(b, req)
                    && self
                        .policy
                        .rules_of(b)
                        .get(ri)
                        .is_some_and(|r| rule_allows(r, req))
            })
            .collect()
    }

    /// Every binding subject allowed the request, with the binding and rule that allow it.
    pub fn who_can(&self, req: &Request) -> Vec<Grant> {
        let mut out = Vec::new();
        for (bi, ri) in self.allowing_rules(req) {
            let b = &self.policy.bindings[bi];
            for si in 0..b.subjects.len() {
                // A ServiceAccount subject without namespace in a ClusterRoleBinding matches
                // nobody upstream; leave it out.
                if b.subjects[si]
                    .as_ref()
                    .and_then(Subject::principal)
                    .is_none()
                {
                    continue;
                }
                if let Some(g) = self.grant(bi, si, ri) {
                    out.push(g);
                }
            }
        }
        out.sort();
        out
    }

    /// The (binding, subject index) pairs whose subject matches an identity.
    pub fn bindings_of(&self, id: &Identity) -> Vec<(usize, usize)> {
        let mut v: Vec<(usize, usize)> = id
            .principals()
            .iter()
            .filter_map(|p| self.by_principal.get(p))
            .flatten()
            .map(|&(b, s)| (b as usize, s as usize))
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Whether an identity is allowed a request, and every grant that allows it.
    pub fn can(&self, id: &Identity, req: &Request) -> (bool, Vec<Grant>) {
        let mut grants = Vec::new();
        for (bi, si) in self.bindings_of(id) {
            let b = &self.policy.bindings[bi];
            if !binding_applies(b, req) {
                continue;
            }
            if matches!(req.target, Target::NonResource(_)) && !self.binding_to_cluster_role(b) {
                continue;
            }
            for (ri, r) in self.policy.rules_of(b).iter().enumerate() {
                if rule_allows(r, req)
                    && let Some(g) = self.grant(bi, si, ri)
                {
                    grants.push(g);
                }
            }
        }
        grants.sort();
        grants.dedup();
        (!grants.is_empty(), grants)
    }

    fn binding_to_cluster_role(&self, b: &Binding) -> bool {
        b.role
            .is_some_and(|r| self.policy.roles[r].kind == crate::model::RoleKind::ClusterRole)
    }

    /// The effective permission table of an identity: every rule of every binding that names
    /// it (directly or through a group), with the namespace it applies in.
    pub fn permissions(&self, id: &Identity) -> Vec<Permission> {
        let mut out = Vec::new();
        for (bi, si) in self.bindings_of(id) {
            let b = &self.policy.bindings[bi];
            for (ri, r) in self.policy.rules_of(b).iter().enumerate() {
                let mut rule = r.clone();
                if b.kind == BindingKind::RoleBinding {
                    // Non-resource URLs never apply through a RoleBinding.
                    rule.non_resource_urls.clear();
                    if rule.resources.is_empty() {
                        continue;
                    }
                }
                if let Some(grant) = self.grant(bi, si, ri) {
                    out.push(Permission {
                        namespace: b.scope().map(str::to_string),
                        rule,
                        grant,
                    });
                }
            }
        }
        out.sort_by(|a, b| {
            (a.namespace.is_some(), &a.namespace, &a.grant).cmp(&(
                b.namespace.is_some(),
                &b.namespace,
                &b.grant,
            ))
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(verbs: &[&str], groups: &[&str], res: &[&str], names: &[&str]) -> PolicyRule {
        let s = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        PolicyRule {
            verbs: s(verbs),
            api_groups: s(groups),
            resources: s(res),
            resource_names: s(names),
            ..PolicyRule::default()
        }
    }

    #[test]
    fn resource_and_subresource_matching() {
        let req = |res: &str| Request::new("get", res, "", Some("ns"), Some("p"));
        assert!(rule_allows(
            &r(&["get"], &[""], &["pods"], &[]),
            &req("pods")
        ));
        assert!(!rule_allows(
            &r(&["get"], &[""], &["pods"], &[]),
            &req("pods/exec")
        ));
        assert!(rule_allows(
            &r(&["get"], &[""], &["pods/exec"], &[]),
            &req("pods/exec")
        ));
        assert!(rule_allows(
            &r(&["get"], &[""], &["*/exec"], &[]),
            &req("pods/exec")
        ));
        assert!(!rule_allows(
            &r(&["get"], &[""], &["*/exec"], &[]),
            &req("pods")
        ));
        assert!(!rule_allows(
            &r(&["get"], &[""], &["pods/*"], &[]),
            &req("pods/exec")
        ));
        assert!(!rule_allows(
            &r(&["get"], &[""], &["pods/*"], &[]),
            &req("pods")
        ));
        assert!(rule_allows(
            &r(&["get"], &[""], &["*"], &[]),
            &req("pods/exec")
        ));
        assert!(!rule_allows(
            &r(&["get"], &["apps"], &["*"], &[]),
            &req("pods")
        ));
        assert!(rule_allows(&r(&["*"], &["*"], &["*"], &[]), &req("pods")));
        // A same-length entry with another separator position is not a match.
        assert!(!rule_allows(
            &r(&["get"], &[""], &["podsxexec"], &[]),
            &req("pods/exec")
        ));
    }

    #[test]
    fn resource_names() {
        let rule = r(&["get", "list"], &[""], &["secrets"], &["a"]);
        assert!(rule_allows(
            &rule,
            &Request::new("get", "secrets", "", Some("n"), Some("a"))
        ));
        assert!(!rule_allows(
            &rule,
            &Request::new("get", "secrets", "", Some("n"), Some("b"))
        ));
        assert!(!rule_allows(
            &rule,
            &Request::new("list", "secrets", "", Some("n"), None)
        ));
    }

    #[test]
    fn urls() {
        let rule = PolicyRule {
            verbs: vec!["get".into()],
            non_resource_urls: vec!["/healthz".into(), "/api/*".into()],
            ..PolicyRule::default()
        };
        let q = |p: &str| Request::new("get", p, "", None, None);
        assert!(rule_allows(&rule, &q("/healthz")));
        assert!(!rule_allows(&rule, &q("/healthz/etcd")));
        assert!(rule_allows(&rule, &q("/api/v1")));
        assert!(!rule_allows(&rule, &q("/api")));
    }
}
