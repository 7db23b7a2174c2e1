//! `rbac review`: findings about effective, cross-object RBAC facts. Single-role checks
//! (wildcards, verbs on sensitive resources in one role) are KC-RBAC-001..015 in
//! `kubecomply-checks`; these rules look at what bindings, roles, ServiceAccounts and
//! workloads mean together.

use std::collections::{BTreeSet, HashSet};

use kubecomply_core::rule::reference;
use kubecomply_core::{Category, Finding, Inventory, RuleMeta, Severity};

use crate::accounts::Accounts;
use crate::authorizer::{Authorizer, Request, rule_allows};
use crate::model::{Binding, BindingKind, RoleKind, Subject, SubjectKind, sa_of_user};
use crate::paths;

const SINCE: &str = "0.2.0";

/// KC-RBAC-101.
pub const CLUSTER_ADMIN_EQUIVALENT: RuleMeta = RuleMeta {
    code: "KC-RBAC-101",
    slug: "effective-cluster-admin",
    title: "Subject holds cluster-admin-equivalent power",
    severity: Severity::Critical,
    category: Category::Rbac,
    since: SINCE,
    docs: r#"## What it checks
Resolves every ClusterRoleBinding to its ClusterRole, including aggregated ClusterRoles (whose
rules are the union of the ClusterRoles their selectors pick) and the built-in roles that exist
in every cluster, and fails for each subject that is thereby allowed every verb (`*`) on every
resource (`*`) of every API group (`*`) in every namespace. The role's name does not matter: a
custom `superuser` role with wildcards counts as much as `cluster-admin`. The group
`system:masters`, other `system:` users and groups of the control plane, and ServiceAccounts of
`kube-system` are not reported. A RoleBinding to such a role is limited to its namespace and is
not reported here.

## Why it matters
Such a subject can read every Secret, run any pod on any node, change any RBAC object and
therefore do anything. A leaked credential of it is a lost cluster.

## How to fix
Grant the verbs and resources the subject needs, in the namespaces it needs them, with Roles and
RoleBindings. Keep cluster-wide administrative power for a small break-glass group.
"#,
    references: &[reference("cis", "5.1.1"), reference("kubescape", "C-0035")],
};

/// KC-RBAC-102.
pub const SERVICE_ACCOUNT_GROUP_GRANT: RuleMeta = RuleMeta {
    code: "KC-RBAC-102",
    slug: "service-account-group-grant",
    title: "Binding grants permissions to every ServiceAccount, default ones included",
    severity: Severity::Medium,
    category: Category::Rbac,
    since: SINCE,
    docs: r#"## What it checks
Fails for a subject of a RoleBinding or ClusterRoleBinding that is the group
`system:serviceaccounts` (every ServiceAccount of the cluster) or
`system:serviceaccounts:<namespace>` (every ServiceAccount of a namespace), when the bound role
exists and has at least one rule. Every namespace's `default` ServiceAccount is in these groups,
so every pod that names no ServiceAccount gets the permissions. Binding the `default`
ServiceAccount by name is KC-RBAC-013.

## Why it matters
The grant reaches identities nobody chose: the ServiceAccount of every pod, present and future,
in the namespace (or cluster), including pods that run untrusted code.

## How to fix
Bind the role to the ServiceAccounts that need it, by name.
"#,
    references: &[reference("cis", "5.1.5")],
};

/// KC-RBAC-103.
pub const MISSING_ROLE: RuleMeta = RuleMeta {
    code: "KC-RBAC-103",
    slug: "binding-role-missing",
    title: "Binding refers to a role that does not exist",
    severity: Severity::Medium,
    category: Category::Rbac,
    since: SINCE,
    docs: r#"## What it checks
Fails for a RoleBinding or ClusterRoleBinding whose `roleRef` names a Role (in the binding's
namespace) or ClusterRole that is neither in the input nor one of the built-in ClusterRoles every
cluster has, or whose `roleRef.kind` is neither `Role` nor `ClusterRole` (a ClusterRoleBinding
can only refer to a ClusterRole). A ClusterRole named `system:...` that is not in the input is
not reported: Kubernetes creates dozens of such roles (controllers, nodes, add-ons) and
kubecomply models only the bootstrap roles that grant notable power.

## Why it matters
The binding grants nothing today, but anyone who later creates a role of that name decides what
its subjects may do, perhaps without knowing the binding exists. It is also a sign of a role that
was renamed or deleted while its bindings were left behind.

## How to fix
Delete the binding, or create the role it refers to, deliberately.
"#,
    references: &[],
};

