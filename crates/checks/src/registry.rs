//! The code table: every built-in rule, in a fixed order. A code, once shipped, keeps its
//! meaning forever; `tests/registry.rs` snapshots the table so a rename or reuse fails CI.

use crate::rule::Rule;
use crate::rules;

/// Every built-in rule: Pod Security Standards checks first, then the areas.
pub fn all() -> Vec<&'static Rule> {
    let areas: [&[&'static Rule]; 12] = [
        crate::pss_rules::RULES,
        rules::host::RULES,
        rules::hardening::RULES,
        rules::images::RULES,
        rules::resources::RULES,
        rules::reliability::RULES,
        rules::secrets::RULES,
        rules::serviceaccounts::RULES,
        rules::rbac::RULES,
        rules::network::RULES,
        rules::namespaces::RULES,
        rules::general::RULES,
    ];
    areas.iter().flat_map(|a| a.iter().copied()).collect()
}

/// Finds a rule by code (case-insensitive) or slug.
pub fn find(name: &str) -> Option<&'static Rule> {
    all().into_iter().find(|r| r.meta.is_named(name))
}
