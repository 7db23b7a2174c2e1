//! The team's own policies next to the built-in rules: conftest-style Rego modules, Gatekeeper
//! ConstraintTemplates with their constraints, and ValidatingAdmissionPolicies with their
//! bindings and parameter objects. `scan`, `rules`, `frameworks check` and `report` take the
//! same options (`--policy`, `--data`, `--namespace`, `--all-namespaces`, `--rego-version`) or
//! the configuration's `policies:` section.
//!
//! Each policy becomes a rule ([`RuleMeta`] with category `policy`) for the life of the process,
//! so its findings are selected, overridden, suppressed, excepted, reported and mapped to
//! frameworks exactly like a built-in rule's.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use kubecomply_core::diagnostic::Level;
use kubecomply_core::{CustomRule, Diagnostic, Finding, Inventory, Object, RuleMeta};
use kubecomply_loader::Limits;
use kubecomply_rego::{
    Gatekeeper, GatekeeperOptions, Namespaces, RegoOptions, RegoPolicies, RegoVersion,
};

use crate::config::PolicyConfig;

/// Command-line options naming the team's policies.
#[derive(clap::Args, Debug, Default, Clone)]
pub struct PolicySources {
    /// A policy file or directory (repeatable): `.rego` modules (conftest style), Gatekeeper
    /// ConstraintTemplates and constraints, ValidatingAdmissionPolicies with their bindings and
    /// parameter objects.
    #[arg(long = "policy", value_name = "PATH", global = true)]
    pub policy: Vec<PathBuf>,
    /// YAML or JSON merged into Rego's `data` (repeatable).
    #[arg(long = "data", value_name = "PATH", global = true)]
    pub data: Vec<PathBuf>,
    /// Rego packages whose `deny`, `violation` and `warn` rules run (repeatable; default `main`).
    #[arg(long = "namespace", value_name = "PACKAGE", global = true)]
    pub namespace: Vec<String>,
    /// Run the rules of every Rego package.
    #[arg(long, global = true)]
    pub all_namespaces: bool,
    /// Rego syntax of the modules: v1 (default) or v0 (before OPA 1.0).
    #[arg(long, value_name = "v0|v1", global = true)]
    pub rego_version: Option<String>,
    /// Memory ceiling of the Rego evaluations running at one time, e.g. `256Mi`, `1Gi`
    /// (default 256Mi; `0` turns it off). An evaluation that exceeds it is stopped and gives an
    /// `error` finding.
    #[arg(long, value_name = "SIZE", global = true, value_parser = parse_memory)]
    pub policy_memory_limit: Option<u64>,
}

/// Parses a memory size: `N` (MiB), `NMi`, `NGi`, `NKi`; bytes.
pub fn parse_memory(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "Mi"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}`: expected a size such as 256Mi or 1Gi"))?;
    let factor: u64 = match unit {
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        _ => return Err(format!("`{s}`: the unit must be Ki, Mi or Gi")),
    };
    n.checked_mul(factor)
        .ok_or_else(|| format!("`{s}`: too large"))
}

/// The loaded policies, compiled once.
pub struct Policies {
    rego: RegoPolicies,
    gatekeeper: Gatekeeper,
    vap: kubecomply_cel::VapSet,
    /// Objects of the policy files other than policies (parameters, namespaces), for the
    /// ValidatingAdmissionPolicy bindings' `paramRef`.
    extra: Vec<Object>,
    /// The policy files' paths, whose objects are never subjects.
    files: HashSet<String>,
    /// The rules the policies define.
    pub rules: Vec<CustomRule>,
    /// Their metadata as rules of this process.
    pub metas: Vec<&'static RuleMeta>,
    /// sha256 over the policy files (path order), for reports.
    pub digest: Option<String>,
}

static REGISTERED: OnceLock<Vec<&'static RuleMeta>> = OnceLock::new();

/// The rules defined by the policies loaded in this process (empty before loading).
pub fn registered() -> &'static [&'static RuleMeta] {
    REGISTERED.get().map_or(&[], Vec::as_slice)
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// Makes a custom rule a rule of this process. The strings live until the process ends, as
/// the built-in rules' do.
fn meta_of(r: &CustomRule) -> &'static RuleMeta {
    let docs = format!(
        "{}\n\nDefined by the team's {} policy in `{}`.",
        r.description.trim(),
        r.engine,
        r.source
    );
    Box::leak(Box::new(RuleMeta {
        code: leak(&r.code),
        slug: leak(&r.slug),
        title: leak(&r.title),
        severity: r.severity,
        category: kubecomply_core::Category::Policy,
        since: "policy",
        docs: leak(&docs),
        references: &[],
    }))
}

impl Policies {
    /// Loads the policies the options and the configuration name; `None` when there are
    /// none. Every problem is a diagnostic (with file, line and column where known).
    pub fn load(
        sources: &PolicySources,
        cfg: &PolicyConfig,
        limits: &Limits,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> anyhow::Result<Option<Policies>> {
        let mut paths = sources.policy.clone();
        paths.extend(cfg.paths.iter().cloned());
        if paths.is_empty() {
            return Ok(None);
        }
        let mut data = sources.data.clone();
        data.extend(cfg.data.iter().cloned());
        let version_name = sources
            .rego_version
            .clone()
            .or_else(|| cfg.rego_version.clone())
            .unwrap_or_else(|| "v1".into());
        let version = RegoVersion::parse(&version_name)
            .ok_or_else(|| anyhow::anyhow!("--rego-version must be v0 or v1"))?;
        if let Some(bytes) = sources.policy_memory_limit.or(cfg.memory_limit) {
            kubecomply_rego::set_memory_limit(bytes);
        }
        let mut packages = sources.namespace.clone();
        packages.extend(cfg.namespaces.iter().cloned());
        let namespaces = if sources.all_namespaces {
            Namespaces::All
        } else if packages.is_empty() {
            Namespaces::Main
        } else {
            Namespaces::Only(packages)
        };
        let digest = kubecomply_rego::repository_digest(&paths)
            .ok()
            .map(|hex| format!("sha256:{hex}"));

        let (rego, d) = RegoPolicies::load(&RegoOptions {
            policy_paths: paths.clone(),
            data_paths: data,
            namespaces,
            version,
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
            let input = kubecomply_loader::files::Input::File(p.clone());
            match kubecomply_loader::files::read(&input, limits) {
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
        let (gatekeeper, d) = Gatekeeper::from_objects(&objects, &GatekeeperOptions::default());
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
        let extra: Vec<Object> = objects.into_iter().filter(|o| !is_policy(o)).collect();

        let mut rules = rego.rules();
        rules.extend(gatekeeper.rules());
        rules.extend(vap.rules());
        // A policy may not take a built-in rule's code, nor another policy's.
        let mut seen: HashSet<String> = crate::catalogue::builtin()
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
        let metas: Vec<&'static RuleMeta> = rules.iter().map(meta_of).collect();
        let _ = REGISTERED.set(metas.clone());
        Ok(Some(Policies {
            rego,
            gatekeeper,
            vap,
            extra,
            files,
            rules,
            metas,
            digest,
        }))
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
                // inputs; the policy files' own objects are not subjects.
                let mut objects = inventory.objects.clone();
                objects.extend(self.extra.iter().cloned());
                let combined = Inventory::new(objects);
                findings.extend(self.vap.evaluate(&combined).into_iter().filter(|f| {
                    f.location
                        .origin
                        .as_ref()
                        .is_none_or(|o| !self.files.contains(&*o.source.path))
                }));
            }
        }
        findings.retain(|f| keep.contains(&*f.rule));
        findings
    }
}