/// KC-RBAC-104.
pub const MISSING_SERVICE_ACCOUNT: RuleMeta = RuleMeta {
    code: "KC-RBAC-104",
    slug: "binding-service-account-missing",
    title: "Binding names a ServiceAccount that does not exist",
    severity: Severity::Low,
    category: Category::Rbac,
    since: SINCE,
    docs: r#"## What it checks
Fails for a ServiceAccount subject of a binding when the input has ServiceAccount objects in the
subject's namespace but not that one. Namespaces of which the input has no ServiceAccount at all
are not judged, and the `default` ServiceAccount, which the cluster creates in every namespace,
is never reported.

## Why it matters
Whoever creates a ServiceAccount of that name later inherits the permissions, which is an easy
way to obtain them for anyone allowed to create ServiceAccounts in the namespace.

## How to fix
Remove the subject from the binding, or create the ServiceAccount it was meant for.
"#,
    references: &[],
};

/// KC-RBAC-105.
pub const UNUSED_ROLE: RuleMeta = RuleMeta {
    code: "KC-RBAC-105",
    slug: "unused-role",
    title: "Role is bound to no one",
    severity: Severity::Info,
    category: Category::Rbac,
    since: SINCE,
    docs: r#"## What it checks
Fails for a Role or ClusterRole of the input that no RoleBinding or ClusterRoleBinding (of the
input or built in) refers to, and that no aggregated ClusterRole selects. ClusterRoles named
`system:...` are not reported, since control-plane components use them.

## Why it matters
Unused roles are clutter that hides real grants during review, and a ready-made set of
permissions for anyone who may create bindings.

## How to fix
Delete the role, or bind it if it was meant to be used.
"#,
    references: &[],
};

/// KC-RBAC-106.
pub const EXPOSED_WORKLOAD_BLAST_RADIUS: RuleMeta = RuleMeta {
    code: "KC-RBAC-106",
    slug: "exposed-workload-powerful-service-account",
    title: "Exposed or privileged workload runs as a ServiceAccount with dangerous permissions",
    severity: Severity::High,
    category: Category::Rbac,
    since: SINCE,
    docs: r#"## What it checks
For each pod template that is privileged, uses `hostNetwork`, `hostPID` or `hostIPC`, or is
selected by a Service of type `NodePort` or `LoadBalancer`, and mounts its ServiceAccount token
(the pod's `automountServiceAccountToken`, else the ServiceAccount's, else true), looks up what
the ServiceAccount is effectively allowed in the pod's namespace. The rule fails for every
binding that lets it read Secrets, create pods, exec into pods, create ServiceAccount tokens,
impersonate, bind or escalate roles, or create role bindings.

## Why it matters
Exposed and privileged pods are the most likely to be compromised. Whatever their token may do,
an attacker who takes over the pod may do too: these permissions are the blast radius of one bug.

## How to fix
Give the workload its own ServiceAccount with only what it needs, or set
`automountServiceAccountToken: false` when it does not talk to the API.
"#,
    references: &[reference("nsa", "rbac")],
};

/// KC-RBAC-107.
pub const SECRETS_READ_SENSITIVE_SCOPE: RuleMeta = RuleMeta {
    code: "KC-RBAC-107",
    slug: "secrets-read-cluster-wide",
    title: "Subject can read Secrets cluster-wide or in kube-system",
    severity: Severity::High,
    category: Category::Rbac,
    since: SINCE,
    docs: r#"## What it checks
Fails for each subject of a ClusterRoleBinding whose (possibly aggregated) ClusterRole allows
`get`, `list` or `watch` on `secrets` of every name, and for each subject of a RoleBinding in
`kube-system` whose role does. Rules limited by `resourceNames` allow `get` of those names only
and are not reported. Control-plane subjects are not reported.

## Why it matters
Secrets hold credentials; `kube-system` holds the control plane's. Reading them cluster-wide is
usually one step from any other identity in the cluster.

## How to fix
Limit Secret access to the namespaces and names that are needed, with Roles and RoleBindings.
"#,
    references: &[reference("cis", "5.1.2")],
};

