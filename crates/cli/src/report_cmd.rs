//! `kubecomply report`: scan inputs, evaluate compliance frameworks, write an audit report.
//!
//! Exit status: 2 on input errors (unreadable or invalid inputs, configuration, attestations
//! or framework files, unknown framework ids); otherwise 1 when a framework violates the
//! thresholds — its score is below `--min-score`, or it has more failed findings at a severity
//! or above than a `--max-failed SEVERITY=N` limit allows; without any threshold, when any
//! requirement fails — and 0 when none does. With thresholds given, failing requirements alone
//! do not decide the exit status (`--min-score 0` accepts any result). A Calico
//! `cis-benchmark` definition adds its band: LOW exits with status 1, and without thresholds
//! the band alone decides.
//!
//! `--evidence DIR` also writes an evidence bundle (`evidence.rs`); `--definition FILE` reads a
//! report definition (`definition.rs`) whose values the flags given here replace.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use kubecomply_core::Severity;
use kubecomply_core::diagnostic::Level;
use kubecomply_engine::ReportRequest;
use kubecomply_engine::definition::{DefinitionKind, ReportDefinition};
use kubecomply_report::compliance::policy_report::Flavour;
use kubecomply_report::compliance::{Report, Thresholds};

/// The report in one format.
fn render(report: &Report<'_>, format: ReportFormat) -> anyhow::Result<String> {
    Ok(match format {
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report.to_json())?),
        ReportFormat::Markdown => report.to_markdown(),
        ReportFormat::Html => report.to_html()?,
        ReportFormat::Csv => report.to_csv(),
        ReportFormat::Openreports => report.to_policy_reports(Flavour::OpenReports),
        ReportFormat::Policyreport => report.to_policy_reports(Flavour::PolicyReport),
        ReportFormat::Oscal => format!("{}\n", serde_json::to_string_pretty(&report.to_oscal())?),
    })
}

/// Arguments of `report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(required_unless_present = "definition")]
    pub paths: Vec<String>,
    /// Framework ids (comma-separated or repeated; see `kubecomply frameworks`).
    #[arg(
        long = "framework",
        required_unless_present = "definition",
        value_delimiter = ','
    )]
    pub frameworks: Vec<String>,
    /// Report format (default json).
    #[arg(long, short = 'f', value_enum)]
    pub format: Option<ReportFormat>,
    /// Write the report to this file instead of standard output (with `--definition`: the
    /// directory for its report files).
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// A report definition (kubecomply.io/v1alpha1 ComplianceReport, or Calico's
    /// projectcalico.org/v3 GlobalReport); flags given here override it (see docs/evidence.md).
    #[arg(long, value_name = "FILE")]
    pub definition: Option<PathBuf>,
    /// Also write an evidence bundle (reports, normalised inputs, hashes, manifest) to DIR:
    /// a new or empty directory, or a previous bundle with --force.
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// Replace the previous evidence bundle in the --evidence directory.
    #[arg(long, requires = "evidence")]
    pub force: bool,
    /// Attestations file for manual requirements (YAML).
    #[arg(long, value_name = "FILE")]
    pub attestations: Option<PathBuf>,
    /// Exit with status 1 when a framework's score is below N (0-100).
    #[arg(long, value_name = "N", value_parser = parse_score)]
    pub min_score: Option<f64>,
    /// Exit with status 1 when more than N findings at SEVERITY or above fail
    /// (e.g. `high=0`; repeatable).
    #[arg(long = "max-failed", value_name = "SEVERITY=N", value_parser = parse_limit)]
    pub max_failed: Vec<(Severity, usize)>,
    /// A custom framework file (YAML, may `extends` a built-in one); repeatable.
    #[arg(long = "framework-file", value_name = "FILE")]
    pub framework_files: Vec<PathBuf>,
    /// Configuration file (rule selection, overrides, parameters, exceptions file).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Exceptions file (rule, resource match, reason, owner, expiry).
    #[arg(long)]
    pub exceptions: Option<PathBuf>,
    /// `all`: evaluate every resource, not only those holding a framework's data class.
    #[arg(long, value_enum)]
    pub scope: Option<ScopeArg>,
    /// The team's own policies (run with the built-in rules and mapped into frameworks).
    #[command(flatten)]
    pub policies: crate::common::PolicySources,
}

