//! conftest-style policies: rules, data, namespaces, metadata, errors and limits.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kubecomply_core::diagnostic::Level;
use kubecomply_core::{Finding, Inventory, Severity, Status};
use kubecomply_loader::{Limits, files, load};
use kubecomply_rego::{Namespaces, RegoOptions, RegoPolicies, RegoVersion};

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/conftest")
        .join(p)
}

fn inventory(yaml: &str) -> Inventory {
    let loaded = load(
        files::from_string("in.yaml", yaml.to_string()),
        &Limits::default(),
    );
    assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
    Inventory::new(loaded.objects)
}

fn options(paths: &[&str]) -> RegoOptions {
    RegoOptions {
        policy_paths: paths.iter().map(|p| fixture(p)).collect(),
        ..RegoOptions::default()
    }
}

fn codes(findings: &[Finding]) -> Vec<(String, Status, Severity, String)> {
    findings
        .iter()
        .map(|f| (f.rule.to_string(), f.status, f.severity, f.message.clone()))
        .collect()
}

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, labels: {owner: team-a}}
spec:
  replicas: 1
  template:
    spec:
      containers:
      - {name: app, image: "docker.io/nginx:latest"}
      - {name: sidecar, image: "registry.acme.example/proxy:1.2"}
"#;

#[test]
fn v1_rules_with_data_metadata_and_sidecar() {
    let mut o = options(&["v1"]);
    o.data_paths = vec![fixture("v1/data.yaml")];
    let (p, diags) = RegoPolicies::load(&o);
    assert!(diags.is_empty(), "{diags:?}");
    let inv = inventory(&format!(
        "{DEPLOYMENT}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm}}\n"
    ));
    let f = p.evaluate(&inv);
    let got = codes(&f);
    assert!(got.contains(&(
        "ACME-IMG-001".into(),
        Status::Fail,
        Severity::Critical,
        "container app uses image docker.io/nginx:latest from an unapproved registry".into()
    )));
    // The sidecar comes from an approved registry (data merged into `data`).
    assert!(!got.iter().any(|g| g.3.contains("sidecar")));
    // deny_latest: default code, severity from the package annotation, pointer from details.
    let latest = f
        .iter()
        .find(|x| x.rule == "REGO-MAIN-DENY_LATEST")
        .expect("latest");
    assert_eq!(latest.severity, Severity::Medium);
    assert_eq!(
        latest.location.pointer,
        "/spec/template/spec/containers/0/image"
    );
    // warn is a failure at low severity.
    let warn = f.iter().find(|x| x.rule == "REGO-MAIN-WARN").expect("warn");
    assert_eq!((warn.status, warn.severity), (Status::Fail, Severity::Low));
    // violation with an object result, metadata from the sidecar file.
    let owner: Vec<_> = f.iter().filter(|x| x.rule == "ACME-OWN-001").collect();
    assert_eq!(owner.len(), 1);
    assert_eq!(owner[0].message, "ConfigMap cm has no owner label");
    assert_eq!(owner[0].severity, Severity::Low);
    assert_eq!(owner[0].location.pointer, "");
    assert_eq!(
        owner[0].resource.as_ref().map(|r| r.name.as_str()),
        Some("cm")
    );

    let rules = p.rules();
    let img = rules
        .iter()
        .find(|r| r.code == "ACME-IMG-001")
        .expect("rule");
    assert_eq!(img.title, "Images come from an approved registry");
    assert_eq!(img.engine, "rego");
    assert!(img.source.ends_with("images.rego"));
    assert_eq!(img.frameworks.len(), 2);
    assert_eq!(img.frameworks[0].framework, "pci-dss");
    let own = rules
        .iter()
        .find(|r| r.code == "ACME-OWN-001")
        .expect("rule");
    assert_eq!(own.title, "Every object names its owner");
    assert_eq!(own.frameworks[1].requirement, "A.5.9");
    let latest = rules
        .iter()
        .find(|r| r.code == "REGO-MAIN-DENY_LATEST")
        .expect("rule");
    assert_eq!(latest.title, "Image hygiene");
    assert_eq!(latest.slug, "main-deny-latest");
}

