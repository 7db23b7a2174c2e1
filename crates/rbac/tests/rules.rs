//! Every review rule has pass and fail fixtures in `fixtures/<slug>/` (the convention of the
//! built-in rules in `kubecomply-checks`): each `fail*.yaml` must produce a finding of that
//! rule (snapshotted with line and column in `snapshots/rules/<slug>.snap`), each `pass*.yaml`
//! none. `context*.yaml` files of the folder are loaded with every fixture of it.

use std::path::{Path, PathBuf};

use kubecomply_core::{Inventory, Status};
use kubecomply_loader::{Limits, files, load, locate::PositionIndex};
use kubecomply_rbac::{RULES, review};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn load_files(paths: &[PathBuf]) -> Inventory {
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

/// The findings of rule `code` on `fixture` plus `context`, one line each, and how many fail.
fn run(code: &str, fixture: &Path, context: &[PathBuf]) -> (Vec<String>, usize) {
    let mut inputs = vec![fixture.to_path_buf()];
    inputs.extend(context.iter().cloned());
    let inv = load_files(&inputs);
    let mut lines = Vec::new();
    let mut fails = 0;
    for f in review(&inv).iter().filter(|f| f.rule == code) {
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

/// The `pass*`, `fail*` and `context*` YAML files of a rule's folder, each sorted.
fn fixture_files(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>, Vec<PathBuf>) {
    let (mut pass, mut fail, mut context) = (Vec::new(), Vec::new(), Vec::new());
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if !name.ends_with(".yaml") {
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

#[test]
fn every_rule_has_fixtures_that_behave() {
    let dir = fixtures_dir();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures dir").flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !RULES.iter().any(|r| r.slug == name) {
            problems.push(format!("fixtures/{name} names no rule"));
        }
    }
    for rule in RULES {
        let rdir = dir.join(rule.slug);
        let (pass, fail, context) = fixture_files(&rdir);
        if pass.is_empty() || fail.is_empty() {
            problems.push(format!(
                "{} ({}) needs fixtures/{}/pass*.yaml and fail*.yaml",
                rule.code, rule.slug, rule.slug
            ));
            continue;
        }
        let mut snapshot = Vec::new();
        for f in &fail {
            let (lines, fails) = run(rule.code, f, &context);
            if fails == 0 {
                problems.push(format!(
                    "{}: {} produced no failure",
                    rule.code,
                    f.display()
                ));
            }
            snapshot.extend(lines);
        }
        for p in &pass {
            let (lines, fails) = run(rule.code, p, &context);
            if fails > 0 {
                problems.push(format!(
                    "{}: {} should pass but produced {lines:?}",
                    rule.code,
                    p.display()
                ));
            }
        }
        insta::with_settings!({snapshot_path => "snapshots/rules", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(rule.slug, snapshot.join("\n"));
        });
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
