//! Evaluation statuses, score and severity counts on hand-made findings.

use std::borrow::Cow;

use kubecomply_core::finding::AppliedException;
use kubecomply_core::{Finding, Location, ObjectRef, Severity, Status};
use kubecomply_frameworks::{RequirementStatus as S, evaluate, parse, resolve};

const FW: &str = r#"
id: test
name: Test
version: "1"
description: hand-made
requirements:
  - id: "1"
    title: Group
    requirements:
      - id: "1.1"
        title: Automated, passes
        assessment: automated
        rules: [KC-HOST-001]
      - id: "1.2"
        title: Automated, fails
        assessment: automated
        rules: [KC-HOST-002, KC-HOST-003]
  - id: "2"
    title: Partial, rules pass
    assessment: partial
    rules: [KC-HOST-001]
  - id: "3"
    title: Manual
    assessment: manual
  - id: "4"
    title: Planned only
    assessment: automated
    needs: [image-scan]
    plannedRules: [KC-VULN-001]
  - id: "5"
    title: Rule ran on nothing
    assessment: automated
    rules: [KC-NET-001]
  - id: "6"
    title: Only an excepted finding
    assessment: automated
    rules: [KC-CTR-001]
  - id: "7"
    title: One rule of two ran
    assessment: automated
    rules: [KC-HOST-001, KC-SA-001]
"#;

fn finding(rule: &'static str, status: Status, severity: Severity, name: &str) -> Finding {
    Finding {
        rule: Cow::Borrowed(rule),
        slug: Cow::Borrowed("slug"),
        status,
        severity,
        resource: Some(std::sync::Arc::new(ObjectRef {
            api_version: "v1".into(),
            kind: "Pod".into(),
            namespace: Some("default".into()),
            name: name.into(),
        })),
        container: None,
        message: format!("{rule} on {name}"),
        location: Location::at("pods.yaml", 3, 1),
        exception: (status == Status::Excepted).then(|| {
            Box::new(AppliedException {
                source: "annotation",
                reason: "accepted".into(),
                owner: Some("team-a".into()),
                expires: None,
            })
        }),
    }
}

#[test]
fn statuses_score_and_severities() {
    let def = parse(FW, "test.yaml").expect("parses");
    let fw = resolve(def, &[]).expect("resolves");
    let findings = vec![
        finding("KC-HOST-001", Status::Pass, Severity::High, "a"),
        finding("KC-HOST-002", Status::Pass, Severity::High, "a"),
        finding("KC-HOST-002", Status::Fail, Severity::High, "b"),
        finding("KC-HOST-003", Status::Fail, Severity::Critical, "b"),
        finding("KC-CTR-001", Status::Excepted, Severity::Medium, "c"),
        // A rule that is not mapped does not count.
        finding("KC-IMG-001", Status::Fail, Severity::Low, "a"),
    ];
    let known = [
        "KC-HOST-001",
        "KC-HOST-002",
        "KC-HOST-003",
        "KC-NET-001",
        "KC-CTR-001",
        "KC-IMG-001",
    ];
    let r = evaluate(&fw, &findings, &known);
    let status = |id: &str| {
        fn find<'a>(
            rs: &'a [kubecomply_frameworks::RequirementResult],
            id: &str,
        ) -> Option<&'a kubecomply_frameworks::RequirementResult> {
            rs.iter().find_map(|r| {
                (r.id == id)
                    .then_some(r)
                    .or_else(|| find(&r.requirements, id))
            })
        }
        find(&r.requirements, id).expect("requirement")
    };
    assert_eq!(status("1.1").status, S::Pass);
    assert_eq!(status("1.2").status, S::Fail);
    assert_eq!(status("1.2").failed.len(), 2);
    assert_eq!(status("1.2").passed, 1);
    assert_eq!(status("1").status, S::Fail);
    assert_eq!(status("2").status, S::Partial);
    assert_eq!(status("3").status, S::Manual);
    assert_eq!(status("4").status, S::NotAssessed);
    assert_eq!(status("5").status, S::NotApplicable);
    assert_eq!(status("6").status, S::Pass);
    assert_eq!(status("6").excepted.len(), 1);
    assert!(
        status("6").excepted[0]
            .exception
            .as_deref()
            .is_some_and(|e| e.contains("team-a"))
    );
    assert_eq!(status("7").status, S::Partial);
    assert_eq!(status("7").rules_not_evaluated, ["KC-SA-001"]);
    // Leaves: pass 1.1, 6; fail 1.2; partial 2, 7 → 2 / 5.
    assert_eq!(r.counts[&S::Pass], 2);
    assert_eq!(r.counts[&S::Fail], 1);
    assert_eq!(r.counts[&S::Partial], 2);
    assert_eq!(r.score, Some(40.0));
    assert_eq!(r.failed_by_severity.get(&Severity::High), Some(&1));
    assert_eq!(r.failed_by_severity.get(&Severity::Critical), Some(&1));
    assert_eq!(r.failed_by_severity.get(&Severity::Low), None);
    assert!(r.has_failures());
}

#[test]
fn nothing_ran_gives_no_score() {
    let fw = resolve(parse(FW, "t.yaml").expect("parses"), &[]).expect("resolves");
    let r = evaluate(&fw, &[], &[]);
    assert_eq!(r.score, None);
    assert_eq!(r.counts[&S::Pass], 0);
    assert_eq!(r.counts[&S::Manual], 1);
    assert_eq!(r.counts[&S::NotAssessed], 7);
    // Groups: a group of not-assessed leaves is not assessed, not manual.
    assert_eq!(r.requirements[0].status, S::NotAssessed);
    assert!(!r.has_failures());
}

