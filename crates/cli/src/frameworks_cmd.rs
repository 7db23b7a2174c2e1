//! `kubecomply frameworks`: the compliance framework catalogues, and checking one on inputs.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use kubecomply_core::json;
use kubecomply_core::text::push_line;
use kubecomply_engine::ReportRequest;
use kubecomply_frameworks::{
    Assessment, Framework, FrameworkResult, RequirementResult, RequirementStatus,
};

/// Arguments of `frameworks`.
#[derive(Args, Debug)]
pub struct FrameworksArgs {
    #[command(subcommand)]
    command: Option<FrameworksCommand>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ListFormat::Table, global = true)]
    format: ListFormat,
    /// A custom framework file (YAML, may `extends` a built-in one); repeatable.
    #[arg(long = "framework-file", value_name = "FILE", global = true)]
    framework_files: Vec<PathBuf>,
    /// The team's own policies: run by `check`, and mapped into the frameworks their metadata
    /// names.
    #[command(flatten)]
    policies: crate::common::PolicySources,
}

/// `--scope`: which resources a framework with a data class evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ScopeArg {
    /// Every scanned resource, whatever data class it holds.
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

#[derive(Subcommand, Debug)]
enum FrameworksCommand {
    /// Print a framework's requirement tree with assessments and mapped rules.
    Show {
        /// Framework id (see `kubecomply frameworks`).
        id: String,
    },
    /// Scan inputs and evaluate a framework on the findings (exit 1 if a requirement fails).
    Check {
        /// Framework id (see `kubecomply frameworks`).
        id: String,
        /// Files, directories, or `-` for standard input.
        #[arg(required = true)]
        inputs: Vec<String>,
        /// `all`: evaluate every resource, not only those holding the framework's data class.
        #[arg(long, value_enum)]
        scope: Option<ScopeArg>,
    },
}

