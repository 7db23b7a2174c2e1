//! conftest-style policies: Rego modules whose `deny`, `violation` and `warn` rules (and
//! `deny_<suffix>` etc.) are evaluated with each object as `input`.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use kubecomply_core::diagnostic::{Diagnostic, Level};
use kubecomply_core::{CustomRule, Finding, Inventory, Object, Severity, Status};
use rayon::prelude::*;
use regorus::Engine;

use crate::engine::{self, RegoVersion, error_at, messages, new_engine, rule_path, to_rego};
use crate::files;
use crate::metadata::{self, ModuleAnnotations, slugify};
use kubecomply_loader::Limits;

/// Which packages are evaluated (conftest's `--namespace` and `--all-namespaces`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Namespaces {
    /// Package `main` only (conftest's default).
    #[default]
    Main,
    /// These packages (e.g. `main`, `kubernetes.admission`).
    Only(Vec<String>),
    /// Every package of the loaded modules.
    All,
}

impl Namespaces {
    fn selects(&self, package: &str) -> bool {
        match self {
            Namespaces::Main => package == "main",
            Namespaces::Only(list) => list.iter().any(|p| p == package),
            Namespaces::All => true,
        }
    }
}

/// How conftest-style policies are loaded and evaluated.
#[derive(Clone, Debug)]
pub struct RegoOptions {
    /// `.rego` files or directories (walked; `*_test.rego` modules are left to `policy test`).
    pub policy_paths: Vec<PathBuf>,
    /// YAML or JSON files (or directories) merged into `data`.
    pub data_paths: Vec<PathBuf>,
    /// Packages to evaluate.
    pub namespaces: Namespaces,
    /// Rego syntax of the modules.
    pub version: RegoVersion,
    /// Wall-clock limit of one rule on one object.
    pub timeout: Duration,
    /// Size limit of every file read (modules, data, metadata sidecars).
    pub limits: Limits,
    /// The run's time and seed (`time.now_ns`, `rand.intn`, `uuid.rfc4122`).
    pub determinism: crate::Determinism,
    /// Time budget of all evaluations of one [`RegoPolicies::evaluate`] (zero: none).
    pub run_budget: Duration,
}

impl Default for RegoOptions {
    fn default() -> Self {
        RegoOptions {
            policy_paths: Vec::new(),
            data_paths: Vec::new(),
            namespaces: Namespaces::Main,
            version: RegoVersion::V1,
            timeout: engine::DEFAULT_TIMEOUT,
            limits: Limits::default(),
            determinism: crate::Determinism::default(),
            run_budget: engine::DEFAULT_RUN_BUDGET,
        }
    }
}

/// A rule's kind, from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Deny,
    Warn,
}

/// conftest's rule-name matching: `deny`, `violation`, `warn`, optionally `_<suffix>`.
fn rule_kind(name: &str) -> Option<Kind> {
    let matches = |prefix: &str| {
        name == prefix
            || name
                .strip_prefix(prefix)
                .and_then(|r| r.strip_prefix('_'))
                .is_some_and(|r| !r.is_empty())
    };
    if matches("deny") || matches("violation") {
        Some(Kind::Deny)
    } else if matches("warn") {
        Some(Kind::Warn)
    } else {
        None
    }
}

/// One rule evaluated per object.
#[derive(Clone, Debug)]
struct Target {
    query: String,
    rule: String,
    code: String,
    slug: String,
    severity: Severity,
}

/// A Rego module as read from disk.
#[derive(Clone, Debug)]
pub(crate) struct Module {
    pub path: String,
    pub text: String,
}

