//! `kubecomply scan`.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;
use kubecomply_checks::{Engine, EngineOptions, registry};
use kubecomply_core::diagnostic::{Diagnostic, Level};
use kubecomply_core::{Inventory, Origin, RuleMeta, Severity, Status};
use kubecomply_loader::{Limits, files};
use rayon::prelude::*;

use crate::Format;
use crate::config::{self, Config};

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
    /// The team's own policies.
    #[command(flatten)]
    pub policies: crate::policies::PolicySources,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s)
        .ok_or_else(|| format!("unknown severity {s:?} (critical, high, medium, low, info)"))
}

/// Objects and diagnostics of all inputs.
pub struct Loaded {
    /// The inventory.
    pub inventory: Inventory,
    /// Input problems and notes.
    pub diagnostics: Vec<Diagnostic>,
    /// Number of inputs read.
    pub files: usize,
    /// The sha256 of every input read, in input order (only with [`load_inputs_hashed`]).
    pub digests: Vec<crate::evidence::FileDigest>,
}

/// Reads and parses all inputs in parallel.
/// `lean` drops the text of inputs whose findings can be located without it (`scan` and
/// framework evaluation); commands that show source text keep it.
pub fn load_inputs(paths: &[String], limits: &Limits, lean: bool) -> Loaded {
    load_inputs_with(paths, limits, lean, false)
}

/// [`load_inputs`], also hashing each input's text as it was read (for evidence bundles: the
/// digest is of the bytes scanned, not of a second read).
pub fn load_inputs_hashed(paths: &[String], limits: &Limits, lean: bool) -> Loaded {
    load_inputs_with(paths, limits, lean, true)
}

type FileResult = (
    Vec<kubecomply_core::Object>,
    Vec<Diagnostic>,
    Option<crate::evidence::FileDigest>,
);

fn load_inputs_with(paths: &[String], limits: &Limits, lean: bool, hash: bool) -> Loaded {
    let (inputs, mut diagnostics) = files::discover(paths);
    let results: Vec<FileResult> = inputs
        .par_iter()
        .map(|input| match files::read(input, limits) {
            Ok(src) => {
                let digest =
                    hash.then(|| crate::evidence::FileDigest::of(&src.path, src.text.as_bytes()));
                let l = if lean {
                    kubecomply_loader::load_lean(src, limits)
                } else {
                    kubecomply_loader::load(src, limits)
                };
                (l.objects, l.diagnostics, digest)
            }
            Err(d) => (Vec::new(), vec![d], None),
        })
        .collect();
    // Sized exactly: the objects of 100,000 inputs are tens of MiB, which a doubling vector
    // would hold twice while growing.
    let mut objects = Vec::with_capacity(results.iter().map(|r| r.0.len()).sum());
    let mut digests = Vec::new();
    for (o, d, h) in results {
        objects.extend(o);
        diagnostics.extend(d);
        digests.extend(h);
    }
    Loaded {
        inventory: Inventory::new(objects),
        diagnostics,
        files: inputs.len(),
        digests,
    }
}

/// Engine options from the configuration: rule selection (validated against the catalogue),
/// severity overrides, rule parameters and the exceptions file (`exceptions`, else the
/// config's), whose problems become diagnostics.
pub(crate) fn engine_options(
    cfg: &Config,
    only: Vec<String>,
    skip: Vec<String>,
    exceptions: Option<PathBuf>,
    limits: &Limits,
    diagnostics: &mut Vec<Diagnostic>,
) -> Result<EngineOptions> {
    for name in only.iter().chain(skip.iter()) {
        if crate::catalogue::find(name).is_none() {
            anyhow::bail!("no rule named {name:?} (see `kubecomply rules`)");
        }
    }
    let mut options = EngineOptions {
        only,
        skip,
        severity_overrides: cfg.severity_overrides.clone(),
        ..EngineOptions::default()
    };
    options.params.trusted_registries = cfg.trusted_registries.clone();
    if let Some(u) = cfg.min_user_id {
        options.params.min_user_id = u;
    }
    if let Some(g) = cfg.min_group_id {
        options.params.min_group_id = g;
    }
    if let Some(p) = exceptions.or_else(|| cfg.exceptions_file.clone()) {
        let (ex, origin) = load_exceptions(&p, limits, diagnostics);
        options.exceptions = ex;
        options.exceptions_origin = origin;
    }
    Ok(options)
}