/// `--scope`: which resources a framework with a data class evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScopeArg {
    /// Every scanned resource, whatever data class it holds.
    All,
}

/// Output format of `report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// JSON (structure documented in `kubecomply_report::compliance::json`).
    Json,
    /// Markdown: summary table, requirement tree, failing resources, exceptions.
    Markdown,
    /// One self-contained HTML file (inline SVG charts, no scripts, no external assets).
    Html,
    /// CSV, one row per requirement × resource (RFC 4180, formula cells neutralised).
    Csv,
    /// `openreports.io/v1alpha1` `Report` / `ClusterReport` objects (YAML stream).
    Openreports,
    /// `wgpolicyk8s.io/v1alpha2` `PolicyReport` / `ClusterPolicyReport` objects (YAML stream).
    Policyreport,
    /// OSCAL assessment results (JSON).
    Oscal,
}

impl From<ReportFormat> for kubecomply_engine::definition::ReportFormat {
    fn from(f: ReportFormat) -> Self {
        use kubecomply_engine::definition::ReportFormat as F;
        match f {
            ReportFormat::Json => F::Json,
            ReportFormat::Markdown => F::Markdown,
            ReportFormat::Html => F::Html,
            ReportFormat::Csv => F::Csv,
            ReportFormat::Openreports => F::Openreports,
            ReportFormat::Policyreport => F::Policyreport,
            ReportFormat::Oscal => F::Oscal,
        }
    }
}

impl From<kubecomply_engine::definition::ReportFormat> for ReportFormat {
    fn from(f: kubecomply_engine::definition::ReportFormat) -> Self {
        use kubecomply_engine::definition::ReportFormat as F;
        match f {
            F::Json => ReportFormat::Json,
            F::Markdown => ReportFormat::Markdown,
            F::Html => ReportFormat::Html,
            F::Csv => ReportFormat::Csv,
            F::Openreports => ReportFormat::Openreports,
            F::Policyreport => ReportFormat::Policyreport,
            F::Oscal => ReportFormat::Oscal,
        }
    }
}

fn parse_score(s: &str) -> Result<f64, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!("{s:?} is not a score (a number from 0 to 100)")),
    }
}

fn parse_limit(s: &str) -> Result<(Severity, usize), String> {
    let (sev, n) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected SEVERITY=N (e.g. high=0)"))?;
    let sev = Severity::parse(sev.trim())
        .ok_or_else(|| format!("unknown severity {sev:?} (critical, high, medium, low, info)"))?;
    let n = n
        .trim()
        .parse::<usize>()
        .map_err(|_| format!("{n:?} is not a count"))?;
    Ok((sev, n))
}

/// What a report definition adds to a `report` run.
#[derive(Default)]
pub(crate) struct Plan {
    /// The report files' base name.
    name: String,
    /// Formats to write (empty: `--format` alone).
    formats: Vec<ReportFormat>,
    /// Directory of the report files (`<name>.<ext>`).
    output_dir: Option<PathBuf>,
    /// The definition (selection, CIS bands).
    definition: Option<ReportDefinition>,
}

