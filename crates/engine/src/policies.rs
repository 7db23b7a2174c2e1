//! The team's own policies next to the built-in rules: conftest-style Rego modules, Gatekeeper
//! ConstraintTemplates with their constraints, and ValidatingAdmissionPolicies with their
//! bindings and parameter objects. `scan`, `rules`, `frameworks check` and `report` take the
//! same options (`--policy`, `--data`, `--namespace`, `--all-namespaces`, `--rego-version`) or
//! the configuration's `policies:` section.
//!
//! Each policy becomes a rule ([`RuleMeta`] with category `policy`) of the engine that loaded
//! it ([`crate::Catalogue`]), so its findings are selected, overridden, suppressed, excepted,
//! reported and mapped to frameworks exactly like a built-in rule's.

use std::collections::HashSet;

use kubecomply_core::diagnostic::Level;
use kubecomply_core::{CustomRule, Diagnostic, Finding, Inventory, Object, RuleMeta};
use kubecomply_loader::Limits;
use kubecomply_rego::{
    Gatekeeper, GatekeeperOptions, Namespaces, RegoOptions, RegoPolicies, RegoVersion,
};

use crate::settings::PolicySettings;
use crate::{Error, Result};

/// The loaded policies, compiled once. A value like any other: a process may load a new set
/// and drop the old one (policies reload without a restart).
pub struct Policies {
    rego: RegoPolicies,
    gatekeeper: Gatekeeper,
    vap: kubecomply_cel::VapSet,
    /// Objects of the policy files other than policies (parameters, namespaces), for the
    /// ValidatingAdmissionPolicy bindings' `paramRef`.
    extra: Inventory,
    /// The policy files' paths, whose objects are never subjects.
    files: HashSet<String>,
    /// The rules the policies define.
    pub rules: Vec<CustomRule>,
    /// Each rule's documentation (its description and where it is defined).
    docs: Vec<String>,
    /// sha256 over the policy files (path order), for reports.
    pub digest: Option<String>,
}

