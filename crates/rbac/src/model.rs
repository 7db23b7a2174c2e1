//! The RBAC model: rules, roles (with aggregation resolved), bindings and subjects, built from
//! an inventory plus the bootstrap policy.

use kubecomply_core::value::Field;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use kubecomply_core::Inventory;
use kubecomply_core::Value;
use serde::Serialize;

use crate::bootstrap;
use crate::selector::Selector;

/// The API group of RBAC objects.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// One `PolicyRule` of a role.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyRule {
    /// `verbs`.
    pub verbs: Vec<String>,
    /// `apiGroups`.
    pub api_groups: Vec<String>,
    /// `resources` (with `resource/subresource` entries).
    pub resources: Vec<String>,
    /// `resourceNames` (empty: every name).
    pub resource_names: Vec<String>,
    /// `nonResourceURLs`.
    #[serde(rename = "nonResourceURLs")]
    pub non_resource_urls: Vec<String>,
    /// For a rule of an aggregated ClusterRole: the ClusterRole it was aggregated from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aggregated_from: Option<Arc<str>>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

impl PolicyRule {
    /// Reads a rule from its JSON form; fields of the wrong type count as empty.
    pub fn from_value(v: &Value) -> PolicyRule {
        PolicyRule {
            verbs: strings(v.field("verbs")),
            api_groups: strings(v.field("apiGroups")),
            resources: strings(v.field("resources")),
            resource_names: strings(v.field("resourceNames")),
            non_resource_urls: strings(v.field("nonResourceURLs")),
            aggregated_from: None,
        }
    }

    /// A compact one-line rendering, e.g. `get,list  ""/pods  names=a,b`.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        if !self.resources.is_empty() || self.non_resource_urls.is_empty() {
            let groups: Vec<String> = self
                .api_groups
                .iter()
                .map(|g| {
                    if g.is_empty() {
                        "\"\"".into()
                    } else {
                        g.clone()
                    }
                })
                .collect();
            s.push_str(&format!(
                "verbs=[{}] apiGroups=[{}] resources=[{}]",
                self.verbs.join(","),
                groups.join(","),
                self.resources.join(",")
            ));
            if !self.resource_names.is_empty() {
                s.push_str(&format!(
                    " resourceNames=[{}]",
                    self.resource_names.join(",")
                ));
            }
        }
        if !self.non_resource_urls.is_empty() {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&format!(
                "verbs=[{}] nonResourceURLs=[{}]",
                self.verbs.join(","),
                self.non_resource_urls.join(",")
            ));
        }
        s
    }
}

/// What makes two rules the same grant (the aggregation controller's `ruleExists` compares
/// rules for equality; where a rule came from does not matter).
#[derive(Hash, PartialEq, Eq)]
struct RuleKey<'a>([&'a [String]; 5]);

impl<'a> RuleKey<'a> {
    fn of(r: &'a PolicyRule) -> RuleKey<'a> {
        RuleKey([
            &r.verbs,
            &r.api_groups,
            &r.resources,
            &r.resource_names,
            &r.non_resource_urls,
        ])
    }
}

/// `Role` or `ClusterRole`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RoleKind {
    /// A namespaced Role.
    Role,
    /// A ClusterRole.
    ClusterRole,
}

impl RoleKind {
    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::Role => "Role",
            RoleKind::ClusterRole => "ClusterRole",
        }
    }
}

/// `RoleBinding` or `ClusterRoleBinding`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum BindingKind {
    /// A namespaced RoleBinding.
    RoleBinding,
    /// A ClusterRoleBinding.
    ClusterRoleBinding,
}

impl BindingKind {
    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            BindingKind::RoleBinding => "RoleBinding",
            BindingKind::ClusterRoleBinding => "ClusterRoleBinding",
        }
    }
}

/// A Role or ClusterRole with its effective rules.
#[derive(Clone, Debug)]
pub struct Role {
    /// Kind.
    pub kind: RoleKind,
    /// Name.
    pub name: String,
    /// Namespace (empty for ClusterRoles).
    pub namespace: String,
    /// Effective rules: for an aggregated ClusterRole, the union computed from the selected roles.
    pub rules: Vec<PolicyRule>,
    /// `metadata.labels`.
    pub labels: BTreeMap<String, String>,
    /// `aggregationRule.clusterRoleSelectors`, when present.
    pub aggregation: Option<Vec<Selector>>,
    /// Index of the object in the inventory; `None` for a bootstrap role.
    pub object: Option<usize>,
}

