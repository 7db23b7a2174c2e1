//! Every command reads the configuration the same way: `.kubecomply.yaml` found upwards from
//! the working directory (or `--config`), with its rules, exceptions, policies and limits.
//! Before the engine crate, `frameworks check` ignored the configuration's rules, `report`
//! read one only with `--config`, and `pss`, `rbac` and `netpol` ignored `maxFileSizeMiB`.

mod common;

use std::path::Path;
use std::process::Output;

use common::{json, stderr, temp_dir};

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n  - name: web\n    image: nginx\n    securityContext: {privileged: true}\n";

/// A project folder with a configuration and one manifest, and the binary run inside it.
fn project(name: &str, config: &str) -> std::path::PathBuf {
    let dir = temp_dir(name);
    std::fs::write(dir.join(".kubecomply.yaml"), config).expect("config");
    std::fs::create_dir_all(dir.join("deploy")).expect("deploy");
    std::fs::write(dir.join("deploy/pod.yaml"), PRIVILEGED).expect("manifest");
    dir
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    common::kubecomply()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("runs")
}

fn failed_rules(doc: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(serde_json::Value::Array(failed)) = m.get("failed") {
                    for f in failed {
                        if let Some(r) = f.get("rule").and_then(|r| r.as_str()) {
                            out.push(r.to_string());
                        }
                    }
                }
                m.values().for_each(|x| walk(x, out));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(doc, &mut out);
    out
}

#[test]
fn frameworks_check_and_report_honour_the_discovered_configuration() {
    let dir = project("cfg-rules", "rules:\n  skip: [KC-HOST-001, KC-PSS-007]\n");
    let nested = dir.join("deploy");
    // Without the configuration the privileged container fails PCI DSS requirements.
    let plain = temp_dir("cfg-rules-plain");
    std::fs::write(plain.join("pod.yaml"), PRIVILEGED).expect("manifest");
    let without = run_in(
        &plain,
        &["frameworks", "check", "pci-dss", ".", "--format", "json"],
    );
    assert!(
        failed_rules(&json(&without))
            .iter()
            .any(|r| r == "KC-HOST-001"),
        "{}",
        stderr(&without)
    );
    // Found upwards from a subfolder: the skipped rules do not run, in both commands.
    for args in [
        &["frameworks", "check", "pci-dss", ".", "--format", "json"][..],
        &["report", "--framework", "pci-dss", "."][..],
    ] {
        let o = run_in(&nested, args);
        let rules = failed_rules(&json(&o));
        assert!(
            !rules
                .iter()
                .any(|r| r == "KC-HOST-001" || r == "KC-PSS-007"),
            "{args:?}: {rules:?}\n{}",
            stderr(&o)
        );
    }
}

#[test]
fn every_command_honours_max_file_size() {
    // 1 MiB limit, a 2 MiB manifest: every command that reads inputs refuses it.
    let dir = project("cfg-size", "maxFileSizeMiB: 1\n");
    let big = format!("{PRIVILEGED}data:\n  pad: \"{}\"\n", "x".repeat(2 << 20))
        .replace("kind: Pod", "kind: ConfigMap");
    std::fs::write(dir.join("deploy/big.yaml"), big).expect("big manifest");
    for args in [
        &["scan", "deploy"][..],
        &["pss", "deploy"][..],
        &["rbac", "review", "deploy"][..],
        &["netpol", "review", "deploy"][..],
        &["frameworks", "check", "pci-dss", "deploy"][..],
    ] {
        let o = run_in(&dir, args);
        // The table of `scan` shows input errors in its output, the other commands on
        // standard error.
        let err = format!("{}{}", common::stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("big.yaml"), "{args:?} names the file: {err}");
    }
}

#[test]
fn an_overflowing_size_limit_is_refused_not_wrapped() {
    let dir = project("cfg-overflow", "maxFileSizeMiB: 17592186044416\n");
    let o = run_in(&dir, &["scan", "deploy"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("too large"), "{}", stderr(&o));
    let o = run_in(
        &dir,
        &["scan", "deploy", "--max-file-size", "17592186044416"],
    );
    assert_eq!(o.status.code(), Some(2));
}

/// A configuration (which the audited repository controls) that points a setting at a FIFO
/// gets an error for it, not a scan that hangs.
#[test]
fn a_setting_pointing_at_a_fifo_is_an_error_not_a_hang() {
    let dir = project("cfg-fifo", "exceptionsFile: trap.yaml\n");
    let made = std::process::Command::new("mkfifo")
        .arg(dir.join("trap.yaml"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let o = run_in(&dir, &["scan", "deploy"]);
    let out = format!("{}{}", common::stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("trap.yaml") && out.contains("not a regular file"),
        "{out}"
    );
}
