//! Evidence bundles end to end: `report --evidence DIR` and `evidence verify DIR`.

mod common;
use common::*;

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Writes a bundle of the PCI DSS and CIS report on the examples (with their configuration,
/// exceptions and policies) and returns its directory.
fn bundle(name: &str, inputs: &[&str]) -> PathBuf {
    let dir = temp_path(name);
    let d = dir.display().to_string();
    let mut args = vec![
        "report",
        "--framework",
        "pci-dss,cis-k8s",
        "--config",
        "examples/.kubecomply.yaml",
        "--format",
        "markdown",
        "--evidence",
        &d,
    ];
    args.extend_from_slice(inputs);
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("# "),
        "the markdown report still goes to stdout"
    );
    assert!(stderr(&o).contains("digest sha256:"), "{}", stderr(&o));
    dir
}

fn manifest(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("manifest is JSON")
}

fn verify_json(dir: &Path) -> (Option<i32>, Value) {
    let d = dir.display().to_string();
    let o = run(&["evidence", "verify", &d, "--format", "json"]);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("verify JSON: {e}\n{}", stderr(&o)));
    (o.status.code(), v)
}

fn problems(v: &Value) -> Vec<(String, String)> {
    v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| {
            (
                p["file"].as_str().unwrap_or_default().to_string(),
                p["problem"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        std::fs::copy(e.path(), to.join(e.file_name())).expect("copy");
    }
}

#[test]
fn a_bundle_holds_reports_inputs_catalogue_and_hashes() {
    let dir = bundle("contents", &["examples"]);
    let m = manifest(&dir);
    let names: Vec<&str> = m["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        names,
        [
            "catalogue.json",
            "findings.jsonl",
            "inputs.jsonl",
            "report.json",
            "report.md"
        ]
    );
    assert_eq!(m["kind"], "EvidenceManifest");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("docs/schema/evidence-manifest-v1.json"))
            .expect("schema"),
    )
    .expect("schema JSON");
    let validator = jsonschema::validator_for(&schema).expect("valid schema");
    let errors: Vec<String> = validator
        .iter_errors(&m)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(m["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["generatedAt"], "2026-06-01T00:00:00Z");
    // Every input file, with its path as given, size and sha256.
    let inputs = m["inputs"].as_array().expect("inputs");
    let payments = inputs
        .iter()
        .find(|i| i["path"] == "examples/shop/payments.yaml")
        .expect("payments.yaml hashed");
    let bytes = std::fs::read(root().join("examples/shop/payments.yaml")).expect("read");
    assert_eq!(payments["size"], bytes.len());
    assert_eq!(payments["sha256"].as_str().map(str::len), Some(64));
    // The settings files and every framework catalogue are hashed.
    assert_eq!(m["config"]["path"], "examples/.kubecomply.yaml");
    assert_eq!(m["exceptions"]["path"], "examples/exceptions.yaml");
    assert!(
        m["frameworks"]
            .as_array()
            .expect("frameworks")
            .iter()
            .any(|f| f["path"] == "builtin:pci-dss.yaml")
    );
    assert!(
        m["policies"]["digest"].is_string(),
        "the configuration's policies ran"
    );
    // Normalised inputs: canonical JSON lines with source and document, in a stable order.
    let inputs_text = std::fs::read_to_string(dir.join("inputs.jsonl")).expect("inputs.jsonl");
    let rows: Vec<Value> = inputs_text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(rows.len() as u64, m["objects"].as_u64().expect("objects"));
    let keys: Vec<(String, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["source"].as_str().expect("source").to_string(),
                r["document"].as_u64().expect("document"),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(
        inputs_text
            .lines()
            .all(|l| l.starts_with(r#"{"document":"#))
    );
    // The catalogue names every rule with its metadata, policy rules included.
    let cat: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("catalogue.json")).expect("read"))
            .expect("JSON");
    let rules = cat["rules"].as_array().expect("rules");
    assert_eq!(
        rules.len() as u64,
        m["catalogue"]["rules"].as_u64().expect("n")
    );
    assert!(
        rules
            .iter()
            .any(|r| r["code"] == "KC-PSS-001" && r["severity"].is_string())
    );
    assert!(rules.iter().any(|r| r["category"] == "policy"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_intact_bundle_verifies_and_rescans_to_the_same_findings() {
    let dir = bundle("intact", &["examples"]);
    let (code, v) = verify_json(&dir);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["intact"], true);
    assert_eq!(v["filesChecked"], 5);
    assert_eq!(v["digest"], manifest(&dir)["digest"]);
    let d = dir.display().to_string();
    let o = run(&["evidence", "verify", &d, "--rescan"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("intact (5 files"), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("rescan: same findings"),
        "{}",
        stdout(&o)
    );
    // The digest recorded elsewhere is checked too.
    let digest = manifest(&dir)["digest"]
        .as_str()
        .expect("digest")
        .to_string();
    let o = run(&["evidence", "verify", &d, "--digest", &digest]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let other = format!("sha256:{}", "0".repeat(64));
    let o = run(&["evidence", "verify", &d, "--digest", &other]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("manifest.json: unexpected-digest"),
        "{}",
        stdout(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn altering_one_byte_of_any_file_is_detected_and_named() {
    let dir = bundle("alter", &["examples"]);
    for name in [
        "catalogue.json",
        "findings.jsonl",
        "inputs.jsonl",
        "report.json",
        "report.md",
    ] {
        let copy = temp_path(&format!("alter-{name}"));
        copy_dir(&dir, &copy);
        let p = copy.join(name);
        let mut bytes = std::fs::read(&p).expect("read");
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x01;
        std::fs::write(&p, bytes).expect("write");
        let (code, v) = verify_json(&copy);
        assert_eq!(code, Some(1), "{name}: {v}");
        assert_eq!(v["intact"], false);
        assert_eq!(
            problems(&v),
            [(name.to_string(), "altered".to_string())],
            "{v}"
        );
        let _ = std::fs::remove_dir_all(&copy);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn deleted_added_files_and_an_edited_manifest_are_detected_and_named() {
    let dir = bundle("tamper", &["examples"]);
    let d = dir.display().to_string();

    let deleted = temp_path("deleted");
    copy_dir(&dir, &deleted);
    std::fs::remove_file(deleted.join("report.json")).expect("rm");
    let (code, v) = verify_json(&deleted);
    assert_eq!(code, Some(1));
    assert_eq!(problems(&v), [("report.json".into(), "missing".into())]);

    let added = temp_path("added");
    copy_dir(&dir, &added);
    std::fs::write(added.join("notes.txt"), "x").expect("write");
    let (code, v) = verify_json(&added);
    assert_eq!(code, Some(1));
    assert_eq!(problems(&v), [("notes.txt".into(), "extra".into())]);

    // Editing a manifest field (here the findings digest) breaks the top digest.
    let edited = temp_path("edited");
    copy_dir(&dir, &edited);
    let text = std::fs::read_to_string(edited.join("manifest.json")).expect("read");
    let m = manifest(&dir);
    let fd = m["findings"]["digest"].as_str().expect("findings digest");
    let forged = format!("sha256:{}", "1".repeat(64));
    std::fs::write(edited.join("manifest.json"), text.replace(fd, &forged)).expect("write");
    let (code, v) = verify_json(&edited);
    assert_eq!(code, Some(1));
    assert_eq!(
        problems(&v),
        [("manifest.json".into(), "digest-mismatch".into())]
    );

    // Changing a file and its hash in the manifest is caught by the top digest as well.
    let both = temp_path("both");
    copy_dir(&dir, &both);
    let old = m["files"][3]["sha256"].as_str().expect("sha").to_string();
    std::fs::write(both.join("report.json"), "{}\n").expect("write");
    let text = std::fs::read_to_string(both.join("manifest.json")).expect("read");
    std::fs::write(
        both.join("manifest.json"),
        text.replace(&old, &"2".repeat(64)),
    )
    .expect("write");
    let (code, v) = verify_json(&both);
    assert_eq!(code, Some(1));
    let names: Vec<String> = problems(&v).into_iter().map(|(f, _)| f).collect();
    assert_eq!(names, ["manifest.json", "report.json"]);

    // The text output names each problem, and rescan is refused on a tampered bundle.
    let o = run(&[
        "evidence",
        "verify",
        &deleted.display().to_string(),
        "--rescan",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("report.json: missing"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("TAMPERED"));
    assert!(stdout(&o).contains("rescan skipped"));

    for x in [&deleted, &added, &edited, &both] {
        let _ = std::fs::remove_dir_all(x);
    }
    let _ = d;
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreadable_or_malformed_bundles_exit_2() {
    let missing = temp_path("missing");
    let o = run(&["evidence", "verify", &missing.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    let bad = temp_path("malformed");
    std::fs::create_dir_all(&bad).expect("mkdir");
    std::fs::write(bad.join("manifest.json"), "{\n  \"kind\": ").expect("write");
    let o = run(&["evidence", "verify", &bad.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("manifest.json:2:"), "{}", stderr(&o));
    // A manifest naming a file outside the bundle is malformed, not followed.
    std::fs::write(
        bad.join("manifest.json"),
        r#"{"kind":"EvidenceManifest","schemaVersion":"1.0","digest":"sha256:00","files":[{"path":"../etc/passwd","size":1,"sha256":"0000000000000000000000000000000000000000000000000000000000000000"}]}"#,
    )
    .expect("write");
    let o = run(&["evidence", "verify", &bad.display().to_string()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a bundle file name"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&bad);
}

#[test]
fn two_runs_on_the_same_inputs_give_the_same_findings_digest() {
    let a = bundle("run-a", &["examples/shop", "examples/records"]);
    // Another day and the inputs in another order: the findings digest has no timestamp and
    // does not depend on the order.
    let b = temp_path("run-b");
    let o = kubecomply()
        .env("KUBECOMPLY_TODAY", "2026-07-15")
        .args([
            "report",
            "--framework",
            "pci-dss,cis-k8s",
            "--config",
            "examples/.kubecomply.yaml",
            "--evidence",
            &b.display().to_string(),
            "examples/records",
            "examples/shop",
        ])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let (ma, mb) = (manifest(&a), manifest(&b));
    assert_ne!(ma["generatedAt"], mb["generatedAt"]);
    assert_ne!(ma["digest"], mb["digest"]);
    assert_eq!(ma["findings"]["digest"], mb["findings"]["digest"]);
    assert!(ma["findings"]["count"].as_u64().expect("count") > 10);
    let fa = std::fs::read(a.join("findings.jsonl")).expect("read");
    let fb = std::fs::read(b.join("findings.jsonl")).expect("read");
    assert_eq!(fa, fb);
    // Different inputs give a different findings digest.
    let c = bundle("run-c", &["examples/shop"]);
    assert_ne!(manifest(&c)["findings"]["digest"], ma["findings"]["digest"]);
    for x in [&a, &b, &c] {
        let _ = std::fs::remove_dir_all(x);
    }
}

#[test]
fn the_evidence_directory_must_be_new_empty_or_a_bundle_replaced_with_force() {
    let dir = bundle("force", &["examples/shop"]);
    let d = dir.display().to_string();
    let again = |extra: &[&str]| {
        let mut args = vec!["report", "--framework", "pci-dss", "--evidence", &d];
        args.extend_from_slice(extra);
        args.push("examples/shop");
        run(&args)
    };
    let o = again(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("give --force"), "{}", stderr(&o));
    assert!(o.stdout.is_empty(), "refused before writing the report");
    let o = again(&["--force"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.contains(&"report.md".to_string()),
        "the old bundle's files are gone: {names:?}"
    );
    let (code, _) = verify_json(&dir);
    assert_eq!(code, Some(0));
    // A file the bundle does not list is never deleted.
    std::fs::write(dir.join("mine.txt"), "keep").expect("write");
    let o = again(&["--force"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("mine.txt"), "{}", stderr(&o));
    assert!(dir.join("mine.txt").exists());
    // A non-empty directory that is not a bundle is refused even with --force.
    let other = temp_path("not-a-bundle");
    std::fs::create_dir_all(&other).expect("mkdir");
    std::fs::write(other.join("a.txt"), "x").expect("write");
    let o = run(&[
        "report",
        "--framework",
        "pci-dss",
        "--evidence",
        &other.display().to_string(),
        "--force",
        "examples/shop",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not an evidence bundle"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&other);
}

#[test]
fn rescan_refuses_when_a_recorded_settings_file_changed() {
    let work = temp_path("settings");
    std::fs::create_dir_all(&work).expect("mkdir");
    let exceptions = work.join("exceptions.yaml");
    std::fs::copy(root().join("examples/exceptions.yaml"), &exceptions).expect("copy");
    // Run where the settings are: a rescan reads recorded paths only inside its working
    // directory.
    let in_work = |args: &[&str]| {
        kubecomply()
            .current_dir(&work)
            .args(args)
            .output()
            .expect("runs")
    };
    let shop = root().join("examples/shop").display().to_string();
    let o = in_work(&[
        "report",
        "--framework",
        "pci-dss",
        "--exceptions",
        "exceptions.yaml",
        "--evidence",
        "bundle",
        &shop,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = in_work(&["evidence", "verify", "bundle", "--rescan"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    std::fs::write(&exceptions, "exceptions: []\n").expect("write");
    let o = in_work(&["evidence", "verify", "bundle", "--rescan"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("changed since the bundle was written"),
        "{}",
        stderr(&o)
    );
    let _ = std::fs::remove_dir_all(&work);
}

/// A bundle of a run that could not read all its inputs records the errors, and `verify`
/// says so beside "intact" (issue 14: such a bundle had 0 objects and looked clean).
#[test]
fn a_bundle_records_the_runs_input_errors() {
    let dir = common::temp_path("evidence-input-errors");
    let d = dir.display().to_string();
    let o = common::run(&[
        "report",
        "--framework",
        "pci-dss",
        "--evidence",
        &d,
        "examples/shop",
        "does-not-exist",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json")).expect("manifest"),
    )
    .expect("json");
    let errors = manifest["inputErrors"].as_array().expect("inputErrors");
    assert_eq!(errors[0]["file"], serde_json::json!("does-not-exist"));
    let v = common::run(&["evidence", "verify", &d]);
    assert_eq!(v.status.code(), Some(0), "intact: {}", common::stdout(&v));
    assert!(
        common::stdout(&v).contains("had 1 input errors"),
        "{}",
        common::stdout(&v)
    );
}

/// The manifest's canonical JSON (keys sorted, compact) without `digest`, hashed: what a
/// forger recomputes after editing a manifest.
fn redigest(m: &mut Value) {
    fn canonical(v: &Value) -> Value {
        match v {
            Value::Object(o) => {
                let sorted: std::collections::BTreeMap<&String, Value> =
                    o.iter().map(|(k, x)| (k, canonical(x))).collect();
                Value::Object(sorted.into_iter().map(|(k, x)| (k.clone(), x)).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
            other => other.clone(),
        }
    }
    use sha2::Digest as _;
    if let Some(o) = m.as_object_mut() {
        o.remove("digest");
    }
    let text = canonical(m).to_string();
    let hex: String = sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    m["digest"] = Value::String(format!("sha256:{hex}"));
}

fn write_manifest(dir: &Path, m: &Value) {
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_string_pretty(m).expect("json"),
    )
    .expect("write");
}

/// Issue 14: removing the report, findings, inputs and catalogue together with their manifest
/// entries (digest recomputed) left a bundle `verify` called intact.
#[test]
fn required_parts_are_required_whatever_the_manifest_lists() {
    let dir = bundle("required", &["examples/shop"]);
    for part in [
        "report.json",
        "findings.jsonl",
        "inputs.jsonl",
        "catalogue.json",
        "report.md",
    ] {
        let cut = temp_path(&format!("required-{part}"));
        copy_dir(&dir, &cut);
        std::fs::remove_file(cut.join(part)).expect("rm");
        let mut m = manifest(&cut);
        m["files"]
            .as_array_mut()
            .expect("files")
            .retain(|f| f["path"] != part);
        redigest(&mut m);
        write_manifest(&cut, &m);
        let (code, v) = verify_json(&cut);
        assert_eq!(code, Some(1), "{part}: {v}");
        assert_eq!(v["intact"], false);
        assert_eq!(problems(&v), [(part.to_string(), "missing".to_string())]);
        let _ = std::fs::remove_dir_all(&cut);
    }
    // All four at once, as in the issue.
    let cut = temp_path("required-all");
    copy_dir(&dir, &cut);
    let mut m = manifest(&cut);
    for part in [
        "report.json",
        "findings.jsonl",
        "inputs.jsonl",
        "catalogue.json",
    ] {
        std::fs::remove_file(cut.join(part)).expect("rm");
    }
    m["files"]
        .as_array_mut()
        .expect("files")
        .retain(|f| f["path"] == "report.md");
    redigest(&mut m);
    write_manifest(&cut, &m);
    let o = run(&["evidence", "verify", &cut.display().to_string()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    for part in [
        "catalogue.json",
        "findings.jsonl",
        "inputs.jsonl",
        "report.json",
    ] {
        assert!(
            stdout(&o).contains(&format!("{part}: missing: a part of every bundle")),
            "{}",
            stdout(&o)
        );
    }
    assert!(stdout(&o).contains("TAMPERED"), "{}", stdout(&o));
    let _ = std::fs::remove_dir_all(&cut);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 14: a `manifest.json` that is a symbolic link to a manifest outside the bundle was
/// followed, and the bundle called intact.
#[cfg(unix)]
#[test]
fn a_symlinked_manifest_or_file_is_refused() {
    let dir = bundle("symlink", &["examples/shop"]);
    let linked = temp_path("symlink-manifest");
    copy_dir(&dir, &linked);
    std::fs::remove_file(linked.join("manifest.json")).expect("rm");
    std::os::unix::fs::symlink(dir.join("manifest.json"), linked.join("manifest.json"))
        .expect("symlink");
    let o = run(&["evidence", "verify", &linked.display().to_string()]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(!stdout(&o).contains("intact"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("manifest.json: cannot read: a symbolic link"),
        "{}",
        stderr(&o)
    );
    // A listed file that is a symbolic link (even to an identical file) is not a file of the
    // bundle.
    let file_link = temp_path("symlink-file");
    copy_dir(&dir, &file_link);
    std::fs::remove_file(file_link.join("report.json")).expect("rm");
    std::os::unix::fs::symlink(dir.join("report.json"), file_link.join("report.json"))
        .expect("symlink");
    let (code, v) = verify_json(&file_link);
    assert_eq!(code, Some(1));
    assert_eq!(
        problems(&v),
        [("report.json".to_string(), "not-a-file".to_string())]
    );
    for x in [&linked, &file_link, &dir] {
        let _ = std::fs::remove_dir_all(x);
    }
}

/// Issue 14: a manifest of an unknown `schemaVersion` was verified as if it were 1.0.
#[test]
fn an_unknown_schema_version_is_not_verified() {
    let dir = bundle("schema-version", &["examples/shop"]);
    for version in [Value::String("2.0".into()), Value::Null, Value::from(1)] {
        let mut m = manifest(&dir);
        m["schemaVersion"] = version.clone();
        redigest(&mut m);
        write_manifest(&dir, &m);
        let o = run(&["evidence", "verify", &dir.display().to_string()]);
        assert_eq!(o.status.code(), Some(2), "{version}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("schemaVersion") && stderr(&o).contains("1.0"),
            "{}",
            stderr(&o)
        );
        assert!(!stdout(&o).contains("intact"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 14: `--rescan` printed the sha256 of any file a manifest named (a hash oracle). A
/// recorded settings or policy path that is absolute outside the working directory, has `..`
/// or leaves it through a symbolic link is refused, named, and never hashed in the output.
#[test]
fn rescan_refuses_recorded_paths_outside_the_working_directory() {
    let work = temp_dir("oracle");
    let secret = temp_path("oracle-secret.txt");
    std::fs::write(&secret, "secret\n").expect("write");
    let secret_sha: String = {
        use sha2::Digest as _;
        sha2::Sha256::digest(b"secret\n")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, work.join("link.yaml")).expect("symlink");
    let shop = root().join("examples/shop").display().to_string();
    let dir = work.join("bundle");
    let o = kubecomply()
        .current_dir(&work)
        .args([
            "report",
            "--framework",
            "pci-dss",
            "--evidence",
            "bundle",
            &shop,
        ])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let secret_path = secret.display().to_string();
    let mut cases = vec![
        ("config", secret_path.clone()),
        ("exceptions", "../oracle-secret.txt".to_string()),
    ];
    if cfg!(unix) {
        cases.push(("config", "link.yaml".to_string()));
    }
    let original = manifest(&dir);
    for (key, path) in cases {
        let mut m = original.clone();
        m[key] = serde_json::json!({"path": path, "size": 7, "sha256": "0".repeat(64)});
        redigest(&mut m);
        write_manifest(&dir, &m);
        let o = kubecomply()
            .current_dir(&work)
            .args(["evidence", "verify", "bundle", "--rescan"])
            .output()
            .expect("runs");
        assert_eq!(o.status.code(), Some(2), "{path}: {}", stdout(&o));
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert!(all.contains(&format!("{path:?}")), "{path}: {all}");
        assert!(all.contains("refused"), "{path}: {all}");
        assert!(
            !all.contains(&secret_sha),
            "{path}: the hash is printed: {all}"
        );
    }
    // A policy path as well.
    let mut m = original.clone();
    m["policies"] = serde_json::json!({"digest": "sha256:00", "policy": [secret_path], "data": [], "namespace": [], "allNamespaces": false, "regoVersion": null});
    redigest(&mut m);
    write_manifest(&dir, &m);
    let o = kubecomply()
        .current_dir(&work)
        .args(["evidence", "verify", "bundle", "--rescan"])
        .output()
        .expect("runs");
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stderr(&o).contains("refused"), "{}", stderr(&o));
    let _ = std::fs::remove_dir_all(&work);
    let _ = std::fs::remove_file(&secret);
}

/// Issue 14: `--force` deleted the previous bundle's files before writing the new one, so a
/// failure lost both. The new bundle is written beside it and swapped in; nothing is left
/// beside it afterwards.
#[test]
fn force_swaps_a_complete_new_bundle_in() {
    let dir = bundle("swap", &["examples/shop"]);
    let before = manifest(&dir)["digest"].clone();
    let parent = dir.parent().expect("parent").to_path_buf();
    let name = dir
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let o = run(&[
        "report",
        "--framework",
        "pci-dss",
        "--force",
        "--evidence",
        &dir.display().to_string(),
        "examples/shop",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_ne!(manifest(&dir)["digest"], before);
    let (code, _) = verify_json(&dir);
    assert_eq!(code, Some(0));
    let leftovers: Vec<String> = std::fs::read_dir(&parent)
        .expect("parent")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&format!(".{name}.kubecomply-")))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Rego's `time.now_ns`, `rand.intn` and `uuid.rfc4122` answer from the run's clock (and a
/// seed derived from it): a rescan of an untouched bundle on another day, at the time the
/// bundle records, gives the same findings.
#[test]
fn rego_time_and_randomness_are_fixed_per_run_and_rescans_reproduce_them() {
    let work = temp_path("rego-clock");
    std::fs::create_dir_all(work.join("policy")).expect("mkdir");
    std::fs::write(
        work.join("policy/clock.rego"),
        "package main\nimport rego.v1\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  \
         msg := sprintf(\"t=%d r=%d u=%s\", [time.now_ns(), rand.intn(\"k\", 1000000), uuid.rfc4122(\"k\")])\n}\n",
    )
    .expect("policy");
    let on = |day: &str, args: &[&str]| {
        kubecomply()
            .current_dir(&work)
            .env("KUBECOMPLY_TODAY", day)
            .args(args)
            .output()
            .expect("runs")
    };
    let shop = root().join("examples/shop").display().to_string();
    let scan = |day: &str| {
        let o = on(
            day,
            &["scan", "--policy", "policy", "--format", "json", &shop],
        );
        let doc: Value = serde_json::from_slice(&o.stdout).expect("json");
        let mut m: Vec<String> = doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["message"].as_str().is_some_and(|m| m.starts_with("t=")))
            .map(|f| f["message"].as_str().unwrap_or("").to_string())
            .collect();
        m.sort();
        m
    };
    let first = scan("2026-06-01");
    assert!(!first.is_empty());
    // The same run clock gives the same values; another gives others.
    assert_eq!(first, scan("2026-06-01"));
    assert_ne!(first, scan("2026-06-02"));
    assert!(first[0].starts_with("t=1780272000000000000 "), "{first:?}");
    let o = on(
        "2026-06-01",
        &[
            "report",
            "--framework",
            "pci-dss",
            "--policy",
            "policy",
            "--evidence",
            "bundle",
            &shop,
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = on("2026-06-02", &["evidence", "verify", "bundle", "--rescan"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("rescan: same findings"),
        "{}",
        stdout(&o)
    );
    let _ = std::fs::remove_dir_all(&work);
}
