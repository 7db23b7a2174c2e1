//! End-to-end behaviour of the `kubecomply` binary on the bundled examples and on bad input.

mod common;
use common::*;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn bin() -> Command {
    let mut c = kubecomply();
    c.env("KUBECOMPLY_TODAY", "2026-11-27");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("runs")
}

const EXAMPLES_CFG: &[&str] = &["--config", "examples/.kubecomply.yaml"];

#[test]
fn scan_examples_table_points_at_lines() {
    let mut args = vec!["scan", "examples"];
    args.extend(EXAMPLES_CFG);
    let o = run(&args);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = stdout(&o);
    assert!(out.contains("examples/shop/legacy-cart.yaml"), "{out}");
    // privileged: true of the cart container is at line 26, column 11.
    assert!(
        out.lines()
            .any(|l| l.contains("26:11") && l.contains("KC-HOST-001")),
        "{out}"
    );
    assert!(out.contains("Summary:"), "{out}");
    assert!(!out.contains("\u{1b}["), "no colour when piped");
}

#[test]
fn json_output_follows_the_published_schema() {
    let mut args = vec!["scan", "examples", "--format", "json"];
    args.extend(EXAMPLES_CFG);
    let o = run(&args);
    let doc = json(&o);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/schema/findings-v1.json")).expect("schema"),
    )
    .expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let findings = doc["findings"].as_array().expect("findings");
    assert!(
        findings.iter().any(|f| f["status"] == "pass"),
        "passes are evidence"
    );
    let priv_ = findings
        .iter()
        .find(|f| f["rule"] == "KC-HOST-001" && f["status"] == "fail")
        .expect("privileged finding");
    assert_eq!(
        priv_["location"]["pointer"],
        "/spec/template/spec/containers/0/securityContext/privileged"
    );
    assert_eq!(priv_["resource"]["kind"], "Deployment");
    assert_eq!(priv_["resource"]["namespace"], "shop");
    // The exceptions file from the config applies, with owner and expiry.
    let excepted = findings
        .iter()
        .find(|f| f["status"] == "excepted" && f["container"] == "fraud-check")
        .expect("excepted finding");
    assert_eq!(excepted["exception"]["owner"], "payments-team@example.com");
    assert_eq!(excepted["exception"]["expires"], "2027-03-31");

    let mut args = vec!["scan", "examples", "--format", "json", "--only-failed"];
    args.extend(EXAMPLES_CFG);
    let only = json(&run(&args));
    assert!(
        only["findings"]
            .as_array()
            .expect("f")
            .iter()
            .all(|f| f["status"] != "pass")
    );
    assert_eq!(only["summary"]["passed"], doc["summary"]["passed"]);
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let mut args = vec!["scan", "examples", "--format", "sarif"];
    args.extend(EXAMPLES_CFG);
    let doc = json(&run(&args));
    let schema_path = root().join("crates/report/tests/schemas/sarif-schema-2.1.0.json");
    let mut schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("sarif schema"))
            .expect("json");
    // The official schema's `language` patterns have a stray `]`, a literal in ECMA-262's
    // legacy mode but invalid in Unicode mode: escape it (same meaning) so the schema compiles.
    for def in ["run", "toolComponent"] {
        let lang = &mut schema["definitions"][def]["properties"]["language"]["pattern"];
        assert_eq!(lang, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *lang = Value::from("^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$");
    }
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let run0 = &doc["runs"][0];
    let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
    assert!(rules.len() >= 60);
    assert!(
        rules
            .iter()
            .all(|r| r["help"]["text"].as_str().is_some_and(|t| !t.is_empty()))
    );
    let results = run0["results"].as_array().expect("results");
    assert!(!results.is_empty());
    for r in results {
        let region = &r["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64().unwrap_or(0) >= 1, "{r}");
        assert!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .is_some_and(|u| u.starts_with("examples/"))
        );
    }
    assert!(
        results.iter().any(|r| r["suppressions"].is_array()),
        "excepted results are suppressed"
    );
}

#[test]
fn junit_output_is_well_formed_with_one_case_per_rule_and_resource() {
    let mut args = vec!["scan", "examples", "--format", "junit"];
    args.extend(EXAMPLES_CFG);
    let o = run(&args);
    let xml = stdout(&o);
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e)) => {
                match e.name().as_ref() {
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            Ok(_) => {}
            Err(e) => panic!("malformed XML: {e}\n{xml}"),
        }
    }
    assert!(
        cases > failures && failures > 0,
        "cases {cases} failures {failures}"
    );
    assert!(
        xml.contains("classname=\"KC-HOST-001\" name=\"Deployment/shop/legacy-cart\""),
        "{xml}"
    );
}

#[test]
fn stdin_and_output_file() {
    let dir = temp_dir("stdin");
    let out = dir.join("report.json");
    let mut child = bin()
        .args(["scan", "-", "--format", "json", "--output"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: nginx\n    securityContext: {privileged: true}\n")
        .expect("write");
    let o = child.wait_with_output().expect("wait");
    assert_eq!(o.status.code(), Some(1));
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(&out).expect("report")).expect("json");
    let f = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "KC-HOST-001" && f["status"] == "fail")
        .expect("finding")
        .clone();
    assert_eq!(f["location"]["file"], "<stdin>");
    assert_eq!(f["location"]["line"], 8);
}