#[test]
fn list_items_get_the_item_prefix() {
    let mut o = options(&["v1"]);
    o.data_paths = vec![fixture("v1/data.yaml")];
    let (p, _) = RegoPolicies::load(&o);
    let inv = inventory(
        "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n",
    );
    let f = p.evaluate(&inv);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].location.pointer, "/items/0");
}

#[test]
fn v0_modules_on_request() {
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {type: NodePort}\n";
    let mut o = options(&["v0"]);
    o.version = RegoVersion::V0;
    let (p, diags) = RegoPolicies::load(&o);
    assert!(diags.is_empty(), "{diags:?}");
    let f = p.evaluate(&inventory(svc));
    assert_eq!(f.len(), 2, "{f:?}");
    // The same module is a syntax error in Rego v1.
    let (p, diags) = RegoPolicies::load(&options(&["v0"]));
    assert!(!diags.is_empty());
    assert!(p.evaluate(&inventory(svc)).is_empty());
}

#[test]
fn namespaces_select_packages() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {owner: x}}\nspec: {hostNetwork: true}\n";
    let paths = ["ns", "v1"];
    let (main_only, _) = RegoPolicies::load(&options(&paths));
    assert!(
        !main_only
            .evaluate(&inventory(pod))
            .iter()
            .any(|f| f.message.contains("host network"))
    );

    let mut o = options(&paths);
    o.namespaces = Namespaces::Only(vec!["kubernetes.admission".into()]);
    let (p, _) = RegoPolicies::load(&o);
    let f = p.evaluate(&inventory(pod));
    assert_eq!(codes(&f).len(), 1);
    assert_eq!(f[0].rule, "REGO-KUBERNETES-ADMISSION-DENY");

    o.namespaces = Namespaces::All;
    let (p, _) = RegoPolicies::load(&o);
    let rules: Vec<String> = p.rules().into_iter().map(|r| r.code).collect();
    assert!(rules.contains(&"REGO-KUBERNETES-ADMISSION-DENY".to_string()));
    assert!(rules.contains(&"ACME-OWN-001".to_string()));
}

#[test]
fn syntax_and_compile_errors_have_positions_and_spare_other_modules() {
    let mut o = options(&["broken"]);
    o.namespaces = Namespaces::All;
    let (p, diags) = RegoPolicies::load(&o);
    let bad = diags
        .iter()
        .find(|d| d.file.ends_with("bad.rego"))
        .expect("syntax error reported");
    assert_eq!(bad.level, Level::Error);
    assert_eq!(bad.line, 8, "{bad:?}");
    assert!(bad.column >= 1);
    // good.rego still runs.
    let f = p.evaluate(&inventory(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    ));
    assert_eq!(
        codes(&f),
        vec![(
            "REGO-MAIN-DENY".into(),
            Status::Fail,
            Severity::High,
            "always".into()
        )]
    );
    // regorus finds unsafe variables only when a rule runs: an error finding with the
    // position of the variable (see README, known gaps).
    let f = p.evaluate(&inventory(
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
    ));
    let err = f
        .iter()
        .find(|x| x.status == Status::Error)
        .expect("error finding");
    assert_eq!(err.rule, "REGO-OTHER-DENY");
    assert!(err.message.contains("unsafe.rego:7:12"), "{}", err.message);
    assert!(
        err.message.contains("undefined_variable is unsafe"),
        "{}",
        err.message
    );
}