/// Adds `modules` and `data` to a fresh engine and prepares it. A module that fails to parse
/// or to compile is reported and left out, so that one bad file does not silence the others.
pub(crate) fn build_engine(
    modules: &[Module],
    data: &[regorus::Value],
    version: RegoVersion,
    timeout: Duration,
    det: crate::Determinism,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Engine, Vec<(usize, String)>) {
    let mut excluded: BTreeSet<usize> = BTreeSet::new();
    loop {
        let mut engine = new_engine(version, timeout, det);
        let mut packages = Vec::new();
        let mut failed = false;
        for (i, m) in modules.iter().enumerate() {
            if excluded.contains(&i) {
                continue;
            }
            match engine.add_policy(m.path.clone(), engine::source_for_regorus(&m.text, version)) {
                Ok(pkg) => packages.push((i, pkg.trim_start_matches("data.").to_string())),
                Err(e) => {
                    diagnostics.push(rego_diagnostic(&e, &m.path));
                    excluded.insert(i);
                    failed = true;
                }
            }
        }
        if failed {
            continue;
        }
        for d in data {
            if let Err(e) = engine.add_data(d.clone()) {
                diagnostics.push(Diagnostic::file(
                    Level::Error,
                    "<data>",
                    format!("cannot merge data: {e}"),
                ));
            }
        }
        match engine::prepare(&mut engine) {
            Ok(()) => return (engine, packages),
            Err(e) => {
                let at = error_at(&e);
                let culprit = at.file.as_deref().and_then(|f| {
                    modules
                        .iter()
                        .enumerate()
                        .find(|(i, m)| m.path == f && !excluded.contains(i))
                        .map(|(i, _)| i)
                });
                let file = at.file.clone().unwrap_or_else(|| "<policies>".to_string());
                diagnostics.push(Diagnostic {
                    level: Level::Error,
                    file,
                    line: at.line,
                    column: at.column,
                    message: at.message,
                });
                match culprit {
                    Some(i) => {
                        excluded.insert(i);
                    }
                    // Not attributable to a module: nothing can be evaluated.
                    None => return (new_engine(version, timeout, det), Vec::new()),
                }
            }
        }
    }
}

/// A compile or parse error of a module as a diagnostic at its line and column.
pub(crate) fn rego_diagnostic(e: &anyhow::Error, path: &str) -> Diagnostic {
    let at = error_at(e);
    Diagnostic {
        level: Level::Error,
        file: at.file.unwrap_or_else(|| path.to_string()),
        line: at.line,
        column: at.column,
        message: at.message,
    }
}

