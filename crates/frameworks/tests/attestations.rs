//! Attestations: parsing (with positions), validity (expiry, sha256 of file evidence) and their
//! effect on requirement statuses and the score (the renderings are tested in
//! `crates/report/tests/compliance.rs`).

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use kubecomply_core::date::Date;
use kubecomply_core::{Finding, Location, ObjectRef, Severity, Status};
use kubecomply_frameworks::report::Thresholds;
use kubecomply_frameworks::{
    AttestationState, RequirementStatus as S, apply_attestations, check_attestations, evaluate,
    parse, parse_attestations, resolve, sha256_hex,
};

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

#[test]
fn sha256_known_vectors() {
    assert_eq!(
        sha256_hex(b""),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        sha256_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
    let million = vec![b'a'; 1_000_000];
    assert_eq!(
        sha256_hex(&million),
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    );
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

fn req<'a>(
    r: &'a kubecomply_frameworks::FrameworkResult,
    id: &str,
) -> &'a kubecomply_frameworks::RequirementResult {
    r.requirements.iter().find(|q| q.id == id).expect("id")
}

#[test]
fn valid_expired_bad_digest_and_missing() {
    let dir = temp_dir("states");
    std::fs::write(dir.join("evidence.txt"), b"the evidence").expect("write");
    let r = evaluated(&dir, &"0".repeat(64));
    assert_eq!(req(&r, "1").status, S::Pass);
    // Valid attestation.
    assert_eq!(req(&r, "2").status, S::Attested);
    assert_eq!(req(&r, "2").attestations[0].state, AttestationState::Valid);
    assert_eq!(req(&r, "2").status.as_str(), "manual (attested)");
    // Expired: counts as missing, and says so.
    let q3 = req(&r, "3");
    assert_eq!(q3.status, S::Manual);
    assert_eq!(q3.status.as_str(), "manual (not attested)");
    assert_eq!(q3.attestations[0].state, AttestationState::Expired);
    assert!(
        q3.attestations[0]
            .problem
            .as_deref()
            .is_some_and(|p| p.contains("2026-05-31"))
    );
    // Wrong sha256: invalid and reported.
    let q4 = req(&r, "4");
    assert_eq!(q4.status, S::Manual);
    assert_eq!(q4.attestations[0].state, AttestationState::Invalid);
    let problem = q4.attestations[0].problem.as_deref().unwrap_or_default();
    assert!(problem.contains(&sha256_hex(b"the evidence")), "{problem}");
    // Missing.
    assert_eq!(req(&r, "5").status, S::Manual);
    assert!(req(&r, "5").attestations.is_empty());
    // Score: pass + attested over pass + attested; unattested manual stays out.
    assert_eq!(r.counts[&S::Attested], 1);
    assert_eq!(r.counts[&S::Manual], 3);
    assert_eq!(r.score, Some(100.0));
}

#[test]
fn matching_digest_makes_file_evidence_valid() {
    let dir = temp_dir("good");
    std::fs::write(dir.join("evidence.txt"), b"the evidence").expect("write");
    let r = evaluated(&dir, &sha256_hex(b"the evidence").to_uppercase());
    assert_eq!(req(&r, "4").status, S::Attested);
}

#[test]
fn missing_evidence_file_is_invalid() {
    let dir = temp_dir("nofile");
    let r = evaluated(&dir, &"a".repeat(64));
    let q4 = req(&r, "4");
    assert_eq!(q4.status, S::Manual);
    assert_eq!(q4.attestations[0].state, AttestationState::Invalid);
}

#[test]
fn expiry_is_inclusive_and_future_dates_are_invalid() {
    let text = r#"- requirement: test:2
  statement: s
  evidence: {url: "https://x.example/"}
  attestedBy: a
  date: 2026-06-01
  validUntil: 2026-06-01
- requirement: test:3
  statement: s
  evidence: {url: "https://x.example/"}
  attestedBy: a
  date: 2026-06-02
  validUntil: 2027-06-01
"#;
    let mut atts = parse_attestations(text, "a.yaml").expect("parses");
    check_attestations(&mut atts, TODAY, Path::new("."));
    assert_eq!(atts[0].state, AttestationState::Valid);
    assert_eq!(atts[1].state, AttestationState::Invalid);
    assert_eq!(atts[0].location, "a.yaml:1:3");
    let mut next_day = atts.clone();
    check_attestations(
        &mut next_day,
        Date {
            year: 2026,
            month: 6,
            day: 2,
        },
        Path::new("."),
    );
    assert_eq!(next_day[0].state, AttestationState::Expired);
}

