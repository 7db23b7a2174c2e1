//! The team's own policies in `scan`, `rules`, `frameworks` and `report`: examples/policies has
//! one Rego module (SHOP-001), one ValidatingAdmissionPolicy with its binding (SHOP-002) and one
//! Gatekeeper template with a constraint (SHOP-003).

mod common;
use common::*;

use std::path::Path;
use std::process::Output;

use serde_json::Value;

fn run(args: &[&str]) -> Output {
    kubecomply()
        .env("KUBECOMPLY_TODAY", "2026-11-28")
        .args(args)
        .output()
        .expect("runs")
}

/// (rule, status, kind/name, line, column, pointer) of every finding of the given rules.
fn hits(doc: &Value, prefix: &str) -> Vec<(String, String, String, u64, u64, String)> {
    let mut out: Vec<_> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"].as_str().is_some_and(|r| r.starts_with(prefix)))
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["status"].as_str().unwrap_or_default().to_string(),
                format!(
                    "{}/{}",
                    f["resource"]["kind"].as_str().unwrap_or_default(),
                    f["resource"]["name"].as_str().unwrap_or_default()
                ),
                f["location"]["line"].as_u64().unwrap_or_default(),
                f["location"]["column"].as_u64().unwrap_or_default(),
                f["location"]["pointer"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn scan(extra: &[&str]) -> Output {
    let mut args = vec![
        "scan",
        "examples/shop",
        "--policy",
        "examples/policies",
        "-f",
        "json",
        "--only-failed",
    ];
    args.extend(extra);
    run(&args)
}

#[test]
fn scan_runs_rego_gatekeeper_and_vap_policies_beside_the_rules() {
    let o = scan(&[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc = json(&o);
    let s = |x: &str| x.to_string();
    assert_eq!(
        hits(&doc, "SHOP-"),
        vec![
            (
                s("SHOP-001"),
                s("fail"),
                s("Deployment/legacy-cart"),
                13,
                7,
                s("/spec/template/metadata/labels")
            ),
            (
                s("SHOP-001"),
                s("fail"),
                s("Deployment/payments-api"),
                13,
                7,
                s("/spec/template/metadata/labels")
            ),
            (
                s("SHOP-001"),
                s("fail"),
                s("Deployment/storefront"),
                13,
                7,
                s("/spec/template/metadata/labels")
            ),
            (
                s("SHOP-002"),
                s("fail"),
                s("Deployment/legacy-cart"),
                2,
                1,
                s("")
            ),
            (
                s("SHOP-003"),
                s("fail"),
                s("Namespace/payments"),
                11,
                1,
                s("")
            ),
            (
                s("SHOP-003"),
                s("fail"),
                s("Namespace/records"),
                20,
                1,
                s("")
            ),
            (s("SHOP-003"), s("fail"), s("Namespace/shop"), 3, 1, s("")),
        ]
    );
    // The built-in rules still ran.
    assert!(!hits(&doc, "KC-HOST-").is_empty());
    let digest = doc["tool"]["policyDigest"].as_str().expect("digest");
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
}

#[test]
fn policy_findings_follow_rule_selection_overrides_and_exceptions() {
    let only = json(&scan(&["--rule", "SHOP-002"]));
    let rules: Vec<&str> = only["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert_eq!(rules, vec!["SHOP-002"]);

    let skipped = json(&scan(&[
        "--skip-rule",
        "SHOP-001,shoprequiredlabels-namespaces-have-owner",
    ]));
    assert_eq!(hits(&skipped, "SHOP-001"), vec![]);
    assert_eq!(hits(&skipped, "SHOP-003"), vec![]);
    assert_eq!(hits(&skipped, "SHOP-002").len(), 1);

    let dir = temp_dir("overrides");
    std::fs::write(
        dir.join("exceptions.yaml"),
        "exceptions:\n- rule: SHOP-003\n  match: {kind: Namespace, name: records}\n  reason: records namespace is owned by the hospital IT team\n  owner: platform@example.com\n  expires: 2027-06-30\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("config.yaml"),
        "severityOverrides:\n  SHOP-001: high\n",
    )
    .expect("write");
    let cfg = dir.join("config.yaml");
    let exc = dir.join("exceptions.yaml");
    let doc = json(&scan(&[
        "--config",
        cfg.to_str().expect("utf8"),
        "--exceptions",
        exc.to_str().expect("utf8"),
    ]));
    let findings = doc["findings"].as_array().expect("findings");
    for f in findings.iter().filter(|f| f["rule"] == "SHOP-001") {
        assert_eq!(f["severity"], "high", "{f}");
    }
    let records = findings
        .iter()
        .find(|f| f["rule"] == "SHOP-003" && f["resource"]["name"] == "records")
        .expect("records finding");
    assert_eq!(records["status"], "excepted", "{records}");
}

#[test]
fn broken_and_clashing_policies_are_reported_and_the_rest_runs() {
    let dir = temp_dir("broken");
    std::fs::copy(
        root().join("examples/policies/ownership.rego"),
        dir.join("ownership.rego"),
    )
    .expect("copy");
    std::fs::write(
        dir.join("broken.rego"),
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := \"x\"\n\tinput.kind ==\n}\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("clash.rego"),
        "# METADATA\n# custom:\n#   code: KC-HOST-001\npackage clash\n\nimport rego.v1\n\ndeny contains \"never\" if false\n",
    )
    .expect("write");
    let p = dir.to_str().expect("utf8");
    let o = run(&[
        "scan",
        "examples/shop",
        "--policy",
        p,
        "--all-namespaces",
        "-f",
        "json",
        "--only-failed",
    ]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&format!("{}:", dir.join("broken.rego").display())) && err.contains(":8:"),
        "{err}"
    );
    assert!(err.contains("KC-HOST-001 is already taken"), "{err}");
    let doc = json(&o);
    assert_eq!(hits(&doc, "SHOP-001").len(), 3);
    assert!(!hits(&doc, "KC-").is_empty());
}

#[test]
fn the_digest_names_the_policy_version() {
    let dir = temp_dir("digest");
    let rego =
        std::fs::read_to_string(root().join("examples/policies/ownership.rego")).expect("read");
    std::fs::write(dir.join("ownership.rego"), &rego).expect("write");
    let digest = |d: &Path| {
        let o = run(&[
            "scan",
            "examples/shop",
            "--policy",
            d.to_str().expect("utf8"),
            "-f",
            "json",
        ]);
        json(&o)["tool"]["policyDigest"]
            .as_str()
            .expect("digest")
            .to_string()
    };
    let first = digest(&dir);
    assert_eq!(first, digest(&dir));
    std::fs::write(dir.join("ownership.rego"), rego.replace("medium", "high")).expect("write");
    assert_ne!(first, digest(&dir));
}

#[test]
fn rules_lists_policies_and_frameworks_map_them() {
    let o = run(&["rules", "--policy", "examples/policies", "--format", "json"]);
    let doc = json(&o);
    let shop: Vec<(&str, &str, &str)> = doc["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter(|r| r["category"] == "policy")
        .map(|r| {
            (
                r["code"].as_str().unwrap_or_default(),
                r["severity"].as_str().unwrap_or_default(),
                r["title"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        shop,
        vec![
            ("SHOP-001", "medium", "Workloads name their owning team"),
            ("SHOP-003", "low", "Required labels"),
            (
                "SHOP-002",
                "medium",
                "Customer-facing workloads run at least two replicas"
            ),
        ]
    );

    let o = run(&[
        "report",
        "examples/shop",
        "--framework",
        "soc2",
        "--policy",
        "examples/policies",
        "-f",
        "json",
    ]);
    let doc = json(&o);
    let mut found = Vec::new();
    fn walk(rs: &Value, found: &mut Vec<(String, String, Vec<String>)>) {
        for r in rs.as_array().into_iter().flatten() {
            let id = r["id"].as_str().unwrap_or_default();
            if id == "CC6.1" || id == "A1.2" {
                let failed: Vec<String> = r["failed"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f["rule"].as_str())
                    .filter(|c| c.starts_with("SHOP-"))
                    .map(String::from)
                    .collect();
                found.push((
                    id.to_string(),
                    r["status"].as_str().unwrap_or_default().to_string(),
                    failed,
                ));
            }
            walk(&r["requirements"], found);
        }
    }
    for f in doc["frameworks"].as_array().expect("frameworks") {
        walk(&f["requirements"], &mut found);
    }
    found.sort();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "A1.2");
    assert_eq!(found[0].1, "fail");
    assert_eq!(found[0].2, vec!["SHOP-002"]);
    assert_eq!(found[1].0, "CC6.1");
    assert!(
        found[1].2.iter().all(|c| c == "SHOP-001") && found[1].2.len() == 3,
        "{found:?}"
    );
    assert!(
        doc["inputs"]["policyDigest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:"))
    );
}

#[test]
fn custom_frameworks_name_policy_codes() {
    let o = run(&[
        "frameworks",
        "check",
        "shop-controls",
        "examples/shop",
        "--framework-file",
        "crates/cli/tests/fixtures/shop-controls.yaml",
        "--policy",
        "examples/policies",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc = json(&o);
    let reqs = doc["result"]["requirements"]
        .as_array()
        .expect("requirements");
    let failed = |id: &str| -> Vec<String> {
        let r = reqs.iter().find(|r| r["id"] == id).expect("requirement");
        assert_eq!(r["status"], "fail", "{r}");
        let mut v: Vec<String> = r["failed"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|f| {
                format!(
                    "{} {}",
                    f["rule"].as_str().unwrap_or_default(),
                    f["resource"]["name"].as_str().unwrap_or_default()
                )
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        failed("SC-1"),
        vec![
            "SHOP-001 legacy-cart",
            "SHOP-001 payments-api",
            "SHOP-001 storefront"
        ]
    );
    assert_eq!(
        failed("SC-2"),
        vec![
            "KC-NS-002 records",
            "SHOP-003 payments",
            "SHOP-003 records",
            "SHOP-003 shop"
        ]
    );
}

#[test]
fn custom_frameworks_come_from_the_configuration_too() {
    let o = run(&[
        "report",
        "examples/shop",
        "--framework",
        "shop-controls",
        "--config",
        "crates/cli/tests/fixtures/fwcfg/config.yaml",
        "-f",
        "json",
    ]);
    let doc = json(&o);
    assert_eq!(doc["frameworks"][0]["id"], "shop-controls", "{doc}");
    let sc1 = doc["frameworks"][0]["requirements"]
        .as_array()
        .expect("requirements")
        .iter()
        .find(|r| r["id"] == "SC-1")
        .expect("SC-1");
    assert_eq!(sc1["status"], "fail", "{sc1}");
    assert_eq!(sc1["failed"].as_array().map(Vec::len), Some(3));
}

#[test]
fn a_runaway_policy_is_stopped_at_the_memory_limit() {
    let d = temp_dir("memory");
    std::fs::write(
        d.join("runaway.rego"),
        "package main\nimport rego.v1\n\ndeny contains msg if {\n\tr := numbers.range(1, 4000)\n\
         \tpairs := [[i, j] | some i in r; some j in r]\n\tmsg := sprintf(\"%d\", [count(pairs)])\n}\n",
    )
    .expect("write");
    std::fs::write(
        d.join("cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
    )
    .expect("write");
    let policy = d.join("runaway.rego");
    let input = d.join("cm.yaml");
    let (policy, input) = (
        policy.to_str().expect("utf-8"),
        input.to_str().expect("utf-8"),
    );
    let o = run(&[
        "scan",
        input,
        "--policy",
        policy,
        "--policy-memory-limit",
        "32Mi",
        "--format",
        "json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc = json(&o);
    let errors: Vec<&Value> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let message = errors[0]["message"].as_str().unwrap_or("");
    assert!(
        message.contains("memory limit exceeded") && message.contains("32 MiB"),
        "{message}"
    );

    // The same limit from the configuration; a malformed size is a usage error.
    std::fs::write(d.join("cfg.yaml"), "policies:\n  memoryLimit: 32Mi\n").expect("write");
    let cfg = d.join("cfg.yaml");
    let o = run(&[
        "scan",
        input,
        "--policy",
        policy,
        "--config",
        cfg.to_str().expect("utf-8"),
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stdout).contains("32 MiB"));
    let o = run(&[
        "scan",
        input,
        "--policy",
        policy,
        "--policy-memory-limit",
        "5Xi",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("Ki, Mi or Gi"));
}
