//! `kubecomply rbac`: who-can, can, permissions, review and escalation paths.

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use kubecomply_core::diagnostic::Level as DiagLevel;
use kubecomply_core::json;
use kubecomply_core::text::{esc, push_line};
use kubecomply_core::{Finding, Inventory};

use kubecomply_rbac::{Grant, Rbac, Subject};

/// Arguments of `rbac`.
#[derive(Args, Debug)]
pub struct RbacArgs {
    #[command(subcommand)]
    pub command: RbacCommand,
}

/// Output format of `rbac` commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RbacFormat {
    /// Human-readable text.
    Table,
    /// JSON.
    Json,
}

/// Options shared by the question commands.
#[derive(Args, Debug)]
pub struct Question {
    /// The verb, e.g. `get`, `list`, `create`, `impersonate`.
    pub verb: String,
    /// `RESOURCE[/SUBRESOURCE]`, or a non-resource URL starting with `/`.
    pub resource: String,
    /// Namespace of the request; without it the question is about cluster scope.
    #[arg(long, short = 'n')]
    pub namespace: Option<String>,
    /// API group of the resource (empty for the core group).
    #[arg(long, default_value = "")]
    pub api_group: String,
    /// Name of the object.
    #[arg(long)]
    pub name: Option<String>,
}

impl Question {
    /// The request this question asks about.
    fn request(&self) -> kubecomply_rbac::Request {
        kubecomply_rbac::Request::new(
            &self.verb,
            &self.resource,
            &self.api_group,
            self.namespace.as_deref(),
            self.name.as_deref(),
        )
    }
}

/// `rbac` subcommands.
#[derive(Subcommand, Debug)]
pub enum RbacCommand {
    /// Every subject allowed a request, with the binding and role rule that allow it.
    WhoCan {
        #[command(flatten)]
        question: Question,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = RbacFormat::Table)]
        format: RbacFormat,
        /// Files or directories with RBAC objects; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Whether a subject (`user:NAME`, `group:NAME`, `sa:NS:NAME`) is allowed a request
    /// (exit 0 yes, 1 no).
    Can {
        /// `user:NAME`, `group:NAME`, `sa:NAMESPACE:NAME` or `serviceaccount:NAMESPACE:NAME`.
        subject: String,
        #[command(flatten)]
        question: Question,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = RbacFormat::Table)]
        format: RbacFormat,
        /// Files or directories with RBAC objects; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// The effective permission table of a subject.
    Permissions {
        /// `user:NAME`, `group:NAME`, `sa:NAMESPACE:NAME` or `serviceaccount:NAMESPACE:NAME`.
        subject: String,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = RbacFormat::Table)]
        format: RbacFormat,
        /// Files or directories with RBAC objects; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Findings about effective RBAC (exit 1 when there are any).
    Review {
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = RbacFormat::Table)]
        format: RbacFormat,
        /// Files or directories with RBAC objects and workloads; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Shortest privilege-escalation path of each subject to cluster-admin-equivalent power.
    Paths {
        /// Only this subject.
        #[arg(long)]
        from: Option<String>,
        /// Output format.
        #[arg(long, short = 'f', value_enum, default_value_t = RbacFormat::Table)]
        format: RbacFormat,
        /// Files or directories with RBAC objects and workloads; `-` reads standard input.
        #[arg(required = true)]
        paths: Vec<String>,
    },
}

/// Loads inputs; `Err(code)` after printing input errors.
fn load(paths: &[String]) -> std::result::Result<(Inventory, String), u8> {
    let loaded = crate::common::load_inputs(paths).map_err(|e| {
        eprintln!("error: {}", esc(format_args!("{e:#}")));
        2u8
    })?;
    let mut notes = String::new();
    let mut errors = false;
    for d in &loaded.diagnostics {
        if d.level >= DiagLevel::Warning {
            notes.push_str(&format!("{}\n", d.render()));
        }
        errors |= d.level == DiagLevel::Error;
    }
    if errors {
        eprint!("{notes}");
        return Err(2);
    }
    if !notes.is_empty() {
        eprint!("{notes}");
    }
    Ok((loaded.inventory, notes))
}