#[test]
fn unmatched_requirement_is_returned() {
    let text = "- requirement: test:99\n  statement: s\n  evidence: {url: u}\n  attestedBy: a\n  date: 2026-01-01\n  validUntil: 2027-01-01\n";
    let atts = parse_attestations(text, "a.yaml").expect("parses");
    let mut result = evaluate(&framework(), &findings(), &["KC-HOST-001"]);
    let unmatched = apply_attestations(&mut result, &atts);
    assert_eq!(unmatched.len(), 1);
    assert_eq!(unmatched[0].requirement, "99");
}

#[test]
fn errors_name_file_line_and_column() {
    let text = r#"attestations:
  - requirement: test:2
    statement: s
    evidence: {file: e.txt, sha256: "xyz"}
    attestedBy: a
    date: 2026-13-01
    validUntil: 2027-01-01
  - requirement: no-colon
    statment: typo
    evidence: {url: u}
    attestedBy: a
    date: 2026-01-01
    validUntil: 2027-01-01
"#;
    let errs = parse_attestations(text, "att.yaml").expect_err("invalid");
    let rendered: Vec<String> = errs.iter().map(ToString::to_string).collect();
    let all = rendered.join("\n");
    assert!(
        all.contains("att.yaml:6:5: date \"2026-13-01\" is not a date"),
        "{all}"
    );
    assert!(
        all.contains("att.yaml:4:") && all.contains("sha256 must be 64"),
        "{all}"
    );
    assert!(
        all.contains("att.yaml:9:5: unknown field `statment`"),
        "{all}"
    );
    assert!(
        all.contains("missing required field \"statement\""),
        "{all}"
    );
    assert!(
        all.contains("att.yaml:8:") && all.contains("no-colon"),
        "{all}"
    );
    let bad = parse_attestations("a: [", "x.yaml").expect_err("syntax");
    assert_eq!(bad[0].file, "x.yaml");
    assert!(parse_attestations("", "e.yaml").expect("empty").is_empty());
}

#[test]
fn thresholds() {
    let fw = framework();
    let mut r = evaluate(&fw, &findings(), &["KC-HOST-001"]);
    let none = Thresholds::default();
    assert!(none.violations(&r).is_empty());
    let strict = Thresholds {
        min_score: Some(101.0),
        max_failed: Vec::new(),
    };
    assert_eq!(strict.violations(&r).len(), 1);
    r.failed_by_severity.insert(Severity::Critical, 1);
    let high = Thresholds {
        min_score: None,
        max_failed: vec![(Severity::High, 0)],
    };
    assert_eq!(high.violations(&r).len(), 1, "critical counts under high=0");
    let crit = Thresholds {
        min_score: Some(0.0),
        max_failed: vec![(Severity::Critical, 1)],
    };
    assert!(crit.violations(&r).is_empty());
}

/// Issue 14: an attestations file naming a file outside its own directory must not make the
/// report print that file's sha256 (a hash oracle on any readable file).
#[test]
fn evidence_outside_the_attestations_directory_is_refused_unread() {
    let outer = temp_dir("oracle");
    let dir = outer.join("att");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let secret = outer.join("secret.txt");
    std::fs::write(&secret, b"secret").expect("write");
    let secret_sha = sha256_hex(b"secret");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, dir.join("link.txt")).expect("symlink");
    let mut names = vec![
        secret.display().to_string(),
        "../secret.txt".to_string(),
        "sub/../../secret.txt".to_string(),
    ];
    if cfg!(unix) {
        names.push("link.txt".to_string());
    }
    for name in names {
        let text = format!(
            "attestations:\n  - requirement: test:4\n    statement: s\n    evidence: {{file: {name:?}, sha256: \"{}\"}}\n    attestedBy: a@example.com\n    date: 2026-01-01\n    validUntil: 2027-01-01\n",
            "0".repeat(64)
        );
        let mut atts = parse_attestations(&text, "a.yaml").expect("parses");
        check_attestations(&mut atts, TODAY, &dir);
        assert_eq!(atts[0].state, AttestationState::Invalid, "{name}");
        let problem = atts[0].problem.as_deref().unwrap_or_default();
        assert!(problem.contains("refused"), "{name}: {problem}");
        assert!(!problem.contains(&secret_sha), "{name}: {problem}");
    }
    let _ = std::fs::remove_dir_all(&outer);
}