#[test]
fn runtime_error_is_an_error_finding_for_that_object_only() {
    let (p, diags) = RegoPolicies::load(&options(&["limits"]));
    assert!(diags.is_empty(), "{diags:?}");
    let f = p.evaluate(&inventory(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: conflict}\nspec: {replicas: 3}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: single}\nspec: {replicas: 1}\n",
    ));
    let err: Vec<_> = f.iter().filter(|x| x.status == Status::Error).collect();
    assert_eq!(err.len(), 1, "{f:?}");
    assert_eq!(
        err[0].resource.as_ref().map(|r| r.name.as_str()),
        Some("conflict")
    );
    assert!(
        f.iter()
            .any(|x| x.status == Status::Fail && x.message == "single replica")
    );
}

#[test]
fn huge_comprehension_is_stopped_by_the_time_limit() {
    let mut o = options(&["limits"]);
    o.timeout = Duration::from_millis(200);
    let (p, _) = RegoPolicies::load(&o);
    let start = Instant::now();
    let f = p.evaluate(&inventory(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: spin, labels: {spin: \"yes\"}}\n",
    ));
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    let err = f
        .iter()
        .find(|x| x.rule == "REGO-MAIN-DENY_SPIN")
        .expect("error finding");
    assert_eq!(err.status, Status::Error);
    assert!(err.message.contains("time limit"), "{}", err.message);
}

#[test]
fn digest_changes_with_content() {
    let dir = std::env::temp_dir().join(format!("kc-rego-digest-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).expect("dir");
    std::fs::write(dir.join("a.rego"), "package a\n").expect("write");
    std::fs::write(dir.join("sub/b.yaml"), "x: 1\n").expect("write");
    std::fs::write(dir.join("notes.txt"), "ignored").expect("write");
    let d1 = kubecomply_rego::repository_digest(std::slice::from_ref(&dir), &Default::default())
        .expect("digest");
    assert_eq!(d1.len(), 64);
    std::fs::write(dir.join("notes.txt"), "still ignored").expect("write");
    assert_eq!(
        d1,
        kubecomply_rego::repository_digest(std::slice::from_ref(&dir), &Default::default())
            .expect("digest")
    );
    std::fs::write(dir.join("sub/b.yaml"), "x: 2\n").expect("write");
    let d2 = kubecomply_rego::repository_digest(std::slice::from_ref(&dir), &Default::default())
        .expect("digest");
    assert_ne!(d1, d2);
    std::fs::rename(dir.join("sub/b.yaml"), dir.join("sub/c.yaml")).expect("rename");
    let d3 = kubecomply_rego::repository_digest(std::slice::from_ref(&dir), &Default::default())
        .expect("digest");
    assert_ne!(d2, d3);
    let _ = std::fs::remove_dir_all(&dir);
}

/// After the run's policy time budget, every evaluation not yet done is an `error` finding
/// naming the budget, never a silent pass. A budget of one nanosecond is spent before the
/// second evaluation of a worker starts (each evaluation takes microseconds; the monotonic
/// clock only moves forward), so at most the first (rule, object) pair of each worker thread is
/// evaluated.
#[test]
fn the_run_budget_turns_the_rest_into_errors() {
    let mut o = options(&["v1"]);
    o.data_paths = vec![fixture("v1/data.yaml")];
    o.run_budget = std::time::Duration::from_nanos(1);
    let (p, _) = RegoPolicies::load(&o);
    let objects: String = (0..20)
        .map(|i| format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm{i}}}\n"))
        .collect();
    let f = p.evaluate(&inventory(&objects));
    let rules = p.rules().len();
    assert!(rules > 0);
    let stopped = f
        .iter()
        .filter(|f| {
            f.status == Status::Error && f.message.contains("policy time budget of this run")
        })
        .count();
    let workers = rayon::current_num_threads();
    assert!(
        stopped + workers >= 20 * rules,
        "{stopped} of {} pairs stopped: {f:#?}",
        20 * rules
    );
    // The default budget stops nothing here.
    let (p, _) = RegoPolicies::load(&RegoOptions {
        run_budget: kubecomply_rego::DEFAULT_RUN_BUDGET,
        ..o
    });
    assert!(
        p.evaluate(&inventory(&objects))
            .iter()
            .all(|f| f.status != Status::Error)
    );
}
