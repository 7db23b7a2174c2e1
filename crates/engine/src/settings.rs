//! Settings: everything the configuration file, the command line and report definitions can
//! say about a run, as one typed value the [`Engine`](crate::Engine) is built from.
//!
//! The configuration file is `.kubecomply.yaml`, given explicitly or found upwards from the
//! working directory ([`discover`]); every front end reads it the same way ([`Settings::load`])
//! and then lays its own flags over the result.
//!
//! ```yaml
//! failOn: high                 # exit 1 only for failures at or above this severity
//! severity: low                # hide findings below this severity
//! rules:
//!   skip: [KC-RES-002]         # codes or slugs
//!   only: []                   # when non-empty, run only these
//! severityOverrides:
//!   KC-IMG-002: info
//! trustedRegistries: [registry.example.com, ghcr.io/acme/]
//! minUserId: 10000
//! minGroupId: 10000
//! exceptionsFile: compliance/exceptions.yaml   # relative to this file
//! maxFileSizeMiB: 64
//! ```

use std::path::{Path, PathBuf};

use kubecomply_checks::Params;
use kubecomply_core::Severity;
use kubecomply_core::Value;
use kubecomply_core::date::Date;
use kubecomply_core::document::{OrderedMap, Text};
use kubecomply_loader::Limits;
use kubecomply_loader::locate::PositionIndex;

use crate::{Error, Result};

/// Everything that shapes a run. Build it with [`Settings::load`] (configuration file) or
/// [`Settings::new`] (defaults), then set what flags or a report definition say.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The configuration file these settings were read from, if any.
    pub config_file: Option<PathBuf>,
    /// `failOn`: failures at or above this severity fail the run (default: any failure).
    pub fail_on: Option<Severity>,
    /// `severity`: findings below this severity are not shown.
    pub min_severity: Option<Severity>,
    /// Run only these rules (codes or slugs); empty: all.
    pub only: Vec<String>,
    /// Skip these rules (codes or slugs).
    pub skip: Vec<String>,
    /// Severity overrides by code or slug (the last one for a rule wins).
    pub severity_overrides: Vec<(String, Severity)>,
    /// Rule parameters (trusted registries, lowest safe user and group ids).
    pub params: Params,
    /// The exceptions file.
    pub exceptions_file: Option<PathBuf>,
    /// Input limits (file size, depth, aliases).
    pub limits: Limits,
    /// The team's own policies.
    pub policies: PolicySettings,
    /// Custom framework files (YAML, may `extends` a built-in one).
    pub framework_files: Vec<PathBuf>,
    /// Declared cross-class network flows (`segmentation:`).
    pub segmentation: Option<PathBuf>,
    /// The clock: the date exceptions and attestations are judged against and the time
    /// reports are stamped with. The library never reads the system clock or the environment.
    pub clock: Clock,
}

/// The time of a run, passed in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Today's date (UTC).
    pub today: Date,
    /// The report time, RFC 3339 (`2026-11-27T23:36:36Z`).
    pub now: String,
}

impl Clock {
    /// What the team's Rego policies see of the run: `time.now_ns` is this clock's `now`, and
    /// `rand.intn` / `uuid.rfc4122` derive from it, so that the time a report or an evidence
    /// bundle records (`generatedAt`) reproduces every verdict.
    pub fn determinism(&self) -> kubecomply_rego::Determinism {
        let secs = kubecomply_core::date::unix_seconds(&self.now).unwrap_or(0);
        kubecomply_rego::Determinism::at(secs.saturating_mul(1_000_000_000))
    }

    /// The clock at `secs` seconds after the Unix epoch (UTC).
    pub fn at_unix(secs: i64) -> Clock {
        Clock {
            today: Date::from_unix(secs),
            now: kubecomply_core::date::rfc3339(secs),
        }
    }

    /// Seconds since the Unix epoch of [`Clock::now`] (`None` when it is not
    /// `YYYY-MM-DDTHH:MM:SSZ`).
    pub fn unix_seconds(&self) -> Option<i64> {
        kubecomply_core::date::unix_seconds(&self.now)
    }

    /// The clock at midnight (UTC) of `today`: reproducible reports.
    pub fn on(today: Date) -> Clock {
        Clock {
            today,
            now: format!("{today}T00:00:00Z"),
        }
    }
}

