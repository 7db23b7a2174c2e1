//! What every command shares: the options naming the team's policies, the configuration read
//! into engine settings, the clock, and the rendering of review findings. No command module
//! imports another; they all come here.

use std::path::{Path, PathBuf};

use anyhow::Result;
use kubecomply_core::date::Date;
use kubecomply_core::{Finding, Inventory};
use kubecomply_engine::{Clock, Loaded, PolicySettings, ReadOptions, Settings};

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
    #[arg(long, value_name = "SIZE", global = true, value_parser = kubecomply_engine::settings::parse_memory)]
    pub policy_memory_limit: Option<u64>,
    /// Time budget of all Rego evaluations of the run, e.g. `600`, `90s`, `10m` (default 600 s;
    /// `0`: none). After it, every evaluation not yet done gives an `error` finding.
    #[arg(long, value_name = "DURATION", global = true, value_parser = kubecomply_engine::settings::parse_duration)]
    pub policy_deadline: Option<std::time::Duration>,
}

impl PolicySources {
    /// The options as engine settings.
    pub fn to_settings(&self) -> PolicySettings {
        PolicySettings {
            paths: self.policy.clone(),
            data: self.data.clone(),
            namespaces: self.namespace.clone(),
            all_namespaces: self.all_namespaces,
            rego_version: self.rego_version.clone(),
            memory_limit: self.policy_memory_limit,
            deadline: self.policy_deadline,
        }
    }
}

/// The clock of this run: the system's, or midnight of `KUBECOMPLY_TODAY=YYYY-MM-DD`
/// (reproducible reports and tests). The only place the environment sets the date.
pub fn clock() -> Clock {
    if let Some(d) = std::env::var("KUBECOMPLY_TODAY")
        .ok()
        .and_then(|s| Date::parse(&s))
    {
        return Clock::on(d);
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    Clock::at_unix(secs)
}

/// The settings of the configuration file: `config` when given, else `.kubecomply.yaml`
/// found upwards from the working directory. Every command reads it this way.
pub fn settings(config: Option<&Path>) -> Result<Settings> {
    let cwd = std::env::current_dir().ok();
    Ok(Settings::load(config, cwd.as_deref(), clock())?)
}

/// [`settings`] with the policy options of the command line laid over the configuration's.
pub fn settings_with_policies(config: Option<&Path>, policies: &PolicySources) -> Result<Settings> {
    let mut s = settings(config)?;
    s.policies.merge(policies.to_settings());
    Ok(s)
}

/// Reads inputs with the configuration's limits, keeping their text (commands that show
/// source).
pub fn load_inputs(paths: &[String]) -> Result<Loaded> {
    let s = settings(None)?;
    Ok(kubecomply_engine::inputs::load(
        paths,
        &s.limits,
        ReadOptions::default(),
    ))
}

/// Reads inputs and scans them as compliance frameworks need (`frameworks check`, `report`):
/// prints the input and engine errors on standard error, then the framework diagnostics.
/// Returns the inputs, the scan, and the input errors.
pub fn scan_for_frameworks(
    engine: &kubecomply_engine::Engine,
    engine_diagnostics: &[kubecomply_core::Diagnostic],
    paths: &[String],
    hash: bool,
) -> Result<(
    Loaded,
    kubecomply_engine::ScanResult,
    Vec<kubecomply_core::Diagnostic>,
)> {
    let loaded = engine.load(paths, ReadOptions { lean: true, hash });
    let mut input_errors = Vec::new();
    for d in loaded.diagnostics.iter().chain(engine_diagnostics) {
        if d.level == kubecomply_core::diagnostic::Level::Error {
            eprintln!("{}", d.render());
            input_errors.push(d.clone());
        }
    }
    let scan = engine.scan(
        &loaded.inventory,
        &kubecomply_engine::ScanOptions::for_frameworks(),
    );
    for d in engine.framework_diagnostics()? {
        eprintln!("{}", d.render());
    }
    Ok((loaded, scan, input_errors))
}

/// Resolves positions, sorts and renders the findings of an analyzer's `review` command:
/// `file:line:column  severity  code  message` lines and a count, or `{"findings": [...]}`.
pub fn review_text(findings: &mut [Finding], inventory: &Inventory, json: bool) -> Result<String> {
    kubecomply_loader::locate::resolve(findings, inventory);
    kubecomply_engine::sort_findings(findings);
    if json {
        let doc = kubecomply_core::json!({ "findings": findings });
        return Ok(format!("{}\n", serde_json::to_string_pretty(&doc)?));
    }
    let mut t = String::new();
    for f in findings.iter() {
        kubecomply_core::text::push_line(
            &mut t,
            format_args!(
                "{}:{}:{}  {:<8}  {}  {}",
                f.location.file,
                f.location.line,
                f.location.column,
                f.severity.as_str(),
                f.rule,
                f.message
            ),
        );
    }
    t.push_str(&format!("{} findings\n", findings.len()));
    Ok(t)
}
