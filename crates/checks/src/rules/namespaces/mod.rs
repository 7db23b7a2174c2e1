//! Namespaces and tenancy.

use crate::rule::Rule;

pub mod default_namespace;
pub mod mixed_data_classes;
pub mod namespace_without_pod_security;

/// The rules of this area, in code order.
pub static RULES: &[&Rule] = &[
    &default_namespace::RULE,
    &namespace_without_pod_security::RULE,
    &mixed_data_classes::RULE,
];