/// Orders findings by file, line, column and rule, the order every output uses.
pub(crate) fn sort_findings(findings: &mut [kubecomply_core::Finding]) {
    use std::cmp::Ordering;
    // In parallel (hundreds of thousands of findings on a large scan); findings of one file
    // share its name, so the name is compared only across files.
    findings.par_sort_by(|x, y| {
        let file = if std::sync::Arc::ptr_eq(&x.location.file, &y.location.file) {
            Ordering::Equal
        } else {
            x.location.file.cmp(&y.location.file)
        };
        file.then_with(|| {
            (x.location.line, x.location.column, &x.rule).cmp(&(
                y.location.line,
                y.location.column,
                &y.rule,
            ))
        })
    });
}

/// Resolves positions, sorts and renders the findings of an analyzer's `review` command:
/// `file:line:column  severity  code  message` lines and a count, or `{"findings": [...]}`.
pub(crate) fn review_text(
    findings: &mut [kubecomply_core::Finding],
    inventory: &Inventory,
    json: bool,
) -> Result<String> {
    kubecomply_loader::locate::resolve(findings, inventory);
    sort_findings(findings);
    if json {
        let doc = kubecomply_core::json!({ "findings": findings });
        return Ok(format!("{}\n", serde_json::to_string_pretty(&doc)?));
    }
    let mut t = String::new();
    for f in findings.iter() {
        t.push_str(&format!(
            "{}:{}:{}  {:<8}  {}  {}\n",
            f.location.file,
            f.location.line,
            f.location.column,
            f.severity.as_str(),
            f.rule,
            f.message
        ));
    }
    t.push_str(&format!("{} findings\n", findings.len()));
    Ok(t)
}

/// Reads an exceptions file; problems become diagnostics with file, line and column.
pub(crate) fn load_exceptions(
    path: &std::path::Path,
    limits: &Limits,
    diags: &mut Vec<Diagnostic>,
) -> (Vec<kubecomply_core::exceptions::Exception>, Option<Origin>) {
    let name = path.display().to_string();
    let src = match files::read(&files::Input::File(path.to_path_buf()), limits) {
        Ok(s) => s,
        Err(d) => {
            diags.push(d);
            return (Vec::new(), None);
        }
    };
    let stream = kubecomply_loader::parse_stream(&src.text, src.format, limits);
    for e in &stream.errors {
        diags.push(Diagnostic {
            level: Level::Error,
            file: name.clone(),
            line: e.line,
            column: e.column,
            message: e.message.clone(),
        });
    }
    let Some(doc) = stream.documents.into_iter().next() else {
        return (Vec::new(), None);
    };
    let (exceptions, errors) = kubecomply_core::exceptions::parse(&doc.value);
    let index =
        kubecomply_loader::locate::PositionIndex::build(&src.text[doc.span.clone()], doc.line);
    for e in errors {
        let (line, column) = index.locate(&e.pointer).unwrap_or((doc.line, 1));
        diags.push(Diagnostic {
            level: Level::Error,
            file: name.clone(),
            line,
            column,
            message: e.message,
        });
    }
    let origin = Origin {
        line: doc.line,
        span: doc.span,
        document: 0,
        prefix: String::new(),
        positions: None,
        source: std::sync::Arc::new(src),
    };
    (exceptions, Some(origin))
}

/// The rules of another analyzer that `--rule` / `--skip-rule` and the config select.
fn selected(
    rules: impl IntoIterator<Item = &'static RuleMeta>,
    only: &[String],
    skip_cfg: &[String],
    skip_cli: &[String],
) -> Vec<&'static RuleMeta> {
    let named = |m: &RuleMeta, list: &[String]| {
        list.iter()
            .any(|s| s.eq_ignore_ascii_case(m.code) || s == m.slug)
    };
    rules
        .into_iter()
        .filter(|m| {
            (only.is_empty() || named(m, only)) && !named(m, skip_cfg) && !named(m, skip_cli)
        })
        .collect()
}

