//! `kubecomply policy`: the team's own policies — `gator verify` suites and Rego unit tests.

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use kubecomply_core::Diagnostic;
use kubecomply_core::diagnostic::Level as DiagLevel;
use kubecomply_core::text::{esc, push_line};
use kubecomply_rego::RegoVersion;
use kubecomply_rego::unit::{self, TestOutcome, UnitOptions};
use kubecomply_rego::verify::{self, Outcome, VerifyOptions};

/// Arguments of `policy`.
#[derive(Args, Debug)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

/// Rego syntax version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RegoVersionArg {
    /// Rego v0 (OPA before 1.0).
    V0,
    /// Rego v1.
    V1,
}

/// `policy` subcommands.
#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Run Gatekeeper `gator verify` Suite files found under the paths (exit 1 when a case
    /// fails, 2 when suites cannot be read).
    Verify {
        /// Suite files or directories to search for them.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Only run cases whose `test/case` name matches this regular expression.
        #[arg(long)]
        run: Option<String>,
    },
    /// Run the `test_*` rules of Rego modules, conftest/OPA style (exit 1 when a test fails,
    /// 2 when modules cannot be loaded).
    Test {
        /// `.rego` files or directories (policies and their `_test.rego` modules).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// YAML/JSON files or directories merged into `data`.
        #[arg(long = "data")]
        data: Vec<PathBuf>,
        /// Print line coverage of the policies.
        #[arg(long)]
        coverage: bool,
        /// Rego syntax of the modules.
        #[arg(long, value_enum, default_value = "v1")]
        rego_version: RegoVersionArg,
        /// Only run tests whose `package.rule` name matches this regular expression.
        #[arg(long)]
        run: Option<String>,
    },
}

/// Runs a `policy` subcommand; returns the exit status.
pub fn run(a: PolicyArgs) -> Result<u8> {
    // Files are read within the limits of the configuration every command reads.
    let limits = crate::common::settings(None)?.limits;
    match a.command {
        PolicyCommand::Verify { paths, run } => Ok(verify_cmd(&paths, run, limits)),
        PolicyCommand::Test {
            paths,
            data,
            coverage,
            rego_version,
            run,
        } => Ok(test_cmd(UnitOptions {
            paths,
            data_paths: data,
            version: match rego_version {
                RegoVersionArg::V0 => RegoVersion::V0,
                RegoVersionArg::V1 => RegoVersion::V1,
            },
            coverage,
            run,
            limits,
            ..UnitOptions::default()
        })),
    }
}

/// Prints diagnostics to standard error; whether any is an error.
fn report_diagnostics(diagnostics: &[Diagnostic]) -> bool {
    for d in diagnostics {
        eprintln!("{}", d.render());
    }
    diagnostics.iter().any(|d| d.level == DiagLevel::Error)
}

fn verify_cmd(paths: &[PathBuf], run: Option<String>, limits: kubecomply_loader::Limits) -> u8 {
    let report = verify::run(
        paths,
        &VerifyOptions {
            run,
            gatekeeper: kubecomply_rego::GatekeeperOptions {
                limits,
                ..Default::default()
            },
        },
    );
    let load_errors = report_diagnostics(&report.diagnostics);
    let mut out = String::new();
    for r in &report.results {
        let name = format!("{} {}/{}", r.suite, r.test, r.case);
        match &r.outcome {
            Outcome::Pass => push_line(&mut out, format_args!("ok    {name} ({:.1?})", r.duration)),
            Outcome::Skip => push_line(&mut out, format_args!("skip  {name}")),
            Outcome::Fail(why) => push_line(&mut out, format_args!("FAIL  {name}: {why}")),
        }
    }
    out.push_str(&report.summary());
    out.push('\n');
    print!("{out}");
    if load_errors {
        2
    } else if report.results.is_empty() {
        eprintln!("error: no gator Suite (test.gatekeeper.sh/v1alpha1) found");
        2
    } else if report.failed() > 0 {
        1
    } else {
        0
    }
}

fn test_cmd(options: UnitOptions) -> u8 {
    let report = unit::run(&options);
    let load_errors = report_diagnostics(&report.diagnostics);
    let mut out = String::new();
    for t in &report.results {
        match &t.outcome {
            TestOutcome::Pass => push_line(
                &mut out,
                format_args!("ok    {} ({:.1?})", t.name, t.duration),
            ),
            TestOutcome::Skip => push_line(&mut out, format_args!("skip  {}", t.name)),
            TestOutcome::Fail(why) => push_line(
                &mut out,
                format_args!("FAIL  {} ({}): {why}", t.name, t.file),
            ),
        }
    }
    if let Some(coverage) = &report.coverage {
        out.push_str("coverage:\n");
        for f in coverage {
            let missing: Vec<String> = f.not_covered.iter().map(u32::to_string).collect();
            out.push_str(&format!("  {:>5.1}%  {}", f.percent(), esc(&f.file)));
            if !missing.is_empty() {
                out.push_str(&format!("  (not covered: lines {})", missing.join(", ")));
            }
            out.push('\n');
        }
    }
    out.push_str(&report.summary());
    out.push('\n');
    print!("{out}");
    if load_errors {
        2
    } else if report.failed() > 0 {
        1
    } else {
        0
    }
}