fn parse_subject(s: &str) -> std::result::Result<Subject, u8> {
    Subject::parse(s).map_err(|e| {
        eprintln!("error: {}", esc(&e));
        2
    })
}

fn grant_line(g: &Grant) -> String {
    let scope = match &g.namespace {
        Some(ns) => format!("namespace {ns}"),
        None => "cluster-wide".to_string(),
    };
    // Escaped before padding, so that columns line up as printed.
    format!(
        "{:<48} {:<22} via {}",
        esc(g.subject.display()),
        esc(scope),
        g.via()
    )
}

fn subjects_json(grants: &[Grant]) -> Vec<kubecomply_core::Value> {
    let mut seen = std::collections::BTreeSet::new();
    grants
        .iter()
        .filter(|g| seen.insert(&g.subject))
        .map(|g| json!({"kind": g.subject.kind.as_str(), "name": g.subject.name, "namespace": g.subject.namespace}))
        .collect()
}

/// Skips freeing the inventory and indexes: the process is about to exit, and dropping tens of
/// thousands of JSON values costs more than the queries.
fn leak<T>(x: T) {
    std::mem::forget(x);
}

fn to_json(v: &kubecomply_core::Value) -> Result<String> {
    Ok(format!("{}\n", serde_json::to_string_pretty(v)?))
}