/// The team's own policies: what `--policy`, `--data`, `--namespace`, `--all-namespaces`,
/// `--rego-version` and `--policy-memory-limit` say, and the configuration's `policies:`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PolicySettings {
    /// Policy files or directories.
    pub paths: Vec<PathBuf>,
    /// Data files merged into Rego's `data`.
    pub data: Vec<PathBuf>,
    /// Rego packages to evaluate (empty: `main`).
    pub namespaces: Vec<String>,
    /// Evaluate every Rego package.
    pub all_namespaces: bool,
    /// `v0` or `v1` (default `v1`).
    pub rego_version: Option<String>,
    /// The Rego evaluations' memory ceiling in bytes (0: off).
    pub memory_limit: Option<u64>,
    /// Time budget of all Rego evaluations of one scan (default 600 s; zero: none); after it,
    /// every evaluation not yet done gives an `error` finding.
    pub deadline: Option<std::time::Duration>,
}

impl PolicySettings {
    /// Whether any policy is named.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// `other` laid over these settings: lists are appended after this one's, single values
    /// replace this one's when set (flags over the configuration file).
    pub fn merge(&mut self, other: PolicySettings) {
        let mut paths = other.paths;
        paths.append(&mut self.paths);
        self.paths = paths;
        let mut data = other.data;
        data.append(&mut self.data);
        self.data = data;
        let mut namespaces = other.namespaces;
        namespaces.append(&mut self.namespaces);
        self.namespaces = namespaces;
        self.all_namespaces |= other.all_namespaces;
        if other.rego_version.is_some() {
            self.rego_version = other.rego_version;
        }
        if other.memory_limit.is_some() {
            self.memory_limit = other.memory_limit;
        }
        if other.deadline.is_some() {
            self.deadline = other.deadline;
        }
    }
}

impl Settings {
    /// Default settings: every rule, no exceptions, no policies, default limits.
    pub fn new(clock: Clock) -> Settings {
        Settings {
            config_file: None,
            fail_on: None,
            min_severity: None,
            only: Vec::new(),
            skip: Vec::new(),
            severity_overrides: Vec::new(),
            params: Params::default(),
            exceptions_file: None,
            limits: Limits::default(),
            policies: PolicySettings::default(),
            framework_files: Vec::new(),
            segmentation: None,
            clock,
        }
    }

    /// Settings from a configuration file: `config` when given, else `.kubecomply.yaml` found
    /// upwards from `cwd` ([`discover`]), else the defaults. Errors name file, line and column.
    pub fn load(config: Option<&Path>, cwd: Option<&Path>, clock: Clock) -> Result<Settings> {
        let path = match config {
            Some(p) => Some(p.to_path_buf()),
            None => cwd.and_then(discover),
        };
        match path {
            Some(p) => read(&p, clock),
            None => Ok(Settings::new(clock)),
        }
    }

    /// Sets the largest input file to read, in MiB (checked: a size that does not fit is an
    /// error, never a wrap-around to a tiny limit).
    pub fn set_max_file_size_mib(&mut self, mib: u64) -> Result<()> {
        self.limits.max_file_size = mib
            .checked_mul(1024 * 1024)
            .ok_or_else(|| Error::new(format!("a maximum file size of {mib} MiB is too large")))?;
        Ok(())
    }
}

/// The name of the configuration file.
pub const FILE_NAME: &str = ".kubecomply.yaml";

/// Finds `.kubecomply.yaml` in `dir` or its parents.
pub fn discover(dir: &Path) -> Option<PathBuf> {
    let mut dir = dir.to_path_buf();
    loop {
        let p = dir.join(FILE_NAME);
        if p.is_file() {
            return Some(p);
        }
        if !dir.pop() {
            return None;
        }
    }
}

/// A list of strings at `path`; every other element or value is an error pushed on `err`.
pub(crate) fn strings(v: &Value, path: &str, err: &mut Vec<(String, String)>) -> Vec<String> {
    match v {
        Value::Array(a) => a
            .iter()
            .enumerate()
            .filter_map(|(i, x)| match x.as_str() {
                Some(s) => Some(s.to_string()),
                None => {
                    err.push((format!("{path}/{i}"), "expected a string".into()));
                    None
                }
            })
            .collect(),
        Value::Null => Vec::new(),
        _ => {
            err.push((path.to_string(), "expected a list of strings".into()));
            Vec::new()
        }
    }
}

