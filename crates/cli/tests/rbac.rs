//! End-to-end behaviour of `kubecomply rbac` (needs the `rbac` subcommand wired in main.rs).

mod common;
use common::*;

use serde_json::Value;

const FIXTURE: &str = "crates/rbac/tests/fixtures/review.yaml";

#[test]
fn who_can_json_lists_subjects() {
    let o = run(&[
        "rbac",
        "who-can",
        "create",
        "pods",
        "--namespace",
        "shop",
        "--format",
        "json",
        FIXTURE,
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).expect("json");
    let subjects: Vec<String> = v["subjects"]
        .as_array()
        .expect("subjects")
        .iter()
        .map(|s| {
            format!(
                "{}/{}",
                s["kind"].as_str().unwrap_or(""),
                s["name"].as_str().unwrap_or("")
            )
        })
        .collect();
    for want in [
        "ServiceAccount/ci",
        "ServiceAccount/deployer",
        "ServiceAccount/web",
        "Group/system:masters",
    ] {
        assert!(subjects.contains(&want.to_string()), "{subjects:?}");
    }
    assert!(v["grants"].as_array().is_some_and(|g| !g.is_empty()));
}

#[test]
fn who_can_non_resource_url() {
    let o = run(&["rbac", "who-can", "get", "/healthz", FIXTURE]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("Group/system:unauthenticated"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn can_exit_codes() {
    let yes = run(&[
        "rbac",
        "can",
        "sa:tools:ci",
        "create",
        "pods",
        "-n",
        "shop",
        FIXTURE,
    ]);
    assert_eq!(yes.status.code(), Some(0));
    assert!(stdout(&yes).starts_with("yes"), "{}", stdout(&yes));
    let no = run(&[
        "rbac",
        "can",
        "sa:tools:ci",
        "create",
        "pods",
        "-n",
        "other",
        FIXTURE,
    ]);
    assert_eq!(no.status.code(), Some(1));
    assert!(stdout(&no).starts_with("no"));
    let bad = run(&["rbac", "can", "nobody", "get", "pods", FIXTURE]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn review_fails_with_findings() {
    let o = run(&["rbac", "review", FIXTURE]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    for code in ["KC-RBAC-101", "KC-RBAC-103", "KC-RBAC-106", "KC-RBAC-108"] {
        assert!(out.contains(code), "{out}");
    }
}

#[test]
fn paths_and_permissions() {
    let o = run(&["rbac", "paths", "--from", "sa:tools:ci", FIXTURE]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("2 step(s)"), "{}", stdout(&o));
    let p = run(&[
        "rbac",
        "permissions",
        "sa:tools:ci",
        "--format",
        "json",
        FIXTURE,
    ]);
    assert_eq!(p.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&p.stdout).expect("json");
    assert!(v["permissions"].as_array().is_some_and(|a| !a.is_empty()));
}

#[test]
fn missing_input_is_a_usage_error() {
    let o = run(&["rbac", "review", "does/not/exist.yaml"]);
    assert_eq!(o.status.code(), Some(2));
}
