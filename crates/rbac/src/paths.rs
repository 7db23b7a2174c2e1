//! Privilege-escalation paths: a breadth-first search from subjects to cluster-admin-equivalent
//! power, through what their grants let them become (other ServiceAccounts, impersonated users
//! and groups) or do (bind cluster-admin, intercept admission, proxy to kubelets).
//!
//! The whole reachable graph is built once; a breadth-first search backwards from the goal
//! then gives every subject its shortest path at once.

use std::collections::{HashMap, VecDeque};

use rayon::prelude::*;
use serde::Serialize;

use crate::accounts::Accounts;
use crate::authorizer::{Authorizer, Request, rule_allows, rule_allows_some_name};
use crate::model::{BindingKind, ObjectKey, PolicyRule, RoleKind, Subject, SubjectKind};

/// The binding, role and rule that allow a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleRef {
    /// The binding.
    pub binding: ObjectKey,
    /// Index of the subject in the binding through which the rule applies.
    pub subject_index: usize,
    /// The role.
    pub role: ObjectKey,
    /// Index of the rule in the role's effective rules.
    pub rule_index: usize,
}

impl RuleRef {
    /// `Binding -> Role rule N`.
    pub fn display(&self) -> String {
        format!(
            "{} -> {} rule {}",
            self.binding.display(),
            self.role.display(),
            self.rule_index
        )
    }
}

/// One step of a path.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What the subject can do at this step and what it gains.
    pub description: String,
    /// The rule that allows it.
    pub rule: RuleRef,
    /// A second rule the step needs (e.g. `bind` next to `create clusterrolebindings`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub also: Option<RuleRef>,
}

/// How a subject reaches cluster-admin-equivalent power.
#[derive(Clone, Debug, Serialize)]
pub struct Path {
    /// The starting subject.
    pub subject: Subject,
    /// The steps, the last one reaching cluster-admin-equivalent power.
    pub steps: Vec<Step>,
}

/// (binding, subject index, rule index).
type GrantIx = (u32, u32, u32);

/// An edge whose target is not interned yet.
type Pending = (Node, EdgeKind, GrantIx, Option<GrantIx>);

/// A node of the graph: a subject, the goal, or a shared hop that many subjects reach so that
/// wide grants do not multiply edges: `AccountsIn(ns)` leads to every ServiceAccount of the
/// namespace (running pods as it, requesting its tokens, impersonating it), `ExecIn(ns)` to
/// those of its running workloads that mount a token; `AccountsAll` and `ExecAll` to every
/// namespace's node.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Node {
    Goal,
    Subject(Subject),
    AccountsIn(String),
    ExecIn(String),
    AccountsAll,
    ExecAll,
}

#[derive(Clone, Debug)]
enum EdgeKind {
    Wildcard,
    /// Free hop out of a shared node.
    Hop,
    RunAs {
        namespace: Option<String>,
    },
    Exec {
        namespace: Option<String>,
    },
    TokenSecret {
        namespace: String,
        secret: String,
    },
    TokenRequest,
    Impersonate,
    Webhooks,
    NodesProxy,
    BindClusterAdmin,
    EscalateRole {
        role: String,
    },
    BindInNamespace {
        namespace: Option<String>,
        role: String,
    },
}

#[derive(Clone, Debug)]
struct Edge {
    target: usize,
    kind: EdgeKind,
    /// `None` for free hops out of shared nodes (weight 0).
    grant: Option<GrantIx>,
    also: Option<GrantIx>,
}

const GOAL: usize = 0;

fn req(verb: &str, group: &str, resource: &str, name: Option<&str>) -> Request {
    // Namespace scope is the binding's concern; rules are probed without one.
    Request::new(verb, resource, group, None, name)
}

/// Workload kinds whose creation runs a pod under a ServiceAccount of the creator's choice.
const WORKLOADS: &[(&str, &str)] = &[
    ("", "pods"),
    ("", "replicationcontrollers"),
    ("apps", "deployments"),
    ("apps", "daemonsets"),
    ("apps", "statefulsets"),
    ("apps", "replicasets"),
    ("batch", "jobs"),
    ("batch", "cronjobs"),
];

