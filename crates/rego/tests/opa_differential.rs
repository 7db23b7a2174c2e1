//! Differential test against OPA (built from its Go module, pinned, cached per version by
//! `kubecomply_testkit::peers`): every Rego template of the gatekeeper-library
//! (../shared/conformance/gatekeeper-library) on every object its suite names, with the
//! suite's constraint, inventory and request. Both engines get exactly the same `input` and
//! `data.inventory` (built by `review_input` / `inventory_data`, what kubecomply evaluates
//! with); the violation messages must be the same multiset, not only the same count.

use std::path::{Path, PathBuf};
use std::process::Command;

use kubecomply_core::{Object, Value};
use kubecomply_loader::{Limits, files, load};
use kubecomply_rego::gatekeeper::{self, inventory_data, review_input};
use kubecomply_rego::verify::reviewed;
use kubecomply_rego::{Gatekeeper, GatekeeperOptions};

fn library() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/gatekeeper-library/library")
}

fn objects(path: &Path) -> Vec<Object> {
    let src = files::read_file(path, &Limits::default()).expect("readable");
    load(src, &Limits::default()).objects
}

fn suites(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            suites(&p, out);
        } else if p.file_name().is_some_and(|n| n == "suite.yaml") {
            out.push(p);
        }
    }
}

/// The Rego modules of a template's admission target (main module first) and whether they
/// are Rego v0, if it has Rego: `code[]` with engine `Rego` first (as kubecomply and
/// Gatekeeper choose), else the target's `rego` and `libs`.
fn rego_modules(template: &Value) -> Option<(Vec<String>, bool)> {
    let target = template.pointer("/spec/targets/0")?;
    let collect = |main: &str, libs: Option<&Value>| -> Option<Vec<String>> {
        let mut out = vec![main.to_string()];
        for lib in libs.and_then(Value::as_array).into_iter().flatten() {
            out.push(lib.as_str()?.to_string());
        }
        Some(out)
    };
    for code in target
        .get("code")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if code.get("engine").and_then(Value::as_str) == Some("Rego")
            && let Some(src) = code.get("source")
            && let Some(main) = src.get("rego").and_then(Value::as_str)
        {
            let v0 = src.get("version").and_then(Value::as_str) != Some("v1");
            return Some((collect(main, src.get("libs"))?, v0));
        }
    }
    let main = target.get("rego").and_then(Value::as_str)?;
    Some((collect(main, target.get("libs"))?, true))
}

fn package(module: &str) -> Option<&str> {
    module
        .lines()
        .find_map(|l| l.trim().strip_prefix("package "))
        .map(str::trim)
}

/// One comparison: what each engine reports.
struct Case {
    name: String,
    kubecomply: Result<Vec<String>, String>,
    opa: Result<Vec<String>, String>,
}

fn opa_violations(
    opa: &Path,
    scratch: &Path,
    modules: (&[String], bool),
    input: &Value,
    data: &Value,
) -> Result<Vec<String>, String> {
    let mut all = opa_batch(opa, scratch, modules, std::slice::from_ref(input), data)?;
    all.pop().ok_or_else(|| "opa gave no result".to_string())
}