/// Runs `report`.
pub fn run(a: ReportArgs) -> anyhow::Result<u8> {
    let Some(file) = a.definition.clone() else {
        return run_with(a, &Plan::default());
    };
    let def = kubecomply_engine::definition::read(&file)?;
    for n in &def.notes {
        eprintln!("{}", kubecomply_core::text::esc(n));
    }
    let at = kubecomply_engine::definition::start(&file);
    let mut a = a;
    // The command line wins over the definition.
    if a.paths.is_empty() {
        a.paths = def.inputs.clone();
    }
    if a.frameworks.is_empty() {
        a.frameworks = def.frameworks.clone();
    }
    let mut formats: Vec<ReportFormat> = match a.format {
        Some(f) => vec![f],
        None => def.formats.iter().map(|f| (*f).into()).collect(),
    };
    let output_dir = a.output.clone().or_else(|| def.output.clone());
    if output_dir.is_some() && formats.is_empty() {
        formats = vec![ReportFormat::Json];
    }
    if a.min_score.is_none() {
        a.min_score = def.min_score;
    }
    if a.max_failed.is_empty() {
        a.max_failed = def.max_failed.clone();
    }
    if a.scope.is_none() && def.scope_all {
        a.scope = Some(ScopeArg::All);
    }
    a.attestations = a.attestations.take().or_else(|| def.attestations.clone());
    a.exceptions = a.exceptions.take().or_else(|| def.exceptions.clone());
    a.config = a.config.take().or_else(|| def.config.clone());
    if a.framework_files.is_empty() {
        a.framework_files = def.framework_files.clone();
    }
    if def.kind == DefinitionKind::NetworkInventory {
        if a.paths.is_empty() {
            anyhow::bail!("{at}: no inputs: give PATH arguments");
        }
        if a.evidence.is_some() {
            anyhow::bail!(
                "--evidence is for framework reports; an inventory GlobalReport has no findings to bundle"
            );
        }
        let formats: Vec<_> = formats.into_iter().map(Into::into).collect();
        return crate::inventory_report::run(&a.paths, &def, &formats, output_dir.as_deref());
    }
    let plan = Plan {
        name: def.name.clone(),
        formats,
        output_dir,
        definition: Some(def),
    };
    if a.paths.is_empty() {
        anyhow::bail!("{at}: no inputs: give PATH arguments or spec.inputs");
    }
    if a.frameworks.is_empty() {
        anyhow::bail!("{at}: no frameworks: give --framework or spec.frameworks");
    }
    if plan.formats.len() > 1 && plan.output_dir.is_none() {
        anyhow::bail!(
            "{at}: several formats need an output directory (--output DIR or spec.output)"
        );
    }
    run_with(a, &plan)
}

/// The file name extension of a report format.
pub(crate) fn extension(format: ReportFormat) -> String {
    kubecomply_engine::definition::ReportFormat::from(format)
        .extension()
        .to_string()
}

