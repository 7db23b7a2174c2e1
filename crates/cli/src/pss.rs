//! `kubecomply pss`: the Pod Security admission controller's answer for each pod.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};
use kubecomply_core::diagnostic::Level as DiagLevel;
use kubecomply_core::json;
use kubecomply_core::text::push_line;
use kubecomply_core::{Inventory, Object};

use kubecomply_loader::locate::PositionIndex;
use kubecomply_pss::{Level, Version};

/// Arguments of `pss`.
#[derive(Args, Debug)]
pub struct PssArgs {
    /// Files or directories with Pods, workloads and Namespaces; `-` reads standard input.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Level to enforce (overrides namespace labels). Without it, a Namespace in the input
    /// with `pod-security.kubernetes.io/enforce` decides, else `restricted`.
    #[arg(long, value_parser = parse_level)]
    pub level: Option<Level>,
    /// Policy version `v1.N` or `latest` (overrides `pod-security.kubernetes.io/enforce-version`).
    #[arg(long, value_parser = parse_version)]
    pub version: Option<Version>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = PssFormat::Table)]
    pub format: PssFormat,
    /// Write the result to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
}

/// Output format of `pss`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PssFormat {
    /// One line per pod with the upstream-style reasons.
    Table,
    /// JSON: each object's verdict.
    Json,
}

fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s).ok_or_else(|| format!("unknown level {s:?} (privileged, baseline, restricted)"))
}

fn parse_version(s: &str) -> Result<Version, String> {
    Version::parse(s).ok_or_else(|| format!("invalid version {s:?} (v1.N or latest)"))
}

/// Where the level and version for an object came from.
struct Policy {
    level: Level,
    version: Version,
    source: String,
}

fn policy_for(obj: &Object, inv: &Inventory, a: &PssArgs) -> Policy {
    let ns_name = obj.namespace.as_deref().unwrap_or("");
    let ns = inv.get("Namespace", "", ns_name);
    let label = |key: &str| -> Option<&str> {
        ns?.value.get("metadata")?.get("labels")?.get(key)?.as_str()
    };
    // Upstream: an invalid label value falls back to the most restrictive level / latest.
    let ns_level = label("pod-security.kubernetes.io/enforce")
        .map(|v| Level::parse(v).unwrap_or(Level::Restricted));
    let ns_version = label("pod-security.kubernetes.io/enforce-version")
        .map(|v| Version::parse(v).unwrap_or(Version::Latest));
    let source = match (a.level, ns_level) {
        (Some(_), _) => "flag".to_string(),
        (None, Some(_)) => format!("namespace {ns_name} label"),
        (None, None) => "default".to_string(),
    };
    Policy {
        level: a.level.or(ns_level).unwrap_or(Level::Restricted),
        version: a.version.or(ns_version).unwrap_or(Version::Latest),
        source,
    }
}

/// Runs `pss`.
pub fn run(a: PssArgs) -> Result<u8> {
    let loaded = crate::common::load_inputs(&a.paths)?;
    let inv = &loaded.inventory;
    let mut results = Vec::new();
    let (mut allowed, mut denied) = (0usize, 0usize);
    let mut table = String::new();
    for obj in &inv.objects {
        for t in obj.templates() {
            let p = policy_for(obj, inv, &a);
            let violations = kubecomply_pss::evaluate(
                t.metadata,
                &format!("{}{}", obj.origin.prefix, t.meta_pointer()),
                t.spec,
                &format!("{}{}", obj.origin.prefix, t.spec_pointer()),
                p.level,
                p.version,
            );
            let index = (!violations.is_empty()).then(|| {
                let o = &obj.origin;
                PositionIndex::build(o.source.text.get(o.span.clone()).unwrap_or(""), o.line)
            });
            let locate = |ptr: &str| {
                index
                    .as_ref()
                    .and_then(|i| i.locate(ptr))
                    .unwrap_or((obj.origin.line, 1))
            };
            let name = obj.display_name();
            let policy = format!("{}:{}", p.level, p.version);
            if violations.is_empty() {
                allowed += 1;
                push_line(
                    &mut table,
                    format_args!("ALLOWED  {name}  ({policy}, {})", p.source),
                );
            } else {
                denied += 1;
                let msgs: Vec<String> = violations.iter().map(|v| v.message()).collect();
                push_line(
                    &mut table,
                    format_args!(
                        "DENIED   {name}  {}:{}: violates PodSecurity \"{policy}\": {}",
                        obj.origin.source.path,
                        obj.origin.line,
                        msgs.join(", ")
                    ),
                );
                for v in &violations {
                    if let Some(ptr) = v.pointers.first() {
                        let (l, c) = locate(ptr);
                        push_line(
                            &mut table,
                            format_args!(
                                "         {}:{l}:{c}: {} ({ptr})",
                                obj.origin.source.path, v.reason
                            ),
                        );
                    }
                }
            }
            results.push(json!({
                "resource": {"apiVersion": obj.api_version, "kind": obj.kind, "namespace": obj.namespace, "name": obj.name},
                "template": t.pointer,
                "file": obj.origin.source.path,
                "line": obj.origin.line,
                "level": p.level.as_str(),
                "version": p.version.to_string(),
                "policySource": p.source,
                "allowed": violations.is_empty(),
                "violations": violations.iter().map(|v| {
                    let locations: Vec<_> = v.pointers.iter().map(|ptr| {
                        let (l, c) = locate(ptr);
                        json!({"pointer": ptr, "line": l, "column": c})
                    }).collect();
                    json!({"check": v.check, "reason": v.reason, "detail": v.detail, "message": v.message(), "locations": locations})
                }).collect::<Vec<_>>(),
            }));
        }
    }
    for d in &loaded.diagnostics {
        if d.level >= DiagLevel::Warning {
            table.push_str(&format!("{}\n", d.render()));
        }
    }
    table.push_str(&format!("Summary: {allowed} allowed, {denied} denied\n"));
    let text = match a.format {
        PssFormat::Table => table,
        PssFormat::Json => {
            let doc = json!({
                "schemaVersion": "1.0",
                "results": results,
                "summary": {"allowed": allowed, "denied": denied},
                "diagnostics": loaded.diagnostics,
            });
            format!("{}\n", serde_json::to_string_pretty(&doc)?)
        }
    };
    crate::emit(a.output.as_deref(), &text)?;
    let input_errors = loaded
        .diagnostics
        .iter()
        .any(|d| d.level == DiagLevel::Error);
    Ok(if input_errors {
        2
    } else if denied > 0 {
        1
    } else {
        0
    })
}
