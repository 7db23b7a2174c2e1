//! gator verify suites (tests/suites: all must pass; tests/suites-failing: known failures)
//! and Rego unit tests.

use std::path::PathBuf;

use kubecomply_rego::unit::{self, TestOutcome, UnitOptions};
use kubecomply_rego::verify::{self, Outcome, VerifyOptions};

fn dir(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(p)
}

#[test]
fn own_suites_pass() {
    let r = verify::run(&[dir("suites")], &VerifyOptions::default());
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let failed: Vec<_> = r
        .results
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail(_)))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(r.passed(), 25, "{:#?}", r.results);
    assert_eq!(r.skipped(), 1);
    assert_eq!(r.summary(), "25 passed, 0 failed, 1 skipped");
}

#[test]
fn failing_suite_reports_why() {
    let r = verify::run(&[dir("suites-failing")], &VerifyOptions::default());
    let outcome = |case: &str| {
        r.results
            .iter()
            .find(|c| c.case == case)
            .map(|c| c.outcome.clone())
            .expect("case")
    };
    assert_eq!(outcome("passes"), Outcome::Pass);
    match outcome("wrong-count") {
        Outcome::Fail(why) => assert!(why.contains("expected 3 violation(s), got 2"), "{why}"),
        other => panic!("{other:?}"),
    }
    match outcome("missing-object") {
        Outcome::Fail(why) => assert!(why.contains("nowhere.yaml"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(r.summary(), "1 passed, 2 failed");
}

#[test]
fn run_filter_selects_cases() {
    let r = verify::run(
        &[dir("suites")],
        &VerifyOptions {
            run: Some("^hosts/".into()),
            ..VerifyOptions::default()
        },
    );
    assert_eq!(r.results.len(), 3);
}

#[test]
fn rego_unit_tests_with_coverage() {
    let r = unit::run(&UnitOptions {
        paths: vec![dir("fixtures/conftest/unit")],
        coverage: true,
        ..UnitOptions::default()
    });
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let outcome = |name: &str| {
        r.results
            .iter()
            .find(|t| t.name == name)
            .map(|t| t.outcome.clone())
            .expect("test")
    };
    assert_eq!(outcome("main.test_privileged_denied"), TestOutcome::Pass);
    assert_eq!(outcome("main.test_unprivileged_allowed"), TestOutcome::Pass);
    assert!(matches!(
        outcome("main.test_wrong_expectation"),
        TestOutcome::Fail(_)
    ));
    assert_eq!(outcome("main.todo_test_later"), TestOutcome::Skip);
    assert_eq!(r.summary(), "2 passed, 1 failed, 1 skipped");
    let cov = r.coverage.expect("coverage");
    let policy = cov
        .iter()
        .find(|c| c.file.ends_with("policy.rego"))
        .expect("policy coverage");
    // The helper is never called.
    assert!(!policy.not_covered.is_empty(), "{policy:?}");
    assert!(!policy.covered.is_empty());
    assert!(policy.percent() < 100.0);
}

/// A copy of the `allowedrepos` suite in a scratch folder, with `object:` of its first case
/// replaced by `object`; the suite's report.
fn suite_with_object(
    name: &str,
    object: &str,
    prepare: impl Fn(&std::path::Path),
) -> verify::VerifyReport {
    let root =
        std::env::temp_dir().join(format!("kubecomply-suites-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let suite = root.join("suite");
    std::fs::create_dir_all(suite.join("samples")).expect("dirs");
    let src = dir("suites/allowedrepos");
    for f in ["template.yaml", "constraint.yaml", "samples/allowed.yaml"] {
        std::fs::copy(src.join(f), suite.join(f)).expect("copy");
    }
    std::fs::write(
        suite.join("suite.yaml"),
        format!(
            "kind: Suite\napiVersion: test.gatekeeper.sh/v1alpha1\ntests:\n- name: repos\n  template: template.yaml\n  constraint: constraint.yaml\n  cases:\n  - name: c\n    object: {object}\n    assertions:\n    - violations: no\n"
        ),
    )
    .expect("suite");
    prepare(&root);
    verify::run(&[suite], &VerifyOptions::default())
}

fn failure(r: &verify::VerifyReport) -> String {
    match r.results.first().map(|c| &c.outcome) {
        Some(Outcome::Fail(why)) => why.clone(),
        other => panic!("expected a failed case, got {other:?} {:?}", r.diagnostics),
    }
}

/// A Suite cannot read files outside its own folder tree (a kubeconfig that a template's
/// message would print): not with `..`, not through a symbolic link, not absolute.
#[test]
fn suites_do_not_read_outside_their_folder() {
    let secret = |root: &std::path::Path| {
        std::fs::write(
            root.join("kubeconfig"),
            "apiVersion: v1\nkind: Pod\nmetadata: {name: token-abc123}\nspec: {containers: [{name: c, image: evil.io/x}]}\n",
        )
        .expect("secret");
    };
    let r = suite_with_object("dotdot", "../kubeconfig", secret);
    let why = failure(&r);
    assert!(
        why.contains("outside the suite's folder") && !why.contains("token-abc123"),
        "{why}"
    );
    let r = suite_with_object("missing", "../nowhere.yaml", |_| {});
    assert!(
        failure(&r).contains("outside the suite's folder"),
        "{}",
        failure(&r)
    );
    let r = suite_with_object("link", "samples/link.yaml", |root| {
        secret(root);
        std::os::unix::fs::symlink(
            root.join("kubeconfig"),
            root.join("suite/samples/link.yaml"),
        )
        .expect("symlink");
    });
    assert!(
        failure(&r).contains("outside the suite's folder"),
        "{}",
        failure(&r)
    );
    let r = suite_with_object("absolute", "/etc/hostname", |_| {});
    assert!(
        failure(&r).contains("absolute paths are not allowed"),
        "{}",
        failure(&r)
    );
    // Inside the folder, a link is followed as before.
    let r = suite_with_object("inside", "samples/inner.yaml", |root| {
        std::os::unix::fs::symlink(
            root.join("suite/samples/allowed.yaml"),
            root.join("suite/samples/inner.yaml"),
        )
        .expect("symlink");
    });
    assert_eq!(r.summary(), "1 passed, 0 failed", "{:?}", r.results);
}

/// Every file the policy commands read is a bounded read of a regular file: a FIFO among the
/// modules, the data or the suites is an error, never a hang.
#[test]
fn a_fifo_among_policy_files_is_an_error_not_a_hang() {
    let root = std::env::temp_dir().join(format!("kubecomply-suites-{}-fifo", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("dir");
    for f in ["trap.rego", "trap.yaml"] {
        let made = std::process::Command::new("mkfifo")
            .arg(root.join(f))
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
    }
    let r = verify::run(std::slice::from_ref(&root), &VerifyOptions::default());
    assert!(
        r.diagnostics
            .iter()
            .any(|d| d.file.ends_with("trap.yaml") && d.message.contains("not a regular file")),
        "{:?}",
        r.diagnostics
    );
    let u = unit::run(&UnitOptions {
        paths: vec![root.clone()],
        data_paths: vec![root.clone()],
        ..UnitOptions::default()
    });
    assert!(
        u.diagnostics
            .iter()
            .any(|d| d.file.ends_with("trap.rego") && d.message.contains("not a regular file")),
        "{:?}",
        u.diagnostics
    );
    assert!(
        u.diagnostics.iter().any(|d| d.file.ends_with("trap.yaml")),
        "{:?}",
        u.diagnostics
    );
    let digest =
        kubecomply_rego::repository_digest(std::slice::from_ref(&root), &Default::default());
    assert!(digest.is_err());
    // Larger than the limit: an error naming the limit, not a read of the whole file.
    let big = root.join("big");
    std::fs::create_dir_all(&big).expect("dir");
    std::fs::write(big.join("big.rego"), "package big\n".repeat(100)).expect("write");
    let small = kubecomply_loader::Limits {
        max_file_size: 64,
        ..Default::default()
    };
    let u = unit::run(&UnitOptions {
        paths: vec![big.clone()],
        limits: small,
        ..UnitOptions::default()
    });
    assert!(
        u.diagnostics.iter().any(|d| d.file.ends_with("big.rego")),
        "{:?}",
        u.diagnostics
    );
    assert!(kubecomply_rego::repository_digest(&[big], &small).is_err());
}

/// Terms OPA evaluates before a negation (calls, their arguments, composites): the expected
/// values in `tests/negation/*_test.rego` are those of `opa test` 1.22.4 on the same modules
/// (all pass there), several of which regorus alone gets wrong.
#[test]
fn negated_calls_follow_opa() {
    let r = unit::run(&UnitOptions {
        paths: vec![dir("negation")],
        ..UnitOptions::default()
    });
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert!(
        r.results.iter().all(|t| t.outcome == TestOutcome::Pass) && r.results.len() == 3,
        "{:#?}",
        r.results
    );
}

/// The whole gatekeeper-library (../shared/conformance/gatekeeper-library, see its SOURCE.md):
/// every case of every suite runs and passes, as under `gator verify`.
#[test]
fn gatekeeper_library_conformance() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/gatekeeper-library/library");
    assert!(root.is_dir(), "missing {}", root.display());
    // Count the cases the suites declare, independently of the runner.
    let mut declared = 0;
    let mut stack = vec![root.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().is_some_and(|n| n == "suite.yaml") {
                let text = std::fs::read_to_string(&p).expect("suite");
                for doc in kubecomply_loader::parse_documents(&text).expect("suite parses") {
                    for test in doc
                        .get("tests")
                        .and_then(|t| t.as_array())
                        .into_iter()
                        .flatten()
                    {
                        declared += test
                            .get("cases")
                            .and_then(|c| c.as_array())
                            .map_or(0, Vec::len);
                    }
                }
            }
        }
    }
    let r = verify::run(&[root], &VerifyOptions::default());
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    let failed: Vec<_> = r
        .results
        .iter()
        .filter(|c| !matches!(c.outcome, Outcome::Pass))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert_eq!(declared, 270, "the library's SOURCE.md counts 270 cases");
    assert_eq!(r.passed(), declared);
}
