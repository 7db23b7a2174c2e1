//! End-to-end behaviour of `kubecomply report` on the bundled examples (needs the `report`
//! subcommand wired in main.rs).

mod common;
use common::*;

use std::process::Output;

use serde_json::Value;

fn report(extra: &[&str]) -> Output {
    let mut args = vec![
        "report",
        "--framework",
        "pci-dss,cis-k8s",
        "--config",
        "examples/.kubecomply.yaml",
    ];
    args.extend_from_slice(extra);
    args.push("examples");
    run(&args)
}

fn leaves(reqs: &Value, out: &mut Vec<Value>) {
    for r in reqs.as_array().into_iter().flatten() {
        match r.get("requirements") {
            Some(children) => leaves(children, out),
            None => out.push(r.clone()),
        }
    }
}

fn is_location(s: &str) -> bool {
    let parts: Vec<&str> = s.rsplitn(3, ':').collect();
    parts.len() == 3
        && parts[0].parse::<u32>().is_ok_and(|c| c > 0)
        && parts[1].parse::<u32>().is_ok_and(|l| l > 0)
        && parts[2].ends_with(".yaml")
}

#[test]
fn json_structure() {
    let o = report(&[]);
    // Requirements fail on the examples and no threshold is given.
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc = json(&o);
    assert_eq!(doc["schemaVersion"], "1.0");
    assert_eq!(doc["kind"], "ComplianceReport");
    assert_eq!(doc["generatedAt"], "2026-06-01T00:00:00Z");
    assert_eq!(doc["tool"]["name"], "kubecomply");
    assert_eq!(doc["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(doc["inputs"]["paths"][0], "examples");
    assert!(doc["inputs"]["files"].as_u64().is_some_and(|n| n > 0));
    assert!(doc["inputs"]["objects"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(doc["passed"], false);
    let fws = doc["frameworks"].as_array().expect("frameworks");
    let ids: Vec<&str> = fws.iter().filter_map(|f| f["id"].as_str()).collect();
    assert_eq!(ids, ["pci-dss", "cis-k8s"]);
    let pci = &fws[0];
    assert_eq!(pci["name"], "PCI DSS");
    assert!(pci["version"].is_string());
    assert!(pci["score"].is_number());
    assert_eq!(pci["passed"], false);
    for k in [
        "pass",
        "fail",
        "partial",
        "manual",
        "manual-attested",
        "not-assessed",
        "not-applicable",
    ] {
        assert!(pci["counts"][k].is_u64(), "counts.{k}");
    }
    for k in ["critical", "high", "medium", "low", "info"] {
        assert!(pci["failedBySeverity"][k].is_u64(), "failedBySeverity.{k}");
    }
    let mut all = Vec::new();
    leaves(&pci["requirements"], &mut all);
    assert!(!all.is_empty());
    for l in &all {
        assert!(l["id"].is_string() && l["title"].is_string() && l["status"].is_string());
        assert!(l["statusLabel"].is_string());
    }
    let failing: Vec<&Value> = all.iter().filter(|l| l["status"] == "fail").collect();
    assert!(!failing.is_empty());
    for l in &failing {
        let f = &l["failed"][0];
        assert!(f["rule"].as_str().is_some_and(|r| r.starts_with("KC-")));
        assert!(
            l["rulesEvaluated"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        );
        let loc = f["location"].as_str().unwrap_or_default();
        assert!(is_location(loc) || loc.starts_with('<'), "{loc}");
    }
    assert!(
        all.iter()
            .any(|l| l["passedFindings"].as_array().is_some_and(|a| a
                .iter()
                .any(|f| is_location(f["location"].as_str().unwrap_or_default()))))
    );
    // The examples' exception (owner, reason, expiry) shows on an excepted finding.
    let excepted: Vec<&Value> = all
        .iter()
        .flat_map(|l| l["excepted"].as_array().into_iter().flatten())
        .collect();
    assert!(
        excepted.iter().any(
            |e| e["exceptionDetail"]["owner"] == "payments-team@example.com"
                && e["exceptionDetail"]["expires"] == "2027-03-31"
        ),
        "no excepted finding with the examples' exception"
    );
}

#[test]
fn html_is_self_contained() {
    let dir = temp_dir("html");
    let out = dir.join("report.html");
    let o = report(&[
        "--format",
        "html",
        "--output",
        out.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(o.stdout.is_empty(), "--output writes nothing to stdout");
    let html = std::fs::read_to_string(&out).expect("report written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"));
    assert!(html.contains("<details"));
    assert!(html.contains("payments-team@example.com"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("<link"));
    assert!(!html.contains("<img"));
    assert!(!html.contains("src=\"http"));
    assert!(!html.contains("url(http"));
    assert!(!html.contains("http://") && !html.contains("https://"));
}

#[test]
fn markdown_has_summary_tree_and_failing_resources() {
    let o = report(&["--format", "markdown"]);
    assert_eq!(o.status.code(), Some(1));
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(md.contains("| Framework |"));
    assert!(md.contains("## PCI DSS"));
    assert!(md.contains("### Requirements"));
    assert!(md.contains("### Failing resources"));
    assert!(md.contains("### Exceptions"));
}

#[test]
fn thresholds_decide_the_exit_status() {
    assert_eq!(report(&["--min-score", "101"]).status.code(), Some(1));
    // With a threshold, failing requirements alone do not fail the report.
    let o = report(&["--min-score", "0"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(json(&o)["passed"], true);
    assert_eq!(report(&["--max-failed", "high=0"]).status.code(), Some(1));
    assert_eq!(
        report(&[
            "--max-failed",
            "info=100000",
            "--max-failed",
            "critical=100000"
        ])
        .status
        .code(),
        Some(0)
    );
    assert_eq!(report(&["--max-failed", "bogus=1"]).status.code(), Some(2));
    assert_eq!(report(&["--min-score", "x"]).status.code(), Some(2));
}

#[test]
fn input_errors_exit_2() {
    let o = run(&["report", "--framework", "no-such", "examples"]);
    assert_eq!(o.status.code(), Some(2));
    let dir = temp_dir("bad-att");
    let bad = dir.join("att.yaml");
    std::fs::write(
        &bad,
        "- requirement: pci-dss:1\n  statement: s\n  evidence: {url: u}\n  attestedBy: a\n  date: 2026-02-30\n  validUntil: 2027-01-01\n",
    )
    .expect("write");
    let o = run(&[
        "report",
        "--framework",
        "pci-dss",
        "--attestations",
        bad.to_str().expect("utf-8 path"),
        "examples",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("att.yaml:5:3"), "{err}");
}

#[test]
fn attestations_satisfy_manual_requirements() {
    let doc = json(&report(&[]));
    let mut all = Vec::new();
    leaves(&doc["frameworks"][0]["requirements"], &mut all);
    let manual: Vec<&str> = all
        .iter()
        .filter(|l| l["status"] == "manual")
        .filter_map(|l| l["id"].as_str())
        .collect();
    let Some(id) = manual.first() else {
        return; // no manual requirement left in the catalogue
    };
    let dir = temp_dir("att");
    std::fs::write(dir.join("evidence.txt"), "signed-off plan\n").expect("write");
    let att = dir.join("att.yaml");
    let sha = kubecomply_frameworks::sha256_hex(b"signed-off plan\n");
    let mut text = format!(
        "attestations:\n- requirement: \"pci-dss:{id}\"\n  statement: Reviewed.\n  evidence: {{file: evidence.txt, sha256: {sha}}}\n  attestedBy: auditor@example.com\n  date: 2026-01-01\n  validUntil: 2026-12-31\n"
    );
    if let Some(second) = manual.get(1) {
        text.push_str(&format!(
            "- requirement: \"pci-dss:{second}\"\n  statement: Old.\n  evidence: {{file: evidence.txt, sha256: {sha}}}\n  attestedBy: auditor@example.com\n  date: 2025-01-01\n  validUntil: 2026-05-31\n"
        ));
    }
    std::fs::write(&att, text).expect("write");
    let o = report(&["--attestations", att.to_str().expect("utf-8 path")]);
    let doc = json(&o);
    let mut all = Vec::new();
    leaves(&doc["frameworks"][0]["requirements"], &mut all);
    let find = |want: &str| all.iter().find(|l| l["id"] == want).cloned().expect("leaf");
    let first = find(id);
    assert_eq!(first["status"], "manual-attested");
    assert_eq!(first["statusLabel"], "manual (attested)");
    assert_eq!(first["attestations"][0]["state"], "valid");
    assert_eq!(doc["frameworks"][0]["counts"]["manual-attested"], 1);
    if let Some(second) = manual.get(1) {
        let s = find(second);
        assert_eq!(s["status"], "manual");
        assert_eq!(s["attestations"][0]["state"], "expired");
    }
}

/// The JSON report follows docs/schema/compliance-report-v1.json, for every built-in framework,
/// with attestations (file and URL evidence, an expired one, one naming no requirement),
/// thresholds, exceptions and the team's policies.
#[test]
fn json_report_follows_the_published_schema() {
    let dir = temp_dir("schema");
    std::fs::write(dir.join("evidence.txt"), "signed-off plan\n").expect("write");
    let sha = kubecomply_frameworks::sha256_hex(b"signed-off plan\n");
    let att = dir.join("att.yaml");
    std::fs::write(
        &att,
        format!(
            "attestations:\n- requirement: \"pci-dss:12.1.1\"\n  statement: Reviewed.\n  evidence: {{file: evidence.txt, sha256: {sha}}}\n  attestedBy: auditor@example.com\n  date: 2026-01-01\n  validUntil: 2026-12-31\n- requirement: \"soc2:CC7.4\"\n  statement: Incident response plan.\n  evidence: {{url: https://wiki.example.com/irp}}\n  attestedBy: ciso@example.com\n  date: 2025-01-01\n  validUntil: 2025-12-31\n- requirement: \"hipaa:no-such\"\n  statement: Nothing.\n  evidence: {{url: https://example.com}}\n  attestedBy: a@example.com\n  date: 2026-01-01\n  validUntil: 2026-12-31\n"
        ),
    )
    .expect("write");
    let list = run(&["frameworks", "--format", "json"]);
    let ids: Vec<String> =
        serde_json::from_slice::<Value>(&list.stdout).expect("json")["frameworks"]
            .as_array()
            .expect("frameworks")
            .iter()
            .filter_map(|f| f["id"].as_str().map(String::from))
            .collect();
    assert!(ids.len() >= 10, "{ids:?}");
    let o = run(&[
        "report",
        "--framework",
        &ids.join(","),
        "--config",
        "examples/.kubecomply.yaml",
        "--attestations",
        att.to_str().expect("utf-8 path"),
        "--min-score",
        "50",
        "--max-failed",
        "critical=0",
        "examples",
    ]);
    let doc = json(&o);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/schema/compliance-report-v1.json"))
            .expect("schema"),
    )
    .expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    // The document exercises the optional parts the schema describes.
    assert!(doc["inputs"]["policyDigest"].is_string());
    let text = doc.to_string();
    for needle in [
        "\"exceptionDetail\"",
        "\"attestations\":[{",
        "\"unmatchedAttestations\":[{",
        "\"state\":\"expired\"",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
}

/// PCI DSS applies to cardholder data: only resources marked `pci` (the payments namespace of
/// the examples) are evaluated, cluster-scoped ones always; `--scope all` evaluates everything.
#[test]
fn frameworks_with_a_data_class_evaluate_the_resources_holding_it() {
    fn failing_resources(doc: &Value) -> Vec<String> {
        let mut all = Vec::new();
        leaves(&doc["frameworks"][0]["requirements"], &mut all);
        let mut out: Vec<String> = all
            .iter()
            .flat_map(|l| l["failed"].as_array().cloned().unwrap_or_default())
            .map(|f| {
                format!(
                    "{}/{}/{}",
                    f["resource"]["kind"].as_str().unwrap_or(""),
                    f["resource"]["namespace"].as_str().unwrap_or(""),
                    f["resource"]["name"].as_str().unwrap_or("")
                )
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "report",
            "--framework",
            "pci-dss",
            "--config",
            "examples/.kubecomply.yaml",
        ];
        a.extend_from_slice(extra);
        a.push("examples");
        a
    };
    let scoped = json(&run(&args(&[])));
    let fw = &scoped["frameworks"][0];
    let mut in_scope: Vec<&str> = fw["inScope"]
        .as_array()
        .expect("inScope")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    in_scope.sort();
    assert_eq!(
        in_scope,
        vec![
            "Deployment/payments/payments-api",
            "Namespace/payments",
            "NetworkPolicy/payments/default-deny",
            "Service/payments/payments-api",
            "ServiceAccount/payments/payments-api",
        ]
    );
    assert!(
        fw["scope"]
            .as_str()
            .is_some_and(|s| s.starts_with("data class \"pci\": 5 of")),
        "{}",
        fw["scope"]
    );
    let failing = failing_resources(&scoped);
    for r in &failing {
        let namespaced = r.split('/').nth(1).is_some_and(|ns| !ns.is_empty());
        assert!(
            !namespaced || r.contains("/payments/"),
            "out-of-scope resource {r} evaluated: {failing:?}"
        );
    }
    assert!(
        failing.iter().any(|r| r.contains("/payments/payments-api")),
        "{failing:?}"
    );

    let all = json(&run(&args(&["--scope", "all"])));
    assert!(all["frameworks"][0]["inScope"].is_null());
    let failing_all = failing_resources(&all);
    assert!(
        failing_all
            .iter()
            .any(|r| r == "Deployment/shop/legacy-cart"),
        "{failing_all:?}"
    );

    // SOC 2 has no data class: everything, as before.
    let soc2 = json(&run(&["report", "--framework", "soc2", "examples"]));
    assert_eq!(soc2["frameworks"][0]["scope"], "every scanned resource");
}

/// A report over inputs that could not all be read records the errors and does not pass,
/// whatever the frameworks say (issue 14: a missing path gave `"passed": true`).
#[test]
fn input_errors_are_recorded_and_fail_the_report() {
    let o = common::run(&[
        "report",
        "--framework",
        "pci-dss",
        "examples/shop",
        "does-not-exist",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    let doc = common::json(&o);
    assert_eq!(doc["passed"], serde_json::json!(false));
    let errors = doc["inputErrors"].as_array().expect("inputErrors");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["file"], serde_json::json!("does-not-exist"));
    // Without input errors the field is absent, as before.
    let o = common::run(&["report", "--framework", "pci-dss", "examples/shop"]);
    assert!(common::json(&o).get("inputErrors").is_none());
    // The markdown says so above the summary.
    let o = common::run(&[
        "report",
        "--framework",
        "pci-dss",
        "--format",
        "markdown",
        "examples/shop",
        "does-not-exist",
    ]);
    assert!(
        common::stdout(&o).contains("**Input errors: 1."),
        "{}",
        common::stdout(&o)
    );
}
