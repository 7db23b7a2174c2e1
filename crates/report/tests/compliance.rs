//! The compliance report renderings of an evaluated framework with attestations: HTML is
//! self-contained and escapes hostile titles; JSON and Markdown carry the same content.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use kubecomply_core::date::Date;
use kubecomply_core::{Finding, Location, ObjectRef, Severity, Status};
use kubecomply_frameworks::{
    apply_attestations, check_attestations, evaluate, parse, parse_attestations, resolve,
};
use kubecomply_report::compliance::{FrameworkReport, Report, Thresholds};
use kubecomply_report::html::escape as esc;

const FW: &str = r#"
id: test
name: Test <framework> & co
version: "1"
description: hand-made
requirements:
  - id: "1"
    title: Automated, passes
    assessment: automated
    rules: [KC-HOST-001]
  - id: "2"
    title: Manual A
    assessment: manual
  - id: "3"
    title: Manual B
    assessment: manual
  - id: "4"
    title: Manual C
    assessment: manual
  - id: "5"
    title: Manual D <script>alert(1)</script>
    assessment: manual
"#;

const TODAY: Date = Date {
    year: 2026,
    month: 6,
    day: 1,
};

fn framework() -> kubecomply_frameworks::Framework {
    resolve(parse(FW, "test.yaml").expect("parses"), &[]).expect("resolves")
}

fn findings() -> Vec<Finding> {
    vec![Finding {
        rule: Cow::Borrowed("KC-HOST-001"),
        slug: Cow::Borrowed("slug"),
        status: Status::Pass,
        severity: Severity::High,
        resource: Some(std::sync::Arc::new(ObjectRef {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: Some("ns".into()),
            name: "p".into(),
        })),
        container: None,
        message: "passed".into(),
        location: Location::at("pod.yaml", 3, 1),
        exception: None,
    }]
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kubecomply-att-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn attestations_yaml(sha: &str) -> String {
    format!(
        r#"attestations:
  - requirement: test:2
    statement: Valid, URL evidence.
    evidence: {{url: "https://wiki.example.com/a"}}
    attestedBy: alice@example.com
    date: 2026-01-01
    validUntil: 2026-12-31
  - framework: test
    id: "3"
    statement: Expired.
    evidence: {{url: "https://wiki.example.com/b"}}
    attestedBy: bob@example.com
    date: 2025-01-01
    validUntil: 2026-05-31
  - requirement: test:4
    statement: File evidence with a wrong digest.
    evidence: {{file: evidence.txt, sha256: "{sha}"}}
    attestedBy: carol@example.com
    date: 2026-01-01
    validUntil: 2027-01-01
"#
    )
}

fn evaluated(dir: &Path, sha: &str) -> kubecomply_frameworks::FrameworkResult {
    let fw = framework();
    let mut atts =
        parse_attestations(&attestations_yaml(sha), "att.yaml").expect("attestations parse");
    check_attestations(&mut atts, TODAY, dir);
    let mut result = evaluate(&fw, &findings(), &["KC-HOST-001"]);
    let unmatched = apply_attestations(&mut result, &atts);
    assert!(unmatched.is_empty());
    result
}

#[test]
fn html_is_self_contained_and_escaped() {
    let dir = temp_dir("html");
    let fw = framework();
    let result = evaluated(&dir, &"0".repeat(64));
    let inputs = vec!["in <dir>".to_string()];
    let report = Report {
        generated_at: "2026-06-01T00:00:00Z".into(),
        tool_version: "0.0.0",
        inputs: &inputs,
        files: 1,
        objects: 1,
        config: None,
        attestations_file: Some("att.yaml".into()),
        policy_digest: None,
        input_errors: Vec::new(),
        thresholds: Thresholds::default(),
        frameworks: vec![FrameworkReport {
            scope: kubecomply_frameworks::scope::select(&fw, &[], false),
            framework: &fw,
            result,
            unmatched: Vec::new(),
        }],
    };
    let html = report.to_html().expect("renders");
    assert!(!html.contains("<script"), "unescaped script");
    assert!(html.contains("Manual D &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("Test &lt;framework&gt; &amp; co"));
    assert!(html.contains("in &lt;dir&gt;"));
    assert!(html.contains("<svg"));
    assert!(!html.contains("<link") && !html.contains("src="));
    assert!(html.contains("@media print"));
    assert!(html.contains("manual (attested)"));
    assert!(report.passed());
    let json = report.to_json();
    assert_eq!(json["frameworks"][0]["counts"]["manual-attested"], 1);
    assert_eq!(
        json["frameworks"][0]["attestations"]
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let md = report.to_markdown();
    assert!(
        md.contains("| Test <framework> & co (`test`) |") || md.contains("Test \\<framework\\>")
    );
    assert_eq!(esc("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
}
