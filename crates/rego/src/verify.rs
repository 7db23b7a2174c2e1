//! `gator verify`: Suite files (`test.gatekeeper.sh/v1alpha1`, kind `Suite`) whose tests
//! pair a template with a constraint and whose cases assert the violations of an object.
//!
//! Assertions: `violations` is `yes` (at least one matching violation; the default), `no`
//! (none) or an exact count; `message` is a regular expression searched for in each
//! violation message (case-sensitive; absent or empty matches every message). Every path is
//! relative to the suite file. `skip: true` on a test or a case skips it. An object file may
//! hold an `AdmissionReview`, whose request gives the object, operation, user and old object.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kubecomply_core::Object;
use kubecomply_core::Value;
use kubecomply_core::diagnostic::{Diagnostic, Level};

use crate::files;
use crate::gatekeeper::{self, Gatekeeper, GatekeeperOptions, Request, Template};

/// How suites are run.
#[derive(Clone, Debug, Default)]
pub struct VerifyOptions {
    /// Only run cases whose `test/case` name matches this regular expression.
    pub run: Option<String>,
    /// Template compilation and evaluation options.
    pub gatekeeper: GatekeeperOptions,
}

/// The outcome of one case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every assertion held.
    Pass,
    /// An assertion failed, or the case could not be evaluated (the reason).
    Fail(String),
    /// `skip: true`.
    Skip,
}

/// The result of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    /// The suite file.
    pub suite: String,
    /// The test name.
    pub test: String,
    /// The case name.
    pub case: String,
    /// What happened.
    pub outcome: Outcome,
    /// How long evaluating it took.
    pub duration: Duration,
}

/// The results of a run.
#[derive(Clone, Debug, Default)]
pub struct VerifyReport {
    /// Every case in order.
    pub results: Vec<CaseResult>,
    /// Problems with suite files themselves (unreadable, malformed).
    pub diagnostics: Vec<Diagnostic>,
}

impl VerifyReport {
    /// Cases that passed.
    pub fn passed(&self) -> usize {
        self.count(|o| *o == Outcome::Pass)
    }

    /// Cases that failed.
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Fail(_)))
    }

    /// Cases skipped.
    pub fn skipped(&self) -> usize {
        self.count(|o| *o == Outcome::Skip)
    }

    fn count(&self, f: impl Fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| f(&r.outcome)).count()
    }

    /// `N passed, N failed` (and `, N skipped` when some were).
    pub fn summary(&self) -> String {
        let mut s = format!("{} passed, {} failed", self.passed(), self.failed());
        if self.skipped() > 0 {
            s.push_str(&format!(", {} skipped", self.skipped()));
        }
        s
    }
}

/// Whether a YAML/JSON value is a gator Suite.
fn is_suite(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("Suite")
        && v.get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|a| a.starts_with("test.gatekeeper.sh/"))
}

/// Runs every Suite found under `paths` (other YAML files are ignored, as gator does).
pub fn run(paths: &[PathBuf], options: &VerifyOptions) -> VerifyReport {
    let _phase = crate::memory::Phase::begin();
    let mut report = VerifyReport::default();
    let filter = match options.run.as_deref().map(regex::Regex::new) {
        Some(Ok(re)) => Some(re),
        Some(Err(e)) => {
            report
                .diagnostics
                .push(Diagnostic::file(Level::Error, "--run", e.to_string()));
            return report;
        }
        None => None,
    };
    let (found, errors) = files::walk(paths, &files::is_manifest);
    for (p, e) in errors {
        report.diagnostics.push(Diagnostic::file(
            Level::Error,
            &p.display().to_string(),
            format!("cannot read: {e}"),
        ));
    }
    for p in found {
        let text = match files::read_text(&p, &options.gatekeeper.limits) {
            Ok(t) => t,
            Err(e) => {
                report.diagnostics.push(Diagnostic::file(
                    Level::Error,
                    &p.display().to_string(),
                    format!("cannot read: {e}"),
                ));
                continue;
            }
        };
        // Cheap pre-filter before parsing every manifest of a repository.
        if !text.contains("Suite") {
            continue;
        }
        let Ok(docs) = kubecomply_loader::parse_documents(&text) else {
            continue;
        };
        for suite in docs.iter().filter(|d| is_suite(d)) {
            run_suite(&p, suite, options, filter.as_ref(), &mut report);
        }
    }
    report
}

