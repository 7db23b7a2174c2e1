//! `rbac review`: findings about effective, cross-object RBAC facts. Single-role checks
//! (wildcards, verbs on sensitive resources in one role) are KC-RBAC-001..015 in
//! `kubecomply-checks`; these rules look at what bindings, roles, ServiceAccounts and
//! workloads mean together.
//!
//! Each rule is a module of `crate::rules`; this module computes what they share once per
//! review (the indexed policy, the accounts, the escalation paths, per binding the facts of its
//! effective permissions) and runs them.

use std::cell::OnceCell;

use kubecomply_core::{Finding, Inventory, RuleMeta};

use crate::accounts::Accounts;
use crate::authorizer::{Authorizer, Request, rule_allows};
use crate::model::{Binding, BindingKind, PolicyRule, Subject, SubjectKind, sa_of_user};
use crate::paths;
use crate::rules::{self, Check};

/// KC-RBAC-101.
pub const CLUSTER_ADMIN_EQUIVALENT: RuleMeta = rules::effective_cluster_admin::META;
/// KC-RBAC-102.
pub const SERVICE_ACCOUNT_GROUP_GRANT: RuleMeta = rules::service_account_group_grant::META;
/// KC-RBAC-103.
pub const MISSING_ROLE: RuleMeta = rules::binding_role_missing::META;
/// KC-RBAC-104.
pub const MISSING_SERVICE_ACCOUNT: RuleMeta = rules::binding_service_account_missing::META;
/// KC-RBAC-105.
pub const UNUSED_ROLE: RuleMeta = rules::unused_role::META;
/// KC-RBAC-106.
pub const EXPOSED_WORKLOAD_BLAST_RADIUS: RuleMeta =
    rules::exposed_workload_powerful_service_account::META;
/// KC-RBAC-107.
pub const SECRETS_READ_SENSITIVE_SCOPE: RuleMeta = rules::secrets_read_cluster_wide::META;
/// KC-RBAC-108.
pub const ESCALATION_PATH: RuleMeta = rules::privilege_escalation_path::META;

/// The rules `review` evaluates, in code order.
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

/// What every rule of one review sees: the inventory and the model built from it once.
pub(crate) struct Review<'a> {
    /// The reviewed objects.
    pub(crate) inv: &'a Inventory,
    /// The indexed policy (effective permissions).
    pub(crate) auth: &'a Authorizer,
    /// ServiceAccounts, workloads and token Secrets.
    pub(crate) accounts: &'a Accounts,
}

impl Review<'_> {
    /// A failure of `meta` on object `object` of the inventory (none if there is no such object).
    pub(crate) fn finding(
        &self,
        meta: &RuleMeta<'static>,
        object: usize,
        pointer: String,
        message: String,
    ) -> Option<Finding> {
        let o = self.inv.objects.get(object)?;
        Some(Finding::failure(meta, o, pointer, message))
    }
}

/// A binding of the input as the binding and subject rules see it, with the facts of its
/// effective permissions that several rules use, each computed at most once.
pub(crate) struct BindingView<'a> {
    /// The binding.
    pub(crate) binding: &'a Binding,
    /// Its object in the inventory.
    pub(crate) object: usize,
    /// The rules of its role (none when the role does not exist).
    pub(crate) rules: &'a [PolicyRule],
    full_power: OnceCell<Option<usize>>,
    secret_read: OnceCell<Option<usize>>,
}

impl<'a> BindingView<'a> {
    fn new(binding: &'a Binding, object: usize, rules: &'a [PolicyRule]) -> BindingView<'a> {
        BindingView {
            binding,
            object,
            rules,
            full_power: OnceCell::new(),
            secret_read: OnceCell::new(),
        }
    }

    /// For a ClusterRoleBinding, the index of the first role rule that allows every verb on
    /// every resource of every group (cluster-admin-equivalent power everywhere).
    pub(crate) fn full_power_rule(&self) -> Option<usize> {
        *self.full_power.get_or_init(|| {
            if self.binding.kind != BindingKind::ClusterRoleBinding {
                return None;
            }
            let wildcard = Request::new("*", "*", "*", None, None);
            self.rules.iter().position(|r| rule_allows(r, &wildcard))
        })
    }

    /// For a ClusterRoleBinding or a binding in `kube-system`, the index of the first role
    /// rule that allows reading Secrets of every name (`get`, `list` or `watch`).
    pub(crate) fn secret_read_rule(&self) -> Option<usize> {
        *self.secret_read.get_or_init(|| {
            let b = self.binding;
            if b.kind != BindingKind::ClusterRoleBinding && b.namespace != "kube-system" {
                return None;
            }
            let reads: Vec<Request> = ["get", "list", "watch"]
                .iter()
                .map(|v| Request::new(v, "secrets", "", None, None))
                .collect();
            self.rules
                .iter()
                .position(|r| reads.iter().any(|q| rule_allows(r, q)))
        })
    }
}

/// Reviews an inventory; returns only failures.
pub fn review(inv: &Inventory) -> Vec<Finding> {
    let rbac = crate::Rbac::new(inv);
    review_with(inv, &rbac.authorizer, &rbac.accounts)
}

/// Reviews with an already built authorizer and accounts.
pub fn review_with(inv: &Inventory, auth: &Authorizer, accounts: &Accounts) -> Vec<Finding> {
    let review = Review {
        inv,
        auth,
        accounts,
    };
    // The path search is the costliest part: run it next to the other rules.
    let (mut out, found) = rayon::join(
        || direct_findings(&review),
        || paths::find_paths(auth, accounts, None),
    );
    for rule in rules::EVALUATION_ORDER {
        if let Check::Paths(check) = rule.check {
            run(rule, &mut out, |out| check(&review, &found, out));
        }
    }
    out
}

/// Runs one rule's check, which must report that rule only.
fn run(rule: &rules::Rule, out: &mut Vec<Finding>, check: impl FnOnce(&mut Vec<Finding>)) {
    let before = out.len();
    check(out);
    debug_assert!(
        out[before..].iter().all(|f| f.rule == rule.meta.code),
        "{} reported another rule's finding",
        rule.meta.code
    );
}

/// The findings of every rule but the path rules, in evaluation order.
fn direct_findings(review: &Review<'_>) -> Vec<Finding> {
    let order = rules::EVALUATION_ORDER;
    let policy = &review.auth.policy;
    let mut out = Vec::new();
    for b in &policy.bindings {
        let Some(object) = b.object else { continue };
        let view = BindingView::new(b, object, policy.rules_of(b));
        for rule in order {
            if let Check::Binding(check) = rule.check {
                run(rule, &mut out, |out| check(review, &view, out));
            }
        }
        for (si, s) in b.subjects.iter().enumerate() {
            let Some(s) = s else { continue };
            for rule in order {
                if let Check::Subject(check) = rule.check {
                    run(rule, &mut out, |out| check(review, &view, si, s, out));
                }
            }
        }
    }
    for rule in order {
        if let Check::Policy(check) = rule.check {
            run(rule, &mut out, |out| check(review, out));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_evaluated_once() {
        let mut evaluated: Vec<&str> = rules::EVALUATION_ORDER
            .iter()
            .map(|r| r.meta.code)
            .collect();
        let mut listed: Vec<&str> = RULES.iter().map(|m| m.code).collect();
        evaluated.sort_unstable();
        listed.sort_unstable();
        assert_eq!(evaluated, listed);
    }
}