#[test]
fn bad_input_exits_2_and_still_reports_the_rest() {
    let dir = temp_dir("bad");
    std::fs::write(
        dir.join("broken.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [oops\n",
    )
    .expect("w");
    std::fs::write(dir.join("garbage.yaml"), b"\x00\x01\x02binary").expect("w");
    std::fs::write(
        dir.join("good.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: good, namespace: shop}\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: nginx:1.27\n",
    )
    .expect("w");
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("missing.yaml"), dir.join("dangling.yaml"))
        .expect("symlink");
    let o = bin()
        .args(["scan", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let doc = json(&o);
    let diags = doc["diagnostics"].as_array().expect("diags");
    let broken = diags
        .iter()
        .find(|d| {
            d["file"]
                .as_str()
                .is_some_and(|f| f.ends_with("broken.yaml"))
        })
        .expect("broken diag");
    assert!(broken["line"].as_u64().unwrap_or(0) >= 4, "{broken}");
    assert!(diags.iter().any(|d| {
        d["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("garbage.yaml"))
    }));
    #[cfg(unix)]
    assert!(
        diags.iter().any(|d| d["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("dangling.yaml"))),
        "{diags:?}"
    );
    assert!(
        doc["findings"]
            .as_array()
            .expect("f")
            .iter()
            .any(|f| f["rule"] == "KC-HOST-003" && f["status"] == "fail")
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("broken.yaml:"), "{stderr}");
}

#[test]
fn fail_on_threshold_and_rule_selection() {
    let dir = temp_dir("threshold");
    std::fs::write(
        dir.join("p.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: c\n    image: registry.example.com/app:1.0\n",
    )
    .expect("w");
    // Only low/medium findings here: --fail-on critical passes.
    let o = bin()
        .args(["scan", "--fail-on", "critical"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = bin().args(["scan"]).arg(&dir).output().expect("runs");
    assert_eq!(o.status.code(), Some(1));
    let o = bin()
        .args(["scan", "--rule", "KC-HOST-001", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0));
    let doc = json(&o);
    assert!(
        doc["findings"]
            .as_array()
            .expect("f")
            .iter()
            .all(|f| f["rule"] == "KC-HOST-001")
    );
    let o = bin()
        .args(["scan", "--rule", "no-such-rule"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn annotation_suppression_keeps_the_finding_as_excepted() {
    let dir = temp_dir("annot");
    std::fs::write(
        dir.join("p.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n  annotations:\n    kubecomply.io/ignore: KC-HOST-003\n    kubecomply.io/ignore-reason: debug pod for incident 42\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: nginx:1.27\n",
    )
    .expect("w");
    let o = bin()
        .args(["scan", "--rule", "host-pid", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let doc = json(&o);
    let f = &doc["findings"][0];
    assert_eq!(f["status"], "excepted");
    assert_eq!(f["exception"]["source"], "annotation");
    assert_eq!(f["exception"]["reason"], "debug pod for incident 42");
}

#[test]
fn expired_exception_stops_applying_and_is_reported() {
    let dir = temp_dir("expired");
    std::fs::write(
        dir.join("p.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: nginx:1.27\n",
    )
    .expect("w");
    let ex = dir.join("exceptions.yaml");
    std::fs::write(
        &ex,
        "exceptions:\n- rule: host-pid\n  match: {kind: Pod, name: p}\n  reason: profiling\n  owner: sre\n  expires: 2026-01-31\n",
    )
    .expect("w");
    let o = bin()
        .args([
            "scan",
            "--rule",
            "host-pid,expired-exception",
            "--format",
            "json",
            "--exceptions",
        ])
        .arg(&ex)
        .arg(dir.join("p.yaml"))
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(1));
    let doc = json(&o);
    let findings = doc["findings"].as_array().expect("f");
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "KC-HOST-003" && f["status"] == "fail")
    );
    let expired = findings
        .iter()
        .find(|f| f["rule"] == "KC-GEN-003")
        .expect("expired finding");
    assert_eq!(expired["location"]["line"], 6);
}

#[test]
fn rules_catalogue_and_explain() {
    let o = run(&["rules", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let doc = json(&o);
    let rules = doc["rules"].as_array().expect("rules");
    assert!(
        rules
            .iter()
            .filter(|r| !r["code"].as_str().unwrap_or("").starts_with("KC-PSS"))
            .count()
            >= 60
    );
    for r in rules {
        for k in ["code", "slug", "severity", "references"] {
            assert!(!r[k].is_null(), "{r} lacks {k}");
        }
    }
    let p = rules
        .iter()
        .find(|r| r["code"] == "KC-HOST-001")
        .expect("rule");
    assert_eq!(p["references"]["checkov"][0], "CKV_K8S_16");
    let o = run(&["rules", "explain", "privileged-container"]);
    let text = stdout(&o);
    assert!(
        text.contains("## How to fix") && text.contains("## Example"),
        "{text}"
    );
    assert_eq!(
        run(&["rules", "explain", "KC-NOPE-999"]).status.code(),
        Some(2)
    );
}

#[test]
fn pss_command_answers_like_the_admission_controller() {
    let dir = temp_dir("pss");
    let f = dir.join("pods.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n  labels:\n    pod-security.kubernetes.io/enforce: baseline\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: team}\nspec:\n  containers:\n  - name: x\n    image: nginx\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: agent, namespace: team}\nspec:\n  template:\n    spec:\n      containers:\n      - name: x\n        image: nginx\n        securityContext: {privileged: true}\n",
    )
    .expect("w");
    let o = bin().arg("pss").arg(&f).output().expect("runs");
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("ALLOWED  Pod/team/web"), "{out}");
    assert!(
        out.contains("violates PodSecurity \"baseline:latest\": privileged (container \"x\" must not set securityContext.privileged=true)"),
        "{out}"
    );
    // The flag overrides the namespace label: restricted denies the plain pod too.
    let o = bin()
        .args([
            "pss",
            "--level",
            "restricted",
            "--version",
            "v1.30",
            "--format",
            "json",
        ])
        .arg(&f)
        .output()
        .expect("runs");
    let doc = json(&o);
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    assert!(
        results
            .iter()
            .all(|r| r["allowed"] == false && r["version"] == "v1.30")
    );
    let o = bin()
        .args(["pss", "--level", "privileged"])
        .arg(&f)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn ignore_files_and_extensions_when_walking_directories() {
    let dir = temp_dir("ignore");
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: NAME, namespace: shop}\nspec:\n  hostPID: true\n  containers:\n  - name: c\n    image: nginx:1.27\n";
    std::fs::create_dir_all(dir.join("vendor")).expect("dir");
    std::fs::create_dir_all(dir.join("build")).expect("dir");
    std::fs::write(dir.join("a.yaml"), pod.replace("NAME", "a")).expect("w");
    std::fs::write(dir.join("b.yml"), pod.replace("NAME", "b")).expect("w");
    std::fs::write(dir.join("notes.txt"), pod.replace("NAME", "txt")).expect("w");
    std::fs::write(dir.join("vendor/c.yaml"), pod.replace("NAME", "vendored")).expect("w");
    std::fs::write(dir.join("build/d.yaml"), pod.replace("NAME", "built")).expect("w");
    std::fs::write(dir.join(".kubecomplyignore"), "vendor/\n").expect("w");
    std::fs::write(dir.join(".gitignore"), "build/\n").expect("w");
    let o = bin()
        .args(["scan", "--rule", "host-pid", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("runs");
    let doc = json(&o);
    let mut names: Vec<String> = doc["findings"]
        .as_array()
        .expect("f")
        .iter()
        .map(|f| f["resource"]["name"].as_str().unwrap_or("").to_string())
        .collect();
    names.sort();
    assert_eq!(names, vec!["a", "b"]);
    // A file named explicitly is read whatever its extension.
    let o = bin()
        .args(["scan", "--rule", "host-pid", "--format", "json"])
        .arg(dir.join("notes.txt"))
        .output()
        .expect("runs");
    assert_eq!(json(&o)["findings"][0]["resource"]["name"], "txt");
}

#[test]
fn pod_templates_in_custom_resources_are_checked() {
    let dir = temp_dir("crd");
    std::fs::write(
        dir.join("rollout.yaml"),
        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata: {name: checkout, namespace: shop}\nspec:\n  strategy:\n    canary: {steps: [{setWeight: 20}]}\n  template:\n    metadata: {labels: {app: checkout}}\n    spec:\n      containers:\n      - name: app\n        image: registry.example.com/checkout:1.0\n        securityContext: {privileged: true}\n",
    )
    .expect("w");
    let o = bin()
        .args(["scan", "--rule", "privileged-container", "--format", "json"])
        .arg(&dir)
        .output()
        .expect("runs");
    let doc = json(&o);
    let f = &doc["findings"][0];
    assert_eq!(f["resource"]["kind"], "Rollout");
    assert_eq!(
        f["location"]["pointer"],
        "/spec/template/spec/containers/0/securityContext/privileged"
    );
    assert_eq!(f["location"]["line"], 13);
}

#[test]
fn invalid_configuration_names_file_line_and_column() {
    let dir = temp_dir("config");
    let cfg = dir.join(".kubecomply.yaml");
    std::fs::write(
        &cfg,
        "failOn: high\nrules:\n  skip: [KC-RES-002]\nseverityOverrides:\n  KC-IMG-002: urgent\n",
    )
    .expect("w");
    let o = bin()
        .args(["scan", "examples", "--config"])
        .arg(&cfg)
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(".kubecomply.yaml:5:3"), "{err}");
    assert!(err.contains("urgent"), "{err}");
}