/// Runs `scan`.
pub fn run(a: ScanArgs) -> Result<u8> {
    let cfg = match a.config.clone().or_else(config::discover) {
        Some(p) => config::load(&p)?,
        None => Config::default(),
    };
    let mut limits = Limits::default();
    if let Some(m) = a.max_file_size.or(cfg.max_file_size_mib) {
        limits.max_file_size = m.saturating_mul(1024 * 1024);
    }
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
    let loaded = load_inputs(&a.paths, &limits, true);
    let mut diagnostics = loaded.diagnostics;
    let policies =
        crate::policies::Policies::load(&a.policies, &cfg.policies, &limits, &mut diagnostics)?;
    phase("load");

    let mut options = engine_options(
        &cfg,
        if a.rules.is_empty() {
            cfg.only.clone()
        } else {
            a.rules.clone()
        },
        cfg.skip
            .iter()
            .chain(a.skip_rules.iter())
            .cloned()
            .collect(),
        a.exceptions.clone(),
        &limits,
        &mut diagnostics,
    )?;
    options.include_passes = matches!(a.format, Format::Json | Format::Junit) && !a.only_failed;

    let only = if a.rules.is_empty() {
        &cfg.only
    } else {
        &a.rules
    };
    let rbac_selected = selected(kubecomply_rbac::RULES, only, &cfg.skip, &a.skip_rules);
    let engine = Engine::new(&registry::all(), options);
    // The RBAC review works on effective permissions across objects; its findings, like the
    // team's policies', go through the same selection, overrides and exceptions as the rules'.
    let policy_selected = match &policies {
        Some(p) => selected(p.metas.iter().copied(), only, &cfg.skip, &a.skip_rules),
        None => Vec::new(),
    };
    // The RBAC review runs beside the rule engine.
    let review = || {
        if rbac_selected.is_empty() {
            Vec::new()
        } else {
            kubecomply_rbac::review(&loaded.inventory)
        }
    };
    // The team's policies run after the built-in rules (each phase uses every core): a Rego
    // evaluation's memory bound counts the process's allocations while it runs, so little else
    // should allocate meanwhile (see crates/rego/src/memory.rs).
    let rest = || {
        let outcome = engine.run(&loaded.inventory);
        let policy_findings = match &policies {
            Some(p) if !policy_selected.is_empty() => p.evaluate(&loaded.inventory),
            _ => Vec::new(),
        };
        (outcome, policy_findings)
    };
    let (rbac, (outcome, policy_findings)) = rayon::join(review, rest);
    let mut findings = outcome.findings;
    let policy_findings = engine.adopt(policy_findings, &loaded.inventory);
    let rbac = engine.adopt(rbac, &loaded.inventory);
    // One exact reservation instead of a doubling of the largest vector of the run.
    findings.reserve_exact(policy_findings.len() + rbac.len());
    findings.extend(policy_findings);
    let netpol_selected = if a.network {
        selected(kubecomply_netpol::RULES, only, &cfg.skip, &a.skip_rules)
    } else {
        Vec::new()
    };
    if !netpol_selected.is_empty() {
        // The declared cross-class flows of `segmentation:` in the configuration apply here
        // as in `netpol review`.
        let segmentation = match &cfg.segmentation {
            Some(p) => crate::netpol_cmd::load_segmentation(&p.to_string_lossy())
                .map_err(|e| anyhow::anyhow!(e))?,
            None => kubecomply_netpol::Segmentation::default(),
        };
        let model = kubecomply_netpol::Model::new(&loaded.inventory);
        findings.extend(engine.adopt(
            kubecomply_netpol::review_with(&loaded.inventory, &model, &segmentation),
            &loaded.inventory,
        ));
    }

    findings.extend(rbac);
    phase("evaluate");
    if let Some(min) = a.severity.or(cfg.severity) {
        findings.retain(|f| f.severity >= min || f.status == Status::Error);
    }
    kubecomply_loader::locate::resolve(&mut findings, &loaded.inventory);
    phase("locate");
    sort_findings(&mut findings);
    diagnostics.sort_by(|x, y| (&x.file, x.line, x.column).cmp(&(&y.file, y.line, y.column)));

    let mut metas: Vec<&RuleMeta> = engine.rules().iter().map(|r| &r.meta).collect();
    metas.extend(rbac_selected);
    metas.extend(netpol_selected);
    metas.extend(policy_selected);
    let report = kubecomply_report::ScanReport {
        tool_version: env!("CARGO_PKG_VERSION"),
        findings: &findings,
        diagnostics: &diagnostics,
        rules: &metas,
        objects: loaded.inventory.len(),
        files: loaded.files,
        passed: outcome.passed,
        policy_digest: policies.as_ref().and_then(|p| p.digest.as_deref()),
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
    let fail_on = a.fail_on.or(cfg.fail_on).unwrap_or(Severity::Info);
    let input_errors = diagnostics.iter().any(|d| d.level == Level::Error)
        || findings.iter().any(|f| f.status == Status::Error);
    let failed = findings
        .iter()
        .any(|f| f.status == Status::Fail && f.severity >= fail_on);
    std::mem::forget(findings);
    std::mem::forget(loaded.inventory);
    Ok(if input_errors {
        2
    } else if failed {
        1
    } else {
        0
    })
}