/// Requests probed for every held rule, built once.
struct Probes {
    wildcard: Request,
    webhooks: Vec<Request>,
    nodes_proxy: Vec<Request>,
    create_crb: Request,
    bind_cluster_admin: Request,
    escalate: Request,
    run_pods: Vec<Request>,
    exec: Request,
    get_secrets: Request,
    list_secrets: Request,
    token: Request,
    impersonate_sa: Request,
    impersonate_users: Request,
    impersonate_groups: Request,
    create_rb: Request,
    bind_roles: Vec<(&'static str, Request)>,
}

impl Probes {
    fn new() -> Probes {
        let rbac = crate::model::RBAC_GROUP;
        let mut run_pods = Vec::new();
        for (g, res) in WORKLOADS {
            run_pods.push(req("create", g, res, None));
            // Changing an existing controller's pod template (its ServiceAccount) works too.
            if *res != "pods" {
                run_pods.push(req("update", g, res, None));
                run_pods.push(req("patch", g, res, None));
            }
        }
        let mut webhooks = Vec::new();
        for v in ["create", "update", "patch"] {
            for res in [
                "mutatingwebhookconfigurations",
                "validatingwebhookconfigurations",
            ] {
                webhooks.push(req(v, "admissionregistration.k8s.io", res, None));
            }
        }
        Probes {
            wildcard: req("*", "*", "*", None),
            webhooks,
            nodes_proxy: vec![
                req("get", "", "nodes/proxy", None),
                req("create", "", "nodes/proxy", None),
            ],
            create_crb: req("create", rbac, "clusterrolebindings", None),
            bind_cluster_admin: req("bind", rbac, "clusterroles", Some("cluster-admin")),
            escalate: req("escalate", rbac, "clusterroles", None),
            run_pods,
            exec: req("create", "", "pods/exec", None),
            get_secrets: req("get", "", "secrets", None),
            list_secrets: req("list", "", "secrets", None),
            token: req("create", "", "serviceaccounts/token", None),
            impersonate_sa: req("impersonate", "", "serviceaccounts", None),
            impersonate_users: req("impersonate", "", "users", None),
            impersonate_groups: req("impersonate", "", "groups", None),
            create_rb: req("create", rbac, "rolebindings", None),
            bind_roles: ["cluster-admin", "admin", "edit"]
                .into_iter()
                .map(|r| (r, req("bind", rbac, "clusterroles", Some(r))))
                .collect(),
        }
    }
}

/// The names a rule allows among `candidates` (sorted, as the users, groups and
/// ServiceAccount names of the graph are): all of them without `resourceNames`, else the listed
/// ones that are candidates, found by binary search (a rule naming a few users among many must
/// not cost a scan of them all). The caller has checked verb, group and resource.
fn allowed_names<'n>(r: &'n PolicyRule, candidates: &'n [String]) -> Vec<&'n str> {
    if r.resource_names.is_empty() {
        candidates.iter().map(String::as_str).collect()
    } else {
        r.resource_names
            .iter()
            .filter(|n| candidates.binary_search(n).is_ok())
            .map(String::as_str)
            .collect()
    }
}

/// What the searches of [`Graph::expand_subject`] look for among the rules a subject holds,
/// indexed in one pass over them the first time a search needs it. Each answer is the first
/// held rule (in the order of `held`) that a scan would have found, so the edges are the same
/// as those of a scan per held rule, which was quadratic in the subject's bindings.
struct HeldIndex<'h> {
    /// First ClusterRoleBinding rule allowing `bind` of ClusterRole cluster-admin.
    bind_cluster_admin: Option<usize>,
    /// Per `Probes::bind_roles` entry: the first rule of a ClusterRoleBinding allowing it, and
    /// per namespace the first rule of a RoleBinding there allowing it.
    bind_roles: Vec<(Option<usize>, HashMap<&'h str, usize>)>,
    /// The ClusterRoles bound to the subject cluster-wide, in the order of their first rule in
    /// `held`, each with that order.
    cluster_roles: Vec<&'h str>,
    cluster_role_order: HashMap<&'h str, usize>,
    /// The first ClusterRoleBinding rule allowing `update` or `patch` of every ClusterRole, and
    /// per ClusterRole name the first one allowing it by `resourceNames`.
    update_any: Option<usize>,
    update_named: HashMap<&'h str, usize>,
}

impl<'h> HeldIndex<'h> {
    fn new(held: &[Held<'h>], policy: &'h crate::model::Policy, p: &Probes) -> HeldIndex<'h> {
        let rbac = crate::model::RBAC_GROUP;
        let update = req("update", rbac, "clusterroles", None);
        let patch = req("patch", rbac, "clusterroles", None);
        let mut ix = HeldIndex {
            bind_cluster_admin: None,
            bind_roles: vec![(None, HashMap::new()); p.bind_roles.len()],
            cluster_roles: Vec::new(),
            cluster_role_order: HashMap::new(),
            update_any: None,
            update_named: HashMap::new(),
        };
        for (i, &((bi, ..), r, scope, kind)) in held.iter().enumerate() {
            let cluster = kind == BindingKind::ClusterRoleBinding;
            for (j, (_, q)) in p.bind_roles.iter().enumerate() {
                if rule_allows(r, q) {
                    let (global, scoped) = &mut ix.bind_roles[j];
                    match scope {
                        None => {
                            global.get_or_insert(i);
                        }
                        Some(ns) => {
                            scoped.entry(ns).or_insert(i);
                        }
                    }
                }
            }
            if !cluster {
                continue;
            }
            if ix.bind_cluster_admin.is_none() && rule_allows(r, &p.bind_cluster_admin) {
                ix.bind_cluster_admin = Some(i);
            }
            if let Some(role) = policy
                .bindings
                .get(bi as usize)
                .and_then(|b| b.role)
                .and_then(|x| policy.roles.get(x))
                .filter(|role| role.kind == RoleKind::ClusterRole)
            {
                let order = ix.cluster_roles.len();
                if let std::collections::hash_map::Entry::Vacant(e) =
                    ix.cluster_role_order.entry(role.name.as_str())
                {
                    e.insert(order);
                    ix.cluster_roles.push(role.name.as_str());
                }
            }
            if rule_allows_some_name(r, &update) || rule_allows_some_name(r, &patch) {
                if r.resource_names.is_empty() {
                    ix.update_any.get_or_insert(i);
                } else {
                    for n in &r.resource_names {
                        ix.update_named.entry(n.as_str()).or_insert(i);
                    }
                }
            }
        }
        ix
    }

