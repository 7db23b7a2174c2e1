//! End-to-end behaviour of `kubecomply frameworks` (needs the `frameworks` subcommand wired in
//! main.rs).

mod common;
use common::*;

use std::path::PathBuf;

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubecomply-fw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn list_shows_every_builtin_framework() {
    let o = run(&["frameworks"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for id in [
        "cis-k8s",
        "pss-baseline",
        "pss-restricted",
        "nsa-cisa",
        "pci-dss",
        "hipaa",
        "gdpr",
        "soc2",
        "ccpa",
        "nist-800-190",
    ] {
        assert!(out.contains(id), "{id} missing from:\n{out}");
    }
    let doc = json(&run(&["frameworks", "--format", "json"]));
    let cis = doc["frameworks"]
        .as_array()
        .and_then(|a| a.iter().find(|f| f["id"] == "cis-k8s"))
        .expect("cis-k8s")
        .clone();
    assert_eq!(cis["requirements"], 131);
}

#[test]
fn show_prints_the_tree_with_rules_and_needs() {
    let o = run(&["frameworks", "show", "cis-k8s"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("5.2.2 Privileged containers are not admitted [automated]"));
    assert!(out.contains("rules: KC-HOST-001"));
    assert!(out.contains("needs: node-scan"));
    let doc = json(&run(&[
        "frameworks",
        "show",
        "pss-baseline",
        "--format",
        "json",
    ]));
    assert_eq!(doc["framework"]["id"], "pss-baseline");
    let o = run(&["frameworks", "show", "nope"]);
    assert_ne!(o.status.code(), Some(0));
}

#[test]
fn check_reports_statuses_and_score() {
    let o = run(&["frameworks", "check", "cis-k8s", "examples/shop"]);
    assert_eq!(o.status.code(), Some(1), "a requirement fails");
    let out = stdout(&o);
    assert!(out.contains("FAIL"), "{out}");
    assert!(out.contains("5.2.2 Privileged containers are not admitted"));
    assert!(
        out.contains("legacy-cart.yaml:"),
        "failing findings with file:line"
    );
    assert!(out.contains("NOT ASSESSED"), "node checks are not passed");
    assert!(out.contains("Score: "));
    let doc = json(&run(&[
        "frameworks",
        "check",
        "pss-restricted",
        "examples/shop",
        "--format",
        "json",
    ]));
    let r = &doc["result"];
    assert_eq!(r["id"], "pss-restricted");
    assert!(r["score"].is_number());
    assert!(r["counts"]["fail"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(r["counts"]["not-assessed"], 0);
}

#[test]
fn custom_framework_file_extends_a_builtin() {
    let p = temp_file(
        "custom.yaml",
        "id: shop-baseline\nname: Shop baseline\nextends: pss-baseline\ndrop: [host-ports]\nrequirements:\n  - id: SHOP-1\n    title: Images are pinned\n    assessment: automated\n    rules: [KC-IMG-002]\n",
    );
    let path = p.display().to_string();
    let o = run(&[
        "frameworks",
        "--framework-file",
        &path,
        "show",
        "shop-baseline",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    assert!(out.contains("Extends: pss-baseline"));
    assert!(out.contains("SHOP-1 Images are pinned"));
    assert!(!out.contains("host-ports"));
}

#[test]
fn invalid_framework_file_is_reported_with_its_position() {
    let p = temp_file(
        "bad.yaml",
        "id: bad\nname: Bad\nversion: \"1\"\nrequirements:\n  - id: a\n    title: A\n    assessment: sometimes\n",
    );
    let path = p.display().to_string();
    let o = run(&["frameworks", "--framework-file", &path]);
    assert_ne!(o.status.code(), Some(0));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{path}:7:5: assessment must be one of")),
        "{err}"
    );
}
