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
use kubecomply_core::date::Date;
use kubecomply_frameworks::policy_report::Flavour;
use kubecomply_frameworks::report::{FrameworkReport, Report, Thresholds, generated_at};

use crate::frameworks_cmd::{ScanSettings, find, load, scan_for_frameworks};

/// The report in one format.
fn render(report: &Report<'_>, format: ReportFormat) -> anyhow::Result<String> {
    Ok(match format {
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report.to_json())?),
        ReportFormat::Markdown => report.to_markdown(),
        ReportFormat::Html => report.to_html(),
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
    pub scope: Option<crate::frameworks_cmd::ScopeArg>,
    /// The team's own policies (run with the built-in rules and mapped into frameworks).
    #[command(flatten)]
    pub policies: crate::policies::PolicySources,
}

/// Output format of `report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// JSON (structure documented in `kubecomply_frameworks::report`).
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

/// Runs `report`.
pub fn run(a: ReportArgs) -> anyhow::Result<u8> {
    if let Some(d) = a.definition.clone() {
        return crate::definition::run(a, &d);
    }
    run_with(a, &crate::definition::Plan::default())
}

/// The file name extension of a report format.
pub(crate) fn extension(format: ReportFormat) -> String {
    match format {
        ReportFormat::Markdown => "md".into(),
        ReportFormat::Openreports => "openreports.yaml".into(),
        ReportFormat::Policyreport => "policyreport.yaml".into(),
        ReportFormat::Oscal => "oscal.json".into(),
        other => other
            .to_possible_value()
            .map_or_else(|| "txt".into(), |v| v.get_name().to_string()),
    }
}

/// Runs `report` with what a report definition adds (resource selection, several formats).
pub(crate) fn run_with(a: ReportArgs, plan: &crate::definition::Plan) -> anyhow::Result<u8> {
    if let Some(dir) = &a.evidence {
        crate::evidence::check_target(dir, a.force)?;
    }
    let cfg = match &a.config {
        Some(p) => crate::config::load(p)?,
        None => crate::config::Config::default(),
    };
    let mut files = cfg.framework_files.clone();
    files.extend(a.framework_files.iter().cloned());
    let mut all = load(&files)?;
    let settings = ScanSettings {
        config: a.config.clone(),
        exceptions: a.exceptions.clone(),
        policies: a.policies.clone(),
        hash_inputs: a.evidence.is_some(),
    };
    let scanned = scan_for_frameworks(&a.paths, &settings)?;
    let selected = plan.select(&scanned);
    let (resources, all_findings) = match &selected {
        Some((r, f)) => (r.as_slice(), f.as_slice()),
        None => (scanned.resources.as_slice(), scanned.findings.as_slice()),
    };
    crate::frameworks_cmd::map_policies(&mut all, &scanned.custom);
    let mut selected = Vec::new();
    for id in &a.frameworks {
        let f = find(&all, id.trim())?;
        crate::frameworks_cmd::warn_unknown_codes(f);
        if !selected
            .iter()
            .any(|s: &&kubecomply_frameworks::Framework| s.id == f.id)
        {
            selected.push(f);
        }
    }
    let mut attestations = Vec::new();
    if let Some(p) = &a.attestations {
        let name = p.display().to_string();
        let text =
            std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("{name}: cannot read: {e}"))?;
        attestations = kubecomply_frameworks::parse_attestations(&text, &name).map_err(|es| {
            let lines: Vec<String> = es.iter().map(ToString::to_string).collect();
            anyhow::anyhow!("{}", lines.join("\n"))
        })?;
        let base = p
            .parent()
            .map(std::path::Path::to_path_buf)
            .unwrap_or_default();
        kubecomply_frameworks::check_attestations(&mut attestations, Date::today(), &base);
        for x in &attestations {
            if let Some(problem) = &x.problem {
                eprintln!(
                    "{}: warning: attestation for {}:{} is {}: {problem}",
                    x.location,
                    x.framework,
                    x.requirement,
                    x.state.as_str()
                );
            }
            if !all.iter().any(|f| f.id.eq_ignore_ascii_case(&x.framework)) {
                eprintln!(
                    "{}: warning: attestation names unknown framework {:?}",
                    x.location, x.framework
                );
            }
        }
    }
    let known: Vec<&str> = scanned.known.iter().map(String::as_str).collect();
    let mut reports = Vec::new();
    for f in selected {
        let scope = kubecomply_frameworks::scope::select(
            f,
            resources,
            a.scope == Some(crate::frameworks_cmd::ScopeArg::All),
        );
        let findings = kubecomply_frameworks::scope::filter(&scope, all_findings);
        let mut result = kubecomply_frameworks::evaluate(f, &findings, &known);
        let unmatched: Vec<_> =
            kubecomply_frameworks::apply_attestations(&mut result, &attestations)
                .into_iter()
                .cloned()
                .collect();
        for x in &unmatched {
            eprintln!(
                "{}: warning: {} has no requirement {:?}",
                x.location, f.id, x.requirement
            );
        }
        reports.push(FrameworkReport {
            scope,
            framework: f,
            result,
            unmatched,
        });
    }
    let report = Report {
        generated_at: generated_at(),
        tool_version: env!("CARGO_PKG_VERSION"),
        inputs: &a.paths,
        files: scanned.files,
        objects: scanned.objects,
        config: a.config.as_ref().map(|p| p.display().to_string()),
        attestations_file: a.attestations.as_ref().map(|p| p.display().to_string()),
        policy_digest: scanned.policy_digest.clone(),
        thresholds: Thresholds {
            min_score: a.min_score,
            max_failed: a.max_failed.clone(),
        },
        frameworks: reports,
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
                eprintln!("wrote {}", p.display());
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
        let exceptions = a.exceptions.clone().or_else(|| cfg.exceptions_file.clone());
        let command = kubecomply_core::json!({
            "frameworks": report.frameworks.iter().map(|f| f.framework.id.clone()).collect::<Vec<_>>(),
            "formats": formats.iter().map(|f| extension(*f)).collect::<Vec<_>>(),
            "scope": a.scope.map(|_| "all"),
            "minScore": a.min_score,
            "maxFailed": a.max_failed.iter().map(|(s, n)| (s.as_str().to_string(), kubecomply_core::json!(n))).collect::<kubecomply_core::Map>(),
            "definition": a.definition.as_ref().map(|p| p.display().to_string()),
            "selection": plan.describe(),
        });
        let digest = crate::evidence::write(crate::evidence::Evidence {
            dir,
            force: a.force,
            reports,
            scanned: &scanned,
            generated_at: &report.generated_at,
            command,
            paths: &a.paths,
            settings: crate::evidence::Settings {
                config: a.config.clone(),
                exceptions,
                attestations: a.attestations.clone(),
                framework_files: files.clone(),
                policies: a.policies.clone(),
            },
        })?;
        eprintln!("evidence bundle {}: digest {digest}", dir.display());
    }
    let mut low_band = false;
    for f in &report.frameworks {
        if let Some(band) = plan.band(f.result.score) {
            eprintln!(
                "{}: CIS band {band} (score {:.1}%)",
                f.framework.id,
                f.result.score.unwrap_or_default()
            );
            low_band |= band == "LOW";
        }
    }
    // A Calico cis-benchmark definition's band decides, unless thresholds are given too.
    let passed = if plan.cis_bands.is_some() && !report.thresholds.is_set() {
        !low_band
    } else {
        report.passed() && !low_band
    };
    Ok(if scanned.input_errors {
        2
    } else if passed {
        0
    } else {
        1
    })
}