/// Reads the modules and data of `options`; problems become diagnostics.
pub(crate) fn read_modules(
    paths: &[PathBuf],
    keep: &dyn Fn(&Path) -> bool,
    limits: &Limits,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Module> {
    let (found, errors) = files::walk(paths, keep);
    for (p, e) in errors {
        diagnostics.push(Diagnostic::file(
            Level::Error,
            &p.display().to_string(),
            format!("cannot read: {e}"),
        ));
    }
    let mut modules = Vec::new();
    for p in found {
        let path = p.display().to_string();
        match files::read_text(&p, limits) {
            Ok(text) => modules.push(Module { path, text }),
            Err(e) => diagnostics.push(Diagnostic::file(
                Level::Error,
                &path,
                format!("cannot read: {e}"),
            )),
        }
    }
    modules
}

/// Reads YAML/JSON data files into values to merge into `data`.
pub(crate) fn read_data(
    paths: &[PathBuf],
    limits: &Limits,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<regorus::Value> {
    let (found, errors) = files::walk(paths, &files::is_manifest);
    for (p, e) in errors {
        diagnostics.push(Diagnostic::file(
            Level::Error,
            &p.display().to_string(),
            format!("cannot read: {e}"),
        ));
    }
    let mut out = Vec::new();
    for p in found {
        let path = p.display().to_string();
        let text = match files::read_text(&p, limits) {
            Ok(t) => t,
            Err(e) => {
                diagnostics.push(Diagnostic::file(
                    Level::Error,
                    &path,
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        match kubecomply_loader::parse_documents(&text) {
            Ok(docs) => {
                for d in docs {
                    if d.is_object() {
                        out.push(to_rego(&d));
                    } else if !d.is_null() {
                        diagnostics.push(Diagnostic::file(
                            Level::Error,
                            &path,
                            "data document is not a mapping",
                        ));
                    }
                }
            }
            Err(e) => diagnostics.push(Diagnostic::file(Level::Error, &path, e)),
        }
    }
    out
}

/// A copy of compiled conftest-style policies that evaluates one object at a time (the
/// regorus engine holds the input, so each thread needs its own).
#[derive(Clone)]
pub struct RegoWorker(Engine);

/// The team's conftest-style Rego policies, compiled once.
#[derive(Clone)]
pub struct RegoPolicies {
    engine: Engine,
    targets: Vec<Target>,
    rules: Vec<CustomRule>,
    run_budget: Duration,
}

impl std::fmt::Debug for RegoPolicies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoPolicies")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

impl RegoPolicies {
    /// Loads and compiles the policies; every problem (unreadable file, syntax or compile
    /// error with line and column, bad metadata) is a diagnostic and loading goes on.
    pub fn load(options: &RegoOptions) -> (RegoPolicies, Vec<Diagnostic>) {
        let mut diagnostics = Vec::new();
        let modules = read_modules(
            &options.policy_paths,
            &|p| files::is_rego(p) && !files::is_rego_test(p),
            &options.limits,
            &mut diagnostics,
        );
        let data = read_data(&options.data_paths, &options.limits, &mut diagnostics);
        let (engine, packages) = build_engine(
            &modules,
            &data,
            options.version,
            options.timeout,
            options.determinism,
            &mut diagnostics,
        );
        let mut targets: Vec<Target> = Vec::new();
        let mut rules: Vec<CustomRule> = Vec::new();
        let mut seen: HashMap<(String, String), ()> = HashMap::new();
        for (i, package) in packages {
            if !options.namespaces.selects(&package) {
                continue;
            }
            let m = &modules[i];
            let annotations = module_annotations(m, &options.limits, &mut diagnostics);
            for (rule, _line) in metadata::rule_heads(&m.text) {
                let Some(kind) = rule_kind(&rule) else {
                    continue;
                };
                if seen.insert((package.clone(), rule.clone()), ()).is_some() {
                    continue;
                }
                let a = annotations.for_rule(&rule);
                let code = a.code.clone().unwrap_or_else(|| {
                    format!("REGO-{}-{}", package.replace('.', "-"), rule).to_uppercase()
                });
                let slug = a
                    .slug
                    .clone()
                    .unwrap_or_else(|| slugify(&format!("{package}-{rule}")));
                let severity = match kind {
                    Kind::Warn => Severity::Low,
                    Kind::Deny => a.severity.unwrap_or(Severity::High),
                };
                if !rules.iter().any(|r| r.code == code) {
                    rules.push(CustomRule {
                        code: code.clone(),
                        slug: slug.clone(),
                        title: a
                            .title
                            .clone()
                            .unwrap_or_else(|| format!("{rule} rules of package {package}")),
                        severity,
                        description: a.description.clone().unwrap_or_default(),
                        engine: "rego".to_string(),
                        source: m.path.clone(),
                        frameworks: a.frameworks.clone(),
                    });
                }
                targets.push(Target {
                    query: rule_path(&package, &rule),
                    rule,
                    code,
                    slug,
                    severity,
                });
            }
        }
        (
            RegoPolicies {
                engine,
                targets,
                rules,
                run_budget: options.run_budget,
            },
            diagnostics,
        )
    }

    /// The rules these policies define (one per code).
    pub fn rules(&self) -> Vec<CustomRule> {
        self.rules.clone()
    }

    /// A copy of the compiled policies to evaluate objects with, one per thread.
    pub fn worker(&self) -> RegoWorker {
        RegoWorker(self.engine.clone())
    }

    /// Evaluates every rule on one object with `worker` (from [`RegoPolicies::worker`] of these
    /// policies): failures, and an error finding for a rule that fails on the object.
    pub fn evaluate_object(&self, worker: &mut RegoWorker, object: &Object) -> Vec<Finding> {
        if self.targets.is_empty() {
            return Vec::new();
        }
        let _phase = crate::memory::Phase::begin();
        self.evaluate_in(worker, object, &engine::RunDeadline::start(Duration::ZERO))
    }

    fn evaluate_in(
        &self,
        worker: &mut RegoWorker,
        object: &Object,
        deadline: &engine::RunDeadline,
    ) -> Vec<Finding> {
        let engine = &mut worker.0;
        let mut findings = Vec::new();
        engine.set_input(to_rego(&object.value));
        for t in &self.targets {
            if let Some(why) = deadline.passed() {
                findings.push(crate::finding(
                    &t.code,
                    &t.slug,
                    Status::Error,
                    t.severity,
                    object,
                    String::new(),
                    why,
                ));
                continue;
            }
            match crate::memory::evaluate(|| engine.eval_rule(t.query.clone())) {
                Ok(v) => {
                    for (msg, details) in messages(&v, &format!("{} is true", t.rule)) {
                        let pointer = crate::pointer_from_details(object, details.as_ref());
                        findings.push(crate::finding(
                            &t.code,
                            &t.slug,
                            Status::Fail,
                            t.severity,
                            object,
                            pointer,
                            msg,
                        ));
                    }
                }
                Err(e) => findings.push(crate::finding(
                    &t.code,
                    &t.slug,
                    Status::Error,
                    t.severity,
                    object,
                    String::new(),
                    format!("policy error in {}: {}", t.rule, engine::describe(&e)),
                )),
            }
        }
        let _ = engine.take_prints();
        findings
    }

    /// Evaluates every rule on every object, in parallel (one engine clone per worker). A rule
    /// that fails on an object (type error, time limit) gives an error finding for that object.
    pub fn evaluate(&self, inventory: &Inventory) -> Vec<Finding> {
        if self.targets.is_empty() {
            return Vec::new();
        }
        let _phase = crate::memory::Phase::begin();
        let deadline = engine::RunDeadline::start(self.run_budget);
        let mut out: Vec<Finding> = inventory
            .objects
            .par_iter()
            .map_init(
                || self.worker(),
                |w, object| self.evaluate_in(w, object, &deadline),
            )
            .flatten()
            .collect();
        out.sort_by(|a, b| {
            (&a.location.file, a.location.pointer.as_str(), &a.rule).cmp(&(
                &b.location.file,
                b.location.pointer.as_str(),
                &b.rule,
            ))
        });
        out
    }
}

fn module_annotations(
    m: &Module,
    limits: &Limits,
    diagnostics: &mut Vec<Diagnostic>,
) -> ModuleAnnotations {
    let (mut annotations, problems) = metadata::parse_module(&m.text);
    for p in problems {
        diagnostics.push(Diagnostic {
            level: Level::Warning,
            file: m.path.clone(),
            line: p.line,
            column: 1,
            message: p.message,
        });
    }
    let sidecar = Path::new(&m.path).with_extension("meta.yaml");
    // A sidecar that exists but cannot be read within the limits is an error, not skipped.
    let text = match kubecomply_loader::files::open_regular(&sidecar) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        _ => match files::read_text(&sidecar, limits) {
            Ok(t) => Some(t),
            Err(e) => {
                diagnostics.push(Diagnostic::file(
                    Level::Error,
                    &sidecar.display().to_string(),
                    format!("cannot read: {e}"),
                ));
                None
            }
        },
    };
    if let Some(text) = text {
        let file = sidecar.display().to_string();
        match metadata::parse_sidecar(&text) {
            Ok((s, problems)) => {
                annotations = annotations.merged(&s);
                for p in problems {
                    diagnostics.push(Diagnostic::file(Level::Warning, &file, p));
                }
            }
            Err(e) => diagnostics.push(Diagnostic::file(Level::Warning, &file, e)),
        }
    }
    annotations
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conftest_rule_names() {
        assert_eq!(rule_kind("deny"), Some(Kind::Deny));
        assert_eq!(rule_kind("deny_latest_tag"), Some(Kind::Deny));
        assert_eq!(rule_kind("violation"), Some(Kind::Deny));
        assert_eq!(rule_kind("warn_x"), Some(Kind::Warn));
        assert_eq!(rule_kind("denylist"), None);
        assert_eq!(rule_kind("deny_"), None);
        assert_eq!(rule_kind("allow"), None);
    }
}