#[test]
fn gatekeeper_library_verdicts_match_opa() {
    let opa = kubecomply_testkit::peers::binary(&kubecomply_testkit::peers::OPA);
    let scratch = std::env::temp_dir().join(format!("kubecomply-opa-diff-{}", std::process::id()));
    let mut found = Vec::new();
    suites(&library(), &mut found);
    assert_eq!(found.len(), 49, "the library's SOURCE.md counts 49 suites");
    let mut cases: Vec<Case> = Vec::new();
    let mut skipped_native = 0;
    for suite_path in &found {
        let dir = suite_path.parent().expect("suite folder");
        for suite in objects(suite_path) {
            for test in suite
                .value
                .get("tests")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let at = |k: &str| test.get(k).and_then(Value::as_str).map(|p| dir.join(p));
                let (Some(tpath), Some(cpath)) = (at("template"), at("constraint")) else {
                    continue;
                };
                let mut policy = objects(&tpath);
                let Some((modules, v0)) = policy.first().and_then(|t| rego_modules(&t.value))
                else {
                    skipped_native += 1;
                    continue;
                };
                let constraint = objects(&cpath);
                let parameters = constraint
                    .first()
                    .and_then(|c| c.value.pointer("/spec/parameters"))
                    .cloned()
                    .unwrap_or_else(|| Value::Object(Default::default()));
                policy.extend(constraint);
                let (gk, diags) = Gatekeeper::from_objects(&policy, &GatekeeperOptions::default());
                assert!(
                    diags
                        .iter()
                        .all(|d| d.level != kubecomply_core::diagnostic::Level::Error),
                    "{diags:?}"
                );
                for case in test
                    .get("cases")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let name = format!(
                        "{}/{}",
                        dir.strip_prefix(library()).unwrap_or(dir).display(),
                        case.get("name").and_then(Value::as_str).unwrap_or("?")
                    );
                    let Some(opath) = case.get("object").and_then(Value::as_str) else {
                        continue;
                    };
                    let objs = objects(&dir.join(opath));
                    let [object] = objs.as_slice() else {
                        continue;
                    };
                    let inventory: Vec<Value> = case
                        .get("inventory")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .flat_map(|p| objects(&dir.join(p)))
                        .map(|o| o.value)
                        .collect();
                    let (value, request) = reviewed(object);
                    let mut prepared = gk.prepare(inventory.iter());
                    let kubecomply = prepared
                        .review(&value, &request)
                        .into_iter()
                        .map(|v| v.message)
                        .collect::<Result<Vec<String>, String>>()
                        .map(|mut m| {
                            m.sort();
                            m
                        });
                    // The namespace Gatekeeper attaches (`_unstable.namespace`) comes from the
                    // inventory, as in kubecomply.
                    let subject_ns = value
                        .pointer("/metadata/namespace")
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    let ns_object = inventory.iter().find(|o| {
                        o.get("kind").and_then(Value::as_str) == Some("Namespace")
                            && o.pointer("/metadata/name").and_then(Value::as_str)
                                == Some(subject_ns)
                    });
                    let input = review_input(&value, &request, ns_object, &parameters);
                    let data = inventory_data(inventory.iter());
                    // A constraint whose match excludes the object gives nothing in either.
                    let matched = gatekeeper::matching::matches(
                        policy
                            .iter()
                            .find(|o| gatekeeper::is_constraint(o))
                            .and_then(|c| c.value.pointer("/spec/match")),
                        &gatekeeper::matching::Subject::of(&value),
                        &|ns| {
                            inventory.iter().find(|o| {
                                o.get("kind").and_then(Value::as_str) == Some("Namespace")
                                    && o.pointer("/metadata/name").and_then(Value::as_str)
                                        == Some(ns)
                            })
                        },
                    );
                    let opa_result = if matched {
                        opa_violations(&opa, &scratch, (&modules, v0), &input, &data)
                    } else {
                        Ok(Vec::new())
                    };
                    cases.push(Case {
                        name,
                        kubecomply,
                        opa: opa_result,
                    });
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!(
        "{} cases compared with OPA ({} tests of CEL-only templates left to the CEL tests)",
        cases.len(),
        skipped_native
    );
    let differ: Vec<String> = cases
        .iter()
        .filter(|c| c.kubecomply != c.opa)
        .map(|c| {
            format!(
                "{}\n  kubecomply: {:?}\n  opa:        {:?}",
                c.name, c.kubecomply, c.opa
            )
        })
        .collect();
    assert!(
        differ.is_empty(),
        "{} of {} cases differ:\n{}",
        differ.len(),
        cases.len(),
        differ.join("\n")
    );
    // Every Rego case of the library was compared (the CEL-only templates OPA cannot run).
    assert!(
        cases.len() >= 250,
        "only {} cases compared ({skipped_native} native tests)",
        cases.len()
    );
    assert!(
        cases
            .iter()
            .any(|c| c.opa.as_ref().is_ok_and(|m| !m.is_empty()))
    );
}

/// Every Rego template of the library, with the first constraint its suite names, on every
/// object of a generated corpus (../shared/tools/gen-manifests.py, seed 42, 1,000 objects) that
/// the constraint matches: one `opa eval` per template evaluates all objects through a wrapper
/// module (`with input as`), kubecomply reviews each; the messages must agree object by object.
#[test]
fn gatekeeper_library_on_a_generated_corpus_matches_opa() {
    let opa = kubecomply_testkit::peers::binary(&kubecomply_testkit::peers::OPA);
    let scratch =
        std::env::temp_dir().join(format!("kubecomply-opa-corpus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let corpus_dir = scratch.join("corpus");
    let generator =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/gen-manifests.py");
    let made = Command::new("python3")
        .arg(&generator)
        .args(["--resources", "1000", "--seed", "42", "--out"])
        .arg(&corpus_dir)
        .output()
        .expect("python3 runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let mut corpus: Vec<Value> = Vec::new();
    let mut stack = vec![corpus_dir.clone()];
    while let Some(d) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&d)
            .expect("corpus")
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                corpus.extend(objects(&p).into_iter().map(|o| o.value));
            }
        }
    }
    assert!(corpus.len() >= 900, "{} objects generated", corpus.len());
    let data = inventory_data(corpus.iter());
    let mut found = Vec::new();
    suites(&library(), &mut found);
    let (mut templates, mut compared, mut with_violations, mut errors) = (0, 0, 0, 0);
    let mut differ = Vec::new();
    for suite_path in &found {
        let dir = suite_path.parent().expect("suite folder");
        let Some(suite) = objects(suite_path).into_iter().next() else {
            continue;
        };
        let Some(test) = suite.value.pointer("/tests/0") else {
            continue;
        };
        let at = |k: &str| test.get(k).and_then(Value::as_str).map(|p| dir.join(p));
        let (Some(tpath), Some(cpath)) = (at("template"), at("constraint")) else {
            continue;
        };
        let mut policy = objects(&tpath);
        let Some((modules, v0)) = policy.first().and_then(|t| rego_modules(&t.value)) else {
            continue;
        };
        let constraint = objects(&cpath);
        let parameters = constraint
            .first()
            .and_then(|c| c.value.pointer("/spec/parameters"))
            .cloned()
            .unwrap_or_else(|| Value::Object(Default::default()));
        let matcher = constraint
            .first()
            .and_then(|c| c.value.pointer("/spec/match"))
            .cloned();
        policy.extend(constraint);
        let (gk, _) = Gatekeeper::from_objects(&policy, &GatekeeperOptions::default());
        let mut prepared = gk.prepare(corpus.iter());
        let namespace_of = |ns: &str| {
            corpus.iter().find(|o| {
                o.get("kind").and_then(Value::as_str) == Some("Namespace")
                    && o.pointer("/metadata/name").and_then(Value::as_str) == Some(ns)
            })
        };
        let request = kubecomply_rego::gatekeeper::Request::default();
        let mut inputs = Vec::new();
        let mut ours = Vec::new();
        for o in &corpus {
            let subject = gatekeeper::matching::Subject::of(o);
            if !gatekeeper::matching::matches(matcher.as_ref(), &subject, &namespace_of) {
                continue;
            }
            let ns = if subject.namespace.is_empty() {
                None
            } else {
                namespace_of(subject.namespace)
            };
            inputs.push(review_input(o, &request, ns, &parameters));
            let messages = prepared
                .review(o, &request)
                .into_iter()
                .map(|v| v.message)
                .collect::<Result<Vec<String>, String>>()
                .map(|mut m| {
                    m.sort();
                    m
                });
            ours.push((subject.kind.to_string() + "/" + subject.name, messages));
        }
        if inputs.is_empty() {
            continue;
        }
        templates += 1;
        // An evaluation error fails OPA's whole batch: then each input alone.
        let theirs: Vec<Result<Vec<String>, String>> =
            match opa_batch(&opa, &scratch.join("run"), (&modules, v0), &inputs, &data) {
                Ok(all) if all.len() == inputs.len() => all.into_iter().map(Ok).collect(),
                _ => inputs
                    .iter()
                    .map(|i| opa_violations(&opa, &scratch.join("one"), (&modules, v0), i, &data))
                    .collect(),
            };
        for ((name, mine), other) in ours.into_iter().zip(theirs) {
            compared += 1;
            if mine.as_ref().is_ok_and(|m| !m.is_empty()) {
                with_violations += 1;
            }
            // Both stopping with an evaluation error agree (the texts are each engine's own).
            if mine.is_err() && other.is_err() {
                errors += 1;
                continue;
            }
            if mine != other {
                differ.push(format!(
                    "{} on {name}\n  kubecomply: {mine:?}\n  opa:        {other:?}",
                    dir.strip_prefix(library()).unwrap_or(dir).display()
                ));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    eprintln!(
        "{compared} (template, object) pairs of {templates} templates compared with OPA, \
         {with_violations} with violations, {errors} where both stop with an evaluation error"
    );
    assert!(
        differ.is_empty(),
        "{} of {compared} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
    assert!(
        templates >= 40 && with_violations > 100,
        "{templates} templates, {with_violations} with violations"
    );
}

/// One `opa eval` of a template on many inputs: the sorted messages per input, in order.
fn opa_batch(
    opa: &Path,
    scratch: &Path,
    (modules, v0): (&[String], bool),
    inputs: &[Value],
    data: &Value,
) -> Result<Vec<Vec<String>>, String> {
    let pkg = package(&modules[0]).ok_or("no package")?;
    let wrapper = if v0 {
        format!(
            "package kcdiff\n\nresults := [vs | x := input.cases[i]; vs := [v | data.{pkg}.violation[v] with input as x]]\n"
        )
    } else {
        format!(
            "package kcdiff\n\nresults := [vs | some x in input.cases; vs := [v | some v in data.{pkg}.violation with input as x]]\n"
        )
    };
    let mut all: Vec<String> = modules.to_vec();
    all.push(wrapper);
    let input = Value::Object(
        [("cases".to_string(), Value::Array(inputs.to_vec()))]
            .into_iter()
            .collect(),
    );
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).map_err(|e| e.to_string())?;
    let mut args = vec!["eval".to_string(), "--format".into(), "json".into()];
    if v0 {
        args.push("--v0-compatible".into());
    }
    for (i, m) in all.iter().enumerate() {
        let p = scratch.join(format!("m{i}.rego"));
        std::fs::write(&p, m).map_err(|e| e.to_string())?;
        args.extend(["-d".into(), p.display().to_string()]);
    }
    let data_path = scratch.join("data.json");
    std::fs::write(&data_path, data.to_string()).map_err(|e| e.to_string())?;
    let input_path = scratch.join("input.json");
    std::fs::write(&input_path, input.to_string()).map_err(|e| e.to_string())?;
    args.extend([
        "-d".into(),
        data_path.display().to_string(),
        "-i".into(),
        input_path.display().to_string(),
        "data.kcdiff.results".into(),
    ]);
    let out = Command::new(opa)
        .args(&args)
        .output()
        .map_err(|e| e.to_string())?;
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
        .map_err(|e| format!("opa output: {e}: {}", String::from_utf8_lossy(&out.stderr)))?;
    if let Some(errors) = doc.get("errors") {
        return Err(format!("opa error: {errors}"));
    }
    let results = doc
        .pointer("/result/0/expressions/0/value")
        .and_then(|v| v.as_array())
        .ok_or_else(|| format!("no results: {doc}"))?;
    results
        .iter()
        .map(|r| {
            let mut m = r
                .as_array()
                .ok_or("not a list")?
                .iter()
                .map(|v| {
                    v.get("msg")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                        .ok_or_else(|| format!("violation without msg: {v}"))
                })
                .collect::<Result<Vec<String>, String>>()?;
            m.sort();
            Ok(m)
        })
        .collect()
}
