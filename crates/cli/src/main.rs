//! The `kubecomply` command: argument parsing and wiring only.

mod catalogue;
mod config;
mod definition;
mod evidence;
mod frameworks_cmd;
mod netpol_cmd;
mod policies;
mod policy_cmd;
mod pss;
mod rbac_cmd;
mod report_cmd;
mod rules;
mod scan;
mod schedule;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Kubernetes and container compliance as code.
#[derive(Parser, Debug)]
#[command(name = "kubecomply", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan manifests (files, directories, `-` for standard input) with the built-in rules.
    Scan(scan::ScanArgs),
    /// Answer what the Pod Security admission controller would answer for each pod.
    Pss(pss::PssArgs),
    /// RBAC analysis: who can, effective permissions, risky grants, escalation paths.
    Rbac(rbac_cmd::RbacArgs),
    /// Network policy reachability: query a connection, print the reachability matrix.
    Netpol(netpol_cmd::NetpolArgs),
    /// Compliance frameworks: list, show the requirement tree, check inputs against one.
    Frameworks(frameworks_cmd::FrameworksArgs),
    /// Compliance report: scan, evaluate frameworks, write JSON, Markdown or HTML.
    Report(report_cmd::ReportArgs),
    /// Evidence bundles written by `report --evidence`: verify them.
    Evidence(evidence::EvidenceArgs),
    /// List the built-in rules, or explain one.
    Rules(rules::RulesArgs),
    /// The team's own policies: run gator verify suites and Rego unit tests.
    Policy(policy_cmd::PolicyArgs),
}

/// Output format of `scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Human-readable table grouped by file.
    Table,
    /// JSON (schema docs/schema/findings-v1.json).
    Json,
    /// SARIF 2.1.0 (GitHub code scanning).
    Sarif,
    /// JUnit XML.
    Junit,
}

/// Writes output to `--output FILE` (plain) or standard output (colour on a terminal).
pub fn emit(output: Option<&std::path::Path>, text: &str) -> anyhow::Result<()> {
    match output {
        Some(p) => {
            let plain = anstream::adapter::strip_str(text).to_string();
            std::fs::write(p, plain)
                .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", p.display()))
        }
        None => {
            let mut out = anstream::stdout();
            match out.write_all(text.as_bytes()) {
                // A closed pipe (`| head`) is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.map_err(Into::into),
            }
        }
    }
}

/// Streams machine-readable output (no colour handling) to `--output FILE` or standard output.
pub fn emit_with(
    output: Option<&std::path::Path>,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> anyhow::Result<()> {
    let result = match output {
        Some(p) => {
            let f = std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("{}: cannot write: {e}", p.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, f);
            write(&mut w).and_then(|()| w.flush())
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            write(&mut w).and_then(|()| w.flush())
        }
    };
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(Into::into),
    }
}

// The global allocator is mimalloc, installed by regorus (its `allocator-memory-limits`
// feature): kubecomply builds millions of small values across threads, which mimalloc does
// about 30% faster than the system allocator on the benchmark corpus, and regorus' accounting
// in it gives every Rego evaluation its memory bound (see crates/rego/src/memory.rs).

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Scan(a) => scan::run(a),
        Command::Pss(a) => pss::run(a),
        Command::Rbac(a) => rbac_cmd::run(a),
        Command::Netpol(a) => netpol_cmd::run(a),
        Command::Frameworks(a) => frameworks_cmd::run(a),
        Command::Report(a) => report_cmd::run(a),
        Command::Evidence(a) => evidence::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Policy(a) => policy_cmd::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let _ = writeln!(anstream::stderr(), "error: {e:#}");
            ExitCode::from(2)
        }
    }
}
