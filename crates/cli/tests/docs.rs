//! The rule reference in `docs/rules/` is generated from the whole rule catalogue (built-in
//! rules, PSS checks, RBAC review); this test fails when the checked-in copy is stale.
//! Regenerate with `KUBECOMPLY_UPDATE_DOCS=1 cargo test -p kubecomply --test docs`.

use std::path::Path;

use kubecomply_engine::catalogue::builtin as catalogue;

#[test]
fn rule_reference_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let files = kubecomply_checks::docs::generate_for(&catalogue());
    if std::env::var_os("KUBECOMPLY_UPDATE_DOCS").is_some() {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create docs/rules");
        for (name, content) in &files {
            std::fs::write(dir.join(name), content).expect("write doc");
        }
    }
    let mut stale = Vec::new();
    for (name, content) in &files {
        match std::fs::read_to_string(dir.join(name)) {
            Ok(existing) if &existing == content => {}
            _ => stale.push(name.clone()),
        }
    }
    let expected: std::collections::BTreeSet<_> = files.iter().map(|(n, _)| n.clone()).collect();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let n = e.file_name().to_string_lossy().to_string();
            if !expected.contains(&n) {
                stale.push(format!("{n} (no longer generated)"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "docs/rules is stale: {stale:?}\nrun: KUBECOMPLY_UPDATE_DOCS=1 cargo test -p kubecomply --test docs"
    );
}

#[test]
fn every_rule_has_docs_sections_and_unique_codes() {
    let metas = catalogue();
    let mut codes: Vec<_> = metas.iter().map(|m| m.code).collect();
    codes.sort();
    let n = codes.len();
    codes.dedup();
    assert_eq!(codes.len(), n, "duplicate codes across analyzers");
    for m in metas {
        let page = kubecomply_checks::docs::page(m);
        for section in ["## What it checks", "## Why it matters", "## How to fix"] {
            assert!(page.contains(section), "{} lacks {section}", m.code);
        }
    }
    // Built-in rules show their fixtures as examples (the same YAML the fixture test runs).
    for r in kubecomply_checks::registry::all() {
        if !r.meta.code.starts_with("KC-PSS-") {
            let page = kubecomply_checks::docs::page(&r.meta);
            assert!(
                page.contains("## Example"),
                "{} has no example",
                r.meta.code
            );
        }
    }
}
