//! `kubecomply frameworks`: the compliance framework catalogues, and checking one on inputs.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use kubecomply_core::diagnostic::Level;
use kubecomply_core::json;
use kubecomply_core::{Finding, Location, Status};
use kubecomply_frameworks::{
    Assessment, Framework, FrameworkResult, RequirementResult, RequirementStatus,
};

/// Arguments of `frameworks`.
#[derive(Args, Debug)]
pub struct FrameworksArgs {
    #[command(subcommand)]
    command: Option<FrameworksCommand>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table, global = true)]
    format: ListFormat,
    /// A custom framework file (YAML, may `extends` a built-in one); repeatable.
    #[arg(long = "framework-file", value_name = "FILE", global = true)]
    framework_files: Vec<PathBuf>,
    /// The team's own policies: run by `check`, and mapped into the frameworks their metadata
    /// names.
    #[command(flatten)]
    policies: crate::policies::PolicySources,
}

/// `--scope`: which resources a framework with a data class evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ScopeArg {
    /// Every scanned resource, whatever data class it holds.
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

#[derive(Subcommand, Debug)]
enum FrameworksCommand {
    /// Print a framework's requirement tree with assessments and mapped rules.
    Show {
        /// Framework id (see `kubecomply frameworks`).
        id: String,
    },
    /// Scan inputs and evaluate a framework on the findings (exit 1 if a requirement fails).
    Check {
        /// Framework id (see `kubecomply frameworks`).
        id: String,
        /// Files, directories, or `-` for standard input.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// `all`: evaluate every resource, not only those holding the framework's data class.
        #[arg(long, value_enum)]
        scope: Option<ScopeArg>,
    },
}

/// Runs `frameworks`.
pub fn run(a: FrameworksArgs) -> anyhow::Result<u8> {
    let cfg = match crate::config::discover() {
        Some(p) => crate::config::load(&p)?,
        None => crate::config::Config::default(),
    };
    let mut files = cfg.framework_files.clone();
    files.extend(a.framework_files.iter().cloned());
    let mut frameworks = load(&files)?;
    match a.command {
        None => list(&frameworks, a.format),
        Some(FrameworksCommand::Show { id }) => {
            let mut diagnostics = Vec::new();
            if let Some(p) = crate::policies::Policies::load(
                &a.policies,
                &cfg.policies,
                &kubecomply_loader::Limits::default(),
                &mut diagnostics,
            )? {
                map_policies(&mut frameworks, &p.rules);
            }
            for d in &diagnostics {
                eprintln!("{}", d.render());
            }
            show(find(&frameworks, &id)?, a.format)
        }
        Some(FrameworksCommand::Check { id, inputs, scope }) => {
            let settings = ScanSettings {
                policies: a.policies.clone(),
                ..ScanSettings::default()
            };
            let scanned = scan_for_frameworks(&inputs, &settings)?;
            map_policies(&mut frameworks, &scanned.custom);
            let f = find(&frameworks, &id)?;
            warn_unknown_codes(f);
            check(f, &inputs, scanned, scope == Some(ScopeArg::All), a.format)
        }
    }
}

/// The built-in frameworks followed by the custom ones.
pub(crate) fn load(files: &[PathBuf]) -> anyhow::Result<Vec<Framework>> {
    let joined = |errors: Vec<kubecomply_frameworks::FrameworkError>| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        anyhow::anyhow!("{}", lines.join("\n"))
    };
    let mut all = kubecomply_frameworks::builtins().map_err(joined)?;
    for path in files {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("{name}: cannot read: {e}"))?;
        let def = kubecomply_frameworks::parse(&text, &name).map_err(joined)?;
        if all.iter().any(|f| f.id == def.framework.id) {
            anyhow::bail!(
                "{name}: a framework with id {:?} already exists",
                def.framework.id
            );
        }
        let fw = kubecomply_frameworks::resolve(def, &all)?;
        all.push(fw);
    }
    Ok(all)
}

pub(crate) fn find<'a>(frameworks: &'a [Framework], id: &str) -> anyhow::Result<&'a Framework> {
    frameworks
        .iter()
        .find(|f| f.id.eq_ignore_ascii_case(id))
        .ok_or_else(|| anyhow::anyhow!("no framework named {id:?} (see `kubecomply frameworks`)"))
}

