//! Every rule has pass and fail fixtures in `fixtures/<slug>/`; fail fixtures must produce a
//! finding of that rule (snapshotted with line and column), pass fixtures none.

use std::path::{Path, PathBuf};

use kubecomply_checks::{Engine, EngineOptions, registry};
use kubecomply_core::date::Date;
use kubecomply_core::{Inventory, Status};
use kubecomply_loader::{Limits, files, locate::PositionIndex};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The objects of fixture files (the loader shared with the RBAC and network rules' fixtures).
fn load_dir(files_: &[PathBuf]) -> Inventory {
    kubecomply_testkit::load_files(files_)
}

/// Runs one rule on one fixture file (plus shared context files) and returns rendered findings.
fn run(rule_code: &str, fixture: &Path, context: &[PathBuf], dir: &Path) -> (Vec<String>, usize) {
    let mut inputs = vec![fixture.to_path_buf()];
    inputs.extend(context.iter().cloned());
    let inv = load_dir(&inputs);
    let mut options = EngineOptions {
        only: vec![rule_code.to_string()],
        today: Date::parse("2026-06-01"),
        ..EngineOptions::default()
    };
    let exceptions = fixture.with_extension("exceptions.yaml");
    if exceptions.exists() {
        let text = std::fs::read_to_string(&exceptions).expect("exceptions");
        let src = files::from_string(&exceptions.display().to_string(), text);
        let stream = kubecomply_loader::parse_stream(&src.text, src.format, &Limits::default());
        let doc = &stream.documents[0];
        let (ex, errs) = kubecomply_core::exceptions::parse(&doc.value);
        assert!(errs.is_empty(), "{errs:?}");
        options.exceptions = ex;
        options.exceptions_origin = Some(kubecomply_core::Origin {
            line: doc.line,
            span: doc.span.clone(),
            document: 0,
            prefix: String::new(),
            positions: None,
            cluster: None,
            source: std::sync::Arc::new(src),
        });
    }
    let params = dir.join("params.yaml");
    if params.exists() {
        let text = std::fs::read_to_string(&params).expect("params");
        let docs = kubecomply_loader::parse_documents(&text).expect("params parse");
        if let Some(list) = docs[0].get("trustedRegistries").and_then(|v| v.as_array()) {
            options.params.trusted_registries = list
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect();
        }
    }
    let engine = Engine::new(&registry::all(), options);
    let outcome = engine.run(&inv);
    let mut lines = Vec::new();
    let mut fails = 0;
    for f in &outcome.findings {
        if f.rule != rule_code {
            continue;
        }
        if matches!(f.status, Status::Fail | Status::Error) {
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
        lines.push(format!(
            "{} {}:{}:{} {} [{}] {}",
            f.status.as_str(),
            file,
            line,
            col,
            f.location.pointer,
            f.resource
                .as_ref()
                .map(|r| format!("{}/{}", r.kind, r.name))
                .unwrap_or_default(),
            f.message
        ));
    }
    (lines, fails)
}

#[test]
fn every_rule_has_fixtures_that_behave() {
    let rules = registry::all();
    let dir = fixtures_dir();
    let mut problems = Vec::new();
    // Every fixture folder names a rule.
    for entry in std::fs::read_dir(&dir).expect("fixtures dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name().to_string_lossy().to_string();
        if !rules.iter().any(|r| r.meta.slug == name) {
            problems.push(format!("fixtures/{name} names no rule"));
        }
    }
    for rule in &rules {
        if rule.meta.code.starts_with("KC-PSS-") {
            continue; // proven by the upstream conformance suite in kubecomply-pss
        }
        let rdir = dir.join(rule.meta.slug);
        let mut pass = Vec::new();
        let mut fail = Vec::new();
        let mut context = Vec::new();
        if let Ok(rd) = std::fs::read_dir(&rdir) {
            for e in rd.flatten() {
                let p = e.path();
                let n = p
                    .file_name()
                    .map(|n| n.to_string_lossy().to_string())
                    .unwrap_or_default();
                if n.ends_with(".exceptions.yaml") {
                    continue;
                }
                if n.starts_with("pass") && n.ends_with(".yaml") {
                    pass.push(p);
                } else if n.starts_with("fail") && n.ends_with(".yaml") {
                    fail.push(p);
                } else if n.starts_with("context") && n.ends_with(".yaml") {
                    context.push(p);
                }
            }
        }
        pass.sort();
        fail.sort();
        if pass.is_empty() || fail.is_empty() {
            problems.push(format!(
                "{} ({}) needs fixtures/{}/pass*.yaml and fail*.yaml",
                rule.meta.code, rule.meta.slug, rule.meta.slug
            ));
            continue;
        }
        let mut snapshot = Vec::new();
        for f in &fail {
            let (lines, fails) = run(rule.meta.code, f, &context, &rdir);
            if fails == 0 {
                problems.push(format!(
                    "{}: {} produced no failure",
                    rule.meta.code,
                    f.display()
                ));
            }
            snapshot.extend(lines.into_iter().filter(|l| !l.starts_with("pass ")));
        }
        for p in &pass {
            let (lines, fails) = run(rule.meta.code, p, &context, &rdir);
            if fails > 0 {
                problems.push(format!(
                    "{}: {} should pass but produced {lines:?}",
                    rule.meta.code,
                    p.display()
                ));
            }
        }
        insta::with_settings!({snapshot_path => "snapshots/rules", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(rule.meta.slug, snapshot.join("\n"));
        });
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn at_least_sixty_rules_beyond_pss_with_unique_codes() {
    let rules = registry::all();
    let mut codes: Vec<_> = rules.iter().map(|r| r.meta.code).collect();
    let mut slugs: Vec<_> = rules.iter().map(|r| r.meta.slug).collect();
    codes.sort();
    slugs.sort();
    let n = codes.len();
    codes.dedup();
    slugs.dedup();
    assert_eq!(codes.len(), n, "duplicate codes");
    assert_eq!(slugs.len(), n, "duplicate slugs");
    let beyond = rules
        .iter()
        .filter(|r| !r.meta.code.starts_with("KC-PSS-"))
        .count();
    assert!(beyond >= 60, "only {beyond} rules beyond the PSS checks");
}
