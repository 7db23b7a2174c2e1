//! Every rule kubecomply knows, from every analyzer: the built-in rules (with the Pod Security
//! Standards checks), the RBAC review and the network policy review, and the team's policies. `rules`, `scan` and the generated docs use this list.

use kubecomply_core::RuleMeta;

/// All rule metadata: the built-in rules in code-table order, then the rules of the team's
/// policies loaded by this process (see `policies.rs`).
pub fn all() -> Vec<&'static RuleMeta> {
    let mut metas = builtin();
    metas.extend(crate::policies::registered().iter().copied());
    metas
}

/// The built-in rules, in code-table order.
pub fn builtin() -> Vec<&'static RuleMeta> {
    let mut metas: Vec<&'static RuleMeta> = kubecomply_checks::registry::all()
        .into_iter()
        .map(|r| &r.meta)
        .collect();
    metas.extend(kubecomply_rbac::RULES.iter());
    metas.extend(kubecomply_netpol::RULES.iter());
    metas
}

/// Finds a rule by code (case-insensitive) or slug.
pub fn find(name: &str) -> Option<&'static RuleMeta> {
    all()
        .into_iter()
        .find(|m| m.code.eq_ignore_ascii_case(name) || m.slug == name)
}
