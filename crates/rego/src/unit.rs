//! Rego unit tests the way `opa test` / `conftest verify` run them: every rule named
//! `test_*` in the loaded modules is evaluated without input and passes when it is `true`;
//! `todo_test_*` rules are skipped. Optional line coverage.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kubecomply_core::diagnostic::Diagnostic;

use crate::conftest::{build_engine, read_data, read_modules};
use crate::engine::{self, RegoVersion, error_at, rule_path};
use crate::files;
use crate::metadata::rule_heads;

/// How unit tests are run.
#[derive(Clone, Debug)]
pub struct UnitOptions {
    /// `.rego` files or directories (all modules are loaded: tests and the policies they test).
    pub paths: Vec<PathBuf>,
    /// YAML/JSON files merged into `data`.
    pub data_paths: Vec<PathBuf>,
    /// Rego syntax of the modules.
    pub version: RegoVersion,
    /// Whether to gather line coverage.
    pub coverage: bool,
    /// Wall-clock limit of one test.
    pub timeout: Duration,
    /// Only run tests whose `package.rule` name matches this regular expression.
    pub run: Option<String>,
    /// Size limit of every file read.
    pub limits: kubecomply_loader::Limits,
    /// The run's time and seed (`time.now_ns`, `rand.intn`, `uuid.rfc4122`).
    pub determinism: crate::Determinism,
}

impl Default for UnitOptions {
    fn default() -> Self {
        UnitOptions {
            paths: Vec::new(),
            data_paths: Vec::new(),
            version: RegoVersion::V1,
            coverage: false,
            timeout: engine::DEFAULT_TIMEOUT,
            run: None,
            limits: kubecomply_loader::Limits::default(),
            determinism: crate::Determinism::default(),
        }
    }
}

/// The outcome of one test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestOutcome {
    /// The rule is true.
    Pass,
    /// The rule is undefined or false, or failed (the reason).
    Fail(String),
    /// `todo_test_*`.
    Skip,
}

/// One test's result.
#[derive(Clone, Debug)]
pub struct TestResult {
    /// The module that declares it.
    pub file: String,
    /// `package.rule`.
    pub name: String,
    /// What happened.
    pub outcome: TestOutcome,
    /// How long it took.
    pub duration: Duration,
}

/// Line coverage of one module.
#[derive(Clone, Debug)]
pub struct FileCoverage {
    /// The module.
    pub file: String,
    /// Lines evaluated.
    pub covered: Vec<u32>,
    /// Lines with statements never evaluated.
    pub not_covered: Vec<u32>,
}

impl FileCoverage {
    /// Covered lines in percent (100 when the module has no statements).
    pub fn percent(&self) -> f64 {
        let total = self.covered.len() + self.not_covered.len();
        if total == 0 {
            100.0
        } else {
            self.covered.len() as f64 * 100.0 / total as f64
        }
    }
}

/// The results of a run.
#[derive(Clone, Debug, Default)]
pub struct UnitReport {
    /// Every test in order.
    pub results: Vec<TestResult>,
    /// Load and compile problems.
    pub diagnostics: Vec<Diagnostic>,
    /// Coverage, when asked for.
    pub coverage: Option<Vec<FileCoverage>>,
}

impl UnitReport {
    /// Tests that passed.
    pub fn passed(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.outcome == TestOutcome::Pass)
            .count()
    }

    /// Tests that failed.
    pub fn failed(&self) -> usize {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, TestOutcome::Fail(_)))
            .count()
    }

    /// `N passed, N failed` (and `, N skipped` when some were).
    pub fn summary(&self) -> String {
        let skipped = self.results.len() - self.passed() - self.failed();
        let mut s = format!("{} passed, {} failed", self.passed(), self.failed());
        if skipped > 0 {
            s.push_str(&format!(", {skipped} skipped"));
        }
        s
    }
}

/// Loads every module under `options.paths` and runs its `test_*` rules.
pub fn run(options: &UnitOptions) -> UnitReport {
    let _phase = crate::memory::Phase::begin();
    let mut report = UnitReport::default();
    let filter = match options.run.as_deref().map(regex::Regex::new) {
        Some(Ok(re)) => Some(re),
        Some(Err(e)) => {
            report.diagnostics.push(Diagnostic::file(
                kubecomply_core::diagnostic::Level::Error,
                "--run",
                e.to_string(),
            ));
            return report;
        }
        None => None,
    };
    let modules = read_modules(
        &options.paths,
        &files::is_rego,
        &options.limits,
        &mut report.diagnostics,
    );
    let data = read_data(
        &options.data_paths,
        &options.limits,
        &mut report.diagnostics,
    );
    let (mut engine, packages) = build_engine(
        &modules,
        &data,
        options.version,
        options.timeout,
        options.determinism,
        &mut report.diagnostics,
    );
    if options.coverage {
        engine.set_enable_coverage(true);
    }
    let mut seen = std::collections::HashSet::new();
    for (i, package) in &packages {
        let m = &modules[*i];
        for (rule, _) in rule_heads(&m.text) {
            let name = format!("{package}.{rule}");
            let is_test = rule.starts_with("test_");
            let is_todo = rule.starts_with("todo_test_");
            if !(is_test || is_todo) || !seen.insert(name.clone()) {
                continue;
            }
            if filter.as_ref().is_some_and(|re| !re.is_match(&name)) {
                continue;
            }
            let start = Instant::now();
            let outcome = if is_todo {
                TestOutcome::Skip
            } else {
                match crate::memory::evaluate(|| engine.eval_rule(rule_path(package, &rule))) {
                    Ok(regorus::Value::Bool(true)) => TestOutcome::Pass,
                    Ok(regorus::Value::Undefined) => TestOutcome::Fail("undefined".into()),
                    Ok(v) => TestOutcome::Fail(format!("result {}", engine::to_json(&v))),
                    Err(e) => TestOutcome::Fail(format!("error: {}", error_at(&e).message)),
                }
            };
            let _ = engine.take_prints();
            report.results.push(TestResult {
                file: m.path.clone(),
                name,
                outcome,
                duration: start.elapsed(),
            });
        }
    }
    if options.coverage {
        report.coverage = engine.get_coverage_report().ok().map(|r| {
            r.files
                .into_iter()
                .filter(|f| !files::is_rego_test(std::path::Path::new(&f.path)))
                .map(|f| FileCoverage {
                    file: f.path,
                    covered: f.covered.into_iter().collect(),
                    not_covered: f.not_covered.into_iter().collect(),
                })
                .collect()
        });
    }
    report
}