    /// The first held rule allowing `bind_roles[j]` that applies in `scope` (a
    /// ClusterRoleBinding's, or a RoleBinding's of the same namespace).
    fn bind_role(&self, j: usize, scope: Option<&str>) -> Option<usize> {
        let (global, scoped) = self.bind_roles.get(j)?;
        let local = scope.and_then(|ns| scoped.get(ns).copied());
        match (*global, local) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The first held ClusterRoleBinding rule allowing `update` or `patch` of ClusterRole
    /// `name`.
    fn update_of(&self, name: &str) -> Option<usize> {
        match (self.update_any, self.update_named.get(name).copied()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The first ClusterRole bound cluster-wide (in held order) that `r` (which allows
    /// `escalate` of some ClusterRole) allows escalating and that some held rule allows
    /// updating, with that rule.
    fn escalatable(&self, r: &PolicyRule) -> Option<(&'h str, usize)> {
        if r.resource_names.is_empty() {
            return self
                .cluster_roles
                .iter()
                .find_map(|&n| self.update_of(n).map(|u| (n, u)));
        }
        r.resource_names
            .iter()
            .filter_map(|n| {
                let order = *self.cluster_role_order.get(n.as_str())?;
                let u = self.update_of(n)?;
                Some((order, self.cluster_roles[order], u))
            })
            .min_by_key(|&(order, ..)| order)
            .map(|(_, n, u)| (n, u))
    }
}

/// A rule a subject holds: (grant, rule, scope, binding kind).
type Held<'a> = (GrantIx, &'a PolicyRule, Option<&'a str>, BindingKind);

struct Graph<'a> {
    auth: &'a Authorizer,
    accounts: &'a Accounts,
    nodes: Vec<Node>,
    index: HashMap<Node, usize>,
    edges: Vec<Vec<Edge>>,
    users: Vec<String>,
    groups: Vec<String>,
    probes: Probes,
}

impl<'a> Graph<'a> {
    fn node(&mut self, s: Node) -> usize {
        if let Some(&i) = self.index.get(&s) {
            return i;
        }
        let i = self.nodes.len();
        self.index.insert(s.clone(), i);
        self.nodes.push(s);
        self.edges.push(Vec::new());
        i
    }

    fn namespaces_of(&self, scope: Option<&str>) -> Vec<String> {
        match scope {
            Some(ns) => vec![ns.to_string()],
            None => self.accounts.namespaces.iter().cloned().collect(),
        }
    }

    fn service_accounts_in(&self, ns: &str) -> Vec<String> {
        self.accounts
            .in_namespace(ns)
            .map(|s| s.name.clone())
            .collect()
    }

    /// Computes the outgoing edges of node `n`, adding target nodes as needed.
    fn expand(&mut self, n: usize, pre: Option<Vec<Pending>>) {
        let mut out: Vec<Edge> = Vec::new();
        match self.nodes[n].clone() {
            Node::Goal => {}
            Node::AccountsAll | Node::ExecAll => {
                let exec = matches!(self.nodes[n], Node::ExecAll);
                for ns in self.namespaces_of(None) {
                    let t = self.node(if exec {
                        Node::ExecIn(ns)
                    } else {
                        Node::AccountsIn(ns)
                    });
                    out.push(hop(t));
                }
            }
            Node::AccountsIn(ns) => {
                for sa in self.service_accounts_in(&ns) {
                    let t = self.node(Node::Subject(Subject::service_account(&ns, &sa)));
                    out.push(hop(t));
                }
            }
            Node::ExecIn(ns) => {
                let mut sas: Vec<String> = self
                    .accounts
                    .workloads
                    .iter()
                    .filter(|w| w.namespace == ns && w.token_mounted)
                    .map(|w| w.service_account.clone())
                    .collect();
                sas.sort();
                sas.dedup();
                for sa in sas {
                    let t = self.node(Node::Subject(Subject::service_account(&ns, &sa)));
                    out.push(hop(t));
                }
            }
            Node::Subject(subject) => {
                let pending = pre.unwrap_or_else(|| self.expand_subject(&subject));
                for (node, kind, g, also) in pending {
                    let target = self.node(node);
                    out.push(Edge {
                        target,
                        kind,
                        grant: Some(g),
                        also,
                    });
                }
            }
        }
        // Keep one edge per target: the first found.
        let mut seen = std::collections::HashSet::new();
        out.retain(|e| e.target != n && seen.insert(e.target));
        self.edges[n] = out;
    }

    /// The edges out of a subject, with targets as node keys (no interning: runs in parallel).
    fn expand_subject(&self, subject: &Subject) -> Vec<Pending> {
        let mut out: Vec<Pending> = Vec::new();
        let id = subject.identity();
        let auth = self.auth;
        let policy = &auth.policy;
        // (grant, rule, scope, binding kind) of every rule the identity holds.
        let mut held: Vec<Held<'_>> = Vec::new();
        for (bi, si) in auth.bindings_of(&id) {
            let b = &policy.bindings[bi];
            for (ri, r) in policy.rules_of(b).iter().enumerate() {
                held.push(((bi as u32, si as u32, ri as u32), r, b.scope(), b.kind));
            }
        }
        let cluster = |k: BindingKind| k == BindingKind::ClusterRoleBinding;
        let p = &self.probes;
        // A subject that already holds everything needs no other way there.
        if let Some(&(g, ..)) = held
            .iter()
            .find(|(_, r, _, k)| cluster(*k) && rule_allows(r, &p.wildcard))
        {
            out.push((Node::Goal, EdgeKind::Wildcard, g, None));
            return out;
        }
        let mut pods_targets: Vec<(Node, EdgeKind, GrantIx, Option<GrantIx>)> = Vec::new();
        let mut subject_targets: Vec<(Subject, EdgeKind, GrantIx)> = Vec::new();
        // Edges to every ServiceAccount of a scope (token requests and impersonation without
        // resourceNames).
        let mut subject_targets_any: Vec<Pending> = Vec::new();
        let index = std::cell::OnceCell::new();
        let index = || index.get_or_init(|| HeldIndex::new(&held, policy, p));
        for &(g, r, scope, kind) in &held {
            if cluster(kind) && p.webhooks.iter().any(|q| rule_allows(r, q)) {
                out.push((Node::Goal, EdgeKind::Webhooks, g, None));
            }
            if cluster(kind) && p.nodes_proxy.iter().any(|q| rule_allows(r, q)) {
                out.push((Node::Goal, EdgeKind::NodesProxy, g, None));
            }
            if cluster(kind)
                && rule_allows(r, &p.create_crb)
                && let Some(i) = index().bind_cluster_admin
                && let Some(&(g2, ..)) = held.get(i)
            {
                out.push((Node::Goal, EdgeKind::BindClusterAdmin, g, Some(g2)));
            }
            if cluster(kind) && rule_allows_some_name(r, &p.escalate) {
                // Holding `escalate`, it may add any permission to a ClusterRole it can update;
                // one bound to it cluster-wide then gives it everything.
                if let Some((role, i)) = index().escalatable(r)
                    && let Some(&(g2, ..)) = held.get(i)
                {
                    out.push((
                        Node::Goal,
                        EdgeKind::EscalateRole {
                            role: role.to_string(),
                        },
                        g,
                        Some(g2),
                    ));
                }
            }
            let ns_kind = scope.map(str::to_string);
            let accounts_node = || match scope {
                Some(ns) => Node::AccountsIn(ns.to_string()),
                None => Node::AccountsAll,
            };
            if p.run_pods.iter().any(|q| rule_allows(r, q)) {
                pods_targets.push((
                    accounts_node(),
                    EdgeKind::RunAs {
                        namespace: ns_kind.clone(),
                    },
                    g,
                    None,
                ));
            }
            if rule_allows(r, &p.exec) {
                let node = match scope {
                    Some(ns) => Node::ExecIn(ns.to_string()),
                    None => Node::ExecAll,
                };
                pods_targets.push((
                    node,
                    EdgeKind::Exec {
                        namespace: ns_kind.clone(),
                    },
                    g,
                    None,
                ));
            }
            if !self.accounts.token_secrets.is_empty()
                && (rule_allows_some_name(r, &p.get_secrets) || rule_allows(r, &p.list_secrets))
            {
                for t in self
                    .accounts
                    .token_secrets
                    .iter()
                    .filter(|t| scope.is_none_or(|ns| ns == t.namespace))
                {
                    if rule_allows(r, &p.list_secrets)
                        || rule_allows(r, &req("get", "", "secrets", Some(&t.name)))
                    {
                        subject_targets.push((
                            Subject::service_account(&t.namespace, &t.service_account),
                            EdgeKind::TokenSecret {
                                namespace: t.namespace.clone(),
                                secret: t.name.clone(),
                            },
                            g,
                        ));
                    }
                }
            }
            let token = rule_allows_some_name(r, &p.token);
            let imp_sa = rule_allows_some_name(r, &p.impersonate_sa);
            if token || imp_sa {
                let kind = if token {
                    EdgeKind::TokenRequest
                } else {
                    EdgeKind::Impersonate
                };
                if r.resource_names.is_empty() {
                    // Any ServiceAccount of the scope: through the shared node, so that a
                    // cluster-wide grant is one edge rather than one per ServiceAccount of the
                    // cluster (half a million edges at 100,000 objects).
                    subject_targets_any.push((accounts_node(), kind, g, None));
                } else {
                    for ns in self.namespaces_of(scope) {
                        let sas = self.service_accounts_in(&ns);
                        for sa in allowed_names(r, &sas) {
                            subject_targets.push((
                                Subject::service_account(&ns, sa),
                                kind.clone(),
                                g,
                            ));
                        }
                    }
                }
            }
            // users and groups are cluster-scoped: only ClusterRoleBindings grant impersonating them.
            if cluster(kind) && rule_allows_some_name(r, &p.impersonate_users) {
                for u in allowed_names(r, &self.users) {
                    subject_targets.push((Subject::user(u), EdgeKind::Impersonate, g));
                }
            }
            if cluster(kind) && rule_allows_some_name(r, &p.impersonate_groups) {
                for gr in allowed_names(r, &self.groups) {
                    subject_targets.push((Subject::group(gr), EdgeKind::Impersonate, g));
                }
            }
            if rule_allows(r, &p.create_rb) {
                for (j, (role, _)) in p.bind_roles.iter().enumerate() {
                    let bind = index().bind_role(j, scope).and_then(|i| held.get(i));
                    let Some(&(g2, ..)) = bind else { continue };
                    pods_targets.push((
                        accounts_node(),
                        EdgeKind::BindInNamespace {
                            namespace: ns_kind.clone(),
                            role: role.to_string(),
                        },
                        g,
                        Some(g2),
                    ));
                    break;
                }
            }
        }
        // Before the pod-running edges: where a subject may both request tokens and run pods
        // in a namespace, one edge per target is kept, and the path names the token request.
        out.extend(subject_targets_any);
        out.extend(pods_targets);
        out.extend(
            subject_targets
                .into_iter()
                .map(|(s, kind, g)| (Node::Subject(s), kind, g, None)),
        );
        out
    }

    fn rule_ref(&self, g: GrantIx) -> Option<RuleRef> {
        let policy = &self.auth.policy;
        let b = policy.bindings.get(g.0 as usize)?;
        let role = policy.roles.get(b.role?)?;
        Some(RuleRef {
            binding: b.key(),
            subject_index: g.1 as usize,
            role: role.key(),
            rule_index: g.2 as usize,
        })
    }

    fn describe(&self, who: &Subject, e: &Edge, target: Option<&Subject>) -> String {
        let who = who.display();
        let target = target.map(Subject::display).unwrap_or_default();
        let where_ = |ns: &Option<String>| match ns {
            Some(ns) => format!("in namespace {ns}"),
            None => "in every namespace".to_string(),
        };
        match &e.kind {
            EdgeKind::Wildcard | EdgeKind::Hop => format!(
                "{who} holds every verb on every resource cluster-wide (cluster-admin equivalent)"
            ),
            EdgeKind::RunAs { namespace } => format!(
                "{who} can create pods or workloads {}, so it can run a pod as {target} and use its token",
                where_(namespace)
            ),
            EdgeKind::Exec { namespace } => format!(
                "{who} can exec into pods {} that mount the token of {target}",
                where_(namespace)
            ),
            EdgeKind::TokenSecret { namespace, secret } => {
                format!("{who} can read Secret {namespace}/{secret}, a token of {target}")
            }
            EdgeKind::TokenRequest => {
                format!("{who} can create tokens (serviceaccounts/token) for {target}")
            }
            EdgeKind::Impersonate => format!("{who} can impersonate {target}"),
            EdgeKind::Webhooks => format!(
                "{who} can create or change admission webhook configurations, so it can intercept and rewrite any object written to the API (cluster-admin equivalent)"
            ),
            EdgeKind::NodesProxy => format!(
                "{who} can use nodes/proxy, the kubelet API of every node, to run commands in any pod (cluster-admin equivalent)"
            ),
            EdgeKind::BindClusterAdmin => format!(
                "{who} can create ClusterRoleBindings and bind ClusterRole cluster-admin, so it can grant itself cluster-admin"
            ),
            EdgeKind::EscalateRole { role } => format!(
                "{who} can escalate and update ClusterRole {role}, which is bound to it cluster-wide, so it can add every permission to it"
            ),
            EdgeKind::BindInNamespace { namespace, role } => format!(
                "{who} can create RoleBindings {} and bind ClusterRole {role} to itself, so it can run a pod as {target}",
                where_(namespace)
            ),
        }
    }
}

fn hop(target: usize) -> Edge {
    Edge {
        target,
        kind: EdgeKind::Hop,
        grant: None,
        also: None,
    }
}

/// The shortest escalation path of each subject (or of `from` only) to cluster-admin-equivalent
/// power. Starting subjects are those of the input's bindings (built-in bindings excluded).
pub fn find_paths(auth: &Authorizer, accounts: &Accounts, from: Option<&Subject>) -> Vec<Path> {
    let mut users = Vec::new();
    let mut groups = vec!["system:masters".to_string()];
    for b in &auth.policy.bindings {
        for s in b.subjects.iter().flatten() {
            match s.kind {
                SubjectKind::User => users.push(s.name.clone()),
                SubjectKind::Group => groups.push(s.name.clone()),
                SubjectKind::ServiceAccount => {}
            }
        }
    }
    users.sort();
    users.dedup();
    groups.sort();
    groups.dedup();
    let mut g = Graph {
        auth,
        accounts,
        nodes: Vec::new(),
        index: HashMap::new(),
        edges: Vec::new(),
        users,
        groups,
        probes: Probes::new(),
    };
    let goal = g.node(Node::Goal);
    debug_assert_eq!(goal, GOAL);
    let canonical = |s: &Subject| match (s.kind, crate::model::sa_of_user(&s.name)) {
        (SubjectKind::User, Some((ns, n))) => Subject::service_account(ns, n),
        _ => s.clone(),
    };
    let mut starts: Vec<usize> = Vec::new();
    match from {
        Some(s) => starts.push(g.node(Node::Subject(canonical(s)))),
        None => {
            for b in auth.policy.bindings.iter().filter(|b| !b.is_builtin()) {
                for s in b.subjects.iter().flatten() {
                    if s.principal().is_some() {
                        let n = g.node(Node::Subject(canonical(s)));
                        starts.push(n);
                    }
                }
            }
        }
    }
    starts.sort_unstable();
    starts.dedup();
    // The starting subjects are most of the work: expand them in parallel, a chunk at a time
    // (a chunk's edges, with their targets as owned keys, are interned before the next chunk
    // is computed, so that transient memory stays bounded however many subjects and edges the
    // input has). Starts are expanded in their order, as the breadth-first walk below would
    // (its queue begins with every start), so node numbering and edges are the same.
    const CHUNK: usize = 512;
    let mut expanded = vec![false; g.nodes.len()];
    for chunk in starts.chunks(CHUNK) {
        let pending: Vec<Option<Vec<Pending>>> = chunk
            .par_iter()
            .map(|&n| match &g.nodes[n] {
                Node::Subject(s) => Some(g.expand_subject(s)),
                _ => None,
            })
            .collect();
        for (&n, p) in chunk.iter().zip(pending) {
            g.expand(n, p);
            expanded.resize(g.nodes.len(), false);
            expanded[n] = true;
        }
    }
    // Forward exploration of everything reachable.
    let mut visited = vec![false; g.nodes.len()];
    let mut queue: VecDeque<usize> = starts.iter().copied().collect();
    while let Some(n) = queue.pop_front() {
        visited.resize(g.nodes.len(), false);
        if visited[n] {
            continue;
        }
        visited[n] = true;
        expanded.resize(g.nodes.len(), false);
        if !expanded[n] {
            expanded[n] = true;
            g.expand(n, None);
        }
        visited.resize(g.nodes.len(), false);
        for e in &g.edges[n] {
            if !visited[e.target] {
                queue.push_back(e.target);
            }
        }
    }
    // 0-1 breadth-first search backwards from the goal: free hops cost nothing, every other
    // edge one step. `next[n]` is the first edge of a shortest path from `n`.
    let count = g.nodes.len();
    let mut reverse: Vec<Vec<(usize, usize)>> = vec![Vec::new(); count];
    for (n, es) in g.edges.iter().enumerate() {
        for (k, e) in es.iter().enumerate() {
            reverse[e.target].push((n, k));
        }
    }
    let mut dist = vec![usize::MAX; count];
    let mut next: Vec<Option<usize>> = vec![None; count];
    dist[GOAL] = 0;
    let mut dq = VecDeque::from([GOAL]);
    while let Some(t) = dq.pop_front() {
        for &(n, k) in &reverse[t] {
            let w = usize::from(g.edges[n][k].grant.is_some());
            let d = dist[t].saturating_add(w);
            if d < dist[n] {
                dist[n] = d;
                next[n] = Some(k);
                if w == 0 {
                    dq.push_front(n);
                } else {
                    dq.push_back(n);
                }
            }
        }
    }
    let mut out = Vec::new();
    for &s in &starts {
        let Node::Subject(start) = &g.nodes[s] else {
            continue;
        };
        let mut steps = Vec::new();
        let mut cur = s;
        let mut guard = 0usize;
        while cur != GOAL && guard <= count {
            guard += 1;
            let Some(k) = next[cur] else { break };
            let e = &g.edges[cur][k];
            // Follow free hops to the subject (or goal) the step leads to.
            let mut t = e.target;
            while let (
                Node::AccountsIn(_) | Node::ExecIn(_) | Node::AccountsAll | Node::ExecAll,
                Some(k2),
            ) = (&g.nodes[t], next[t])
            {
                t = g.edges[t][k2].target;
                guard += 1;
                if guard > count {
                    break;
                }
            }
            let (Node::Subject(who), Some(grant)) = (&g.nodes[cur], e.grant) else {
                break;
            };
            let target = match &g.nodes[t] {
                Node::Subject(x) => Some(x),
                _ => None,
            };
            if let Some(rule) = g.rule_ref(grant) {
                steps.push(Step {
                    description: g.describe(who, e, target),
                    rule,
                    also: e.also.and_then(|a| g.rule_ref(a)),
                });
            }
            cur = t;
        }
        if cur == GOAL && !steps.is_empty() {
            out.push(Path {
                subject: start.clone(),
                steps,
            });
        }
    }
    out.sort_by(|a, b| a.subject.cmp(&b.subject));
    out
}
