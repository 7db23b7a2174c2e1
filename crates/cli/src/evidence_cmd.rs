//! `kubecomply evidence verify`: checks a bundle written by `report --evidence`
//! (`kubecomply_engine::evidence`).

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use kubecomply_core::text::push_line;
use kubecomply_core::{Value, json};
use kubecomply_engine::evidence::{Rescan, rescan, verify};

/// Arguments of `evidence`.
#[derive(Args, Debug)]
pub struct EvidenceArgs {
    #[command(subcommand)]
    command: EvidenceCommand,
}

#[derive(Subcommand, Debug)]
enum EvidenceCommand {
    /// Check an evidence bundle written by `report --evidence`: recompute every hash, name each
    /// missing, extra or altered file, check the manifest's digest (exit 0 intact, 1
    /// tampered, 2 unreadable or malformed).
    Verify(VerifyArgs),
}

/// Arguments of `evidence verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The bundle directory.
    pub dir: PathBuf,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = VerifyFormat::Text)]
    pub format: VerifyFormat,
    /// The digest recorded when the bundle was written (`sha256:...`): fail unless the
    /// bundle's digest is this one.
    #[arg(long, value_name = "sha256:HEX")]
    pub digest: Option<String>,
    /// Also evaluate the bundled inputs again with this binary (and the configuration,
    /// exceptions and policy files the manifest records, which must be unchanged) and compare
    /// the findings digest.
    #[arg(long)]
    pub rescan: bool,
}

/// Output format of `evidence verify`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VerifyFormat {
    /// Lines for people.
    Text,
    /// One JSON document.
    Json,
}

/// Runs `evidence`.
pub fn run(a: EvidenceArgs) -> anyhow::Result<u8> {
    match a.command {
        EvidenceCommand::Verify(v) => run_verify(v),
    }
}

fn run_verify(a: VerifyArgs) -> anyhow::Result<u8> {
    let v = verify(&a.dir, a.digest.as_deref())?;
    let rescan = if a.rescan && v.problems.is_empty() {
        // At the time the bundle records: exception expiries and the Rego clock and seed
        // (time.now_ns, rand.intn, uuid.rfc4122) are those of the run that wrote it.
        let clock = kubecomply_core::date::unix_seconds(v.manifest.generated_at())
            .map_or_else(crate::common::clock, kubecomply_engine::Clock::at_unix);
        Some(rescan(&a.dir, &v.manifest, clock)?)
    } else {
        None
    };
    let intact = v.problems.is_empty();
    let input_errors = v.manifest.input_errors();
    let reproduced = rescan.as_ref().is_none_or(|r| r.same);
    let tool = v.manifest.tool_version().to_string();
    match a.format {
        VerifyFormat::Json => {
            let problems: Vec<Value> = v
                .problems
                .iter()
                .map(|(f, p, d)| json!({"file": f, "problem": p.as_str(), "detail": d}))
                .collect();
            let doc = json!({
                "bundle": a.dir.display().to_string(),
                "intact": intact,
                "digest": v.digest,
                "computedDigest": v.computed,
                "filesChecked": v.checked,
                "problems": problems,
                "toolVersion": tool,
                "inputErrors": input_errors,
                "rescan": rescan.as_ref().map(Rescan::to_json),
            });
            crate::emit(None, &format!("{}\n", serde_json::to_string_pretty(&doc)?))?;
        }
        VerifyFormat::Text => {
            let mut s = String::new();
            for (f, p, d) in &v.problems {
                // File names come from the bundle directory: one line each, escaped.
                push_line(&mut s, format_args!("{f}: {}: {d}", p.as_str()));
            }
            if intact {
                push_line(
                    &mut s,
                    format_args!(
                        "{}: intact ({} files, digest {})",
                        a.dir.display(),
                        v.checked,
                        v.digest
                    ),
                );
                if input_errors > 0 {
                    s.push_str(&format!(
                        "note: the run this bundle records had {input_errors} input errors (manifest inputErrors): what those inputs hold was not evaluated and its report did not pass\n"
                    ));
                }
            } else {
                push_line(
                    &mut s,
                    format_args!(
                        "{}: TAMPERED ({} problems)",
                        a.dir.display(),
                        v.problems.len()
                    ),
                );
                if a.rescan {
                    s.push_str("rescan skipped: the bundle is not intact\n");
                }
            }
            if let Some(r) = &rescan {
                s.push_str(&r.to_text());
            }
            crate::emit(None, &s)?;
        }
    }
    Ok(if intact && reproduced { 0 } else { 1 })
}
