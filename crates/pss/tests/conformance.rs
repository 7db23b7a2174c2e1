//! Conformance against upstream's Pod Security admission test fixtures.
//!
//! Layout: `<level>/<version>/<pass|fail>/<check><n>.yaml` (see SOURCE.md next to the
//! fixtures). Every `pass/` pod must be allowed and every `fail/` pod denied, and a
//! denied pod must be denied (at least) by the check its file name names.

use std::fs;
use std::path::{Path, PathBuf};

use kubecomply_pss::{CHECKS, Level, Version, active_checks, evaluate};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/conformance/pod-security"
);

/// Upstream fixture names are the lower-cased check IDs, except where listed here.
const NAME_TO_CHECK: &[(&str, &str)] = &[];

/// At the restricted level some baseline checks are replaced by a restricted check
/// (upstream `OverrideCheckIDs`); a fixture named after the replaced baseline check is
/// then denied by its replacement.
const OVERRIDDEN_BY: &[(&str, &str)] = &[
    ("hostPathVolumes", "restrictedVolumes"),
    ("seccompProfile_baseline", "seccompProfile_restricted"),
    ("capabilities_baseline", "capabilities_restricted"),
    ("procMount", "procMount_restricted"),
];

/// The check that must deny a `fail/` fixture named after `id` at this level/version.
fn denying_check(id: &'static str, level: Level, version: Version) -> &'static str {
    if active_checks(level, version).contains(&id) {
        return id;
    }
    OVERRIDDEN_BY
        .iter()
        .find(|(from, _)| *from == id)
        .map(|(_, to)| *to)
        .unwrap_or(id)
}

fn expected_check(file_stem: &str) -> Option<&'static str> {
    let prefix = file_stem.trim_end_matches(|c: char| c.is_ascii_digit());
    if let Some((_, id)) = NAME_TO_CHECK.iter().find(|(name, _)| *name == prefix) {
        return Some(id);
    }
    CHECKS
        .iter()
        .find(|c| c.id.to_ascii_lowercase() == prefix)
        .map(|c| c.id)
}

fn sorted_dir(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    entries
}

#[test]
fn upstream_fixtures() {
    let root = Path::new(FIXTURES);
    assert!(
        root.is_dir(),
        "conformance fixtures not found at {} — they are required for this test",
        root.display()
    );

    let mut checked = 0usize;
    let mut mismatches: Vec<String> = Vec::new();

    for level_dir in sorted_dir(root) {
        if !level_dir.is_dir() {
            continue;
        }
        let level_name = level_dir.file_name().unwrap().to_string_lossy().to_string();
        let level = Level::parse(&level_name)
            .unwrap_or_else(|| panic!("unknown level directory {level_name}"));
        for version_dir in sorted_dir(&level_dir) {
            let version_name = version_dir
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let version = Version::parse(&version_name)
                .unwrap_or_else(|| panic!("unknown version directory {version_name}"));
            for outcome in ["pass", "fail"] {
                let dir = version_dir.join(outcome);
                if !dir.is_dir() {
                    continue;
                }
                let expect_allowed = outcome == "pass";
                for file in sorted_dir(&dir) {
                    if file.extension().and_then(|e| e.to_str()) != Some("yaml") {
                        continue;
                    }
                    let text = fs::read_to_string(&file)
                        .unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
                    let docs = kubecomply_loader::parse_documents(&text)
                        .unwrap_or_else(|e| panic!("parse {}: {e}", file.display()));
                    assert_eq!(docs.len(), 1, "{}: expected one document", file.display());
                    let pod = &docs[0];
                    assert_eq!(pod["kind"], "Pod", "{}", file.display());
                    let violations = evaluate(
                        pod.get("metadata"),
                        "/metadata",
                        &pod["spec"],
                        "/spec",
                        level,
                        version,
                    );
                    checked += 1;

                    let rel = file
                        .strip_prefix(root)
                        .unwrap_or(&file)
                        .display()
                        .to_string();
                    let reasons: Vec<String> = violations
                        .iter()
                        .map(|v| format!("[{}] {} {:?}", v.check, v.message(), v.pointers))
                        .collect();
                    let allowed = violations.is_empty();
                    if allowed != expect_allowed {
                        mismatches.push(format!(
                            "{rel}: expected {}, got {}: {}",
                            if expect_allowed { "allowed" } else { "denied" },
                            if allowed { "allowed" } else { "denied" },
                            reasons.join("; ")
                        ));
                        continue;
                    }
                    if !expect_allowed {
                        let stem = file.file_stem().unwrap().to_string_lossy().to_string();
                        match expected_check(&stem) {
                            None => mismatches.push(format!(
                                "{rel}: no check id corresponds to fixture name {stem:?}"
                            )),
                            Some(id) => {
                                let id = denying_check(id, level, version);
                                if !violations.iter().any(|v| v.check == id) {
                                    mismatches.push(format!(
                                        "{rel}: denied, but not by check {id}: {}",
                                        reasons.join("; ")
                                    ));
                                }
                            }
                        }
                        for v in &violations {
                            if v.pointers.is_empty() {
                                mismatches.push(format!("{rel}: [{}] has no pointers", v.check));
                            }
                            for p in &v.pointers {
                                if pod.pointer(p).is_none() {
                                    mismatches.push(format!(
                                        "{rel}: [{}] pointer {p} does not resolve",
                                        v.check
                                    ));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    for m in &mismatches {
        eprintln!("MISMATCH {m}");
    }
    eprintln!(
        "checked {checked} fixtures, {} mismatches",
        mismatches.len()
    );
    // Every fixture file under the folder, counted independently of the walk above: a
    // fixture the walk skipped (a new level, version or layout) fails the test.
    fn count_yaml(dir: &Path) -> usize {
        sorted_dir(dir)
            .iter()
            .map(|p| {
                if p.is_dir() {
                    count_yaml(p)
                } else {
                    usize::from(p.extension().and_then(|e| e.to_str()) == Some("yaml"))
                }
            })
            .sum()
    }
    let total = count_yaml(root);
    assert_eq!(
        checked,
        total,
        "checked {checked} of the {total} fixture files under {}",
        root.display()
    );
    assert!(
        mismatches.is_empty(),
        "{} mismatches out of {checked} fixtures (see stderr)",
        mismatches.len()
    );
}