impl Policies {
    /// Loads the policies the options and the configuration name; `None` when there are
    /// none. Every problem is a diagnostic (with file, line and column where known).
    pub fn load(
        settings: &PolicySettings,
        builtin: &[&RuleMeta<'_>],
        limits: &Limits,
        determinism: kubecomply_rego::Determinism,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Result<Option<Policies>> {
        let paths = settings.paths.clone();
        if paths.is_empty() {
            return Ok(None);
        }
        let data = settings.data.clone();
        let version_name = settings.rego_version.as_deref().unwrap_or("v1");
        let version = RegoVersion::parse(version_name)
            .ok_or_else(|| Error::new("--rego-version must be v0 or v1"))?;
        if let Some(bytes) = settings.memory_limit {
            // Still process-wide: regorus' interpreter checks one ceiling for the process
            // (crates/rego/src/memory.rs).
            kubecomply_rego::set_memory_limit(bytes);
        }
        let packages = settings.namespaces.clone();
        let namespaces = if settings.all_namespaces {
            Namespaces::All
        } else if packages.is_empty() {
            Namespaces::Main
        } else {
            Namespaces::Only(packages)
        };
        let digest = kubecomply_rego::repository_digest(&paths, limits)
            .ok()
            .map(|hex| format!("sha256:{hex}"));

        let (rego, d) = RegoPolicies::load(&RegoOptions {
            policy_paths: paths.clone(),
            data_paths: data,
            namespaces,
            version,
            limits: *limits,
            determinism,
            run_budget: settings
                .deadline
                .unwrap_or(kubecomply_rego::DEFAULT_RUN_BUDGET),
            ..RegoOptions::default()
        });
        diagnostics.extend(d);

        // Manifests among the policy files: templates, constraints, admission policies,
        // bindings and their parameters.
        let (found, errors) =
            kubecomply_rego::files::walk(&paths, &kubecomply_rego::files::is_manifest);
        for (p, e) in errors {
            diagnostics.push(Diagnostic::file(
                Level::Error,
                &p.display().to_string(),
                format!("cannot read: {e}"),
            ));
        }
        let mut objects = Vec::new();
        let mut files = HashSet::new();
        for p in found {
            match kubecomply_loader::files::read_file(&p, limits) {
                Ok(src) => {
                    files.insert(src.path.to_string());
                    let l = kubecomply_loader::load(src, limits);
                    diagnostics
                        .extend(l.diagnostics.into_iter().filter(|d| d.level != Level::Note));
                    objects.extend(l.objects);
                }
                Err(d) => diagnostics.push(d),
            }
        }
        let (gatekeeper, d) = Gatekeeper::from_objects(
            &objects,
            &GatekeeperOptions {
                limits: *limits,
                determinism,
                run_budget: settings
                    .deadline
                    .unwrap_or(kubecomply_rego::DEFAULT_RUN_BUDGET),
                ..GatekeeperOptions::default()
            },
        );
        diagnostics.extend(d);
        let refs: Vec<&Object> = objects.iter().collect();
        let (vap, d) = kubecomply_cel::VapSet::new(&refs);
        diagnostics.extend(d);
        let is_policy = |o: &Object| {
            kubecomply_rego::gatekeeper::is_template(o)
                || kubecomply_rego::gatekeeper::is_constraint(o)
                || (o.group() == "admissionregistration.k8s.io"
                    && o.kind.starts_with("ValidatingAdmissionPolicy"))
        };
        let extra = Inventory::new(objects.into_iter().filter(|o| !is_policy(o)).collect());

        let mut rules = rego.rules();
        rules.extend(gatekeeper.rules());
        rules.extend(vap.rules());
        // A policy may not take a built-in rule's code, nor another policy's.
        let mut seen: HashSet<String> = builtin
            .iter()
            .map(|m| m.code.to_ascii_uppercase())
            .collect();
        rules.retain(|r| {
            let valid = kubecomply_core::rule::valid_code(&r.code);
            if !valid {
                diagnostics.push(Diagnostic::file(
                    Level::Error,
                    &r.source,
                    format!(
                        "rule code {:?} must be letters, digits and . _ : - (starting with a letter or digit); this policy is skipped",
                        r.code
                    ),
                ));
                return false;
            }
            if seen.insert(r.code.to_ascii_uppercase()) {
                true
            } else {
                diagnostics.push(Diagnostic::file(
                    Level::Error,
                    &r.source,
                    format!(
                        "rule code {} is already taken (by a built-in rule or another policy); this policy is skipped",
                        r.code
                    ),
                ));
                false
            }
        });
        let docs = rules.iter().map(docs_of).collect();
        Ok(Some(Policies {
            rego,
            gatekeeper,
            vap,
            extra,
            files,
            rules,
            docs,
            digest,
        }))
    }

    /// The policies' rules, as rule metadata borrowed from this set.
    pub fn metas(&self) -> Vec<RuleMeta<'_>> {
        self.rules
            .iter()
            .zip(&self.docs)
            .map(|(r, docs)| RuleMeta {
                code: &r.code,
                slug: &r.slug,
                title: &r.title,
                severity: r.severity,
                category: kubecomply_core::Category::Policy,
                since: "policy",
                docs,
                references: &[],
            })
            .collect()
    }

    /// Evaluates every policy on the inventory: failures (and errors) only.
    pub fn evaluate(&self, inventory: &Inventory) -> Vec<Finding> {
        let keep: HashSet<&str> = self.rules.iter().map(|r| r.code.as_str()).collect();
        let mut findings = self.rego.evaluate(inventory);
        findings.extend(self.gatekeeper.evaluate(inventory));
        if !self.vap.is_empty() {
            if self.extra.is_empty() {
                findings.extend(self.vap.evaluate(inventory));
            } else {
                // Parameters and namespaces from the policy files are looked up beside the
                // inputs (no copy of the inputs); the policy files' own objects are not
                // subjects.
                findings.extend(
                    self.vap
                        .evaluate_with(inventory, &[&self.extra])
                        .into_iter()
                        .filter(|f| self.not_a_policy_file(f)),
                );
            }
        }
        findings.retain(|f| keep.contains(&*f.rule));
        findings
    }

    fn not_a_policy_file(&self, f: &Finding) -> bool {
        f.location
            .origin
            .as_ref()
            .is_none_or(|o| !self.files.contains(&*o.source.path))
    }

    /// Prepares evaluation of single objects against `view` (the cluster as it is): the
    /// Gatekeeper templates get `data.inventory` from it. Linear in the view; done once per
    /// version of the view, then [`Policies::evaluate_object`] costs what the policies cost.
    pub fn prepare(&self, view: &Inventory) -> PreparedPolicies {
        PreparedPolicies {
            rego: self.rego.worker(),
            gatekeeper: self
                .gatekeeper
                .prepare(view.objects.iter().map(|o| &o.value))
                .into_parts(),
        }
    }

    /// Every policy on one object (an admission request, a changed object of a watch), with
    /// state from [`Policies::prepare`] on `view`: failures (and errors) only.
    pub fn evaluate_object(
        &self,
        prepared: &mut PreparedPolicies,
        view: &Inventory,
        object: &Object,
    ) -> Vec<Finding> {
        let keep = |f: &Finding| self.rules.iter().any(|r| r.code == *f.rule);
        // Rego and CEL on two cores: one request's latency is what an admission webhook is
        // measured by.
        let mut rego = || {
            let mut findings = self.rego.evaluate_object(&mut prepared.rego, object);
            if !self.gatekeeper.constraints.is_empty() {
                let parts = std::mem::replace(&mut prepared.gatekeeper, self.empty_parts());
                let mut gk = self.gatekeeper.resume(parts);
                findings.extend(gk.findings(object));
                prepared.gatekeeper = gk.into_parts();
            }
            findings
        };
        let cel = || {
            if self.vap.is_empty() {
                return Vec::new();
            }
            let world = kubecomply_cel::vap::World::new(&[view, &self.extra]);
            let subject = self.vap.evaluate_object(object, &world);
            if self.extra.is_empty() {
                subject
            } else {
                subject
                    .into_iter()
                    .filter(|f| self.not_a_policy_file(f))
                    .collect()
            }
        };
        let (mut findings, cel) = if self.vap.is_empty() {
            (rego(), Vec::new())
        } else {
            rayon::join(rego, cel)
        };
        findings.extend(cel);
        findings.retain(keep);
        findings
    }

    fn empty_parts(&self) -> kubecomply_rego::gatekeeper::PreparedParts {
        kubecomply_rego::gatekeeper::PreparedParts::default()
    }
}

/// The state [`Policies::evaluate_object`] keeps between objects: a Rego engine with the
/// modules and the Gatekeeper templates with `data.inventory` of one version of a view. One
/// per thread.
#[derive(Clone)]
pub struct PreparedPolicies {
    rego: kubecomply_rego::RegoWorker,
    gatekeeper: kubecomply_rego::gatekeeper::PreparedParts,
}

/// A policy rule's documentation: its description and where it is defined.
fn docs_of(r: &CustomRule) -> String {
    format!(
        "{}\n\nDefined by the team's {} policy in `{}`.",
        r.description.trim(),
        r.engine,
        r.source
    )
}
