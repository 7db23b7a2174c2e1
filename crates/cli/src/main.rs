//! The `kubecomply` command: argument parsing and wiring only.

mod common;
mod evidence_cmd;
mod frameworks_cmd;
mod inventory_report;
mod netpol_cmd;
mod policy_cmd;
mod pss;
mod rbac_cmd;
mod report_cmd;
mod rules;
mod scan;

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
    Evidence(evidence_cmd::EvidenceArgs),
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

unsafe extern "C" {
    /// mimalloc's run-time option setter (`mi_option_set` in mimalloc.h), part of the mimalloc
    /// library that regorus-mimalloc-sys compiles into the binary.
    fn mi_option_set(option: std::ffi::c_int, value: std::ffi::c_long);
    /// The matching getter.
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// `mi_option_purge_delay` in mimalloc.h's `mi_option_e` (mimalloc 2.x, as vendored by
/// regorus-mimalloc-sys 2.2.6).
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

/// Every command is a batch job that ends when its work is done, so memory it frees is kept for
/// its next allocations rather than returned to the OS after mimalloc's default 10 ms (and
/// faulted in, zeroed, again a moment later): on the 100,000-object scan that took the system
/// time from about 1.0 s to 0.25 s and the wall time from 2.6 s to 1.9 s, for 13 MiB more peak
/// RSS (bench/README.md). `MIMALLOC_PURGE_DELAY` in the environment still decides when set.
fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: a plain setter of an integer option, with a valid option number for the
        // linked mimalloc; it may be called at any time, from any thread.
        unsafe { mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

/// Errors are values in the policy engines (regorus builds an `anyhow::Error` where a rule is
/// undefined for an input); with `RUST_BACKTRACE` set, as many images set it for panics, each
/// would capture a backtrace, which made a Gatekeeper evaluation five times slower (4 ms per
/// capture, bench/admission). `RUST_LIB_BACKTRACE` keeps panics' backtraces and turns the
/// errors' off, unless the user set it.
fn no_error_backtraces() {
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        // SAFETY: called first thing in `main`, before any other thread exists.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
}

fn main() -> ExitCode {
    no_error_backtraces();
    keep_freed_memory();
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
        Command::Evidence(a) => evidence_cmd::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Policy(a) => policy_cmd::run(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // Errors name files and quote input, so each line is escaped
            // (kubecomply_core::text); an error of several lines (one per problem of a file)
            // prints each as an `error:` line, so a line break in a name cannot forge a line
            // that is not one.
            let text = format!("{e:#}");
            let mut err = anstream::stderr();
            for line in text.split('\n') {
                let _ = writeln!(err, "error: {}", kubecomply_core::text::esc(line));
            }
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_option_number_is_mimallocs_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: plain getters of an integer option.
        let before = unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) };
        // mimalloc's documented default purge delay is 10 ms: the number names that option.
        assert_eq!(before, 10);
        keep_freed_memory();
        assert_eq!(unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) }, -1);
    }
}
