//! `kubecomply report`: scan inputs, evaluate compliance frameworks, write an audit report.
//!
//! Exit status: 2 on input errors (unreadable or invalid inputs, configuration, attestations
//! or framework files, unknown framework ids); otherwise 1 when a framework violates the
//! thresholds — its score is below `--min-score`, or it has more failed findings at a severity
//! or above than a `--max-failed SEVERITY=N` limit allows; without any threshold, when any
//! requirement fails — and 0 when none does. With thresholds given, failing requirements alone
//! do not decide the exit status (`--min-score 0` accepts any result).

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use kubecomply_core::Severity;
use kubecomply_core::date::Date;
use kubecomply_frameworks::policy_report::Flavour;
use kubecomply_frameworks::report::{FrameworkReport, Report, Thresholds, generated_at};

use crate::frameworks_cmd::{ScanSettings, find, load, scan_for_frameworks};

/// Arguments of `report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Framework ids (comma-separated or repeated; see `kubecomply frameworks`).
    #[arg(long = "framework", required = true, value_delimiter = ',')]
    pub frameworks: Vec<String>,
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = ReportFormat::Json)]
    pub format: ReportFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
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
    };
    let scanned = scan_for_frameworks(&a.paths, &settings)?;
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
            &scanned.resources,
            a.scope == Some(crate::frameworks_cmd::ScopeArg::All),
        );
        let findings = kubecomply_frameworks::scope::filter(&scope, &scanned.findings);
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
    let text = match a.format {
        ReportFormat::Json => format!("{}\n", serde_json::to_string_pretty(&report.to_json())?),
        ReportFormat::Markdown => report.to_markdown(),
        ReportFormat::Html => report.to_html(),
        ReportFormat::Csv => report.to_csv(),
        ReportFormat::Openreports => report.to_policy_reports(Flavour::OpenReports),
        ReportFormat::Policyreport => report.to_policy_reports(Flavour::PolicyReport),
        ReportFormat::Oscal => format!("{}\n", serde_json::to_string_pretty(&report.to_oscal())?),
    };
    crate::emit_with(a.output.as_deref(), |w| w.write_all(text.as_bytes()))
        .context("writing the report")?;
    Ok(if scanned.input_errors {
        2
    } else if report.passed() {
        0
    } else {
        1
    })
}
