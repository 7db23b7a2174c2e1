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
