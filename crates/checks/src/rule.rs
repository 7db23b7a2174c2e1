//! The shape of a built-in rule.

use kubecomply_core::pod::Container;
use kubecomply_core::{Inventory, Object, RuleMeta};

use crate::params::Params;

/// Which objects a rule looks at. The engine records a pass for every targeted object the
/// rule does not fail, so reports show what was checked.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// Objects that embed at least one pod template (found generically).
    PodTemplates,
    /// Objects of these kinds.
    Kinds(&'static [&'static str]),
    /// Every object.
    All,
}

impl Target {
    /// Whether `object` is targeted.
    pub fn matches(&self, object: &Object) -> bool {
        match self {
            Target::PodTemplates => !object.pod_templates.is_empty(),
            Target::Kinds(kinds) => kinds.contains(&object.kind.as_str()),
            Target::All => true,
        }
    }
}

/// What a check sees besides the object: the whole inventory and the parameters.
pub struct Context<'a> {
    /// Every object of the evaluation (for cross-object rules).
    pub inventory: &'a Inventory,
    /// Configurable thresholds and lists.
    pub params: &'a Params,
    /// Per namespace, the data classes its workloads hold and which workloads hold each
    /// (computed on first use, for `KC-NS-003`; shared when a cluster view computed it).
    pub namespace_classes: std::sync::OnceLock<std::sync::Arc<NamespaceClasses>>,
}

/// Namespace → data class → names (`Kind/name`) of the workloads holding it, and the number of
/// workloads per namespace.
pub type NamespaceClasses =
    std::collections::HashMap<String, (std::collections::BTreeMap<String, Vec<String>>, usize)>;

/// One failed check, before it becomes a finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer of the offending field, relative to the object.
    pub pointer: String,
    /// Explanation for the user.
    pub message: String,
    /// The container concerned, if any.
    pub container: Option<String>,
    /// `true` when the object is invalid rather than non-compliant (status `error`).
    pub invalid: bool,
}

/// Collects the violations a check finds on one object.
#[derive(Debug, Default)]
pub struct Violations {
    /// What was found, in order.
    pub items: Vec<Violation>,
    /// The Pod Security evaluation of the current object, computed once for all PSS rules.
    pub(crate) pss_memo: crate::pss_rules::Memo,
}

impl Violations {
    /// Records a violation at `pointer`.
    pub fn fail(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.items.push(Violation {
            pointer: pointer.into(),
            message: message.into(),
            container: None,
            invalid: false,
        });
    }

    /// Records a violation about one container.
    pub fn fail_container(
        &mut self,
        container: &Container<'_>,
        pointer: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.items.push(Violation {
            pointer: pointer.into(),
            message: message.into(),
            container: Some(container.name.to_string()),
            invalid: false,
        });
    }

    /// Records that the object is invalid at `pointer` (reported with status `error`).
    pub fn invalid(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.items.push(Violation {
            pointer: pointer.into(),
            message: message.into(),
            container: None,
            invalid: true,
        });
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The check function of a rule.
pub type CheckFn = fn(&Context<'_>, &Object, &mut Violations);

/// A built-in rule: metadata, target and check, all in one file under `rules/`.
pub struct Rule {
    /// Metadata (code, slug, docs, references...).
    pub meta: RuleMeta<'static>,
    /// Objects it applies to.
    pub target: Target,
    /// The kinds of other objects the check reads (`*`: any kind), so a watcher knows which
    /// objects to evaluate again when an object of such a kind changes. Empty for checks that
    /// read the object alone.
    pub reads: &'static [&'static str],
    /// The check.
    pub check: CheckFn,
}
