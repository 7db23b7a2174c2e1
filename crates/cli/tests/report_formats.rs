//! The CSV, Open Reports / PolicyReport and OSCAL formats of `kubecomply report`, validated
//! against the vendored CRD and OSCAL schemas (`tests/schemas/SOURCE.md`), and snapshots of
//! every report format on the bundled examples.

mod common;
use common::*;

use std::process::Output;

use serde_json::{Map, Value};

fn report(format: &str, frameworks: &str, today: &str) -> Output {
    kubecomply()
        .env("KUBECOMPLY_TODAY", today)
        .args([
            "report",
            "--framework",
            frameworks,
            "--config",
            "examples/.kubecomply.yaml",
            "--format",
            format,
            "examples",
        ])
        .output()
        .expect("runs")
}

fn stdout(format: &str, frameworks: &str) -> String {
    let o = report(format, frameworks, "2026-06-01");
    // The examples fail requirements on purpose.
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("utf-8")
}

fn schema(name: &str) -> Value {
    let text = std::fs::read_to_string(root().join("crates/cli/tests/schemas").join(name))
        .expect("vendored schema");
    serde_json::from_str(&text).expect("schema json")
}

/// RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, '\n') => panic!("bare LF outside quotes"),
            (false, c) => field.push(c),
        }
    }
    assert!(
        field.is_empty() && row.is_empty(),
        "last record has no CRLF"
    );
    rows
}

#[test]
fn csv_has_one_row_per_requirement_and_resource() {
    let rows = parse_csv(&stdout("csv", "pci-dss,cis-k8s"));
    let header = &rows[0];
    assert_eq!(header[0], "framework");
    assert_eq!(header.len(), 14);
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    for r in &rows {
        assert_eq!(r.len(), header.len(), "{r:?}");
    }
    let data = &rows[1..];
    // A failing resource of the payments namespace, with its position.
    assert!(data.iter().any(|r| r[col("framework")] == "pci-dss"
        && r[col("requirement_status")] == "fail"
        && r[col("finding_status")] == "fail"
        && r[col("resource_namespace")] == "payments"
        && r[col("location")].starts_with("examples/shop/payments.yaml:")
        && r[col("rule")].starts_with("KC-")));
    // Requirements without a resource (node checks of CIS) still get a row.
    assert!(data.iter().any(|r| r[col("framework")] == "cis-k8s"
        && r[col("requirement_status")] == "not assessed"
        && r[col("resource_kind")].is_empty()));
    // Every leaf requirement of the JSON report is there.
    let json: Value = serde_json::from_str(&stdout("json", "pci-dss,cis-k8s")).expect("json");
    let mut ids = Vec::new();
    for fw in json["frameworks"].as_array().expect("frameworks") {
        fn walk(fw: &str, r: &Value, out: &mut Vec<(String, String)>) {
            match r["requirements"].as_array() {
                Some(c) => c.iter().for_each(|x| walk(fw, x, out)),
                None => out.push((fw.to_string(), r["id"].as_str().unwrap_or("").to_string())),
            }
        }
        for r in fw["requirements"].as_array().expect("requirements") {
            walk(fw["id"].as_str().expect("id"), r, &mut ids);
        }
    }
    for (fw, id) in &ids {
        assert!(
            data.iter()
                .any(|r| &r[col("framework")] == fw && &r[col("requirement")] == id),
            "{fw} {id} has no row"
        );
    }
    // No cell can start a spreadsheet formula.
    for r in data {
        for cell in r {
            assert!(!cell.starts_with(['=', '+', '-', '@']), "{cell}");
        }
    }
}

/// A CRD's `openAPIV3Schema` as JSON Schema, with the API server's pruning made an error:
/// an object schema with `properties` and no `additionalProperties` rejects unknown fields.
fn structural(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, x) in m {
                if !k.starts_with("x-kubernetes-") {
                    out.insert(k.clone(), structural(x));
                }
            }
            if out.contains_key("properties") && !out.contains_key("additionalProperties") {
                out.insert("additionalProperties".into(), Value::Bool(false));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(structural).collect()),
        _ => v.clone(),
    }
}

fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn check_policy_reports(format: &str, schema_file: &str, api: &str, kinds: [&str; 2]) {
    let text = stdout(format, "pci-dss,cis-k8s");
    let docs = kubecomply_loader::parse_documents(&text).expect("YAML stream");
    let validator =
        jsonschema::validator_for(&structural(&schema(schema_file))).expect("valid schema");
    let mut namespaces = Vec::new();
    let mut cluster = 0;
    for d in &docs {
        let errors: Vec<String> = validator
            .iter_errors(&d.to_json())
            .map(|e| format!("{e} at {}", e.instance_path()))
            .take(5)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", d["kind"]);
        assert_eq!(d["apiVersion"], api);
        let name = d["metadata"]["name"].as_str().expect("name");
        assert!(
            name.len() <= 253 && name.split('.').all(is_dns1123_label),
            "{name}"
        );
        let kind = d["kind"].as_str().expect("kind");
        if kind == kinds[0] {
            let ns = d["metadata"]["namespace"].as_str().expect("namespace");
            assert!(is_dns1123_label(ns), "{ns}");
            namespaces.push(ns.to_string());
            for r in d["results"].as_array().expect("results") {
                assert_eq!(r["resources"][0]["namespace"].as_str(), Some(ns));
            }
        } else {
            assert_eq!(kind, kinds[1]);
            assert!(d["metadata"].get("namespace").is_none());
            cluster += 1;
        }
        // The summary counts the results.
        let results = d["results"].as_array().expect("results");
        for k in ["pass", "fail", "warn", "error", "skip"] {
            let n = results.iter().filter(|r| r["result"] == k).count();
            assert_eq!(d["summary"][k], n, "{kind} summary.{k}");
        }
        for r in results {
            assert_eq!(r["source"], "kubecomply");
            assert_eq!(r["timestamp"]["seconds"], 1_780_272_000_i64);
            assert!(r["policy"].as_str().is_some_and(|p| p.contains('/')));
            assert!(r["properties"]["requirement"].is_string());
        }
    }
    assert_eq!(cluster, 1);
    assert_eq!(namespaces, ["payments", "records", "shop"]);
    let failing = docs
        .iter()
        .flat_map(|d| d["results"].as_array().into_iter().flatten())
        .find(|r| r["result"] == "fail" && r["resources"][0]["name"] == "legacy-cart")
        .expect("legacy-cart fails");
    assert!(
        failing["properties"]["location"]
            .as_str()
            .is_some_and(|l| l.starts_with("examples/shop/legacy-cart.yaml:"))
    );
}

#[test]
fn openreports_objects_are_valid_against_the_crd() {
    check_policy_reports(
        "openreports",
        "openreports.io_v1alpha1.schema.json",
        "openreports.io/v1alpha1",
        ["Report", "ClusterReport"],
    );
}

#[test]
fn policyreport_objects_are_valid_against_the_crd() {
    check_policy_reports(
        "policyreport",
        "wgpolicyk8s.io_v1alpha2.schema.json",
        "wgpolicyk8s.io/v1alpha2",
        ["PolicyReport", "ClusterPolicyReport"],
    );
}

/// The CRD check is not vacuous: a field the CRD does not define and a bad enum fail.
#[test]
fn crd_validation_rejects_unknown_fields_and_values() {
    let validator =
        jsonschema::validator_for(&structural(&schema("wgpolicyk8s.io_v1alpha2.schema.json")))
            .expect("valid schema");
    let ok = serde_json::json!({"apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
        "metadata": {"name": "x"}, "results": [{"policy": "p", "result": "pass"}]});
    assert!(validator.is_valid(&ok));
    let unknown = serde_json::json!({"kind": "PolicyReport", "source": "kubecomply"});
    assert!(!validator.is_valid(&unknown));
    let critical = serde_json::json!({"results": [{"policy": "p", "severity": "critical"}]});
    assert!(!validator.is_valid(&critical));
}

fn oscal_validators() -> Vec<(String, jsonschema::Validator)> {
    let dir = root().join("crates/cli/tests/schemas");
    let mut out = Vec::new();
    for e in std::fs::read_dir(&dir).expect("schemas") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        if name.starts_with("oscal_assessment-results_schema") && name.ends_with(".json") {
            let v = jsonschema::validator_for(&schema(&name)).expect("OSCAL schema compiles");
            out.push((name, v));
        }
    }
    assert!(!out.is_empty());
    out
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
        && b[14] == b'5'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

