//! The per-rule fixture convention every analyzer's rules follow (STYLE.md §3): a folder
//! `fixtures/<slug>/` per rule with `pass*.yaml` (no failure of the rule) and `fail*.yaml`
//! (at least one failure, snapshotted with line and column), plus `context*.yaml` loaded with
//! each fixture. The analyzers cannot depend on each other, so the harness lives here, a
//! dev-dependency of each.

pub mod peers;

use std::path::{Path, PathBuf};

use kubecomply_core::{Finding, Inventory, RuleMeta, Status};
use kubecomply_loader::{Limits, files, load, locate::PositionIndex};

/// The objects of fixture files; a fixture that does not load cleanly fails the test.
pub fn load_files(paths: &[PathBuf]) -> Inventory {
    let mut objects = Vec::new();
    for p in paths {
        let src = files::read(&files::Input::File(p.clone()), &Limits::default())
            .expect("readable fixture");
        let loaded = load(src, &Limits::default());
        assert!(
            loaded
                .diagnostics
                .iter()
                .all(|d| d.level != kubecomply_core::diagnostic::Level::Error),
            "{}: {:?}",
            p.display(),
            loaded.diagnostics
        );
        objects.extend(loaded.objects);
    }
    Inventory::new(objects)
}

/// The findings of rule `code`, one line each (status, file:line:column, pointer, resource,
/// message), and how many of them fail.
pub fn render(findings: &[Finding], code: &str) -> (Vec<String>, usize) {
    let mut lines = Vec::new();
    let mut fails = 0;
    for f in findings.iter().filter(|f| f.rule == code) {
        if f.status == Status::Fail {
            fails += 1;
        }
        let (line, col) = match &f.location.origin {
            Some(o) => PositionIndex::build(&o.source.text[o.span.clone()], o.line)
                .locate(&f.location.pointer)
                .unwrap_or((0, 0)),
            None => (0, 0),
        };
        let file = Path::new(&*f.location.file)
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let resource = f
            .resource
            .as_ref()
            .map(|r| format!("{}/{}", r.kind, r.name))
            .unwrap_or_default();
        lines.push(format!(
            "{} {file}:{line}:{col} {} [{resource}] {}",
            f.status.as_str(),
            f.location.pointer,
            f.message
        ));
    }
    (lines, fails)
}

/// The `pass*`, `fail*` and `context*` YAML files of a rule's folder, each sorted; files
/// whose name ends with one of `skip` are left out (a fixture's side files).
pub fn fixture_files(dir: &Path, skip: &[&str]) -> (Vec<PathBuf>, Vec<PathBuf>, Vec<PathBuf>) {
    let (mut pass, mut fail, mut context) = (Vec::new(), Vec::new(), Vec::new());
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if !name.ends_with(".yaml") || skip.iter().any(|s| name.ends_with(s)) {
            continue;
        }
        if name.starts_with("pass") {
            pass.push(p);
        } else if name.starts_with("fail") {
            fail.push(p);
        } else if name.starts_with("context") {
            context.push(p);
        }
    }
    pass.sort();
    fail.sort();
    context.sort();
    (pass, fail, context)
}

/// What checking the fixtures of a set of rules found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Per rule (slug), the rendered findings of its fail fixtures: the caller snapshots them.
    pub snapshots: Vec<(String, String)>,
    /// Broken conventions and fixtures that misbehave.
    pub problems: Vec<String>,
}

/// Checks the fixtures under `dir` of every rule in `rules`: each rule has pass and fail
/// fixtures, each fail fixture fails, each pass fixture does not, each folder names a rule.
/// `run(fixture, context)` gives the analyzer's findings on the fixture and its context files.
pub fn check_fixtures(
    dir: &Path,
    rules: &[RuleMeta<'_>],
    skip: &[&str],
    run: impl Fn(&Path, &[PathBuf]) -> Vec<Finding>,
) -> Checked {
    let mut out = Checked::default();
    for entry in std::fs::read_dir(dir).expect("fixtures dir").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !rules.iter().any(|r| r.slug == name) {
            out.problems.push(format!("fixtures/{name} names no rule"));
        }
    }
    for rule in rules {
        let (pass, fail, context) = fixture_files(&dir.join(rule.slug), skip);
        if pass.is_empty() || fail.is_empty() {
            out.problems.push(format!(
                "{} ({}) needs fixtures/{}/pass*.yaml and fail*.yaml",
                rule.code, rule.slug, rule.slug
            ));
            continue;
        }
        let mut snapshot = Vec::new();
        for f in &fail {
            let (lines, fails) = render(&run(f, &context), rule.code);
            if fails == 0 {
                out.problems.push(format!(
                    "{}: {} produced no failure",
                    rule.code,
                    f.display()
                ));
            }
            snapshot.extend(lines);
        }
        for p in &pass {
            let (lines, fails) = render(&run(p, &context), rule.code);
            if fails > 0 {
                out.problems.push(format!(
                    "{}: {} should pass but produced {lines:?}",
                    rule.code,
                    p.display()
                ));
            }
        }
        out.snapshots
            .push((rule.slug.to_string(), snapshot.join("\n")));
    }
    out
}