fn run_suite(
    path: &Path,
    suite: &Value,
    options: &VerifyOptions,
    filter: Option<&regex::Regex>,
    report: &mut VerifyReport,
) {
    let dir = path.parent().unwrap_or(Path::new("."));
    let suite_name = path.display().to_string();
    let tests = suite
        .get("tests")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (ti, test) in tests.iter().enumerate() {
        let test_name = test
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("test-{ti}"), str::to_string);
        let cases = test
            .get("cases")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let selected: Vec<(String, &Value)> = cases
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let name = c
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("case-{ci}"), str::to_string);
                (name, c)
            })
            .filter(|(name, _)| filter.is_none_or(|re| re.is_match(&format!("{test_name}/{name}"))))
            .collect();
        if selected.is_empty() {
            continue;
        }
        let mut push = |case: &str, outcome: Outcome, duration: Duration| {
            report.results.push(CaseResult {
                suite: suite_name.clone(),
                test: test_name.clone(),
                case: case.to_string(),
                outcome,
                duration,
            })
        };
        if truthy(test.get("skip")) {
            for (name, _) in &selected {
                push(name, Outcome::Skip, Duration::ZERO);
            }
            continue;
        }
        let gk = match compile_test(dir, test, &options.gatekeeper) {
            Ok(gk) => gk,
            Err(why) => {
                for (name, _) in &selected {
                    push(name, Outcome::Fail(why.clone()), Duration::ZERO);
                }
                continue;
            }
        };
        for (name, case) in selected {
            if truthy(case.get("skip")) {
                push(&name, Outcome::Skip, Duration::ZERO);
                continue;
            }
            let start = Instant::now();
            let outcome = match run_case(dir, &gk, case, &options.gatekeeper.limits) {
                Ok(()) => Outcome::Pass,
                Err(why) => Outcome::Fail(why),
            };
            push(&name, outcome, start.elapsed());
        }
    }
}

fn truthy(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Bool(true))) || v.and_then(Value::as_str) == Some("true")
}

/// Objects of a file named in a suite: relative to the suite and inside the suite's own folder
/// tree. Absolute paths, `..` that climbs out and symbolic links that lead out are refused, so
/// that a suite cannot read (and a template's message cannot print) files elsewhere, such as a
/// kubeconfig.
fn objects_at(
    dir: &Path,
    rel: Option<&Value>,
    what: &str,
    limits: &kubecomply_loader::Limits,
) -> Result<(String, Vec<Object>), String> {
    let rel = rel
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{what} is missing"))?;
    if Path::new(rel).is_absolute() {
        return Err(format!("{what} {rel}: absolute paths are not allowed"));
    }
    let path = dir.join(rel);
    let outside = || format!("{what} {rel}: outside the suite's folder, not read");
    let root = dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    match path.canonicalize() {
        Ok(real) if real.starts_with(&root) => {}
        Ok(_) => return Err(outside()),
        // Not there: say so without revealing whether a path outside exists.
        Err(_) if rel.split(['/', '\\']).any(|c| c == "..") => return Err(outside()),
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    }
    let loaded = gatekeeper::load_file(&path, limits).map_err(|d| d.render())?;
    if let Some(d) = loaded.diagnostics.iter().find(|d| d.level == Level::Error) {
        return Err(d.render());
    }
    Ok((path.display().to_string(), loaded.objects))
}

fn compile_test(
    dir: &Path,
    test: &Value,
    options: &GatekeeperOptions,
) -> Result<Gatekeeper, String> {
    let (tpath, objects) = objects_at(dir, test.get("template"), "template", &options.limits)?;
    let tobj = objects
        .iter()
        .find(|o| gatekeeper::is_template(o))
        .ok_or_else(|| format!("{tpath}: no ConstraintTemplate"))?;
    let mut diagnostics = Vec::new();
    let template = Template::compile(tobj, options, &mut diagnostics).ok_or_else(|| {
        diagnostics
            .iter()
            .map(Diagnostic::render)
            .collect::<Vec<_>>()
            .join("; ")
    })?;
    let mut gk = Gatekeeper {
        templates: vec![template],
        constraints: Vec::new(),
        run_budget: options.run_budget,
    };
    let (cpath, objects) = objects_at(dir, test.get("constraint"), "constraint", &options.limits)?;
    let cobj = objects
        .iter()
        .find(|o| gatekeeper::is_constraint(o))
        .ok_or_else(|| format!("{cpath}: no constraint"))?;
    if cobj.kind != gk.templates[0].kind {
        return Err(format!(
            "{cpath}: constraint kind {} is not the template's kind {}",
            cobj.kind, gk.templates[0].kind
        ));
    }
    let c = gk.constraint(0, cobj, &mut diagnostics);
    gk.constraints.push(c);
    Ok(gk)
}

