//! The engine as a library: policies reload in one process, engines live side by side, the
//! clock is a setting, findings keep their fingerprint when lines move.

use std::path::{Path, PathBuf};

use kubecomply_core::Status;
use kubecomply_core::date::Date;
use kubecomply_engine::{Clock, Engine, ScanOptions, Settings, inventory_from_yaml};

fn clock() -> Clock {
    Clock::on(Date::parse("2026-12-01").expect("date"))
}

/// A fresh directory under the target directory (tests run offline and leave nothing behind
/// in the source tree).
fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

const POLICY: &str = r#"# METADATA
# title: ConfigMaps do not use a forbidden mode
# custom:
#   code: TEAM-001
#   severity: high
package main

import rego.v1

deny contains msg if {
	input.kind == "ConfigMap"
	input.data.mode == "FORBIDDEN"
	msg := "mode FORBIDDEN is not allowed"
}
"#;

const CONFIG_MAP: &str =
    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: shop}\ndata: {mode: open}\n";

fn team_failures(engine: &Engine) -> usize {
    let inventory = inventory_from_yaml("cm.yaml", CONFIG_MAP);
    engine
        .scan(&inventory, &ScanOptions::default())
        .findings
        .iter()
        .filter(|f| f.rule == "TEAM-001" && f.status == Status::Fail)
        .count()
}

#[test]
fn policies_reload_in_process() {
    let dir = temp_dir("reload");
    let policy = dir.join("policy.rego");
    std::fs::write(&policy, POLICY).expect("write policy");
    let mut settings = Settings::new(clock());
    settings.policies.paths = vec![dir.clone()];

    let (before, diagnostics) = Engine::new(settings.clone()).expect("engine");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert!(before.catalogue().find("TEAM-001").is_some());
    assert_eq!(team_failures(&before), 0, "the ConfigMap's mode is `open`");

    // The team changes the policy: now `open` is forbidden. A new engine from the same
    // settings sees the change; the old one, still alive, keeps its verdict.
    std::fs::write(&policy, POLICY.replace("FORBIDDEN", "open")).expect("rewrite policy");
    let (after, diagnostics) = Engine::new(settings).expect("engine");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(
        team_failures(&after),
        1,
        "the reloaded policy forbids `open`"
    );
    assert_eq!(team_failures(&before), 0, "the first engine is unchanged");
    assert_ne!(
        before.policies().and_then(|p| p.digest.clone()),
        after.policies().and_then(|p| p.digest.clone()),
        "the policy digest follows the files"
    );
}

#[test]
fn a_policy_code_is_a_rule_of_its_engine_only() {
    let dir = temp_dir("catalogue");
    std::fs::write(dir.join("policy.rego"), POLICY).expect("write policy");
    let mut settings = Settings::new(clock());
    settings.policies.paths = vec![dir];
    let (with, _) = Engine::new(settings).expect("engine");
    let (without, _) = Engine::new(Settings::new(clock())).expect("engine");
    assert!(with.catalogue().find("TEAM-001").is_some());
    assert!(without.catalogue().find("TEAM-001").is_none());
    // Selecting a rule the engine does not know is an error, not an empty scan.
    let mut only = Settings::new(clock());
    only.only = vec!["TEAM-001".into()];
    assert!(Engine::new(only).is_err());
}

const EXCEPTION: &str = "exceptions:\n- rule: KC-HOST-001\n  match: {kind: Pod, namespace: shop, name: web}\n  reason: debugging\n  owner: ops\n  expires: \"2026-12-15\"\n";

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n  - name: web\n    image: nginx\n    securityContext: {privileged: true}\n";

#[test]
fn the_clock_is_a_setting() {
    let dir = temp_dir("clock");
    let exceptions = dir.join("exceptions.yaml");
    std::fs::write(&exceptions, EXCEPTION).expect("write exceptions");
    let status_on = |day: &str| {
        let mut settings = Settings::new(Clock::on(Date::parse(day).expect("date")));
        settings.exceptions_file = Some(exceptions.clone());
        let (engine, diagnostics) = Engine::new(settings).expect("engine");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let inventory = inventory_from_yaml("pod.yaml", PRIVILEGED);
        let result = engine.scan(&inventory, &ScanOptions::default());
        result
            .findings
            .iter()
            .find(|f| f.rule == "KC-HOST-001")
            .map(|f| f.status)
    };
    assert_eq!(status_on("2026-12-01"), Some(Status::Excepted));
    assert_eq!(status_on("2026-12-16"), Some(Status::Fail), "expired");
}