/// Runs `report` with what a report definition adds (resource selection, several formats).
fn run_with(a: ReportArgs, plan: &Plan) -> anyhow::Result<u8> {
    if let Some(dir) = &a.evidence {
        kubecomply_engine::evidence::check_target(dir, a.force)?;
    }
    let mut settings = crate::common::settings_with_policies(a.config.as_deref(), &a.policies)?;
    settings
        .framework_files
        .extend(a.framework_files.iter().cloned());
    if let Some(e) = &a.exceptions {
        settings.exceptions_file = Some(e.clone());
    }
    let clock = settings.clock.clone();
    let (engine, engine_diagnostics) = kubecomply_engine::Engine::new(settings)?;
    let (loaded, scan, input_errors) = crate::common::scan_for_frameworks(
        &engine,
        &engine_diagnostics,
        &a.paths,
        a.evidence.is_some(),
    )?;
    let request = ReportRequest {
        frameworks: a.frameworks.clone(),
        scope_all: a.scope == Some(ScopeArg::All),
        selection: plan
            .definition
            .as_ref()
            .map(|d| d.selection.clone())
            .unwrap_or_default(),
        attestations: a.attestations.clone(),
    };
    let assessment = engine.assess(&loaded.inventory, &scan, &request)?;
    for d in &assessment.diagnostics {
        if d.level == Level::Note {
            eprintln!("{}", kubecomply_core::text::esc(&d.message));
        } else {
            eprintln!("{}", d.render());
        }
    }
    let report = Report {
        generated_at: clock.now.clone(),
        tool_version: env!("CARGO_PKG_VERSION"),
        inputs: &a.paths,
        files: loaded.files,
        objects: loaded.inventory.len(),
        config: a.config.as_ref().map(|p| p.display().to_string()),
        attestations_file: a.attestations.as_ref().map(|p| p.display().to_string()),
        policy_digest: engine.policies().and_then(|p| p.digest.clone()),
        thresholds: Thresholds {
            min_score: a.min_score,
            max_failed: a.max_failed.clone(),
        },
        frameworks: assessment.reports,
        input_errors,
    };
    let format = a.format.unwrap_or(ReportFormat::Json);
    let formats = if plan.formats.is_empty() {
        vec![format]
    } else {
        plan.formats.clone()
    };
    let mut texts = Vec::new();
    for f in &formats {
        texts.push((*f, render(&report, *f)?));
    }
    match &plan.output_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("{}: cannot create: {e}", dir.display()))?;
            for (f, text) in &texts {
                let p = dir.join(format!("{}.{}", plan.name, extension(*f)));
                std::fs::write(&p, text)
                    .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", p.display()))?;
                eprintln!("wrote {}", kubecomply_core::text::esc(p.display()));
            }
        }
        None => {
            for (_, text) in &texts {
                crate::emit_with(a.output.as_deref(), |w| w.write_all(text.as_bytes()))
                    .context("writing the report")?;
            }
        }
    }
    if let Some(dir) = &a.evidence {
        let mut reports: Vec<(String, String)> = Vec::new();
        if !formats.contains(&ReportFormat::Json) {
            reports.push(("report.json".into(), render(&report, ReportFormat::Json)?));
        }
        for (f, text) in texts {
            reports.push((format!("report.{}", extension(f)), text));
        }
        let exceptions = engine.settings().exceptions_file.clone();
        let command = kubecomply_core::json!({
            "frameworks": report.frameworks.iter().map(|f| f.framework.id.clone()).collect::<Vec<_>>(),
            "formats": formats.iter().map(|f| extension(*f)).collect::<Vec<_>>(),
            "scope": a.scope.map(|_| "all"),
            "minScore": a.min_score,
            "maxFailed": a.max_failed.iter().map(|(s, n)| (s.as_str().to_string(), kubecomply_core::json!(n))).collect::<kubecomply_core::Map>(),
            "definition": a.definition.as_ref().map(|p| p.display().to_string()),
            "selection": request.selection.describe(),
        });
        let digest = kubecomply_engine::evidence::write(kubecomply_engine::evidence::Evidence {
            dir,
            force: a.force,
            reports,
            engine: &engine,
            inventory: &loaded.inventory,
            findings: &scan.findings,
            input_digests: &loaded.digests,
            generated_at: &report.generated_at,
            command,
            paths: &a.paths,
            input_errors: &report.input_errors,
            files: kubecomply_engine::evidence::Files {
                config: engine.settings().config_file.clone(),
                exceptions,
                attestations: a.attestations.clone(),
                framework_files: engine.settings().framework_files.clone(),
                policies: engine.settings().policies.clone(),
            },
        })?;
        eprintln!("evidence bundle {}: digest {digest}", dir.display());
    }
    let mut low_band = false;
    let bands = plan.definition.as_ref().filter(|d| d.cis_bands.is_some());
    for f in &report.frameworks {
        if let Some(band) = bands.and_then(|d| d.band(f.result.score)) {
            eprintln!(
                "{}: CIS band {band} (score {:.1}%)",
                f.framework.id,
                f.result.score.unwrap_or_default()
            );
            low_band |= band == "LOW";
        }
    }
    // A Calico cis-benchmark definition's band decides, unless thresholds are given too.
    let passed = if bands.is_some() && !report.thresholds.is_set() {
        !low_band
    } else {
        report.passed() && !low_band
    };
    Ok(if !report.input_errors.is_empty() {
        2
    } else if passed {
        0
    } else {
        1
    })
}