/// KC-RBAC-108.
pub const ESCALATION_PATH: RuleMeta = RuleMeta {
    code: "KC-RBAC-108",
    slug: "privilege-escalation-path",
    title: "Subject can escalate to cluster-admin-equivalent power in several steps",
    severity: Severity::High,
    category: Category::Rbac,
    since: SINCE,
    docs: r#"## What it checks
Searches, for each subject of the input's bindings, the shortest chain of steps to
cluster-admin-equivalent power: creating pods or workloads (running them as any ServiceAccount of
the namespace), exec into pods (their mounted tokens), reading legacy token Secrets, creating
ServiceAccount tokens, impersonation, binding or escalating ClusterRoles, writing admission
webhook configurations and `nodes/proxy`. Fails when such a chain has two steps or more;
direct grants are reported by KC-RBAC-101 and by the single-role rules. The message lists the
steps, each with the binding and role rule that allows it. Control-plane subjects are not
reported.

## Why it matters
A subject that looks harmless on its own may reach full control through another identity's
permissions. `kubecomply rbac paths` shows every chain.

## How to fix
Break the chain at its cheapest link: usually pod creation or Secret reading in a namespace
whose ServiceAccounts are powerful.
"#,
    references: &[],
};

/// The rules `review` evaluates.
pub static RULES: &[RuleMeta] = &[
    CLUSTER_ADMIN_EQUIVALENT,
    SERVICE_ACCOUNT_GROUP_GRANT,
    MISSING_ROLE,
    MISSING_SERVICE_ACCOUNT,
    UNUSED_ROLE,
    EXPOSED_WORKLOAD_BLAST_RADIUS,
    SECRETS_READ_SENSITIVE_SCOPE,
    ESCALATION_PATH,
];

/// Whether a subject is a control-plane identity whose power is expected.
pub fn is_system_subject(s: &Subject) -> bool {
    match s.kind {
        SubjectKind::ServiceAccount => s.namespace.as_deref() == Some("kube-system"),
        SubjectKind::Group => matches!(
            s.name.as_str(),
            "system:masters" | "system:nodes" | "system:monitoring"
        ),
        SubjectKind::User => match sa_of_user(&s.name) {
            Some((ns, _)) => ns == "kube-system",
            None => s.name.starts_with("system:") && s.name != "system:anonymous",
        },
    }
}

fn finding(
    meta: &RuleMeta<'static>,
    inv: &Inventory,
    object: usize,
    pointer: String,
    message: String,
) -> Option<Finding> {
    let o = inv.objects.get(object)?;
    Some(Finding::failure(meta, o, pointer, message))
}

fn role_desc(b: &Binding) -> String {
    format!("{} {:?}", b.role_ref_kind, b.role_ref_name)
}

/// Reviews an inventory; returns only failures.
pub fn review(inv: &Inventory) -> Vec<Finding> {
    let rbac = crate::Rbac::new(inv);
    review_with(inv, &rbac.authorizer, &rbac.accounts)
}

/// Reviews with an already built authorizer and accounts.
pub fn review_with(inv: &Inventory, auth: &Authorizer, accounts: &Accounts) -> Vec<Finding> {
    // The path search is the costliest part: run it next to the other rules.
    let (mut out, paths) = rayon::join(
        || direct_findings(inv, auth, accounts),
        || paths::find_paths(auth, accounts, None),
    );
    out.extend(path_findings(inv, auth, paths));
    out
}