fn uuids(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "uuid" || k.ends_with("-uuid") {
                    out.push(x.as_str().unwrap_or("").to_string());
                }
                uuids(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| uuids(x, out)),
        _ => {}
    }
}

#[test]
fn oscal_assessment_results_are_valid_and_deterministic() {
    let text = stdout("oscal", "pci-dss,hipaa,cis-k8s");
    let doc: Value = serde_json::from_str(&text).expect("json");
    for (name, v) in oscal_validators() {
        let errors: Vec<String> = v
            .iter_errors(&doc)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .take(5)
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
    }
    let ar = &doc["assessment-results"];
    assert_eq!(ar["metadata"]["oscal-version"], "1.2.3");
    assert_eq!(ar["metadata"]["last-modified"], "2026-06-01T00:00:00Z");
    // import-ap names the back-matter resource describing the implicit plan.
    let href = ar["import-ap"]["href"].as_str().expect("href");
    let plan = href.strip_prefix('#').expect("fragment");
    assert!(
        ar["back-matter"]["resources"]
            .as_array()
            .expect("resources")
            .iter()
            .any(|r| r["uuid"] == plan)
    );
    let results = ar["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    let pci = &results[0];
    let controls = pci["reviewed-controls"]["control-selections"][0]["include-controls"]
        .as_array()
        .expect("controls");
    assert!(controls.iter().any(|c| c["control-id"] == "pci-dss_1.2.5"));
    let findings = pci["findings"].as_array().expect("findings");
    assert_eq!(
        findings.len(),
        controls.len(),
        "one finding per requirement"
    );
    let observations = pci["observations"].as_array().expect("observations");
    let failing = findings
        .iter()
        .find(|f| {
            f["target"]["status"]["state"] == "not-satisfied"
                && f["target"]["status"]["reason"] == "fail"
        })
        .expect("a failing requirement");
    for rel in failing["related-observations"].as_array().expect("related") {
        let o = observations
            .iter()
            .find(|o| o["uuid"] == rel["observation-uuid"])
            .expect("related observation exists");
        assert_eq!(o["methods"][0], "TEST");
        assert_eq!(o["collected"], "2026-06-01T00:00:00Z");
    }
    assert!(observations.iter().any(|o| {
        o["subjects"][0]["type"] == "resource"
            && o["relevant-evidence"][0]["description"]
                .as_str()
                .is_some_and(|d| d.contains("examples/shop/payments.yaml:"))
    }));
    // Passing requirements are satisfied (PCI DSS has none on the examples; CIS has).
    assert!(results.iter().any(|r| {
        r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["target"]["status"]["state"] == "satisfied")
    }));
    // HIPAA's 164.312(b) becomes a token; the exact id stays in a property.
    let hipaa = &results[1];
    let h = hipaa["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["props"][0]["value"] == "164.312(b)")
        .expect("164.312(b)");
    assert_eq!(h["target"]["target-id"], "hipaa_164.312_b_");
    let mut all = Vec::new();
    uuids(&doc, &mut all);
    assert!(all.len() > 10);
    for u in &all {
        assert!(is_uuid(u), "{u} is not a v5 UUID");
    }
    // Another day: the same document apart from the timestamps.
    let later = report("oscal", "pci-dss,hipaa,cis-k8s", "2026-07-15");
    let later = String::from_utf8(later.stdout)
        .expect("utf-8")
        .replace("2026-07-15T00:00:00Z", "2026-06-01T00:00:00Z");
    assert_eq!(later, text);
}

/// Every format on the bundled examples, with a fixed date.
#[test]
fn snapshots_of_every_format() {
    for (format, ext) in [
        ("json", "json"),
        ("markdown", "md"),
        ("html", "html"),
        ("csv", "csv"),
        ("openreports", "yaml"),
        ("policyreport", "yaml"),
        ("oscal", "json"),
    ] {
        let text = stdout(format, "pci-dss").replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
        insta::with_settings!({snapshot_suffix => ext, prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(format!("report_{format}"), text);
        });
    }
}