#[test]
fn extends_drops_remaps_and_adds() {
    let base = resolve(parse(FW, "base.yaml").expect("parses"), &[]).expect("resolves");
    let custom = r#"
id: payments-soc2
name: Payments service controls
extends: test
drop: ["1.2", "3"]
remap:
  "4":
    rules: [KC-IMG-001]
    plannedRules: []
requirements:
  - id: PAY-1
    title: No privileged pods in payments
    assessment: automated
    rules: [KC-HOST-001]
"#;
    let fw = resolve(parse(custom, "custom.yaml").expect("parses"), &[base]).expect("resolves");
    assert_eq!(fw.id, "payments-soc2");
    assert_eq!(fw.version, "1", "inherits the version");
    assert_eq!(fw.extends.as_deref(), Some("test"));
    let ids: Vec<&str> = fw
        .all_requirements()
        .iter()
        .map(|(r, _)| r.id.as_str())
        .collect();
    assert_eq!(ids, ["1", "1.1", "2", "4", "5", "6", "7", "PAY-1"]);
    let four = fw.leaves().into_iter().find(|r| r.id == "4").expect("4");
    assert_eq!(four.rules, ["KC-IMG-001"]);
    assert!(four.planned_rules.is_empty());
    let r = evaluate(
        &fw,
        &[finding("KC-IMG-001", Status::Fail, Severity::Low, "x")],
        &["KC-IMG-001"],
    );
    assert_eq!(r.counts[&S::Fail], 1);
}

#[test]
fn extends_errors_point_at_the_entry() {
    let base = resolve(parse(FW, "base.yaml").expect("parses"), &[]).expect("resolves");
    let custom = "id: c\nname: C\nextends: test\ndrop:\n  - \"1.1\"\n  - nope\n";
    let e = resolve(
        parse(custom, "c.yaml").expect("parses"),
        std::slice::from_ref(&base),
    )
    .expect_err("unknown requirement");
    assert_eq!((e.line, e.column), (6, 5), "{e}");
    assert!(
        e.to_string()
            .starts_with("c.yaml:6:5: drop: test has no requirement \"nope\"")
    );
    let custom = "id: c\nname: C\nextends: missing\n";
    let e = resolve(parse(custom, "c.yaml").expect("parses"), &[base]).expect_err("unknown base");
    assert_eq!(e.line, 3, "{e}");
}

#[test]
fn invalid_files_report_line_and_column() {
    let text = "id: Bad Id\nname: X\nversion: \"1\"\ncolour: red\nrequirements:\n  - id: a\n    title: A\n    assessment: sometimes\n  - id: a\n    title: Dup\n    assessment: manual\n    rules: [KC-HOST-001, host network]\n  - id: c\n";
    let errors = parse(text, "bad.yaml").expect_err("invalid");
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    let has = |prefix: &str, needle: &str| {
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with(prefix) && s.contains(needle)),
            "no {prefix} … {needle} in {shown:#?}"
        )
    };
    has("bad.yaml:1:1:", "id must be lower-case");
    has("bad.yaml:4:1:", "unknown field `colour`");
    has("bad.yaml:8:5:", "assessment must be one of");
    has("bad.yaml:9:5:", "duplicate requirement id \"a\"");
    has("bad.yaml:12:26:", "\"host network\" is not a rule code");
    has("bad.yaml:13:5:", "missing required field \"title\"");
    has("bad.yaml:13:5:", "no children and no assessment");
}

#[test]
fn misspelt_or_mistyped_fields_are_errors_with_their_position() {
    // A misspelt key must not silently drop a mapping (a requirement without its rules), and
    // `~` is not "absent": `rules: ~` in a remap would keep the inherited rules.
    let text = "id: c\nname: C\nextends: test\nremap:\n  \"1.1\": {rules: ~, asessment: manual}\n  \"1.2\": manual\nrequirements:\n  - id: a\n    title: A\n    assessment: automated\n    rulez: [KC-HOST-001]\n  - 5\n  - id: b\n    title: [B]\n    assessment: manual\n";
    let errors = parse(text, "c.yaml").expect_err("invalid");
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    for want in [
        "c.yaml:5:11: invalid type: null, expected a sequence",
        "c.yaml:5:21: unknown field `asessment`",
        "c.yaml:6:3: invalid type: string \"manual\", expected struct RemapEntry",
        "c.yaml:11:5: unknown field `rulez`",
        "c.yaml:12:5: a requirement must be a mapping",
        "c.yaml:14:5: invalid type: sequence, expected a string",
    ] {
        assert!(
            shown.iter().any(|s| s.starts_with(want)),
            "no {want} in {shown:#?}"
        );
    }
    let errors = parse("- id: x\n", "list.yaml").expect_err("not a mapping");
    assert_eq!(
        errors[0].to_string(),
        "list.yaml:1:1: a framework file must be a mapping"
    );
}

#[test]
fn yaml_syntax_errors_have_positions() {
    let errors = parse("id: x\nname: [unclosed\n", "broken.yaml").expect_err("invalid");
    assert!(errors[0].line >= 2, "{:?}", errors);
    assert!(errors[0].to_string().starts_with("broken.yaml:"));
    let errors = parse("", "empty.yaml").expect_err("empty");
    assert_eq!(
        errors[0].to_string(),
        "empty.yaml:1:1: empty framework file"
    );
}