impl Role {
    /// Whether the role comes from the built-in bootstrap policy rather than the input.
    pub fn is_builtin(&self) -> bool {
        self.object.is_none()
    }

    /// A reference for output.
    pub fn key(&self) -> ObjectKey {
        ObjectKey {
            kind: self.kind.as_str().to_string(),
            name: self.name.clone(),
            namespace: (!self.namespace.is_empty()).then(|| self.namespace.clone()),
            builtin: self.is_builtin(),
        }
    }
}

/// The kind of a binding subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum SubjectKind {
    /// A user name.
    User,
    /// A group name.
    Group,
    /// A ServiceAccount (namespace and name).
    ServiceAccount,
}

impl SubjectKind {
    /// The Kubernetes kind name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectKind::User => "User",
            SubjectKind::Group => "Group",
            SubjectKind::ServiceAccount => "ServiceAccount",
        }
    }
}

/// A subject: who a binding grants to, or who a query is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Subject {
    /// Kind.
    pub kind: SubjectKind,
    /// Name.
    pub name: String,
    /// Namespace of a ServiceAccount (`None` for users and groups).
    pub namespace: Option<String>,
}

/// The prefix of ServiceAccount user names.
pub const SA_USER_PREFIX: &str = "system:serviceaccount:";

impl Subject {
    /// A user.
    pub fn user(name: &str) -> Subject {
        Subject {
            kind: SubjectKind::User,
            name: name.to_string(),
            namespace: None,
        }
    }

    /// A group.
    pub fn group(name: &str) -> Subject {
        Subject {
            kind: SubjectKind::Group,
            name: name.to_string(),
            namespace: None,
        }
    }

    /// A ServiceAccount.
    pub fn service_account(namespace: &str, name: &str) -> Subject {
        Subject {
            kind: SubjectKind::ServiceAccount,
            name: name.to_string(),
            namespace: Some(namespace.to_string()),
        }
    }

    /// Parses `user:NAME`, `group:NAME`, `sa:NS:NAME` or `serviceaccount:NS:NAME`. A user named
    /// `system:serviceaccount:NS:NAME` is that ServiceAccount.
    pub fn parse(s: &str) -> Result<Subject, String> {
        let (kind, rest) = s.split_once(':').ok_or_else(|| {
            format!("invalid subject {s:?} (user:NAME, group:NAME or sa:NAMESPACE:NAME)")
        })?;
        match kind.to_ascii_lowercase().as_str() {
            "user" | "u" if !rest.is_empty() => Ok(match sa_of_user(rest) {
                Some((ns, n)) => Subject::service_account(ns, n),
                None => Subject::user(rest),
            }),
            "group" | "g" if !rest.is_empty() => Ok(Subject::group(rest)),
            "sa" | "serviceaccount" => match rest.split_once(':') {
                Some((ns, n)) if !ns.is_empty() && !n.is_empty() && !n.contains(':') => {
                    Ok(Subject::service_account(ns, n))
                }
                _ => Err(format!("invalid ServiceAccount {s:?} (sa:NAMESPACE:NAME)")),
            },
            _ => Err(format!(
                "invalid subject {s:?} (user:NAME, group:NAME or sa:NAMESPACE:NAME)"
            )),
        }
    }

    /// `User/alice`, `Group/devs`, `ServiceAccount/ns/name`.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind.as_str(), ns, self.name),
            None => format!("{}/{}", self.kind.as_str(), self.name),
        }
    }

    /// The principal this subject matches in a request's user info, or `None` when it can
    /// match nobody (a ServiceAccount subject without namespace).
    pub fn principal(&self) -> Option<Principal> {
        match self.kind {
            SubjectKind::User => Some(Principal::User(self.name.clone())),
            SubjectKind::Group => Some(Principal::Group(self.name.clone())),
            // Upstream `appliesToUser` compares `serviceaccount.MakeUsername(ns, name)` with the
            // user name, so a ServiceAccount subject and a User subject with that name are one.
            SubjectKind::ServiceAccount => {
                let ns = self.namespace.as_deref().filter(|n| !n.is_empty())?;
                Some(Principal::User(format!(
                    "{SA_USER_PREFIX}{ns}:{}",
                    self.name
                )))
            }
        }
    }

    /// The identity a request made as this subject carries (user name and groups).
    pub fn identity(&self) -> Identity {
        match self.kind {
            SubjectKind::Group => Identity {
                user: None,
                groups: vec![self.name.clone()],
            },
            SubjectKind::ServiceAccount => {
                let ns = self.namespace.clone().unwrap_or_default();
                Identity::service_account(&ns, &self.name)
            }
            SubjectKind::User => match sa_of_user(&self.name) {
                Some((ns, n)) => Identity::service_account(ns, n),
                None if self.name == "system:anonymous" => Identity {
                    user: Some(self.name.clone()),
                    groups: vec!["system:unauthenticated".into()],
                },
                None => Identity {
                    user: Some(self.name.clone()),
                    groups: vec!["system:authenticated".into()],
                },
            },
        }
    }
}