#[test]
fn fingerprints_ignore_lines_files_and_list_order() {
    let (engine, _) = Engine::new(Settings::new(clock())).expect("engine");
    let prints = |name: &str, text: &str| -> Vec<(String, String)> {
        let inventory = inventory_from_yaml(name, text);
        let mut v: Vec<(String, String)> = engine
            .scan(&inventory, &ScanOptions::default())
            .findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| (f.rule.to_string(), f.fingerprint()))
            .collect();
        v.sort();
        v
    };
    let base = prints("pod.yaml", PRIVILEGED);
    assert!(base.iter().any(|(r, _)| r == "KC-HOST-001"));
    // Comments above the object move every line; another file name; the same object as the
    // second item of a List.
    let moved = format!("# a comment\n# another\n{PRIVILEGED}");
    assert_eq!(prints("pod.yaml", &moved), base);
    assert_eq!(prints("renamed.yaml", PRIVILEGED), base);
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {{name: x, namespace: shop}}\n- {}",
        PRIVILEGED.trim_end().replace('\n', "\n  ")
    );
    let listed: Vec<(String, String)> = prints("list.yaml", &list);
    assert_eq!(listed, base);
    // Another object, another fingerprint.
    let other = prints("pod.yaml", &PRIVILEGED.replace("name: web,", "name: api,"));
    assert_ne!(other, base);
    for (_, fp) in &base {
        assert_eq!(fp.len(), 32);
        assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));
    }
    // Findings of one object differ by rule, field and container.
    let mut distinct: Vec<&String> = base.iter().map(|(_, fp)| fp).collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), base.len());
}

#[test]
fn every_front_end_reads_the_configuration_the_same_way() {
    let dir = temp_dir("discover");
    let nested = dir.join("a/b");
    std::fs::create_dir_all(&nested).expect("mkdir");
    std::fs::write(
        dir.join(".kubecomply.yaml"),
        "rules:\n  skip: [KC-HOST-001]\nmaxFileSizeMiB: 2\n",
    )
    .expect("write config");
    let s = Settings::load(None, Some(&nested), clock()).expect("settings");
    assert_eq!(s.skip, ["KC-HOST-001"]);
    assert_eq!(s.limits.max_file_size, 2 * 1024 * 1024);
    assert_eq!(
        s.config_file.as_deref(),
        Some(dir.join(".kubecomply.yaml").as_path())
    );
    // A size that does not fit in 64 bits is an error, never a tiny limit.
    std::fs::write(
        dir.join(".kubecomply.yaml"),
        "maxFileSizeMiB: 17592186044416\n",
    )
    .expect("write config");
    let Err(e) = Settings::load(None, Some(&nested), clock()) else {
        panic!("an overflowing size is rejected");
    };
    assert!(e.to_string().contains("too large"), "{e}");
}

