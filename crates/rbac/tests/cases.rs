//! Data-driven authorizer cases: each `cases/*.yaml` holds RBAC objects and one document
//! without `apiVersion` whose `questions` list who-can (expected subject sets) and can
//! (expected yes/no) questions.

use std::collections::BTreeSet;
use std::path::Path;

use kubecomply_core::Inventory;
use kubecomply_core::Value;
use kubecomply_loader::{Limits, files, load, parse_documents};
use kubecomply_rbac::{Rbac, Subject};

fn s<'a>(q: &'a Value, k: &str) -> Option<&'a str> {
    q.get(k).and_then(Value::as_str)
}

fn run_case(path: &Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(path).expect("read case");
    let name = path.display().to_string();
    let docs = parse_documents(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let spec = docs
        .iter()
        .find(|d| d.get("questions").is_some())
        .unwrap_or_else(|| panic!("{name}: no questions document"));
    let loaded = load(files::from_string(&name, text.clone()), &Limits::default());
    let inv = Inventory::new(loaded.objects);
    let rbac = Rbac::new(&inv);
    let mut failures = Vec::new();
    let questions = spec["questions"].as_array().expect("questions is a list");
    for (i, q) in questions.iter().enumerate() {
        let ask = s(q, "ask").unwrap_or_else(|| panic!("{name}: question {i} has no ask"));
        let (verb, resource) = ask.split_once(' ').expect("ask: VERB RESOURCE");
        let ns = s(q, "namespace");
        let group = s(q, "group").unwrap_or("");
        let obj_name = s(q, "name");
        let label = format!("{name} #{i} `{ask}` ns={ns:?} group={group:?} name={obj_name:?}");
        if let Some(subject) = s(q, "subject") {
            let subj = Subject::parse(subject).expect("subject");
            let want = q["allowed"].as_bool().expect("allowed: bool");
            let (got, grants) = rbac.can(&subj, verb, resource, ns, group, obj_name);
            if got != want {
                failures.push(format!(
                    "{label} as {subject}: want {want}, got {got} via {grants:?}"
                ));
            }
            continue;
        }
        let want: BTreeSet<String> = q["expect"]
            .as_array()
            .unwrap_or_else(|| panic!("{label}: expect list"))
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        let got: BTreeSet<String> = rbac
            .who_can(verb, resource, ns, group, obj_name)
            .iter()
            .map(|g| g.subject.display())
            .collect();
        if got != want {
            failures.push(format!(
                "{label}\n   missing: {:?}\n   unexpected: {:?}",
                want.difference(&got).collect::<Vec<_>>(),
                got.difference(&want).collect::<Vec<_>>()
            ));
        }
    }
    (questions.len(), failures)
}

#[test]
fn who_can_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("cases dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    entries.sort();
    assert!(!entries.is_empty());
    let mut total = 0;
    let mut failures = Vec::new();
    for p in &entries {
        let (n, f) = run_case(p);
        total += n;
        failures.extend(f);
    }
    eprintln!("{} case files, {total} questions", entries.len());
    assert!(
        failures.is_empty(),
        "{} of {total} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