/// Splits `system:serviceaccount:NS:NAME` into namespace and name.
pub fn sa_of_user(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix(SA_USER_PREFIX)?;
    let (ns, n) = rest.split_once(':')?;
    (!ns.is_empty() && !n.is_empty() && !n.contains(':')).then_some((ns, n))
}

/// What a binding subject matches: a user name or a group name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Principal {
    /// A user name (ServiceAccounts are users `system:serviceaccount:NS:NAME`).
    User(String),
    /// A group name.
    Group(String),
}

/// The user info of a request: a user name (if any) and the groups.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Identity {
    /// User name; `None` for "any member of these groups".
    pub user: Option<String>,
    /// Groups.
    pub groups: Vec<String>,
}

impl Identity {
    /// A ServiceAccount's identity: its user name and the groups the token authenticator adds
    /// (`system:serviceaccounts`, `system:serviceaccounts:NS`, `system:authenticated`).
    pub fn service_account(namespace: &str, name: &str) -> Identity {
        Identity {
            user: Some(format!("{SA_USER_PREFIX}{namespace}:{name}")),
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
        }
    }

    /// The principals binding subjects are matched against.
    pub fn principals(&self) -> Vec<Principal> {
        let mut v: Vec<Principal> = self.user.iter().cloned().map(Principal::User).collect();
        v.extend(self.groups.iter().cloned().map(Principal::Group));
        v
    }
}

/// A reference to a role or binding in output.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ObjectKey {
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Namespace, when namespaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Whether it is part of the built-in bootstrap policy rather than the input.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub builtin: bool,
}

impl ObjectKey {
    /// `Kind/ns/name` or `Kind/name`, with ` (built-in)` for bootstrap objects.
    pub fn display(&self) -> String {
        let base = match &self.namespace {
            Some(ns) => format!("{}/{}/{}", self.kind, ns, self.name),
            None => format!("{}/{}", self.kind, self.name),
        };
        if self.builtin {
            format!("{base} (built-in)")
        } else {
            base
        }
    }
}

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Debug)]
pub struct Binding {
    /// Kind.
    pub kind: BindingKind,
    /// Name.
    pub name: String,
    /// Namespace (empty for ClusterRoleBindings).
    pub namespace: String,
    /// `roleRef.kind` as written.
    pub role_ref_kind: String,
    /// `roleRef.name` as written.
    pub role_ref_name: String,
    /// Subjects, as written except that a RoleBinding's ServiceAccount without namespace gets
    /// the binding's namespace (upstream `appliesToUser`). `None` for subjects of unknown kind.
    pub subjects: Vec<Option<Subject>>,
    /// The role it resolves to (index into [`Policy::roles`]), if it exists.
    pub role: Option<usize>,
    /// Index of the object in the inventory; `None` for a bootstrap binding.
    pub object: Option<usize>,
}

impl Binding {
    /// Whether the binding comes from the built-in bootstrap policy.
    pub fn is_builtin(&self) -> bool {
        self.object.is_none()
    }

    /// A reference for output.
    pub fn key(&self) -> ObjectKey {
        ObjectKey {
            kind: self.kind.as_str().to_string(),
            name: self.name.clone(),
            namespace: (!self.namespace.is_empty()).then(|| self.namespace.clone()),
            builtin: self.is_builtin(),
        }
    }

    /// The namespace its grants apply in; `None` for a ClusterRoleBinding (everywhere).
    pub fn scope(&self) -> Option<&str> {
        match self.kind {
            BindingKind::RoleBinding => Some(&self.namespace),
            BindingKind::ClusterRoleBinding => None,
        }
    }
}