/// Per-object evaluation gives, object by object, what a whole scan gives (for the rules it
/// runs: built-in rules and the team's policies; the RBAC and network reviews are scans).
#[test]
fn evaluating_each_object_agrees_with_the_scan() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let settings =
        Settings::load(Some(&root.join(".kubecomply.yaml")), None, clock()).expect("settings");
    let (engine, diagnostics) = Engine::new(settings).expect("engine");
    assert!(
        diagnostics
            .iter()
            .all(|d| d.level != kubecomply_core::diagnostic::Level::Error),
        "{diagnostics:?}"
    );
    let loaded = engine.load(
        &[root.display().to_string()],
        kubecomply_engine::ReadOptions::default(),
    );
    let scan = engine.scan(&loaded.inventory, &ScanOptions::default());
    let reviews: Vec<&str> = kubecomply_rbac::RULES
        .iter()
        .chain(kubecomply_netpol::RULES.iter())
        .map(|m| m.code)
        .chain(["KC-GEN-003"])
        .collect();
    let key = |f: &kubecomply_core::Finding| {
        (
            f.rule.to_string(),
            f.status,
            f.location.file.to_string(),
            f.location.line,
            f.location.column,
            f.location.pointer.clone(),
            f.message.clone(),
        )
    };
    let mut expected: Vec<_> = scan
        .findings
        .iter()
        .filter(|f| f.status != Status::Pass && !reviews.contains(&&*f.rule))
        .map(key)
        .collect();
    let objects = loaded.inventory.objects.clone();
    let view = kubecomply_engine::ClusterView::new(loaded.inventory);
    let mut got: Vec<_> = objects
        .iter()
        .flat_map(|o| engine.evaluate_object(o, &view))
        .map(|f| key(&f))
        .collect();
    expected.sort();
    got.sort();
    assert!(expected.len() > 50, "the examples have findings");
    assert!(
        expected.iter().any(|k| k.0 == "SHOP-001"),
        "a Rego policy finding is among them"
    );
    assert_eq!(got, expected);
}

#[test]
fn a_changed_view_is_seen_by_the_next_evaluation() {
    let (engine, _) = Engine::new(Settings::new(clock())).expect("engine");
    let deployment = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  template:\n    spec:\n      serviceAccountName: api\n      containers:\n      - {name: api, image: registry.example.com/api@sha256:0000000000000000000000000000000000000000000000000000000000000000}\n";
    let object = inventory_from_yaml("d.yaml", deployment).objects.remove(0);
    // The rule speaks only where the namespace has ServiceAccounts at all.
    let mut view = kubecomply_engine::ClusterView::new(inventory_from_yaml(
        "other.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: other, namespace: shop}\n",
    ));
    let missing_sa = |engine: &Engine, view: &kubecomply_engine::ClusterView| {
        engine
            .evaluate_object(&object, view)
            .iter()
            .any(|f| f.rule == "KC-SA-003")
    };
    assert!(missing_sa(&engine, &view), "no ServiceAccount api yet");
    let sa = inventory_from_yaml(
        "sa.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: api, namespace: shop}\n",
    )
    .objects
    .remove(0);
    view.upsert(sa);
    assert!(!missing_sa(&engine, &view), "the ServiceAccount now exists");
    view.remove("ServiceAccount", "shop", "api");
    assert!(missing_sa(&engine, &view), "and is gone again");
    let reads = engine.reads();
    let sa_rule = reads
        .iter()
        .find(|r| r.code == "KC-SA-003")
        .expect("KC-SA-003 runs");
    assert_eq!(sa_rule.kinds, ["ServiceAccount"]);
}

#[test]
fn schedule_notes_show_the_next_runs_from_the_clock() {
    let dir = temp_dir("schedule");
    let file = dir.join("weekly.yaml");
    std::fs::write(
        &file,
        "apiVersion: kubecomply.io/v1alpha1\nkind: ComplianceReport\nmetadata: {name: weekly}\nspec:\n  frameworks: [cis-1.12]\n  schedule: \"0 6 * * 1\"\n",
    )
    .expect("write");
    let without = kubecomply_engine::definition::read(&file).expect("reads");
    let note = without
        .notes
        .iter()
        .find(|n| n.contains("schedule"))
        .expect("note");
    assert!(!note.contains("next runs"), "{note}");
    let now = Clock::at_unix(1_795_822_596).unix_seconds();
    assert_eq!(now, Some(1_795_822_596));
    let with = kubecomply_engine::definition::read_at(&file, now).expect("reads");
    let note = with
        .notes
        .iter()
        .find(|n| n.contains("schedule"))
        .expect("note");
    assert!(
        note.contains(
            "next runs: 2026-11-30T06:00:00Z, 2026-12-07T06:00:00Z, 2026-12-14T06:00:00Z"
        ),
        "{note}"
    );
}

