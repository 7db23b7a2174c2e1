//! `kubecomply scan`.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;
use kubecomply_core::diagnostic::Level;
use kubecomply_core::{RuleMeta, Severity, Status};
use kubecomply_engine::{ReadOptions, ScanOptions};

use crate::Format;

/// Arguments of `scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads standard input.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Leave passed checks out of JSON and JUnit output.
    #[arg(long)]
    pub only_failed: bool,
    /// Show only findings at or above this severity.
    #[arg(long, value_parser = parse_severity)]
    pub severity: Option<Severity>,
    /// Exit with status 1 only when a failure at or above this severity remains
    /// (default: any failure).
    #[arg(long, value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Run only these rules (code or slug; repeatable, comma-separated).
    #[arg(long = "rule", value_delimiter = ',')]
    pub rules: Vec<String>,
    /// Skip these rules (code or slug; repeatable, comma-separated).
    #[arg(long = "skip-rule", value_delimiter = ',')]
    pub skip_rules: Vec<String>,
    /// Configuration file (default: `.kubecomply.yaml` found upwards from the working directory).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Exceptions file (rule, resource match, reason, owner, expiry).
    #[arg(long)]
    pub exceptions: Option<PathBuf>,
    /// Also run the network policy review (default-deny, exposure, egress, segmentation:
    /// KC-NET-101...113), computed from reachability; it costs more than the other rules on
    /// large inputs, so it is opt-in here (`frameworks check` and `report` always run it).
    #[arg(long)]
    pub network: bool,
    /// Largest input file to read, in MiB.
    #[arg(long)]
    pub max_file_size: Option<u64>,
    /// Most nodes YAML aliases may copy, in all the inputs together (against alias bombs;
    /// default 1000000). Past it, each document whose aliases need more is an input error.
    #[arg(long, value_name = "NODES")]
    pub max_alias_nodes: Option<usize>,
    /// The team's own policies.
    #[command(flatten)]
    pub policies: crate::common::PolicySources,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s)
        .ok_or_else(|| format!("unknown severity {s:?} (critical, high, medium, low, info)"))
}

/// Runs `scan`.
pub fn run(a: ScanArgs) -> Result<u8> {
    let mut settings = crate::common::settings_with_policies(a.config.as_deref(), &a.policies)?;
    if let Some(m) = a.max_file_size {
        settings.set_max_file_size_mib(m)?;
    }
    if let Some(n) = a.max_alias_nodes {
        settings.limits.max_alias_nodes = n;
    }
    if !a.rules.is_empty() {
        settings.only = a.rules.clone();
    }
    settings.skip.extend(a.skip_rules.iter().cloned());
    if let Some(e) = &a.exceptions {
        settings.exceptions_file = Some(e.clone());
    }
    let min_severity = a.severity.or(settings.min_severity);
    let fail_on = a.fail_on.or(settings.fail_on).unwrap_or(Severity::Info);
    let timings = std::env::var_os("KUBECOMPLY_TIMINGS").is_some();
    let mut clock = std::time::Instant::now();
    let mut phase = |name: &str| {
        if timings {
            let rss = std::fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmRSS:"))
                        .map(|l| l.trim_start_matches("VmRSS:").trim().to_string())
                })
                .unwrap_or_default();
            let (live, peak) = kubecomply_rego::memory::live_bytes();
            eprintln!(
                "timing: {name:<10} {:>8.1} ms  rss {rss}  live {} MiB  peak live {} MiB",
                clock.elapsed().as_secs_f64() * 1000.0,
                live >> 20,
                peak >> 20
            );
            clock = std::time::Instant::now();
        }
    };
    let (engine, engine_diagnostics) = kubecomply_engine::Engine::new(settings)?;
    let loaded = engine.load(
        &a.paths,
        ReadOptions {
            lean: true,
            hash: false,
        },
    );
    let mut diagnostics = loaded.diagnostics;
    diagnostics.extend(engine_diagnostics);
    phase("load");

    let options = ScanOptions {
        include_passes: matches!(a.format, Format::Json | Format::Junit) && !a.only_failed,
        network: a.network,
        review_passes: false,
    };
    let result = engine.scan(&loaded.inventory, &options);
    phase("evaluate");
    let mut findings = result.findings;
    if let Some(min) = min_severity {
        findings.retain(|f| f.severity >= min || f.status == Status::Error);
    }
    diagnostics.sort_by(|x, y| (&x.file, x.line, x.column).cmp(&(&y.file, y.line, y.column)));

    let catalogue = engine.catalogue();
    let metas: Vec<&RuleMeta> = result
        .rules
        .iter()
        .filter_map(|code| catalogue.find(code))
        .collect();
    let report = kubecomply_report::ScanReport {
        tool_version: env!("CARGO_PKG_VERSION"),
        findings: &findings,
        diagnostics: &diagnostics,
        rules: &metas,
        objects: loaded.inventory.len(),
        files: loaded.files,
        passed: result.passed,
        policy_digest: engine.policies().and_then(|p| p.digest.as_deref()),
    };
    match a.format {
        Format::Table => {
            let text = kubecomply_report::table::render(&report);
            phase("render");
            crate::emit(a.output.as_deref(), &text).context("writing the report")?;
        }
        Format::Json => {
            crate::emit_with(a.output.as_deref(), |w| {
                kubecomply_report::json::write(&report, w)
            })
            .context("writing the report")?;
        }
        Format::Sarif | Format::Junit => {
            let text = if a.format == Format::Sarif {
                kubecomply_report::sarif::render(&report)
            } else {
                kubecomply_report::junit::render(&report)
            };
            phase("render");
            crate::emit_with(a.output.as_deref(), |w| w.write_all(text.as_bytes()))
                .context("writing the report")?;
        }
    }
    phase("write");
    // Input errors go to standard error too, so they are seen whatever the format.
    if a.format != Format::Table || a.output.is_some() {
        let mut err = anstream::stderr();
        for d in diagnostics.iter().filter(|d| d.level == Level::Error) {
            use std::io::Write;
            let _ = writeln!(err, "{}", d.render());
        }
    }

    // The process ends here: leave the inventory and findings to the OS instead of walking
    // hundreds of thousands of values to free them one by one.
    let input_errors = diagnostics.iter().any(|d| d.level == Level::Error)
        || findings.iter().any(|f| f.status == Status::Error);
    let failed = findings
        .iter()
        .any(|f| f.status == Status::Fail && f.severity >= fail_on);
    std::mem::forget(findings);
    std::mem::forget(loaded.inventory);
    std::mem::forget(engine);
    Ok(if input_errors {
        2
    } else if failed {
        1
    } else {
        0
    })
}