/// All roles and bindings of an evaluation: the input's plus the bootstrap policy's.
#[derive(Clone, Debug, Default)]
pub struct Policy {
    /// Roles and ClusterRoles.
    pub roles: Vec<Role>,
    /// RoleBindings and ClusterRoleBindings.
    pub bindings: Vec<Binding>,
    role_index: HashMap<(RoleKind, String, String), usize>,
}

/// The namespace of a namespaced object: the manifest's, else `default` (where `kubectl apply`
/// puts it with the default context).
pub fn namespace_of(o: &kubecomply_core::Object) -> String {
    o.namespace.clone().unwrap_or_else(|| "default".to_string())
}

fn labels_of(v: &Value) -> BTreeMap<String, String> {
    match v.field("metadata").and_then(|m| m.field("labels")) {
        Some(Value::Object(m)) => m
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn subject_of(v: &Value, binding_kind: BindingKind, binding_ns: &str) -> Option<Subject> {
    let kind = match v.field("kind").and_then(Value::as_str)? {
        "User" => SubjectKind::User,
        "Group" => SubjectKind::Group,
        "ServiceAccount" => SubjectKind::ServiceAccount,
        _ => return None,
    };
    let name = v.field("name").and_then(Value::as_str)?.to_string();
    let namespace = match kind {
        SubjectKind::ServiceAccount => {
            let ns = v
                .field("namespace")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty());
            match (ns, binding_kind) {
                (Some(ns), _) => Some(ns.to_string()),
                // Upstream: a ServiceAccount subject without namespace means the binding's
                // namespace; in a ClusterRoleBinding it matches nobody.
                (None, BindingKind::RoleBinding) => Some(binding_ns.to_string()),
                (None, BindingKind::ClusterRoleBinding) => None,
            }
        }
        _ => None,
    };
    Some(Subject {
        kind,
        name,
        namespace,
    })
}

impl Policy {
    /// Builds the policy from the RBAC objects of `inv` and the bootstrap policy (input objects
    /// of the same kind and name replace bootstrap ones), then resolves aggregation and roleRefs.
    pub fn from_inventory(inv: &Inventory) -> Policy {
        let mut p = Policy::default();
        for (i, o) in inv.objects.iter().enumerate() {
            if o.group() != RBAC_GROUP {
                continue;
            }
            match o.kind.as_str() {
                "Role" | "ClusterRole" => {
                    let kind = if o.kind == "Role" {
                        RoleKind::Role
                    } else {
                        RoleKind::ClusterRole
                    };
                    let namespace = match kind {
                        RoleKind::Role => namespace_of(o),
                        RoleKind::ClusterRole => String::new(),
                    };
                    let rules = match o.value.field("rules") {
                        Some(Value::Array(a)) => a.iter().map(PolicyRule::from_value).collect(),
                        _ => Vec::new(),
                    };
                    let aggregation = match kind {
                        RoleKind::ClusterRole => o.value.field("aggregationRule").map(|a| match a
                            .field("clusterRoleSelectors")
                        {
                            Some(Value::Array(s)) => s.iter().map(Selector::parse).collect(),
                            _ => Vec::new(),
                        }),
                        RoleKind::Role => None,
                    };
                    p.add_role(Role {
                        kind,
                        name: o.name.clone(),
                        namespace,
                        rules,
                        labels: labels_of(&o.value),
                        aggregation,
                        object: Some(i),
                    });
                }
                "RoleBinding" | "ClusterRoleBinding" => {
                    let kind = if o.kind == "RoleBinding" {
                        BindingKind::RoleBinding
                    } else {
                        BindingKind::ClusterRoleBinding
                    };
                    let namespace = match kind {
                        BindingKind::RoleBinding => namespace_of(o),
                        BindingKind::ClusterRoleBinding => String::new(),
                    };
                    let rr = o.value.field("roleRef");
                    let field = |k: &str| {
                        rr.and_then(|r| r.get(k))
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string()
                    };
                    let subjects = match o.value.field("subjects") {
                        Some(Value::Array(a)) => {
                            a.iter().map(|s| subject_of(s, kind, &namespace)).collect()
                        }
                        _ => Vec::new(),
                    };
                    p.bindings.push(Binding {
                        kind,
                        role_ref_kind: field("kind"),
                        role_ref_name: field("name"),
                        name: o.name.clone(),
                        namespace,
                        subjects,
                        role: None,
                        object: Some(i),
                    });
                }
                _ => {}
            }
        }
        p.add_bootstrap();
        p.aggregate();
        p.resolve_role_refs();
        p
    }

    fn add_role(&mut self, r: Role) {
        let key = (r.kind, r.namespace.clone(), r.name.clone());
        if self.role_index.contains_key(&key) {
            // A duplicate in the input: the first one wins, like `Inventory::get`.
            return;
        }
        self.role_index.insert(key, self.roles.len());
        self.roles.push(r);
    }

    fn add_bootstrap(&mut self) {
        for r in bootstrap::cluster_roles() {
            self.add_role(r);
        }
        let existing: std::collections::HashSet<String> = self
            .bindings
            .iter()
            .filter(|b| b.kind == BindingKind::ClusterRoleBinding)
            .map(|b| b.name.clone())
            .collect();
        for b in bootstrap::cluster_role_bindings() {
            if !existing.contains(&b.name) {
                self.bindings.push(b);
            }
        }
    }

    /// Computes the rules of aggregated ClusterRoles as the clusterrole-aggregation controller
    /// does: the union (without duplicates) of the rules of every other ClusterRole whose labels
    /// match any selector, iterated to a fixed point so that chains (admin ← edit ← view)
    /// resolve. Aggregated roles start empty: the controller overwrites their `rules`.
    fn aggregate(&mut self) {
        let aggregated: Vec<usize> = (0..self.roles.len())
            .filter(|&i| self.roles[i].aggregation.is_some())
            .collect();
        if aggregated.is_empty() {
            return;
        }
        for &i in &aggregated {
            self.roles[i].rules.clear();
        }
        let cluster_roles: Vec<usize> = (0..self.roles.len())
            .filter(|&i| self.roles[i].kind == RoleKind::ClusterRole)
            .collect();
        // Which roles each aggregated role selects, computed once.
        let selected: Vec<Vec<usize>> = aggregated
            .iter()
            .map(|&i| {
                let sels = self.roles[i].aggregation.as_deref().unwrap_or(&[]);
                let mut v: Vec<usize> = cluster_roles
                    .iter()
                    .copied()
                    .filter(|&j| j != i && sels.iter().any(|s| s.matches(&self.roles[j].labels)))
                    .collect();
                // Upstream sorts the selected roles by name.
                v.sort_by(|&a, &b| self.roles[a].name.cmp(&self.roles[b].name));
                v
            })
            .collect();
        for _round in 0..=aggregated.len() {
            let mut changed = false;
            for (k, &i) in aggregated.iter().enumerate() {
                let mut rules: Vec<PolicyRule> = Vec::new();
                {
                    let mut seen: HashSet<RuleKey<'_>> = HashSet::new();
                    for &j in &selected[k] {
                        let from: Arc<str> = Arc::from(self.roles[j].name.as_str());
                        for r in &self.roles[j].rules {
                            if seen.insert(RuleKey::of(r)) {
                                let mut r = r.clone();
                                r.aggregated_from.get_or_insert_with(|| Arc::clone(&from));
                                rules.push(r);
                            }
                        }
                    }
                }
                if rules.len() != self.roles[i].rules.len() {
                    changed = true;
                    self.roles[i].rules = rules;
                }
            }
            if !changed {
                break;
            }
        }
    }

    fn resolve_role_refs(&mut self) {
        for b in &mut self.bindings {
            // Upstream `GetRoleReferenceRules`: a Role is looked up in the binding's namespace,
            // a ClusterRole cluster-wide; any other kind resolves to nothing.
            let key = match b.role_ref_kind.as_str() {
                "Role" if b.kind == BindingKind::RoleBinding => {
                    (RoleKind::Role, b.namespace.clone(), b.role_ref_name.clone())
                }
                "ClusterRole" => (
                    RoleKind::ClusterRole,
                    String::new(),
                    b.role_ref_name.clone(),
                ),
                _ => continue,
            };
            b.role = self.role_index.get(&key).copied();
        }
    }

    /// The role of `kind` named `name` (namespace empty for ClusterRoles).
    pub fn role(&self, kind: RoleKind, namespace: &str, name: &str) -> Option<&Role> {
        self.role_index
            .get(&(kind, namespace.to_string(), name.to_string()))
            .map(|&i| &self.roles[i])
    }

    /// The rules a binding grants (empty when its role does not exist).
    pub fn rules_of(&self, b: &Binding) -> &[PolicyRule] {
        match b.role {
            Some(r) => &self.roles[r].rules,
            None => &[],
        }
    }
}
