//! Role-based access control: what Roles and ClusterRoles grant, and to whom bindings grant it.
//!
//! The matcher below follows the upstream RBAC authorizer (`RuleAllows` in
//! `pkg/apis/rbac/v1/evaluation_helpers.go`): a PolicyRule allows a request when `apiGroups`
//! holds the group or `*`, `resources` holds the resource, `*`, the exact
//! `resource/subresource` or `*/subresource` (never `resource/*`), and `verbs` holds the verb or
//! `*`. Strings are compared exactly, as the authorizer does.

use kubecomply_core::value::Field;

use kubecomply_core::Object;
use kubecomply_core::Value;
use kubecomply_core::value::{array_at, str_at};

use crate::rule::{Rule, Violations};

pub mod anonymous_or_all_users_binding;
pub mod cluster_admin_binding;
pub mod default_service_account_binding;
pub mod rbac_bind;
pub mod rbac_create_pods;
pub mod rbac_csr_approve;
pub mod rbac_escalate;
pub mod rbac_impersonate;
pub mod rbac_kube_system_workloads;
pub mod rbac_nodes_proxy;
pub mod rbac_pod_exec_attach;
pub mod rbac_pv_create;
pub mod rbac_read_secrets;
pub mod rbac_service_status_write;
pub mod rbac_token_create;
pub mod rbac_webhook_config_write;
pub mod rbac_wildcard;
pub mod rbac_write_rbac;

/// The rules of this area, in code order.
pub static RULES: &[&Rule] = &[
    &rbac_wildcard::RULE,
    &rbac_read_secrets::RULE,
    &rbac_pod_exec_attach::RULE,
    &rbac_nodes_proxy::RULE,
    &rbac_bind::RULE,
    &rbac_escalate::RULE,
    &rbac_impersonate::RULE,
    &rbac_webhook_config_write::RULE,
    &rbac_csr_approve::RULE,
    &rbac_service_status_write::RULE,
    &rbac_create_pods::RULE,
    &cluster_admin_binding::RULE,
    &default_service_account_binding::RULE,
    &anonymous_or_all_users_binding::RULE,
    &rbac_pv_create::RULE,
    &rbac_token_create::RULE,
    &rbac_write_rbac::RULE,
    &rbac_kube_system_workloads::RULE,
];

/// Kinds that hold PolicyRules.
pub(crate) const ROLE_KINDS: &[&str] = &["Role", "ClusterRole"];

/// Kinds that bind a role to subjects.
pub(crate) const BINDING_KINDS: &[&str] = &["RoleBinding", "ClusterRoleBinding"];

/// The RBAC API group.
pub(crate) const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// The PolicyRules of a Role or ClusterRole with their index. The rules of an aggregated
/// ClusterRole (one with an `aggregationRule`) are skipped: the aggregation controller
/// overwrites them with the union of the selected ClusterRoles, which are checked themselves.
pub(crate) fn policy_rules(obj: &Object) -> impl Iterator<Item = (usize, &Value)> {
    let aggregated = obj.kind == "ClusterRole"
        && obj
            .value
            .field("aggregationRule")
            .is_some_and(Value::is_object);
    let rules: &[Value] = if aggregated {
        &[]
    } else {
        array_at(&obj.value, &["rules"])
    };
    rules.iter().enumerate().filter(|(_, r)| r.is_object())
}

/// The string entries of a list field of a PolicyRule, with their index (non-strings skipped).
pub(crate) fn entries<'a>(
    rule: &'a Value,
    field: &str,
) -> impl Iterator<Item = (usize, &'a str)> + 'a {
    let items: &'a [Value] = match rule.get(field) {
        Some(Value::Array(a)) => a,
        _ => &[],
    };
    items
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.as_str().map(|s| (i, s)))
}

/// Whether a PolicyRule restricts itself to named objects (`resourceNames` non-empty).
pub(crate) fn has_resource_names(rule: &Value) -> bool {
    entries(rule, "resourceNames").next().is_some()
}

/// Whether one `resources` entry of a rule covers the requested resource. `requested` is
/// `resource` or `resource/subresource`; the special form `resource/*` asks for any subresource
/// of `resource` (used for `userextras/<key>`).
fn resource_entry_matches(entry: &str, requested: &str) -> bool {
    if entry == "*" || entry == requested {
        return true;
    }
    match requested.split_once('/') {
        Some((res, "*")) => entry
            .split_once('/')
            .is_some_and(|(r, sub)| !sub.is_empty() && (r == res || r == "*")),
        Some((_, sub)) => entry.strip_prefix("*/") == Some(sub),
        None => false,
    }
}

/// A resource a rule is asked about: its API group (empty for the core group) and the resource
/// (`pods`, `pods/exec`, `userextras/*`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Wanted {
    /// API group, empty for core.
    pub group: &'static str,
    /// Resource, optionally with `/subresource`.
    pub resource: &'static str,
}

/// Shorthand for [`Wanted`].
pub(crate) const fn want(group: &'static str, resource: &'static str) -> Wanted {
    Wanted { group, resource }
}

impl Wanted {
    /// `resource[/sub]` for the core group, `resource.group[/sub]` otherwise (kubectl's spelling).
    fn display(&self) -> String {
        let res = self.resource.strip_suffix("/*").unwrap_or(self.resource);
        match (self.group, res.split_once('/')) {
            ("", _) => res.to_string(),
            (g, Some((r, sub))) => format!("{r}.{g}/{sub}"),
            (g, None) => format!("{res}.{g}"),
        }
    }
}