fn list(frameworks: &[Framework], format: ListFormat) -> anyhow::Result<u8> {
    match format {
        ListFormat::Json => {
            let list: Vec<_> = frameworks
                .iter()
                .map(|f| {
                    let [a, p, m] = f.counts_by_assessment();
                    json!({
                        "id": f.id,
                        "name": f.name,
                        "version": f.version,
                        "description": f.description,
                        "appliesTo": f.applies_to,
                        "extends": f.extends,
                        "requirements": a + p + m,
                        "byAssessment": {"automated": a, "partial": p, "manual": m},
                    })
                })
                .collect();
            let doc = json!({"schemaVersion": "1.0", "frameworks": list});
            crate::emit(None, &format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        }
        ListFormat::Table => {
            let mut s = format!(
                "{:<16} {:<40} {:<22} {:>5} {:>9} {:>7} {:>6}\n",
                "ID", "NAME", "VERSION", "REQS", "AUTOMATED", "PARTIAL", "MANUAL"
            );
            for f in frameworks {
                let [a, p, m] = f.counts_by_assessment();
                s.push_str(&format!(
                    "{:<16} {:<40} {:<22} {:>5} {:>9} {:>7} {:>6}\n",
                    f.id,
                    f.name,
                    f.version,
                    a + p + m,
                    a,
                    p,
                    m
                ));
            }
            s.push_str(&format!("{} frameworks\n", frameworks.len()));
            crate::emit(None, &s)?;
        }
    }
    Ok(0)
}

fn show(f: &Framework, format: ListFormat) -> anyhow::Result<u8> {
    if format == ListFormat::Json {
        let doc = json!({"schemaVersion": "1.0", "framework": f});
        crate::emit(None, &format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        return Ok(0);
    }
    let mut s = format!("{} {} ({})\n{}\n", f.name, f.version, f.id, f.description);
    if let Some(c) = f.applies_to {
        s.push_str(&format!("Applies to data class: {}\n", c.as_str()));
    }
    if let Some(b) = &f.extends {
        s.push_str(&format!("Extends: {b}\n"));
    }
    s.push('\n');
    for (r, depth) in f.all_requirements() {
        let indent = "  ".repeat(depth);
        match r.assessment {
            None => s.push_str(&format!("{indent}{} {}\n", r.id, r.title)),
            Some(a) => {
                s.push_str(&format!("{indent}{} {} [{}]\n", r.id, r.title, a.as_str()));
                if !r.rules.is_empty() {
                    s.push_str(&format!("{indent}    rules: {}\n", r.rules.join(", ")));
                }
                if !r.planned_rules.is_empty() {
                    s.push_str(&format!(
                        "{indent}    planned: {}\n",
                        r.planned_rules.join(", ")
                    ));
                }
                if !r.needs.is_empty() {
                    let needs: Vec<&str> = r.needs.iter().map(|n| n.as_str()).collect();
                    s.push_str(&format!("{indent}    needs: {}\n", needs.join(", ")));
                }
            }
        }
    }
    let [a, p, m] = f.counts_by_assessment();
    s.push_str(&format!(
        "\n{} requirements: {a} {}, {p} {}, {m} {}\n",
        a + p + m,
        Assessment::Automated.as_str(),
        Assessment::Partial.as_str(),
        Assessment::Manual.as_str()
    ));
    crate::emit(None, &s)?;
    Ok(0)
}

/// What a scan gives the frameworks: findings (passes included) and the rules that ran.
pub(crate) struct Scanned {
    /// Every finding, located.
    pub findings: Vec<Finding>,
    /// Codes of the rules that ran.
    pub known: Vec<String>,
    /// Number of input files read.
    pub files: usize,
    /// Number of objects loaded.
    pub objects: usize,
    /// Whether some input could not be read or parsed (reported on standard error).
    pub input_errors: bool,
    /// The rules of the team's policies that ran.
    pub custom: Vec<kubecomply_core::CustomRule>,
    /// Every input resource with the data classes it holds (for framework scope).
    pub resources: Vec<kubecomply_frameworks::scope::Resource>,
    /// Digest of the team's policy files, if any.
    pub policy_digest: Option<String>,
    /// The objects scanned.
    pub inventory: kubecomply_core::Inventory,
    /// The sha256 of every input file (with [`ScanSettings::hash_inputs`]).
    pub input_digests: Vec<crate::evidence::FileDigest>,
}

/// Optional scan settings shared by `frameworks check` and `report`.
#[derive(Debug, Default)]
pub(crate) struct ScanSettings {
    /// Configuration file (rule selection, overrides, parameters, exceptions file).
    pub config: Option<PathBuf>,
    /// Exceptions file (overrides the configuration's).
    pub exceptions: Option<PathBuf>,
    /// The team's own policies.
    pub policies: crate::policies::PolicySources,
    /// Hash every input as it is read (evidence bundles).
    pub hash_inputs: bool,
}

/// Scans the inputs with the built-in rules and the RBAC review, for framework evaluation.
pub(crate) fn scan_for_frameworks(
    inputs: &[String],
    settings: &ScanSettings,
) -> anyhow::Result<Scanned> {
    let cfg = match &settings.config {
        Some(p) => crate::config::load(p)?,
        None => crate::config::Config::default(),
    };
    let mut limits = kubecomply_loader::Limits::default();
    if let Some(m) = cfg.max_file_size_mib {
        limits.max_file_size = m.saturating_mul(1024 * 1024);
    }
    let loaded = if settings.hash_inputs {
        crate::scan::load_inputs_hashed(inputs, &limits, true)
    } else {
        crate::scan::load_inputs(inputs, &limits, true)
    };
    scan_loaded(loaded, &cfg, &limits, settings)
}

/// Evaluates loaded inputs as [`scan_for_frameworks`] does (`evidence verify --rescan` loads
/// them from a bundle).
pub(crate) fn scan_loaded(
    loaded: crate::scan::Loaded,
    cfg: &crate::config::Config,
    limits: &kubecomply_loader::Limits,
    settings: &ScanSettings,
) -> anyhow::Result<Scanned> {
    let limits = *limits;
    let mut diagnostics = loaded.diagnostics;
    let policies = crate::policies::Policies::load(
        &settings.policies,
        &cfg.policies,
        &limits,
        &mut diagnostics,
    )?;
    let mut options = crate::scan::engine_options(
        cfg,
        cfg.only.clone(),
        cfg.skip.clone(),
        settings.exceptions.clone(),
        &limits,
        &mut diagnostics,
    )?;
    options.include_passes = true;
    let mut input_errors = false;
    for d in &diagnostics {
        if d.level == Level::Error {
            input_errors = true;
            eprintln!("{}", d.render());
        }
    }
    let rules = kubecomply_checks::registry::all();
    let engine = kubecomply_checks::Engine::new(&rules, options);
    let mut findings = engine.run(&loaded.inventory).findings;
    let rbac = engine.adopt(
        kubecomply_rbac::review(&loaded.inventory),
        &loaded.inventory,
    );
    let named = |list: &[String], m: &kubecomply_core::RuleMeta| {
        list.iter()
            .any(|s| s.eq_ignore_ascii_case(m.code) || s == m.slug)
    };
    let select =
        |rules: &'static [kubecomply_core::RuleMeta]| -> Vec<&'static kubecomply_core::RuleMeta> {
            rules
                .iter()
                .filter(|m| (cfg.only.is_empty() || named(&cfg.only, m)) && !named(&cfg.skip, m))
                .collect()
        };
    // The RBAC and network policy reviews report failures only: a selected rule with no
    // failure on an inventory it applies to gets one cluster-level pass, so its requirements
    // are not "not applicable".
    let rbac_rules = select(kubecomply_rbac::RULES);
    let has_rbac = ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]
        .iter()
        .any(|k| loaded.inventory.has_kind(k));
    add_review(&mut findings, rbac, &rbac_rules, has_rbac, "RBAC review");
    let netpol_rules = select(kubecomply_netpol::RULES);
    let model = kubecomply_netpol::Model::new(&loaded.inventory);
    // Declared cross-class flows (`segmentation:` in the configuration), as in `netpol review`.
    let segmentation = match &cfg.segmentation {
        Some(p) => crate::netpol_cmd::load_segmentation(&p.to_string_lossy())
            .map_err(|e| anyhow::anyhow!(e))?,
        None => kubecomply_netpol::Segmentation::default(),
    };
    let netpol = engine.adopt(
        kubecomply_netpol::review_with(&loaded.inventory, &model, &segmentation),
        &loaded.inventory,
    );
    let has_workloads = !model.workloads.is_empty();
    add_review(
        &mut findings,
        netpol,
        &netpol_rules,
        has_workloads,
        "network policy review",
    );
    // The team's policies report failures only, like the reviews.
    let mut policy_rules = Vec::new();
    if let Some(p) = &policies {
        policy_rules = p
            .metas
            .iter()
            .copied()
            .filter(|m| (cfg.only.is_empty() || named(&cfg.only, m)) && !named(&cfg.skip, m))
            .collect();
        let failures = engine.adopt(p.evaluate(&loaded.inventory), &loaded.inventory);
        add_review(&mut findings, failures, &policy_rules, true, "team policy");
    }
    kubecomply_loader::locate::resolve(&mut findings, &loaded.inventory);
    let mut known: Vec<String> = engine
        .rules()
        .iter()
        .map(|r| r.meta.code.to_string())
        .collect();
    known.extend(rbac_rules.iter().map(|m| m.code.to_string()));
    known.extend(netpol_rules.iter().map(|m| m.code.to_string()));
    known.extend(policy_rules.iter().map(|m| m.code.to_string()));
    let (custom, policy_digest) = match policies {
        Some(p) => (p.rules, p.digest),
        None => (Vec::new(), None),
    };
    let resources = data_classes(&loaded.inventory);
    Ok(Scanned {
        findings,
        known,
        files: loaded.files,
        objects: loaded.inventory.len(),
        input_errors,
        custom,
        policy_digest,
        resources,
        inventory: loaded.inventory,
        input_digests: loaded.digests,
    })
}

/// The data classes each input resource holds (see `kubecomply_core::dataclass`).
pub(crate) fn data_classes(
    inventory: &kubecomply_core::Inventory,
) -> Vec<kubecomply_frameworks::scope::Resource> {
    inventory
        .objects
        .iter()
        .map(|o| kubecomply_frameworks::scope::Resource {
            kind: o.kind.clone(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
            classes: kubecomply_core::dataclass::held(o, inventory),
        })
        .collect()
}

/// Warns about rule codes a framework names that no built-in rule or loaded policy has (a typo
/// in a custom framework, or a policy not given with `--policy`): such requirements can only be
/// "not assessed".
pub(crate) fn warn_unknown_codes(f: &Framework) {
    let known: std::collections::HashSet<&str> =
        crate::catalogue::all().iter().map(|m| m.code).collect();
    for (r, _) in f.all_requirements() {
        for code in &r.rules {
            if !known.contains(code.as_str()) {
                eprintln!(
                    "warning: framework {} requirement {} names rule {code}, which no built-in rule or loaded policy has",
                    f.id, r.id
                );
            }
        }
    }
}

/// Maps the team's policies into the frameworks their metadata names
/// (`frameworks: ["pci-dss:2.2.1"]`); a name that matches nothing is a warning.
pub(crate) fn map_policies(frameworks: &mut [Framework], custom: &[kubecomply_core::CustomRule]) {
    for r in custom {
        for target in &r.frameworks {
            let result = match frameworks
                .iter_mut()
                .find(|f| f.id.eq_ignore_ascii_case(&target.framework))
            {
                Some(f) => f.map_rule(&target.requirement, &r.code),
                None => Err(format!("no framework named {:?}", target.framework)),
            };
            if let Err(e) = result {
                eprintln!("{}: warning: rule {}: {e}", r.source, r.code);
            }
        }
    }
}

/// Adds the failures of a review limited to the selected rules, and one cluster-level pass for
/// each selected rule without failure when the review applies to the inventory.
fn add_review(
    findings: &mut Vec<Finding>,
    failures: Vec<Finding>,
    selected: &[&'static kubecomply_core::RuleMeta],
    applies: bool,
    what: &str,
) {
    if applies {
        for m in selected {
            if !failures.iter().any(|x| x.rule == m.code) {
                findings.push(Finding {
                    rule: m.code.into(),
                    slug: m.slug.into(),
                    status: Status::Pass,
                    severity: m.severity,
                    resource: None,
                    container: None,
                    message: format!("no violation found by the {what}"),
                    location: Location::at(
                        &format!("<{}>", what.to_lowercase().replace(' ', "-")),
                        0,
                        0,
                    ),
                    exception: None,
                });
            }
        }
    }
    findings.extend(
        failures
            .into_iter()
            .filter(|x| selected.iter().any(|m| x.rule == m.code)),
    );
}

fn check(
    f: &Framework,
    inputs: &[String],
    scanned: Scanned,
    all: bool,
    format: ListFormat,
) -> anyhow::Result<u8> {
    let scope = kubecomply_frameworks::scope::select(f, &scanned.resources, all);
    let findings = kubecomply_frameworks::scope::filter(&scope, &scanned.findings);
    let known: Vec<&str> = scanned.known.iter().map(String::as_str).collect();
    let result = kubecomply_frameworks::evaluate(f, &findings, &known);
    let input_errors = scanned.input_errors;
    match format {
        ListFormat::Json => {
            let doc = json!({
                "schemaVersion": "1.0",
                "inputs": inputs,
                "files": scanned.files,
                "objects": scanned.objects,
                "policyDigest": scanned.policy_digest,
                "scope": scope.description,
                "inScope": scope.resources,
                "result": result,
            });
            crate::emit(None, &format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        }
        ListFormat::Table => crate::emit(None, &table(&result))?,
    }
    Ok(if input_errors {
        2
    } else if result.has_failures() {
        1
    } else {
        0
    })
}

fn table(r: &FrameworkResult) -> String {
    fn row(s: &mut String, r: &RequirementResult, depth: usize) {
        let indent = "  ".repeat(depth);
        s.push_str(&format!(
            "{:<15} {indent}{} {}\n",
            r.status.as_str().to_uppercase(),
            r.id,
            r.title
        ));
        for f in &r.failed {
            let what = f.resource.as_ref().map_or_else(String::new, |o| {
                let ns = o
                    .namespace
                    .as_deref()
                    .map_or(String::new(), |n| format!("{n}/"));
                format!(" {}/{ns}{}", o.kind, o.name)
            });
            s.push_str(&format!(
                "{:<15} {indent}  ✗ {} {}{what} {}\n",
                "", f.rule, f.location, f.message
            ));
        }
        for f in &r.excepted {
            s.push_str(&format!(
                "{:<15} {indent}  ~ {} {} excepted: {}\n",
                "",
                f.rule,
                f.location,
                f.exception.as_deref().unwrap_or_default()
            ));
        }
        if r.status == RequirementStatus::NotAssessed && !r.planned_rules.is_empty() {
            let needs: Vec<&str> = r.needs.iter().map(|n| n.as_str()).collect();
            s.push_str(&format!(
                "{:<15} {indent}  no evidence source yet (planned {}{})\n",
                "",
                r.planned_rules.join(", "),
                if needs.is_empty() {
                    String::new()
                } else {
                    format!("; needs {}", needs.join(", "))
                }
            ));
        }
        for c in &r.requirements {
            row(s, c, depth + 1);
        }
    }
    let mut s = format!("{} {} ({})\n\n", r.name, r.version, r.id);
    for q in &r.requirements {
        row(&mut s, q, 0);
    }
    s.push('\n');
    let counts: Vec<String> = RequirementStatus::ALL
        .iter()
        .map(|st| format!("{} {}", r.counts.get(st).copied().unwrap_or(0), st.as_str()))
        .collect();
    s.push_str(&format!("Requirements: {}\n", counts.join(", ")));
    let sev: Vec<String> = r
        .failed_by_severity
        .iter()
        .rev()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    if !sev.is_empty() {
        s.push_str(&format!("Failed findings: {}\n", sev.join(", ")));
    }
    match r.score {
        Some(score) => s.push_str(&format!(
            "Score: {score:.1}% (passing / assessed requirements)\n"
        )),
        None => s.push_str("Score: n/a (no requirement could be assessed)\n"),
    }
    s
}