/// The object under review and its request: the object itself, or an AdmissionReview's.
/// The object a Suite case reviews and its request: the object itself as a CREATE, or the
/// request of an `AdmissionReview`.
pub fn reviewed(o: &Object) -> (Value, Request) {
    if o.kind != "AdmissionReview" {
        return (o.value.clone(), Request::default());
    }
    let req = o.value.get("request").cloned().unwrap_or(Value::Null);
    let mut request = Request::default();
    if let Some(op) = req.get("operation").and_then(Value::as_str) {
        request.operation = op.to_string();
    }
    if let Some(u) = req.get("userInfo") {
        request.user_info = u.clone();
    }
    request.old_object = req.get("oldObject").filter(|v| !v.is_null()).cloned();
    let object = match req.get("object").filter(|v| !v.is_null()) {
        Some(obj) => obj.clone(),
        None => request.old_object.clone().unwrap_or(Value::Null),
    };
    (object, request)
}

fn run_case(
    dir: &Path,
    gk: &Gatekeeper,
    case: &Value,
    limits: &kubecomply_loader::Limits,
) -> Result<(), String> {
    let (opath, objects) = objects_at(dir, case.get("object"), "object", limits)?;
    let [object] = objects.as_slice() else {
        return Err(format!("{opath}: holds {} objects, not one", objects.len()));
    };
    let mut inventory = Vec::new();
    if let Some(list) = case.get("inventory").and_then(Value::as_array) {
        for rel in list {
            let (_, objs) = objects_at(dir, Some(rel), "inventory", limits)?;
            inventory.extend(objs.into_iter().map(|o| o.value));
        }
    }
    let (value, request) = reviewed(object);
    let mut prepared = gk.prepare(inventory.iter());
    let violations = prepared.review(&value, &request);
    let mut messages = Vec::new();
    for v in violations {
        match v.message {
            Ok(m) => messages.push(m),
            Err(e) => return Err(format!("evaluation error: {e}")),
        }
    }
    let assertions = case
        .get("assertions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if assertions.is_empty() {
        return Err("case has no assertions".into());
    }
    for a in &assertions {
        check(a, &messages)?;
    }
    Ok(())
}

/// One assertion against the violation messages.
fn check(a: &Value, messages: &[String]) -> Result<(), String> {
    let pattern = a.get("message").and_then(Value::as_str).unwrap_or("");
    let matching = if pattern.is_empty() {
        messages.len()
    } else {
        let re = regex::Regex::new(pattern).map_err(|e| format!("message {pattern:?}: {e}"))?;
        messages.iter().filter(|m| re.is_match(m)).count()
    };
    let about = if pattern.is_empty() {
        String::new()
    } else {
        format!(" matching {pattern:?}")
    };
    let got = || {
        if messages.is_empty() {
            "none".to_string()
        } else {
            messages.join(" | ")
        }
    };
    match a.get("violations") {
        None | Some(Value::Bool(true)) => expect_some(matching, &about, got),
        Some(Value::String(s)) if s == "yes" => expect_some(matching, &about, got),
        Some(Value::Bool(false)) => expect_count(0, matching, &about, got),
        Some(Value::String(s)) if s == "no" => expect_count(0, matching, &about, got),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(n) => expect_count(n as usize, matching, &about, got),
            None => Err(format!("violations {n}: not a non-negative integer")),
        },
        Some(other) => Err(format!("violations {other}: not yes, no or a count")),
    }
}

fn expect_some(matching: usize, about: &str, got: impl Fn() -> String) -> Result<(), String> {
    if matching > 0 {
        Ok(())
    } else {
        Err(format!("expected violations{about}, got {}", got()))
    }
}

fn expect_count(
    want: usize,
    matching: usize,
    about: &str,
    got: impl Fn() -> String,
) -> Result<(), String> {
    if matching == want {
        Ok(())
    } else {
        Err(format!(
            "expected {want} violation(s){about}, got {matching}: {}",
            got()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertions() {
        let msgs = vec![
            "container a bad".to_string(),
            "initContainer b bad".to_string(),
        ];
        let a = |v: Value| check(&v, &msgs);
        assert!(a(kubecomply_core::json!({"violations": true})).is_ok());
        assert!(a(kubecomply_core::json!({"violations": 2})).is_ok());
        assert!(a(kubecomply_core::json!({"violations": 1, "message": "^init"})).is_ok());
        assert!(a(kubecomply_core::json!({"violations": "no", "message": "foobar"})).is_ok());
        assert!(a(kubecomply_core::json!({"violations": false})).is_err());
        assert!(a(kubecomply_core::json!({"violations": 3})).is_err());
        assert!(check(&kubecomply_core::json!({"violations": "yes"}), &[]).is_err());
    }
}