/// Runs `frameworks`.
pub fn run(a: FrameworksArgs) -> anyhow::Result<u8> {
    let mut settings = crate::common::settings(None)?;
    settings
        .framework_files
        .extend(a.framework_files.iter().cloned());
    if matches!(
        a.command,
        Some(FrameworksCommand::Show { .. } | FrameworksCommand::Check { .. })
    ) {
        settings.policies.merge(a.policies.to_settings());
    } else {
        // The list needs no policy.
        settings.policies = Default::default();
    }
    let (engine, diagnostics) = kubecomply_engine::Engine::new(settings)?;
    match a.command {
        None => list(engine.frameworks()?, a.format),
        Some(FrameworksCommand::Show { id }) => {
            for d in diagnostics.iter().chain(engine.framework_diagnostics()?) {
                eprintln!("{}", d.render());
            }
            show(engine.framework(&id)?, a.format)
        }
        Some(FrameworksCommand::Check { id, inputs, scope }) => {
            let (loaded, scan, input_errors) =
                crate::common::scan_for_frameworks(&engine, &diagnostics, &inputs, false)?;
            let request = ReportRequest {
                frameworks: vec![id],
                scope_all: scope == Some(ScopeArg::All),
                ..ReportRequest::default()
            };
            let assessment = engine.assess(&loaded.inventory, &scan, &request)?;
            for d in &assessment.diagnostics {
                eprintln!("{}", d.render());
            }
            let Some(report) = assessment.reports.into_iter().next() else {
                anyhow::bail!("no framework assessed");
            };
            let result = report.result;
            match a.format {
                ListFormat::Json => {
                    let doc = json!({
                        "schemaVersion": "1.0",
                        "inputs": inputs,
                        "files": loaded.files,
                        "objects": loaded.inventory.len(),
                        "policyDigest": engine.policies().and_then(|p| p.digest.clone()),
                        "scope": report.scope.description,
                        "inScope": report.scope.resources,
                        "result": result,
                    });
                    crate::emit(None, &format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
                }
                ListFormat::Table => crate::emit(None, &table(&result))?,
            }
            Ok(if !input_errors.is_empty() {
                2
            } else if result.has_failures() {
                1
            } else {
                0
            })
        }
    }
}

fn list(frameworks: &[Framework], format: ListFormat) -> anyhow::Result<u8> {
    match format {
        ListFormat::Json => {
            let list: Vec<_> = frameworks
                .iter()
                .map(|f| {
                    let [a, p, m] = f.counts_by_assessment();
                    json!({
                        "id": f.id,
                        "name": f.name,
                        "version": f.version,
                        "description": f.description,
                        "appliesTo": f.applies_to,
                        "extends": f.extends,
                        "requirements": a + p + m,
                        "byAssessment": {"automated": a, "partial": p, "manual": m},
                    })
                })
                .collect();
            let doc = json!({"schemaVersion": "1.0", "frameworks": list});
            crate::emit(None, &format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        }
        ListFormat::Table => {
            let mut s = format!(
                "{:<16} {:<40} {:<22} {:>5} {:>9} {:>7} {:>6}\n",
                "ID", "NAME", "VERSION", "REQS", "AUTOMATED", "PARTIAL", "MANUAL"
            );
            for f in frameworks {
                let [a, p, m] = f.counts_by_assessment();
                push_line(
                    &mut s,
                    format_args!(
                        "{:<16} {:<40} {:<22} {:>5} {:>9} {:>7} {:>6}",
                        f.id,
                        f.name,
                        f.version,
                        a + p + m,
                        a,
                        p,
                        m
                    ),
                );
            }
            push_line(&mut s, format_args!("{} frameworks", frameworks.len()));
            crate::emit(None, &s)?;
        }
    }
    Ok(0)
}

fn show(f: &Framework, format: ListFormat) -> anyhow::Result<u8> {
    if format == ListFormat::Json {
        let doc = json!({"schemaVersion": "1.0", "framework": f});
        crate::emit(None, &format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        return Ok(0);
    }
    let mut s = String::new();
    push_line(&mut s, format_args!("{} {} ({})", f.name, f.version, f.id));
    for line in f.description.lines() {
        push_line(&mut s, line);
    }
    if f.description.is_empty() {
        s.push('\n');
    }
    if let Some(c) = f.applies_to {
        push_line(
            &mut s,
            format_args!("Applies to data class: {}", c.as_str()),
        );
    }
    if let Some(b) = &f.extends {
        push_line(&mut s, format_args!("Extends: {b}"));
    }
    s.push('\n');
    for (r, depth) in f.all_requirements() {
        let indent = "  ".repeat(depth);
        match r.assessment {
            None => push_line(&mut s, format_args!("{indent}{} {}", r.id, r.title)),
            Some(a) => {
                push_line(
                    &mut s,
                    format_args!("{indent}{} {} [{}]", r.id, r.title, a.as_str()),
                );
                if !r.rules.is_empty() {
                    push_line(
                        &mut s,
                        format_args!("{indent}    rules: {}", r.rules.join(", ")),
                    );
                }
                if !r.planned_rules.is_empty() {
                    push_line(
                        &mut s,
                        format_args!("{indent}    planned: {}", r.planned_rules.join(", ")),
                    );
                }
                if !r.needs.is_empty() {
                    let needs: Vec<&str> = r.needs.iter().map(|n| n.as_str()).collect();
                    push_line(
                        &mut s,
                        format_args!("{indent}    needs: {}", needs.join(", ")),
                    );
                }
            }
        }
    }
    let [a, p, m] = f.counts_by_assessment();
    s.push_str(&format!(
        "\n{} requirements: {a} {}, {p} {}, {m} {}\n",
        a + p + m,
        Assessment::Automated.as_str(),
        Assessment::Partial.as_str(),
        Assessment::Manual.as_str()
    ));
    crate::emit(None, &s)?;
    Ok(0)
}

fn table(r: &FrameworkResult) -> String {
    fn row(s: &mut String, r: &RequirementResult, depth: usize) {
        let indent = "  ".repeat(depth);
        push_line(
            s,
            format_args!(
                "{:<15} {indent}{} {}",
                r.status.as_str().to_uppercase(),
                r.id,
                r.title
            ),
        );
        for f in &r.failed {
            let what = f.resource.as_ref().map_or_else(String::new, |o| {
                let ns = o
                    .namespace
                    .as_deref()
                    .map_or(String::new(), |n| format!("{n}/"));
                format!(" {}/{ns}{}", o.kind, o.name)
            });
            push_line(
                s,
                format_args!(
                    "{:<15} {indent}  ✗ {} {}{what} {}",
                    "", f.rule, f.location, f.message
                ),
            );
        }
        for f in &r.excepted {
            push_line(
                s,
                format_args!(
                    "{:<15} {indent}  ~ {} {} excepted: {}",
                    "",
                    f.rule,
                    f.location,
                    f.exception.as_deref().unwrap_or_default()
                ),
            );
        }
        if r.status == RequirementStatus::NotAssessed && !r.planned_rules.is_empty() {
            let needs: Vec<&str> = r.needs.iter().map(|n| n.as_str()).collect();
            push_line(
                s,
                format_args!(
                    "{:<15} {indent}  no evidence source yet (planned {}{})",
                    "",
                    r.planned_rules.join(", "),
                    if needs.is_empty() {
                        String::new()
                    } else {
                        format!("; needs {}", needs.join(", "))
                    }
                ),
            );
        }
        for c in &r.requirements {
            row(s, c, depth + 1);
        }
    }
    let mut s = String::new();
    push_line(&mut s, format_args!("{} {} ({})", r.name, r.version, r.id));
    s.push('\n');
    for q in &r.requirements {
        row(&mut s, q, 0);
    }
    s.push('\n');
    let counts: Vec<String> = RequirementStatus::ALL
        .iter()
        .map(|st| format!("{} {}", r.counts.get(st).copied().unwrap_or(0), st.as_str()))
        .collect();
    push_line(&mut s, format_args!("Requirements: {}", counts.join(", ")));
    let sev: Vec<String> = r
        .failed_by_severity
        .iter()
        .rev()
        .map(|(k, v)| format!("{v} {k}"))
        .collect();
    if !sev.is_empty() {
        push_line(&mut s, format_args!("Failed findings: {}", sev.join(", ")));
    }
    match r.score {
        Some(score) => push_line(
            &mut s,
            format_args!("Score: {score:.1}% (passing / assessed requirements)"),
        ),
        None => s.push_str("Score: n/a (no requirement could be assessed)\n"),
    }
    s
}