fn direct_findings(inv: &Inventory, auth: &Authorizer, accounts: &Accounts) -> Vec<Finding> {
    let policy = &auth.policy;
    let mut out = Vec::new();
    let wildcard = Request::new("*", "*", "*", None, None);
    let read_secrets: Vec<Request> = ["get", "list", "watch"]
        .iter()
        .map(|v| Request::new(v, "secrets", "", None, None))
        .collect();
    for b in &policy.bindings {
        let Some(obj) = b.object else { continue };
        let rules = policy.rules_of(b);
        // KC-RBAC-103. Kubernetes ships many more `system:` ClusterRoles (controllers, nodes,
        // add-ons) than the bootstrap set modelled here; a binding to an unknown `system:`
        // ClusterRole is most likely to one of those, so it is not reported (no false positive).
        let unmodelled_system_role =
            b.role_ref_kind == "ClusterRole" && b.role_ref_name.starts_with("system:");
        match b.role {
            Some(_) => {}
            None if unmodelled_system_role => {}
            None => {
                let known_kind = matches!(
                    (b.role_ref_kind.as_str(), b.kind),
                    ("ClusterRole", _) | ("Role", BindingKind::RoleBinding)
                );
                let msg = if known_kind {
                    format!(
                        "{} {:?} refers to {} {:?}, which exists neither in the input nor among the built-in roles",
                        b.kind.as_str(),
                        b.name,
                        b.role_ref_kind,
                        b.role_ref_name
                    )
                } else {
                    format!(
                        "{} {:?} has roleRef kind {:?}, which a {} cannot refer to",
                        b.kind.as_str(),
                        b.name,
                        b.role_ref_kind,
                        b.kind.as_str()
                    )
                };
                let ptr = if known_kind {
                    "/roleRef/name"
                } else {
                    "/roleRef/kind"
                };
                out.extend(finding(&MISSING_ROLE, inv, obj, ptr.into(), msg));
            }
        }
        let wildcard_rule = (b.kind == BindingKind::ClusterRoleBinding)
            .then(|| rules.iter().position(|r| rule_allows(r, &wildcard)))
            .flatten();
        let secrets_rule = (b.kind == BindingKind::ClusterRoleBinding
            || b.namespace == "kube-system")
            .then(|| {
                rules
                    .iter()
                    .position(|r| read_secrets.iter().any(|q| rule_allows(r, q)))
            })
            .flatten();
        for (si, s) in b.subjects.iter().enumerate() {
            let Some(s) = s else { continue };
            let ptr = format!("/subjects/{si}");
            // KC-RBAC-101
            if let Some(ri) = wildcard_rule
                && !is_system_subject(s)
            {
                out.extend(finding(
                    &CLUSTER_ADMIN_EQUIVALENT,
                    inv,
                    obj,
                    ptr.clone(),
                    format!(
                        "{} {:?} gives {} every verb on every resource in every namespace through {} (rule {ri})",
                        b.kind.as_str(), b.name, s.display(), role_desc(b)
                    ),
                ));
            }
            // KC-RBAC-107
            if let Some(ri) = secrets_rule
                && wildcard_rule.is_none()
                && !is_system_subject(s)
            {
                let scope = match b.kind {
                    BindingKind::ClusterRoleBinding => "in every namespace".to_string(),
                    BindingKind::RoleBinding => "in namespace kube-system".to_string(),
                };
                out.extend(finding(
                    &SECRETS_READ_SENSITIVE_SCOPE,
                    inv,
                    obj,
                    ptr.clone(),
                    format!(
                        "{} {:?} lets {} read Secrets {scope} through {} (rule {ri})",
                        b.kind.as_str(),
                        b.name,
                        s.display(),
                        role_desc(b)
                    ),
                ));
            }
            // KC-RBAC-102
            if s.kind == SubjectKind::Group
                && (s.name == "system:serviceaccounts"
                    || s.name.starts_with("system:serviceaccounts:"))
                && !rules.is_empty()
            {
                let whose = match s.name.strip_prefix("system:serviceaccounts:") {
                    Some(ns) => format!("every ServiceAccount of namespace {ns}, its default ServiceAccount included"),
                    None => "every ServiceAccount of the cluster, every namespace's default ServiceAccount included".to_string(),
                };
                out.extend(finding(
                    &SERVICE_ACCOUNT_GROUP_GRANT,
                    inv,
                    obj,
                    ptr.clone(),
                    format!(
                        "{} {:?} grants {} to group {}: {whose}",
                        b.kind.as_str(),
                        b.name,
                        role_desc(b),
                        s.name
                    ),
                ));
            }
            // KC-RBAC-104
            if s.kind == SubjectKind::ServiceAccount
                && s.name != "default"
                && let Some(ns) = &s.namespace
                && accounts.namespaces_with_sa_objects.contains(ns)
                && accounts
                    .service_accounts
                    .get(&(ns.clone(), s.name.clone()))
                    .is_none_or(|sa| sa.object.is_none())
            {
                out.extend(finding(
                    &MISSING_SERVICE_ACCOUNT,
                    inv,
                    obj,
                    ptr.clone(),
                    format!(
                        "{} {:?} grants {} to ServiceAccount {ns}/{}, which the input does not define although it defines ServiceAccounts of namespace {ns}",
                        b.kind.as_str(), b.name, role_desc(b), s.name
                    ),
                ));
            }
        }
    }
    // KC-RBAC-105
    let mut used: HashSet<usize> = policy.bindings.iter().filter_map(|b| b.role).collect();
    for r in &policy.roles {
        if let Some(sels) = &r.aggregation {
            for (j, other) in policy.roles.iter().enumerate() {
                if other.kind == RoleKind::ClusterRole
                    && sels.iter().any(|s| s.matches(&other.labels))
                {
                    used.insert(j);
                }
            }
        }
    }
    for (i, r) in policy.roles.iter().enumerate() {
        let Some(obj) = r.object else { continue };
        if used.contains(&i) || (r.kind == RoleKind::ClusterRole && r.name.starts_with("system:")) {
            continue;
        }
        let what = match r.kind {
            RoleKind::Role => format!("Role {:?} of namespace {}", r.name, r.namespace),
            RoleKind::ClusterRole => format!("ClusterRole {:?}", r.name),
        };
        out.extend(finding(
            &UNUSED_ROLE,
            inv,
            obj,
            "/metadata/name".into(),
            format!("{what} is referred to by no binding and aggregated into no ClusterRole"),
        ));
    }
    // KC-RBAC-106
    let dangerous: Vec<(&str, Request)> = vec![
        (
            "read Secrets",
            Request::new("list", "secrets", "", None, None),
        ),
        (
            "read Secrets",
            Request::new("get", "secrets", "", None, None),
        ),
        (
            "create pods",
            Request::new("create", "pods", "", None, None),
        ),
        (
            "exec into pods",
            Request::new("create", "pods/exec", "", None, None),
        ),
        (
            "create ServiceAccount tokens",
            Request::new("create", "serviceaccounts/token", "", None, None),
        ),
        (
            "impersonate users",
            Request::new("impersonate", "users", "", None, None),
        ),
        (
            "impersonate groups",
            Request::new("impersonate", "groups", "", None, None),
        ),
        (
            "impersonate ServiceAccounts",
            Request::new("impersonate", "serviceaccounts", "", None, None),
        ),
        (
            "bind ClusterRoles",
            Request::new("bind", "clusterroles", crate::model::RBAC_GROUP, None, None),
        ),
        (
            "escalate ClusterRoles",
            Request::new(
                "escalate",
                "clusterroles",
                crate::model::RBAC_GROUP,
                None,
                None,
            ),
        ),
        (
            "create RoleBindings",
            Request::new(
                "create",
                "rolebindings",
                crate::model::RBAC_GROUP,
                None,
                None,
            ),
        ),
        (
            "create ClusterRoleBindings",
            Request::new(
                "create",
                "clusterrolebindings",
                crate::model::RBAC_GROUP,
                None,
                None,
            ),
        ),
    ];
    let mut reported: HashSet<(usize, usize, usize)> = HashSet::new();
    for w in accounts
        .workloads
        .iter()
        .filter(|w| w.token_mounted && !w.exposure.is_empty())
    {
        let id = Subject::service_account(&w.namespace, &w.service_account).identity();
        for (bi, si) in auth.bindings_of(&id) {
            let b = &policy.bindings[bi];
            let Some(obj) = b.object else { continue };
            if b.scope().is_some_and(|ns| ns != w.namespace) {
                continue;
            }
            let mut what: BTreeSet<&str> = BTreeSet::new();
            for r in policy.rules_of(b) {
                for (label, q) in &dangerous {
                    if rule_allows(r, q) {
                        what.insert(label);
                    }
                }
            }
            if what.is_empty() || !reported.insert((bi, si, w.object)) {
                continue;
            }
            let wl = inv
                .objects
                .get(w.object)
                .map(|o| o.display_name())
                .unwrap_or_default();
            out.extend(finding(
                &EXPOSED_WORKLOAD_BLAST_RADIUS,
                inv,
                obj,
                format!("/subjects/{si}"),
                format!(
                    "{wl} ({}) runs with the token of ServiceAccount {}/{}, which {} {:?} allows to {} through {}",
                    w.exposure.join(", "),
                    w.namespace,
                    w.service_account,
                    b.kind.as_str(),
                    b.name,
                    what.into_iter().collect::<Vec<_>>().join(", "),
                    role_desc(b)
                ),
            ));
        }
    }
    out
}

/// KC-RBAC-108 from the paths of every subject.
fn path_findings(inv: &Inventory, auth: &Authorizer, found: Vec<paths::Path>) -> Vec<Finding> {
    let policy = &auth.policy;
    let mut out = Vec::new();
    let mut first: std::collections::HashMap<&Subject, (usize, usize)> = Default::default();
    for b in &policy.bindings {
        let Some(obj) = b.object else { continue };
        for (si, s) in b.subjects.iter().enumerate() {
            if let Some(s) = s {
                first.entry(s).or_insert((obj, si));
            }
        }
    }
    let first_binding = |s: &Subject| first.get(s).copied();
    for p in found {
        if p.steps.len() < 2 || is_system_subject(&p.subject) {
            continue;
        }
        let Some((obj, si)) = first_binding(&p.subject) else {
            continue;
        };
        let steps: Vec<String> = p
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {} [{}]", i + 1, s.description, s.rule.display()))
            .collect();
        out.extend(finding(
            &ESCALATION_PATH,
            inv,
            obj,
            format!("/subjects/{si}"),
            format!(
                "{} can reach cluster-admin-equivalent power in {} steps: {}",
                p.subject.display(),
                p.steps.len(),
                steps.join(" ")
            ),
        ));
    }
    out
}