#[test]
fn configuration_errors_name_line_column_and_expectation() {
    let dir = temp_dir("config-typed");
    let file = dir.join(".kubecomply.yaml");
    for (text, want) in [
        (
            "failOn: high\nrules:\n  skp: [X]\n",
            ":3:3: unknown field `skp`, expected `skip` or `only`",
        ),
        (
            "minUserId: many\n",
            ":1:1: invalid type: string \"many\", expected i64",
        ),
        (
            "severity: urgent\n",
            ":1:1: expected one of critical, high, medium, low, info, found \"urgent\"",
        ),
        (
            "policies:\n  regoVersion: v2\n",
            ":2:3: unknown variant `v2`, expected `v0` or `v1`",
        ),
        (
            "policies:\n  memoryLimit: 5Xi\n",
            ":2:3: `5Xi`: the unit must be Ki, Mi or Gi",
        ),
        (
            "trustedRegistries: [a, {b: c}]\n",
            ":1:24: invalid type: map, expected a string",
        ),
    ] {
        std::fs::write(&file, text).expect("write");
        let err = Settings::load(Some(&file), None, clock()).expect_err(text);
        assert!(err.to_string().contains(want), "{text}: {err}");
    }
    std::fs::write(
        &file,
        "failOn: HIGH\nseverityOverrides: {KC-IMG-002: info, KC-POD-001: low}\nmaxFileSizeMiB: 2\n",
    )
    .expect("write");
    let s = Settings::load(Some(&file), None, clock()).expect("valid");
    assert_eq!(s.fail_on, Some(kubecomply_core::Severity::High));
    assert_eq!(s.severity_overrides.len(), 2);
    assert_eq!(s.limits.max_file_size, 2 * 1024 * 1024);
}

const OWNERS_TEMPLATE: &str = r#"apiVersion: templates.gatekeeper.sh/v1
kind: ConstraintTemplate
metadata: {name: requireowners}
spec:
  crd:
    spec:
      names: {kind: RequireOwners}
  targets:
  - target: admission.k8s.gatekeeper.sh
    rego: |
      package requireowners

      violation[{"msg": msg}] {
        ns := input.review.object.metadata.namespace
        not data.inventory.namespace[ns]["v1"]["ConfigMap"]["owners"]
        msg := sprintf("namespace %v has no owners ConfigMap", [ns])
      }
---
apiVersion: constraints.gatekeeper.sh/v1beta1
kind: RequireOwners
metadata:
  name: require-owners
  annotations: {kubecomply.io/code: TEAM-OWNERS}
spec:
  match:
    kinds: [{apiGroups: ["apps"], kinds: ["Deployment"]}]
"#;

/// Gatekeeper's `data.inventory` is prepared once per version of the view: a change of the
/// view is seen by the next evaluation, and evaluations in parallel each get their copy.
#[test]
fn gatekeeper_sees_the_view_as_it_changes() {
    let dir = temp_dir("gk-view");
    std::fs::write(dir.join("owners.yaml"), OWNERS_TEMPLATE).expect("write template");
    let mut settings = Settings::new(clock());
    settings.policies.paths = vec![dir];
    let (engine, diagnostics) = Engine::new(settings).expect("engine");
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let deployment = inventory_from_yaml(
        "d.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec: {}\n",
    )
    .objects
    .remove(0);
    let owners = inventory_from_yaml(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: owners, namespace: shop}\n",
    )
    .objects
    .remove(0);
    let mut view = kubecomply_engine::ClusterView::new(kubecomply_core::Inventory::default());
    let fails = |engine: &Engine, view: &kubecomply_engine::ClusterView| {
        engine
            .evaluate_object(&deployment, view)
            .iter()
            .filter(|f| f.rule == "TEAM-OWNERS" && f.status == Status::Fail)
            .count()
    };
    assert_eq!(fails(&engine, &view), 1, "no owners ConfigMap yet");
    view.upsert(owners);
    assert_eq!(fails(&engine, &view), 0, "the view now has it");
    // Evaluations in parallel against one view agree.
    let counts: Vec<usize> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4).map(|_| s.spawn(|| fails(&engine, &view))).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    assert_eq!(counts, [0, 0, 0, 0]);
    view.remove("ConfigMap", "shop", "owners");
    assert_eq!(fails(&engine, &view), 1, "and it is gone again");
}
