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
    /// The clock at `secs` seconds after the Unix epoch (UTC).
    pub fn at_unix(secs: i64) -> Clock {
        let today = Date::from_unix(secs);
        let t = secs.rem_euclid(86_400);
        Clock {
            today,
            now: format!(
                "{today}T{:02}:{:02}:{:02}Z",
                t / 3600,
                (t % 3600) / 60,
                t % 60
            ),
        }
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

fn severity(v: &Value, path: &str, err: &mut Vec<(String, String)>) -> Option<Severity> {
    match v.as_str().and_then(Severity::parse) {
        Some(s) => Some(s),
        None => {
            err.push((
                path.to_string(),
                format!("expected one of critical, high, medium, low, info, found {v}"),
            ));
            None
        }
    }
}

/// Reads and validates a configuration file; errors name file, line and column.
fn read(path: &Path, clock: Clock) -> Result<Settings> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(format!(
            "{}: cannot read configuration: {e}",
            path.display()
        ))
    })?;
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
    let Some(map) = doc.value.as_object() else {
        return Err(Error::new(format!(
            "{}:{}:1: the configuration must be a mapping",
            path.display(),
            doc.line
        )));
    };
    let mut errors: Vec<(String, String)> = Vec::new();
    for (k, v) in map {
        let p = format!("/{k}");
        match k.as_str() {
            "failOn" => cfg.fail_on = severity(v, &p, &mut errors),
            "severity" => cfg.min_severity = severity(v, &p, &mut errors),
            "rules" => {
                if let Some(r) = v.as_object() {
                    for (rk, rv) in r {
                        match rk.as_str() {
                            "skip" => cfg.skip = strings(rv, &format!("{p}/skip"), &mut errors),
                            "only" => cfg.only = strings(rv, &format!("{p}/only"), &mut errors),
                            _ => errors.push((
                                format!("{p}/{rk}"),
                                format!("unknown key `{rk}` (expected skip, only)"),
                            )),
                        }
                    }
                } else {
                    errors.push((p, "expected a mapping with skip/only".into()));
                }
            }
            "severityOverrides" => {
                if let Some(m) = v.as_object() {
                    for (rule, sev) in m {
                        if let Some(s) = severity(sev, &format!("{p}/{rule}"), &mut errors) {
                            cfg.severity_overrides.push((rule.clone(), s));
                        }
                    }
                } else {
                    errors.push((p, "expected a mapping of rule to severity".into()));
                }
            }
            "trustedRegistries" => cfg.params.trusted_registries = strings(v, &p, &mut errors),
            "minUserId" => match v.as_i64() {
                Some(u) => cfg.params.min_user_id = u,
                None => errors.push((p.clone(), "expected an integer".into())),
            },
            "minGroupId" => match v.as_i64() {
                Some(g) => cfg.params.min_group_id = g,
                None => errors.push((p.clone(), "expected an integer".into())),
            },
            "exceptionsFile" => match v.as_str() {
                Some(s) => {
                    let base = path.parent().unwrap_or(Path::new("."));
                    cfg.exceptions_file = Some(base.join(s));
                }
                None => errors.push((p, "expected a path".into())),
            },
            "policies" => {
                let base = path.parent().unwrap_or(Path::new("."));
                if let Some(m) = v.as_object() {
                    for (pk, pv) in m {
                        let pp = format!("{p}/{pk}");
                        match pk.as_str() {
                            "paths" => {
                                cfg.policies.paths = strings(pv, &pp, &mut errors)
                                    .iter()
                                    .map(|s| base.join(s))
                                    .collect()
                            }
                            "data" => {
                                cfg.policies.data = strings(pv, &pp, &mut errors)
                                    .iter()
                                    .map(|s| base.join(s))
                                    .collect()
                            }
                            "namespaces" => {
                                cfg.policies.namespaces = strings(pv, &pp, &mut errors)
                            }
                            "regoVersion" => match pv.as_str() {
                                Some(x @ ("v0" | "v1")) => {
                                    cfg.policies.rego_version = Some(x.to_string())
                                }
                                _ => errors.push((pp, "expected v0 or v1".into())),
                            },
                            "memoryLimit" => {
                                let text = match pv {
                                    Value::String(x) => Some(x.clone()),
                                    Value::Number(n) => Some(n.to_string()),
                                    _ => None,
                                };
                                match text.map(|t| parse_memory(&t)) {
                                    Some(Ok(b)) => cfg.policies.memory_limit = Some(b),
                                    Some(Err(e)) => errors.push((pp, e)),
                                    None => errors.push((pp, "expected a size such as 256Mi".into())),
                                }
                            }
                            _ => errors.push((
                                pp,
                                format!(
                                    "unknown key `{pk}` (expected paths, data, namespaces, regoVersion, memoryLimit)"
                                ),
                            )),
                        }
                    }
                } else {
                    errors.push((p, "expected a mapping with paths, data, namespaces".into()));
                }
            }
            "frameworkFiles" => {
                let base = path.parent().unwrap_or(Path::new("."));
                cfg.framework_files = strings(v, &p, &mut errors)
                    .iter()
                    .map(|s| base.join(s))
                    .collect();
            }
            "segmentation" => match v.as_str() {
                Some(s) if !s.is_empty() => {
                    cfg.segmentation = Some(path.parent().unwrap_or(Path::new(".")).join(s))
                }
                _ => errors.push((p, "expected a file path".into())),
            },
            "maxFileSizeMiB" => match v.as_u64() {
                Some(m) => {
                    if let Err(e) = cfg.set_max_file_size_mib(m) {
                        errors.push((p.clone(), e.to_string()));
                    }
                }
                None => errors.push((p.clone(), "expected a positive integer".into())),
            },
            _ => errors.push((p, format!("unknown key `{k}`"))),
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
