//! `kubecomply report --definition FILE`: our ComplianceReport and Calico's GlobalReport.

mod common;
use common::*;

use serde_json::Value;

const FIXTURES: &str = "crates/cli/tests/fixtures/definitions";

/// Every `namespace` of a failing or passing resource in the report's requirement tree.
fn namespaces(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("resource")
                && let Some(ns) = r.get("namespace").and_then(Value::as_str)
            {
                out.push(ns.to_string());
            }
            for x in m.values() {
                namespaces(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| namespaces(x, out)),
        _ => {}
    }
}

#[test]
fn the_bundled_example_writes_every_format_under_the_output_directory() {
    let out = temp_path("pci-weekly");
    let o = run(&[
        "report",
        "--definition",
        "examples/reports/pci-weekly.yaml",
        "--output",
        &out.display().to_string(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    for ext in ["json", "md", "html"] {
        assert!(out.join(format!("pci-weekly.{ext}")).is_file(), "{ext}");
    }
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("pci-weekly.json")).expect("read"))
            .expect("JSON");
    let ids: Vec<&str> = report["frameworks"]
        .as_array()
        .expect("frameworks")
        .iter()
        .map(|f| f["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["pci-dss", "cis-k8s"]);
    assert_eq!(report["thresholds"]["minScore"], 50.0);
    assert_eq!(report["thresholds"]["maxFailed"]["critical"], 0);
    assert!(
        stderr(&o).contains("pci-weekly.yaml:19:3: schedule \"0 6 * * 1\" is valid and recorded"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn the_selection_restricts_the_evaluated_namespaces() {
    let def = format!("{FIXTURES}/payments-only.yaml");
    let o = run(&["report", "--definition", &def]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let v = json(&o);
    let mut seen = Vec::new();
    namespaces(&v["frameworks"], &mut seen);
    assert!(!seen.is_empty(), "some payments resource is reported");
    assert!(seen.iter().all(|n| n == "payments"), "{seen:?}");
    // Without the definition the same inputs report the shop namespace as well.
    let o = run(&[
        "report",
        "--framework",
        "pci-dss",
        "--scope",
        "all",
        "examples/shop",
    ]);
    let mut all = Vec::new();
    namespaces(&json(&o)["frameworks"], &mut all);
    assert!(all.iter().any(|n| n == "shop"), "{all:?}");
}

#[test]
fn command_line_flags_replace_the_definition() {
    let def = format!("{FIXTURES}/payments-only.yaml");
    let o = run(&[
        "report",
        "--definition",
        &def,
        "--framework",
        "hipaa",
        "--format",
        "markdown",
        "--min-score",
        "0",
        "examples/records",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let md = String::from_utf8_lossy(&o.stdout);
    assert!(md.starts_with("# "), "{md}");
    assert!(md.contains("HIPAA"), "{md}");
    assert!(!md.contains("PCI DSS"), "{md}");
}

#[test]
fn errors_in_a_definition_name_file_line_and_column() {
    let def = format!("{FIXTURES}/invalid.yaml");
    let o = run(&["report", "--definition", &def, "examples/shop"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    for want in [
        "invalid.yaml:7:19: unknown format \"pdf\"",
        "invalid.yaml:9:5: expected a score from 0 to 100",
        "invalid.yaml:10:3: unknown field `colour`",
        "invalid.yaml:11:3: invalid schedule: hour: Component error: Number out of bounds. (expected 0-23)",
    ] {
        assert!(e.contains(want), "{want}\n{e}");
    }
    let def = format!("{FIXTURES}/calico-bad-selector.yaml");
    let o = run(&["report", "--definition", &def, "examples/shop"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("calico-bad-selector.yaml:8:5: invalid Calico selector"),
        "{e}"
    );
    assert!(
        e.contains(
            "calico-bad-selector.yaml:9:3: Calico allows at most two values in the minute field"
        ),
        "{e}"
    );
    let def = format!("{FIXTURES}/wrong-kind.yaml");
    let o = run(&["report", "--definition", &def, "examples/shop"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("wrong-kind.yaml:2:1: expected apiVersion kubecomply.io/v1alpha1"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_calico_network_access_report_is_the_selected_network_inventory() {
    let def = format!("{FIXTURES}/calico-inventory.yaml");
    let o = run(&["report", "--definition", &def, "examples/shop"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["kind"], "NetworkInventoryReport");
    assert_eq!(v["name"], "hourly-accounts-networkaccess");
    let workloads: Vec<&str> = v["workloads"]
        .as_array()
        .expect("workloads")
        .iter()
        .map(|w| w["workload"].as_str().expect("workload"))
        .collect();
    // namespaces.names keeps shop; `app != 'legacy-cart'` drops the legacy cart.
    assert_eq!(workloads, ["shop/Deployment/storefront"]);
    let e = stderr(&o);
    for want in [
        "calico-inventory.yaml:6:3: mapped: network-access",
        "calico-inventory.yaml:8:5: honoured: namespace names",
        "calico-inventory.yaml:10:5: honoured: Calico selector",
        "calico-inventory.yaml:11:3: recorded: schedule \"0 * * * *\" is valid",
        "calico-inventory.yaml:12:3: ignored: kubecomply runs no report jobs",
        "calico-inventory.yaml:14:3: recorded: suspend is false",
    ] {
        assert!(e.contains(want), "{want}\n{e}");
    }
    // Markdown too, and --evidence is refused for an inventory.
    let o = run(&[
        "report",
        "--definition",
        &def,
        "-f",
        "markdown",
        "examples/shop",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("| shop/Deployment/storefront | storefront |")
    );
    // CSV (one row per workload) and a self-contained HTML page.
    let o = run(&["report", "--definition", &def, "-f", "csv", "examples/shop"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = String::from_utf8_lossy(&o.stdout).to_string();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "workload,serviceAccount,ingressIsolated,egressIsolated,internetExposed,reachableFromOtherNamespaces,canReachInternet"
    );
    assert_eq!(lines.len(), 2, "{csv}");
    let row = &v["workloads"][0];
    let yn = |k: &str| if row[k] == true { "yes" } else { "no" };
    assert_eq!(
        lines[1],
        format!(
            "shop/Deployment/storefront,storefront,{},{},{},{},{}",
            yn("ingressIsolated"),
            yn("egressIsolated"),
            yn("internetExposed"),
            yn("reachableFromOtherNamespaces"),
            yn("canReachInternet")
        )
    );
    let o = run(&[
        "report",
        "--definition",
        &def,
        "-f",
        "html",
        "examples/shop",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<td>shop/Deployment/storefront</td><td>storefront</td>"));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    let o = run(&[
        "report",
        "--definition",
        &def,
        "-f",
        "oscal",
        "examples/shop",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not available for an inventory report"));
    let ev = temp_path("inventory-evidence");
    let o = run(&[
        "report",
        "--definition",
        &def,
        "--evidence",
        &ev.display().to_string(),
        "examples/shop",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--evidence is for framework reports"));
}

#[test]
fn a_calico_cis_benchmark_report_is_the_cis_framework_banded_by_its_thresholds() {
    let def = format!("{FIXTURES}/calico-cis.yaml");
    let o = run(&["report", "--definition", &def, "examples/shop"]);
    // highThreshold 100, medThreshold 99: the examples' score is LOW, so the run fails.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["frameworks"][0]["id"], "cis-k8s");
    let e = stderr(&o);
    assert!(e.contains("cis-k8s: CIS band LOW"), "{e}");
    for want in [
        "calico-cis.yaml:11:5: ignored: the report always lists every requirement",
        "calico-cis.yaml:12:5: ignored: the report lists every failed requirement",
        "calico-cis.yaml:13:5: ignored: kube-bench test indices",
        "calico-cis.yaml:8:3: mapped: the cis-k8s score",
    ] {
        assert!(e.contains(want), "{want}\n{e}");
    }
    // With thresholds low enough the band is HIGH and decides the exit status.
    let dir = temp_path("cis-high");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let text = std::fs::read_to_string(root().join(&def)).expect("read");
    let lowered = dir.join("cis.yaml");
    std::fs::write(
        &lowered,
        text.replace("highThreshold: 100", "highThreshold: 10")
            .replace("medThreshold: 99", "medThreshold: 5"),
    )
    .expect("write");
    let o = run(&[
        "report",
        "--definition",
        &lowered.display().to_string(),
        "examples/shop",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cis-k8s: CIS band HIGH"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_calico_policy_audit_report_is_refused_with_the_reason() {
    let def = format!("{FIXTURES}/calico-policy-audit.yaml");
    let o = run(&["report", "--definition", &def, "examples/shop"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("calico-policy-audit.yaml:6:3: policy-audit is not supported"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_definition_run_can_write_an_evidence_bundle_that_verifies() {
    let ev = temp_path("definition-evidence");
    let def = format!("{FIXTURES}/payments-only.yaml");
    let o = run(&[
        "report",
        "--definition",
        &def,
        "--evidence",
        &ev.display().to_string(),
    ]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(ev.join("manifest.json")).expect("manifest"))
            .expect("JSON");
    assert_eq!(m["command"]["selection"]["namespaces"][0], "payments");
    let o = run(&["evidence", "verify", &ev.display().to_string(), "--rescan"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let _ = std::fs::remove_dir_all(&ev);
}
