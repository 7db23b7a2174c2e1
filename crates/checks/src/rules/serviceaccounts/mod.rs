//! Service accounts and their tokens.

use kubecomply_core::Value;
use kubecomply_core::pod::PodTemplate;
use kubecomply_core::value::Field;

use crate::rule::Rule;

pub mod default_service_account_automount;
pub mod default_service_account_used;
pub mod service_account_not_found;
pub mod service_account_token_automount;

/// The rules of this area, in code order.
pub static RULES: &[&Rule] = &[
    &service_account_token_automount::RULE,
    &default_service_account_used::RULE,
    &service_account_not_found::RULE,
    &default_service_account_automount::RULE,
];

/// The service account a pod template runs as.
pub(crate) struct PodServiceAccount {
    /// Its name (`default` when the template names none).
    pub name: String,
    /// The pointer of the field that names it, when one does.
    pub pointer: Option<String>,
}

/// Resolves the service account of a template: `serviceAccountName`, else the deprecated
/// `serviceAccount`, else `default`. Empty strings and wrong types count as unset.
pub(crate) fn service_account(t: &PodTemplate<'_>) -> PodServiceAccount {
    for field in ["serviceAccountName", "serviceAccount"] {
        if let Some(name) = t
            .spec
            .field(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
        {
            return PodServiceAccount {
                name: name.to_string(),
                pointer: Some(t.spec_path(&[field])),
            };
        }
    }
    PodServiceAccount {
        name: "default".to_string(),
        pointer: None,
    }
}