/// A severity name as the configuration writes it (any case).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeverityName(pub Severity);

impl<'de> serde::Deserialize<'de> for SeverityName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        v.as_str()
            .and_then(Severity::parse)
            .map(SeverityName)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "expected one of critical, high, medium, low, info, found {v}"
                ))
            })
    }
}

impl schemars::JsonSchema for SeverityName {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Severity".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A severity (any case).",
            "type": "string",
            "enum": ["critical", "high", "medium", "low", "info"]
        })
    }
}

/// The configuration file (`.kubecomply.yaml`) as written; [`Settings::load`] reads it.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "kubecomply configuration (.kubecomply.yaml)")]
pub struct ConfigFile {
    /// Exit 1 only for failures at or above this severity.
    #[serde(default)]
    pub fail_on: Option<SeverityName>,
    /// Hide findings below this severity.
    #[serde(default)]
    pub severity: Option<SeverityName>,
    /// Which rules run.
    #[serde(default)]
    pub rules: Option<RuleSelection>,
    /// Severity by rule code or slug (the last one for a rule wins).
    #[serde(default)]
    pub severity_overrides: Option<OrderedMap<SeverityName>>,
    /// Registries images may come from (prefixes).
    #[serde(default)]
    pub trusted_registries: Option<Vec<String>>,
    /// The lowest user id counted as non-root-safe.
    #[serde(default)]
    pub min_user_id: Option<i64>,
    /// The lowest group id counted as safe.
    #[serde(default)]
    pub min_group_id: Option<i64>,
    /// The exceptions file, relative to this file.
    #[serde(default)]
    pub exceptions_file: Option<String>,
    /// The team's own policies.
    #[serde(default)]
    pub policies: Option<PolicyConfig>,
    /// Custom framework files, relative to this file.
    #[serde(default)]
    pub framework_files: Option<Vec<String>>,
    /// Declared cross-class network flows, relative to this file.
    #[serde(default)]
    pub segmentation: Option<String>,
    /// The largest input file read, in MiB.
    #[serde(default, rename = "maxFileSizeMiB")]
    pub max_file_size_mib: Option<u64>,
}

/// `rules:` in the configuration file.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleSelection {
    /// Codes or slugs not to run.
    #[serde(default)]
    pub skip: Option<Vec<String>>,
    /// When non-empty, run only these codes or slugs.
    #[serde(default)]
    pub only: Option<Vec<String>>,
}

/// `policies:` in the configuration file.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyConfig {
    /// Policy files or directories, relative to this file.
    #[serde(default)]
    pub paths: Option<Vec<String>>,
    /// Data files merged into Rego's `data`, relative to this file.
    #[serde(default)]
    pub data: Option<Vec<String>>,
    /// Rego packages to evaluate (empty: `main`).
    #[serde(default)]
    pub namespaces: Option<Vec<String>>,
    /// The Rego language version.
    #[serde(default)]
    pub rego_version: Option<RegoVersion>,
    /// The Rego evaluations' memory ceiling: `N` (MiB), `NKi`, `NMi`, `NGi`.
    #[serde(default)]
    pub memory_limit: Option<Text>,
    /// Time budget of all Rego evaluations of one run: `N` (seconds), `Ns`, `Nm` (`0`: none;
    /// default 600 s).
    #[serde(default)]
    pub deadline: Option<Text>,
}

/// A Rego language version.
#[derive(Clone, Copy, Debug, serde::Deserialize, schemars::JsonSchema)]
pub enum RegoVersion {
    /// Rego v0 (OPA before 1.0).
    #[serde(rename = "v0")]
    V0,
    /// Rego v1.
    #[serde(rename = "v1")]
    V1,
}

