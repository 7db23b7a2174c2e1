//! The rules of the RBAC review, one module each: its metadata, its documentation and the
//! function that finds its failures in the model the review computed once (the indexed policy,
//! the ServiceAccounts and workloads, the escalation paths). The computation itself lives in
//! the shared modules (`authorizer`, `accounts`, `paths`); `crate::review` runs the rules.

use kubecomply_core::{Finding, RuleMeta};

use crate::model::{Binding, Subject};
use crate::paths::Path;
use crate::review::{BindingView, Review};

pub(crate) mod binding_role_missing;
pub(crate) mod binding_service_account_missing;
pub(crate) mod effective_cluster_admin;
pub(crate) mod exposed_workload_powerful_service_account;
pub(crate) mod privilege_escalation_path;
pub(crate) mod secrets_read_cluster_wide;
pub(crate) mod service_account_group_grant;
pub(crate) mod unused_role;

/// The version that introduced the review rules.
pub(crate) const SINCE: &str = "0.2.0";

/// What a rule is evaluated on, and when: the review walks the bindings once, calling the
/// binding rules for each binding and then the subject rules for each of its subjects, then
/// calls the policy rules, then the path rules.
pub(crate) enum Check {
    /// Once per binding of the input, before its subjects.
    Binding(fn(&Review<'_>, &BindingView<'_>, &mut Vec<Finding>)),
    /// Once per subject (by index in `subjects`) of every binding of the input.
    Subject(fn(&Review<'_>, &BindingView<'_>, usize, &Subject, &mut Vec<Finding>)),
    /// Once per review, after the bindings.
    Policy(fn(&Review<'_>, &mut Vec<Finding>)),
    /// Once per review with the shortest escalation path of every subject, which is searched
    /// next to the other rules (it is the costliest part of the review).
    Paths(fn(&Review<'_>, &[Path], &mut Vec<Finding>)),
}

/// A review rule: its metadata and its check.
pub(crate) struct Rule {
    /// Code, slug, title, severity, docs, references.
    pub(crate) meta: &'static RuleMeta<'static>,
    /// How its findings are found.
    pub(crate) check: Check,
}

/// Every rule in evaluation order, which is the order of the review's findings (kept from the
/// review's first version: per binding the missing role, then per subject KC-RBAC-101, 107,
/// 102 and 104; then the unused roles, the exposed workloads and the escalation paths).
pub(crate) static EVALUATION_ORDER: &[&Rule] = &[
    &binding_role_missing::RULE,
    &effective_cluster_admin::RULE,
    &secrets_read_cluster_wide::RULE,
    &service_account_group_grant::RULE,
    &binding_service_account_missing::RULE,
    &unused_role::RULE,
    &exposed_workload_powerful_service_account::RULE,
    &privilege_escalation_path::RULE,
];

/// How messages name a binding's role: `ClusterRole "edit"`.
pub(crate) fn role_desc(b: &Binding) -> String {
    format!("{} {:?}", b.role_ref_kind, b.role_ref_name)
}
