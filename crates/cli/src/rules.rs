//! `kubecomply rules`: the catalogue.

use clap::{Args, Subcommand, ValueEnum};
use kubecomply_core::json;
use kubecomply_core::text::push_line;

/// Arguments of `rules`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(subcommand)]
    command: Option<RulesCommand>,
    /// Output format of the list.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
    /// Configuration file (its `policies:` are listed too; default: .kubecomply.yaml found
    /// upwards).
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// The team's own policies, listed with the built-in rules.
    #[command(flatten)]
    policies: crate::common::PolicySources,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

#[derive(Subcommand, Debug)]
enum RulesCommand {
    /// Print a rule's documentation (by code or slug).
    Explain {
        /// Rule code (KC-HOST-001) or slug (privileged-container).
        rule: String,
    },
}

/// Runs `rules`.
pub fn run(a: RulesArgs) -> anyhow::Result<u8> {
    let settings = crate::common::settings_with_policies(a.config.as_deref(), &a.policies)?;
    let (engine, diagnostics) = kubecomply_engine::Engine::new(settings)?;
    for d in &diagnostics {
        eprintln!("{}", d.render());
    }
    let catalogue = engine.catalogue();
    if let Some(RulesCommand::Explain { rule }) = a.command {
        let Some(m) = catalogue.find(&rule) else {
            anyhow::bail!("no rule named {rule:?} (see `kubecomply rules`)");
        };
        // The team's policies write their own documentation: shown with its lines, escaped.
        crate::emit(
            None,
            &kubecomply_core::text::escape_text(&kubecomply_checks::docs::page(m)),
        )?;
        return Ok(0);
    }
    let rules = catalogue.all();
    match a.format {
        ListFormat::Json => {
            let list: Vec<_> = rules
                .iter()
                .map(|m| {
                    let mut refs = kubecomply_core::Map::new();
                    for reference in m.references {
                        let e = refs
                            .entry(reference.tool.to_string())
                            .or_insert_with(|| json!([]));
                        if let Some(a) = e.as_array_mut() {
                            a.push(json!(reference.id));
                        }
                    }
                    json!({
                        "code": m.code,
                        "slug": m.slug,
                        "title": m.title,
                        "severity": m.severity,
                        "category": m.category,
                        "since": m.since,
                        "references": refs,
                    })
                })
                .collect();
            let doc = json!({"schemaVersion": "1.0", "rules": list});
            crate::emit(None, &format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        }
        ListFormat::Table => {
            let mut s = String::new();
            for m in rules {
                push_line(
                    &mut s,
                    format_args!(
                        "{:<12} {:<9} {:<40} {}",
                        m.code,
                        m.severity.as_str(),
                        m.slug,
                        m.title
                    ),
                );
            }
            push_line(&mut s, format_args!("{} rules", rules.len()));
            crate::emit(None, &s)?;
        }
    }
    Ok(0)
}