/// What one PolicyRule grants out of the verbs and resources asked about.
#[derive(Debug)]
pub(crate) struct Grant {
    /// Index of the rule in `rules`.
    pub rule: usize,
    /// Pointer of the first `verbs` entry that grants one of the asked verbs.
    pub pointer: String,
    /// The asked verbs the rule grants.
    pub verbs: Vec<&'static str>,
    /// The asked resources the rule covers (display form).
    pub resources: Vec<String>,
    /// Which fields granted through a wildcard rather than by name.
    pub wildcards: Vec<&'static str>,
}

impl Grant {
    /// A sentence fragment such as `rule 2 grants get, list on secrets (through "*" in verbs)`.
    pub fn describe(&self) -> String {
        let mut s = format!(
            "rule {} grants {} on {}",
            self.rule,
            self.verbs.join(", "),
            self.resources.join(", ")
        );
        if !self.wildcards.is_empty() {
            s.push_str(&format!(
                " (through \"*\" in {})",
                self.wildcards.join(", ")
            ));
        }
        s
    }
}

/// Every PolicyRule of `obj` that grants at least one of `verbs` on at least one of `wanted`.
/// When `skip_named` is true, rules restricted by `resourceNames` are ignored.
pub(crate) fn grants(
    obj: &Object,
    wanted: &[Wanted],
    verbs: &[&'static str],
    skip_named: bool,
) -> Vec<Grant> {
    let mut out = Vec::new();
    for (i, rule) in policy_rules(obj) {
        if skip_named && has_resource_names(rule) {
            continue;
        }
        let mut wildcards = Vec::new();
        let mut group_wild = false;
        let mut resource_wild = false;
        let mut resources = Vec::new();
        for w in wanted {
            let group_named = entries(rule, "apiGroups").any(|(_, g)| g == w.group);
            let group_any = entries(rule, "apiGroups").any(|(_, g)| g == "*");
            if !group_named && !group_any {
                continue;
            }
            let res_named = entries(rule, "resources").any(|(_, r)| {
                r != "*" && !r.starts_with("*/") && resource_entry_matches(r, w.resource)
            });
            let res_any = entries(rule, "resources").any(|(_, r)| {
                (r == "*" || r.starts_with("*/")) && resource_entry_matches(r, w.resource)
            });
            if !res_named && !res_any {
                continue;
            }
            group_wild |= !group_named;
            resource_wild |= !res_named;
            let d = w.display();
            if !resources.contains(&d) {
                resources.push(d);
            }
        }
        if resources.is_empty() {
            continue;
        }
        let verb_any = entries(rule, "verbs").any(|(_, v)| v == "*");
        let granted: Vec<&'static str> = verbs
            .iter()
            .copied()
            .filter(|v| verb_any || entries(rule, "verbs").any(|(_, x)| x == *v))
            .collect();
        if granted.is_empty() {
            continue;
        }
        let verb_named = granted
            .iter()
            .all(|v| entries(rule, "verbs").any(|(_, x)| x == *v));
        if !verb_named {
            wildcards.push("verbs");
        }
        if resource_wild {
            wildcards.push("resources");
        }
        if group_wild {
            wildcards.push("apiGroups");
        }
        let index = entries(rule, "verbs")
            .find(|(_, x)| *x == "*" || granted.contains(x))
            .map(|(j, _)| j)
            .unwrap_or(0);
        out.push(Grant {
            rule: i,
            pointer: format!("/rules/{i}/verbs/{index}"),
            verbs: granted,
            resources,
            wildcards,
        });
    }
    out
}

/// Records one violation per grant: `<Kind> "<name>" <grant>, <consequence>`.
pub(crate) fn fail_grants(
    obj: &Object,
    out: &mut Violations,
    found: Vec<Grant>,
    consequence: &str,
) {
    for g in found {
        out.fail(
            g.pointer.clone(),
            format!("{} {}: {consequence}", role_label(obj), g.describe()),
        );
    }
}

/// `Role "name"` / `ClusterRole "name"` for messages.
pub(crate) fn role_label(obj: &Object) -> String {
    format!("{} {:?}", obj.kind, obj.name)
}

/// The subjects of a binding with their index, as (kind, name, namespace).
pub(crate) fn subjects(obj: &Object) -> impl Iterator<Item = (usize, &str, &str, &str)> {
    array_at(&obj.value, &["subjects"])
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let kind = s.field("kind")?.as_str()?;
            let name = s.field("name")?.as_str()?;
            let ns = s.field("namespace").and_then(Value::as_str).unwrap_or("");
            Some((i, kind, name, ns))
        })
}

/// The `roleRef` for messages: `ClusterRole "view"` (or `its role` when unreadable).
pub(crate) fn role_ref(obj: &Object) -> String {
    match (
        str_at(&obj.value, &["roleRef", "kind"]),
        str_at(&obj.value, &["roleRef", "name"]),
    ) {
        (Some(k), Some(n)) => format!("{k} {n:?}"),
        _ => "its role".to_string(),
    }
}

/// A subject for messages: `ServiceAccount "shop/checkout"`, `Group "system:authenticated"`.
pub(crate) fn subject_label(kind: &str, name: &str, namespace: &str) -> String {
    if kind == "ServiceAccount" && !namespace.is_empty() {
        format!("{kind} \"{namespace}/{name}\"")
    } else {
        format!("{kind} {name:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::resource_entry_matches as m;

    #[test]
    fn subresource_matching_follows_the_authorizer() {
        assert!(m("*", "pods/exec"));
        assert!(m("pods/exec", "pods/exec"));
        assert!(m("*/exec", "pods/exec"));
        assert!(!m("pods/*", "pods/exec"));
        assert!(!m("pods", "pods/exec"));
        assert!(!m("*/exec", "pods"));
        assert!(m("userextras/scopes", "userextras/*"));
        assert!(m("*/scopes", "userextras/*"));
        assert!(!m("userextras", "userextras/*"));
    }
}
