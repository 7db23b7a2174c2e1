//! Evaluation per object and per change: a [`ClusterView`] is the cluster as it is now (kept
//! current with [`ClusterView::upsert`] and [`ClusterView::remove`] as watch events arrive), and
//! [`Engine::evaluate_object`] answers for one object, an admission request or a changed object,
//! against it, without copying or re-indexing the view per call.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use kubecomply_checks::rule::NamespaceClasses;
use kubecomply_core::{Finding, Inventory, Object};

use crate::Engine;
use crate::policies::PreparedPolicies;

/// The objects of a cluster as it is now, with what per-object evaluations derive from them
/// (computed on first use after each change, shared by every evaluation until the next).
pub struct ClusterView {
    inventory: Inventory,
    /// Replaced on every change: engines key the state they prepared for this view by it.
    version: Arc<()>,
    namespace_classes: OnceLock<Arc<NamespaceClasses>>,
}

impl ClusterView {
    /// A view of these objects.
    pub fn new(inventory: Inventory) -> ClusterView {
        ClusterView {
            inventory,
            version: Arc::new(()),
            namespace_classes: OnceLock::new(),
        }
    }

    /// The objects.
    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// Adds or replaces an object (a watch's ADDED or MODIFIED event); returns the replaced one.
    pub fn upsert(&mut self, object: Object) -> Option<Object> {
        self.changed();
        self.inventory.upsert(object)
    }

    /// Removes an object (a watch's DELETED event); returns it.
    pub fn remove(&mut self, kind: &str, namespace: &str, name: &str) -> Option<Object> {
        self.changed();
        self.inventory.remove(kind, namespace, name)
    }

    fn changed(&mut self) {
        self.version = Arc::new(());
        self.namespace_classes = OnceLock::new();
    }

    fn namespace_classes(&self) -> Arc<NamespaceClasses> {
        Arc::clone(self.namespace_classes.get_or_init(|| {
            Arc::new(
                kubecomply_checks::rules::namespaces::mixed_data_classes::index(&self.inventory),
            )
        }))
    }
}

/// What an engine prepared for one version of one view: the team's policies with the view's
/// `data.inventory`, one copy per concurrent evaluation.
pub(crate) struct Prepared {
    version: Arc<()>,
    /// Ready copies; an evaluation takes one and puts it back.
    idle: Vec<PreparedPolicies>,
    /// Copied when every ready copy is in use.
    original: PreparedPolicies,
}

/// The engine's cache of [`Prepared`] state (the last view it evaluated against).
#[derive(Default)]
pub(crate) struct PreparedCache(Mutex<Option<Prepared>>);

impl PreparedCache {
    fn take(&self, engine: &Engine, view: &ClusterView) -> Option<PreparedPolicies> {
        let policies = engine.policies()?;
        let mut cache = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let current = cache
            .as_ref()
            .is_some_and(|p| Arc::ptr_eq(&p.version, &view.version));
        if !current {
            *cache = Some(Prepared {
                version: Arc::clone(&view.version),
                idle: Vec::new(),
                original: policies.prepare(view.inventory()),
            });
        }
        let p = cache.as_mut()?;
        Some(p.idle.pop().unwrap_or_else(|| p.original.clone()))
    }

    fn give_back(&self, view: &ClusterView, prepared: PreparedPolicies) {
        let mut cache = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(p) = cache.as_mut()
            && Arc::ptr_eq(&p.version, &view.version)
        {
            p.idle.push(prepared);
        }
    }
}

/// The kinds of objects whose changes can change a rule's findings on other objects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleReads {
    /// The rule's code.
    pub code: String,
    /// Kinds it reads besides the evaluated object; `*` for any kind (a whole-inventory
    /// analysis such as the RBAC and network reviews or Gatekeeper's `data.inventory`).
    pub kinds: Vec<String>,
}

impl Engine {
    /// The findings of the built-in rules and the team's policies on one object (which need
    /// not be in the view: an admission request), with the view for everything the rules look
    /// up (ServiceAccounts, LimitRanges, Namespaces, `data.inventory`, parameter objects).
    /// Rule selection, severity overrides, annotation suppressions and exceptions apply as in
    /// [`Engine::scan`]; failures and errors only. The cross-object reviews (RBAC, network
    /// policy) are whole-inventory analyses and are not run here: [`Engine::reads`] says when
    /// to run a scan again.
    ///
    /// State derived from the view (Gatekeeper's `data.inventory`, namespace data classes) is
    /// built on the first evaluation after a change of the view and reused until the next;
    /// evaluations may run in parallel.
    pub fn evaluate_object(&self, object: &Object, view: &ClusterView) -> Vec<Finding> {
        let inventory = view.inventory();
        let cx = self.rules.context(inventory);
        let _ = cx.namespace_classes.set(view.namespace_classes());
        let mut findings = self.rules.run_object_in(&cx, object, false).findings;
        // An invalid object is reported as such (above) and never evaluated further.
        if object.invalid.is_empty()
            && let Some(policies) = self.policies()
            && let Some(mut prepared) = self.prepared.take(self, view)
        {
            let found = policies.evaluate_object(&mut prepared, inventory, object);
            self.prepared.give_back(view, prepared);
            findings.extend(self.rules.adopt_for(found, object));
        }
        if object.origin.cluster.is_none() && !object.origin.source.text.is_empty() {
            // An object from a file: say where, as a scan does.
            let own = Inventory::new(vec![object.clone()]);
            kubecomply_loader::locate::resolve(&mut findings, &own);
        }
        crate::sort_findings(&mut findings);
        findings
    }

    /// For each rule this engine runs, the kinds of other objects it reads: when an object of
    /// such a kind changes, the objects the rule evaluates must be evaluated again (a watcher
    /// re-evaluates a namespace's workloads when its ServiceAccount changes, re-runs the
    /// network review when a NetworkPolicy changes).
    pub fn reads(&self) -> Vec<RuleReads> {
        let any = || vec!["*".to_string()];
        let mut out: Vec<RuleReads> = self
            .rules
            .rules()
            .iter()
            .map(|r| RuleReads {
                code: r.meta.code.to_string(),
                kinds: r.reads.iter().map(|k| k.to_string()).collect(),
            })
            .collect();
        // The reviews are computed from every workload, policy and binding.
        for m in kubecomply_rbac::RULES
            .iter()
            .chain(kubecomply_netpol::RULES.iter())
            .filter(|m| self.selects(m))
        {
            out.push(RuleReads {
                code: m.code.to_string(),
                kinds: any(),
            });
        }
        if let Some(p) = self.policies() {
            for r in p.rules.iter().filter(|r| self.selects(&meta_of(r))) {
                // Conftest-style modules see the object alone; Gatekeeper templates may read
                // `data.inventory`, admission policies their parameters and namespaces.
                let kinds = if r.engine == "rego" {
                    Vec::new()
                } else {
                    any()
                };
                out.push(RuleReads {
                    code: r.code.clone(),
                    kinds,
                });
            }
        }
        out
    }
}

fn meta_of(r: &kubecomply_core::CustomRule) -> kubecomply_core::RuleMeta<'_> {
    kubecomply_core::RuleMeta {
        code: &r.code,
        slug: &r.slug,
        title: &r.title,
        severity: r.severity,
        category: kubecomply_core::Category::Policy,
        since: "policy",
        docs: "",
        references: &[],
    }
}
