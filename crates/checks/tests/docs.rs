//! The rule reference in `docs/rules/` is generated from the registry; this test fails when the
//! checked-in copy is stale. Regenerate with `KUBECOMPLY_UPDATE_DOCS=1 cargo test -p kubecomply-checks --test docs`.

use std::path::Path;

#[test]
fn rule_reference_is_current() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules");
    let files = kubecomply_checks::docs::generate();
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
        "docs/rules is stale: {stale:?}\nrun: KUBECOMPLY_UPDATE_DOCS=1 cargo test -p kubecomply-checks --test docs"
    );
}

#[test]
fn every_rule_doc_has_the_required_sections() {
    for r in kubecomply_checks::registry::all() {
        let page = kubecomply_checks::docs::page(&r.meta);
        for section in ["## What it checks", "## Why it matters", "## How to fix"] {
            assert!(page.contains(section), "{} lacks {section}", r.meta.code);
        }
        if !r.meta.code.starts_with("KC-PSS-") && r.meta.code != "KC-GEN-003" {
            assert!(
                page.contains("## Example"),
                "{} has no example",
                r.meta.code
            );
        }
    }
}