/// Runs `rbac`.
pub fn run(a: RbacArgs) -> Result<u8> {
    match a.command {
        RbacCommand::WhoCan {
            question: q,
            format,
            paths,
        } => {
            let (inv, _) = match load(&paths) {
                Ok(x) => x,
                Err(c) => return Ok(c),
            };
            let rbac = Rbac::new(&inv);
            let grants = rbac.who_can(
                &q.verb,
                &q.resource,
                q.namespace.as_deref(),
                &q.api_group,
                q.name.as_deref(),
            );
            let req = q.request();
            let text = match format {
                RbacFormat::Json => to_json(&json!({
                    "request": req.describe(),
                    "subjects": subjects_json(&grants),
                    "grants": grants,
                }))?,
                RbacFormat::Table => {
                    let mut t = String::new();
                    push_line(&mut t, format_args!("Who can {}:", req.describe()));
                    for g in &grants {
                        push_line(&mut t, format_args!("  {}", grant_line(g)));
                    }
                    push_line(
                        &mut t,
                        format_args!(
                            "{} subjects, {} grants",
                            subjects_json(&grants).len(),
                            grants.len()
                        ),
                    );
                    t
                }
            };
            crate::emit(None, &text)?;
            leak((rbac, inv));
            Ok(0)
        }
        RbacCommand::Can {
            subject,
            question: q,
            format,
            paths,
        } => {
            let subject = match parse_subject(&subject) {
                Ok(s) => s,
                Err(c) => return Ok(c),
            };
            let (inv, _) = match load(&paths) {
                Ok(x) => x,
                Err(c) => return Ok(c),
            };
            let rbac = Rbac::new(&inv);
            let (allowed, grants) = rbac.can(
                &subject,
                &q.verb,
                &q.resource,
                q.namespace.as_deref(),
                &q.api_group,
                q.name.as_deref(),
            );
            let req = q.request();
            let text = match format {
                RbacFormat::Json => to_json(&json!({
                    "subject": subject,
                    "request": req.describe(),
                    "allowed": allowed,
                    "grants": grants,
                }))?,
                RbacFormat::Table => {
                    let mut t = String::new();
                    push_line(
                        &mut t,
                        format_args!(
                            "{}: {} may {}",
                            if allowed { "yes" } else { "no" },
                            subject.display(),
                            req.describe()
                        ),
                    );
                    if !allowed {
                        t.push_str("  no binding of this subject (or of its groups) grants it\n");
                    }
                    for g in &grants {
                        push_line(&mut t, format_args!("  {}", grant_line(g)));
                    }
                    t
                }
            };
            crate::emit(None, &text)?;
            leak((rbac, inv));
            Ok(if allowed { 0 } else { 1 })
        }
        RbacCommand::Permissions {
            subject,
            format,
            paths,
        } => {
            let subject = match parse_subject(&subject) {
                Ok(s) => s,
                Err(c) => return Ok(c),
            };
            let (inv, _) = match load(&paths) {
                Ok(x) => x,
                Err(c) => return Ok(c),
            };
            let rows = Rbac::new(&inv).permissions(&subject);
            let text = match format {
                RbacFormat::Json => to_json(&json!({"subject": subject, "permissions": rows}))?,
                RbacFormat::Table => {
                    let mut t = String::new();
                    push_line(
                        &mut t,
                        format_args!("Effective permissions of {}:", subject.display()),
                    );
                    t.push_str(&format!("  {:<22} {:<70} VIA\n", "SCOPE", "RULE"));
                    for r in &rows {
                        let scope = r.namespace.as_deref().unwrap_or("cluster-wide");
                        push_line(
                            &mut t,
                            format_args!(
                                "  {:<22} {:<70} {} (as {})",
                                esc(scope),
                                esc(r.rule.summary()),
                                r.grant.via(),
                                r.grant.subject.display()
                            ),
                        );
                    }
                    t.push_str(&format!("{} rules\n", rows.len()));
                    t
                }
            };
            crate::emit(None, &text)?;
            Ok(0)
        }
        RbacCommand::Review { format, paths } => {
            let (inv, _) = match load(&paths) {
                Ok(x) => x,
                Err(c) => return Ok(c),
            };
            let rbac = Rbac::new(&inv);
            // The single-role RBAC rules of the built-in set (wildcards, exec, bind, escalate,
            // webhooks, CSR, bindings to cluster-admin or anonymous...) plus the review of
            // effective permissions across objects.
            let rbac_rules: Vec<&'static kubecomply_checks::Rule> =
                kubecomply_checks::registry::all()
                    .into_iter()
                    .filter(|r| r.meta.category == kubecomply_core::Category::Rbac)
                    .collect();
            let engine = kubecomply_checks::Engine::new(
                &rbac_rules,
                kubecomply_checks::EngineOptions::default(),
            );
            // The two halves are independent: run them side by side.
            let (single, effective) = rayon::join(
                || engine.run(&inv).findings,
                || kubecomply_rbac::review::review_with(&inv, &rbac.authorizer, &rbac.accounts),
            );
            let mut findings: Vec<Finding> = single
                .into_iter()
                .filter(|f| f.status == kubecomply_core::Status::Fail)
                .collect();
            findings.extend(effective);
            let text = crate::common::review_text(
                &mut findings,
                &inv,
                matches!(format, RbacFormat::Json),
            )?;
            crate::emit(None, &text)?;
            let failed = !findings.is_empty();
            leak((findings, rbac, inv));
            Ok(if failed { 1 } else { 0 })
        }
        RbacCommand::Paths {
            from,
            format,
            paths,
        } => {
            let from = match from.as_deref().map(parse_subject) {
                Some(Ok(s)) => Some(s),
                Some(Err(c)) => return Ok(c),
                None => None,
            };
            let (inv, _) = match load(&paths) {
                Ok(x) => x,
                Err(c) => return Ok(c),
            };
            let rbac = Rbac::new(&inv);
            let found = rbac.paths(from.as_ref());
            let text = match format {
                RbacFormat::Json => to_json(&json!({"paths": found}))?,
                RbacFormat::Table => {
                    let mut t = String::new();
                    for p in &found {
                        push_line(
                            &mut t,
                            format_args!(
                                "{} reaches cluster-admin-equivalent power in {} step(s):",
                                p.subject.display(),
                                p.steps.len()
                            ),
                        );
                        for (i, s) in p.steps.iter().enumerate() {
                            push_line(&mut t, format_args!("  {}. {}", i + 1, s.description));
                            push_line(&mut t, format_args!("     rule: {}", s.rule.display()));
                            if let Some(a) = &s.also {
                                push_line(&mut t, format_args!("     and:  {}", a.display()));
                            }
                        }
                    }
                    t.push_str(&format!("{} paths\n", found.len()));
                    t
                }
            };
            crate::emit(None, &text)?;
            leak((found, rbac, inv));
            Ok(0)
        }
    }
}
