//! End-to-end behaviour of `kubecomply policy verify` and `kubecomply policy test`.

mod common;
use common::*;

const SUITES: &str = "crates/rego/tests/suites";
const FAILING: &str = "crates/rego/tests/suites-failing";
const UNIT: &str = "crates/rego/tests/fixtures/conftest/unit";

#[test]
fn verify_passing_suites_exits_zero() {
    let o = run(&["policy", "verify", SUITES]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(
        out.contains(
            "ok    crates/rego/tests/suites/allowedrepos/suite.yaml repos/both-disallowed"
        ),
        "{out}"
    );
    assert!(out.contains("skip  "), "{out}");
    assert_eq!(out.lines().last(), Some("25 passed, 0 failed, 1 skipped"));
}

#[test]
fn verify_failing_suite_exits_one_with_reasons() {
    let o = run(&["policy", "verify", FAILING]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(out.contains("FAIL  "), "{out}");
    assert!(
        out.contains("expectations/wrong-count: expected 3 violation(s), got 2"),
        "{out}"
    );
    assert_eq!(out.lines().last(), Some("1 passed, 2 failed"));
}

#[test]
fn verify_run_filter_and_missing_path() {
    let o = run(&["policy", "verify", SUITES, "--run", "^hosts/"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o).lines().last(), Some("3 passed, 0 failed"));

    let o = run(&["policy", "verify", "crates/rego/tests/no-such-dir"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such-dir"), "{}", stderr(&o));
}

#[test]
fn verify_without_suites_exits_two() {
    let o = run(&["policy", "verify", UNIT]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no gator Suite"), "{}", stderr(&o));
}

#[test]
fn unit_tests_with_coverage() {
    let o = run(&["policy", "test", UNIT, "--coverage"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(out.contains("ok    main.test_privileged_denied"), "{out}");
    assert!(out.contains("FAIL  main.test_wrong_expectation"), "{out}");
    assert!(out.contains("coverage:"), "{out}");
    assert!(out.contains("policy.rego  (not covered: lines"), "{out}");
    assert_eq!(out.lines().last(), Some("2 passed, 1 failed, 1 skipped"));

    let o = run(&["policy", "test", UNIT, "--run", "allowed$"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert_eq!(stdout(&o).lines().last(), Some("1 passed, 0 failed"));
}

#[test]
fn unit_tests_with_v0_syntax_error_exit_two() {
    // v0 modules parsed as v1 are syntax errors with positions.
    let o = run(&["policy", "test", "crates/rego/tests/fixtures/conftest/v0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("legacy.rego:"), "{}", stderr(&o));
    let o = run(&[
        "policy",
        "test",
        "crates/rego/tests/fixtures/conftest/v0",
        "--rego-version",
        "v0",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().last(), Some("0 passed, 0 failed"));
}
