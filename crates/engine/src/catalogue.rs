//! Every rule an engine knows, from every analyzer: the built-in rules (with the Pod Security
//! Standards checks), the RBAC review and the network policy review, and the rules of the
//! team's policies the engine loaded. `rules`, `scan`, evidence bundles and the generated docs
//! read this list.

use kubecomply_core::RuleMeta;

/// The rules of one engine: a value, not a process-wide registry, so two engines (or an
/// engine before and after a policy reload) each have their own.
#[derive(Clone, Debug)]
pub struct Catalogue<'a> {
    rules: Vec<RuleMeta<'a>>,
}

impl<'a> Catalogue<'a> {
    /// The built-in rules followed by `custom` (the rules of a policy set).
    pub fn new(custom: Vec<RuleMeta<'a>>) -> Catalogue<'a> {
        let mut rules: Vec<RuleMeta<'a>> = builtin().into_iter().cloned().collect();
        rules.extend(custom);
        Catalogue { rules }
    }

    /// Every rule: the built-in ones in code-table order, then the team's.
    pub fn all(&self) -> &[RuleMeta<'a>] {
        &self.rules
    }

    /// Finds a rule by code (case-insensitive) or slug.
    pub fn find(&self, name: &str) -> Option<&RuleMeta<'a>> {
        self.rules.iter().find(|m| m.is_named(name))
    }
}

/// The built-in rules of every analyzer, in code-table order.
pub fn builtin() -> Vec<&'static RuleMeta<'static>> {
    let mut metas: Vec<&'static RuleMeta<'static>> = kubecomply_checks::registry::all()
        .into_iter()
        .map(|r| &r.meta)
        .collect();
    metas.extend(kubecomply_rbac::RULES.iter());
    metas.extend(kubecomply_netpol::RULES.iter());
    metas
}
