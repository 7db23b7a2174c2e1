//! `.kubecomply.yaml`: found upwards from the working directory or given with `--config`.
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

use anyhow::{Context as _, Result, bail};
use kubecomply_core::Severity;
use kubecomply_core::Value;
use kubecomply_loader::locate::PositionIndex;

/// The configuration file's settings.
#[derive(Debug, Default)]
pub struct Config {
    pub fail_on: Option<Severity>,
    pub severity: Option<Severity>,
    pub skip: Vec<String>,
    pub only: Vec<String>,
    pub severity_overrides: Vec<(String, Severity)>,
    pub trusted_registries: Vec<String>,
    pub min_user_id: Option<i64>,
    pub min_group_id: Option<i64>,
    pub exceptions_file: Option<PathBuf>,
    pub max_file_size_mib: Option<u64>,
    /// `policies:` the team's own policies (paths relative to the configuration file).
    pub policies: PolicyConfig,
    /// `frameworkFiles:` custom framework files (relative to the configuration file), loaded as
    /// with `--framework-file`.
    pub framework_files: Vec<PathBuf>,
    /// `segmentation:` declared cross-class flows for `netpol review` (relative to the
    /// configuration file), as with `--segmentation`.
    pub segmentation: Option<PathBuf>,
}

/// The `policies:` section: what `--policy`, `--data`, `--namespace` and `--rego-version`
/// give on the command line.
#[derive(Debug, Default, Clone)]
pub struct PolicyConfig {
    /// Policy files or directories.
    pub paths: Vec<PathBuf>,
    /// Data files merged into Rego's `data`.
    pub data: Vec<PathBuf>,
    /// Rego packages to evaluate.
    pub namespaces: Vec<String>,
    /// `v0` or `v1`.
    pub rego_version: Option<String>,
    /// `memoryLimit`: the Rego evaluations' memory ceiling in bytes.
    pub memory_limit: Option<u64>,
}

/// The name of the configuration file.
pub const FILE_NAME: &str = ".kubecomply.yaml";

/// Finds `.kubecomply.yaml` in the working directory or its parents.
pub fn discover() -> Option<PathBuf> {
    let mut dir = std::env::current_dir().ok()?;
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
pub fn load(path: &Path) -> Result<Config> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read configuration", path.display()))?;
    let stream = kubecomply_loader::yaml::parse(&text, &kubecomply_loader::Limits::default());
    if let Some(e) = stream.errors.first() {
        bail!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message);
    }
    let Some(doc) = stream.documents.first() else {
        return Ok(Config::default());
    };
    let Some(map) = doc.value.as_object() else {
        bail!(
            "{}:{}:1: the configuration must be a mapping",
            path.display(),
            doc.line
        );
    };
    let mut cfg = Config::default();
    let mut errors: Vec<(String, String)> = Vec::new();
    for (k, v) in map {
        let p = format!("/{k}");
        match k.as_str() {
            "failOn" => cfg.fail_on = severity(v, &p, &mut errors),
            "severity" => cfg.severity = severity(v, &p, &mut errors),
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
            "trustedRegistries" => cfg.trusted_registries = strings(v, &p, &mut errors),
            "minUserId" => {
                cfg.min_user_id = v.as_i64().or_else(|| {
                    errors.push((p.clone(), "expected an integer".into()));
                    None
                })
            }
            "minGroupId" => {
                cfg.min_group_id = v.as_i64().or_else(|| {
                    errors.push((p.clone(), "expected an integer".into()));
                    None
                })
            }
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
                                match text.map(|t| crate::policies::parse_memory(&t)) {
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
            "maxFileSizeMiB" => {
                cfg.max_file_size_mib = v.as_u64().or_else(|| {
                    errors.push((p.clone(), "expected a positive integer".into()));
                    None
                })
            }
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
        bail!("invalid configuration:\n{}", msgs.join("\n"));
    }
    Ok(cfg)
}
