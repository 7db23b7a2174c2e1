//! RBAC analysis with the exact semantics of the Kubernetes RBAC authorizer: effective
//! permissions, `who-can`, `can`, review findings about cross-object facts, and
//! privilege-escalation paths.
//!
//! The model ([`model::Policy`]) is the input's Roles, ClusterRoles, RoleBindings and
//! ClusterRoleBindings plus the bootstrap policy every cluster has ([`bootstrap`]), with
//! aggregated ClusterRoles resolved. [`authorizer::Authorizer`] indexes it for queries.

pub mod accounts;
pub mod authorizer;
pub mod bootstrap;
pub mod model;
pub mod paths;
pub mod review;
mod rules;
pub mod selector;
#[doc(hidden)]
pub mod work;

pub use accounts::Accounts;
pub use authorizer::{Authorizer, Grant, Permission, Request, Target};
pub use model::{Identity, ObjectKey, Policy, PolicyRule, Subject, SubjectKind};
pub use paths::{Path, RuleRef, Step};
pub use review::{RULES, review};

use kubecomply_core::Inventory;

/// Everything the queries need, built once from an inventory.
#[derive(Debug)]
pub struct Rbac {
    /// The indexed policy.
    pub authorizer: Authorizer,
    /// ServiceAccounts, workloads and token Secrets.
    pub accounts: Accounts,
}

impl Rbac {
    /// Builds the model and its indexes.
    pub fn new(inv: &Inventory) -> Rbac {
        let (authorizer, accounts) = rayon::join(
            || Authorizer::from_inventory(inv),
            || Accounts::from_inventory(inv),
        );
        Rbac {
            authorizer,
            accounts,
        }
    }

    /// Every subject allowed `verb` on `resource` (`RESOURCE[/SUB]`, or `/url` for a
    /// non-resource URL) in `namespace` (`None`: cluster scope), with the grants.
    pub fn who_can(
        &self,
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
        api_group: &str,
        name: Option<&str>,
    ) -> Vec<Grant> {
        self.authorizer
            .who_can(&Request::new(verb, resource, api_group, namespace, name))
    }

    /// Whether `subject` is allowed the request, with every grant that allows it.
    pub fn can(
        &self,
        subject: &Subject,
        verb: &str,
        resource: &str,
        namespace: Option<&str>,
        api_group: &str,
        name: Option<&str>,
    ) -> (bool, Vec<Grant>) {
        self.authorizer.can(
            &subject.identity(),
            &Request::new(verb, resource, api_group, namespace, name),
        )
    }

    /// The effective permission table of a subject.
    pub fn permissions(&self, subject: &Subject) -> Vec<Permission> {
        self.authorizer.permissions(&subject.identity())
    }

    /// Shortest escalation paths to cluster-admin-equivalent power.
    pub fn paths(&self, from: Option<&Subject>) -> Vec<Path> {
        paths::find_paths(&self.authorizer, &self.accounts, from)
    }
}

/// Shortest escalation path of each subject of the input's bindings (or of `from`).
pub fn paths(inv: &Inventory, from: Option<&Subject>) -> Vec<Path> {
    Rbac::new(inv).paths(from)
}