/// Reads and validates a configuration file; errors name file, line and column.
fn read(path: &Path, clock: Clock) -> Result<Settings> {
    // The configuration sets the size limit, so its own read has the default one.
    let text = crate::inputs::read_setting(path, &Limits::default())?;
    let stream = kubecomply_loader::yaml::parse(&text, &kubecomply_loader::Limits::default());
    if let Some(e) = stream.errors.first() {
        return Err(Error::new(format!(
            "{}:{}:{}: {}",
            path.display(),
            e.line,
            e.column,
            e.message
        )));
    }
    let mut cfg = Settings::new(clock);
    cfg.config_file = Some(path.to_path_buf());
    let Some(doc) = stream.documents.first() else {
        return Ok(cfg);
    };
    if !doc.value.is_object() {
        return Err(Error::new(format!(
            "{}:{}:1: the configuration must be a mapping",
            path.display(),
            doc.line
        )));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let relative = |v: Vec<String>| -> Vec<PathBuf> { v.iter().map(|s| base.join(s)).collect() };
    let mut errors: Vec<(String, String)> = Vec::new();
    match kubecomply_core::document::from_value::<ConfigFile>(&doc.value) {
        Err(e) => errors.push((e.pointer, e.message)),
        Ok(file) => {
            cfg.fail_on = file.fail_on.map(|s| s.0);
            cfg.min_severity = file.severity.map(|s| s.0);
            if let Some(r) = file.rules {
                cfg.skip = r.skip.unwrap_or_default();
                cfg.only = r.only.unwrap_or_default();
            }
            if let Some(o) = file.severity_overrides {
                cfg.severity_overrides = o.0.into_iter().map(|(k, s)| (k, s.0)).collect();
            }
            if let Some(t) = file.trusted_registries {
                cfg.params.trusted_registries = t;
            }
            if let Some(u) = file.min_user_id {
                cfg.params.min_user_id = u;
            }
            if let Some(g) = file.min_group_id {
                cfg.params.min_group_id = g;
            }
            if let Some(s) = file.exceptions_file {
                cfg.exceptions_file = Some(base.join(s));
            }
            if let Some(p) = file.policies {
                cfg.policies.paths = relative(p.paths.unwrap_or_default());
                cfg.policies.data = relative(p.data.unwrap_or_default());
                cfg.policies.namespaces = p.namespaces.unwrap_or_default();
                cfg.policies.rego_version = p.rego_version.map(|v| {
                    match v {
                        RegoVersion::V0 => "v0",
                        RegoVersion::V1 => "v1",
                    }
                    .to_string()
                });
                if let Some(Text(t)) = p.memory_limit {
                    match parse_memory(&t) {
                        Ok(b) => cfg.policies.memory_limit = Some(b),
                        Err(e) => errors.push(("/policies/memoryLimit".into(), e)),
                    }
                }
                if let Some(Text(t)) = p.deadline {
                    match parse_duration(&t) {
                        Ok(d) => cfg.policies.deadline = Some(d),
                        Err(e) => errors.push(("/policies/deadline".into(), e)),
                    }
                }
            }
            if let Some(f) = file.framework_files {
                cfg.framework_files = relative(f);
            }
            match file.segmentation {
                Some(s) if s.is_empty() => {
                    errors.push(("/segmentation".into(), "expected a file path".into()))
                }
                Some(s) => cfg.segmentation = Some(base.join(s)),
                None => {}
            }
            if let Some(m) = file.max_file_size_mib
                && let Err(e) = cfg.set_max_file_size_mib(m)
            {
                errors.push(("/maxFileSizeMiB".into(), e.to_string()));
            }
        }
    }
    if !errors.is_empty() {
        let index = PositionIndex::build(&text[doc.span.clone()], doc.line);
        let msgs: Vec<String> = errors
            .iter()
            .map(|(ptr, msg)| {
                let (l, c) = index.locate(ptr).unwrap_or((doc.line, 1));
                format!("{}:{l}:{c}: {msg}", path.display())
            })
            .collect();
        return Err(Error::new(format!(
            "invalid configuration:\n{}",
            msgs.join("\n")
        )));
    }
    Ok(cfg)
}

/// A duration: `N` (seconds), `Ns`, `Nm` or `Nh`; `0` means none.
pub fn parse_duration(s: &str) -> std::result::Result<std::time::Duration, String> {
    let t = s.trim();
    let (digits, unit) = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}`: expected a duration such as 600, 90s or 10m"))?;
    let factor: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        _ => return Err(format!("`{s}`: the unit must be s, m or h")),
    };
    n.checked_mul(factor)
        .map(std::time::Duration::from_secs)
        .ok_or_else(|| format!("`{s}`: too large"))
}

/// Parses a memory size: `N` (MiB), `NMi`, `NGi`, `NKi`; bytes.
pub fn parse_memory(s: &str) -> std::result::Result<u64, String> {
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
