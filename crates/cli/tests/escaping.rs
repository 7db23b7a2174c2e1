//! Issue 14, point 13: names and file names carrying terminal escapes, carriage returns,
//! backspaces, C1 controls, bidirectional overrides or line breaks never reach a human-readable
//! output raw (they are written as `\u{1b}`-style escapes, see `kubecomply_core::text`), NUL
//! never reaches HTML, CSV or Markdown, and SARIF URIs are percent-encoded relative references.
//!
//! Each command runs on inputs whose `metadata.name`s (YAML double-quoted escapes, as an
//! attacker writes them) and whose file name hold the hostile characters, with colour forced on
//! as on a terminal (`CLICOLOR_FORCE`: nothing strips escapes on the way out).

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Output;

/// The hostile part of every name: a window-title OSC, a screen clear, a carriage return, a
/// backspace, a forged summary line, a C1 CSI (U+009B) and a right-to-left override.
const HOSTILE_YAML: &str = r#"\e]0;pwned\a\e[2J\r\b\nSummary: 0 failed\x9b31m\u202eevil\0"#;

/// The hostile part of the file name (no NUL or `/`, which file names cannot hold).
const HOSTILE_FILE: &str =
    "f\u{1b}]0;pwned\u{7}\u{1b}[2J\r\u{8}\nSummary: 0 failed\u{9b}\u{202e}.yaml";

/// What must never appear raw. Colour codes (`ESC [1m`...) are ours and allowed.
const RAW: [&str; 9] = [
    "\u{1b}]",
    "\u{1b}[2J",
    "\u{7}",
    "\r",
    "\u{8}",
    "\u{9b}",
    "\u{202e}",
    "\0",
    "\nSummary: 0 failed",
];

fn manifests() -> String {
    let h = HOSTILE_YAML;
    format!(
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: Pod
metadata:
  name: "web{h}"
  namespace: shop
  labels: {{app: web}}
spec:
  containers:
    - name: "app{h}"
      image: nginx:latest
      securityContext: {{privileged: true}}
      ports: [{{containerPort: 80}}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: "api{h}"
  namespace: shop
spec:
  selector: {{matchLabels: {{app: api}}}}
  template:
    metadata: {{labels: {{app: api}}}}
    spec:
      containers:
        - name: api
          image: nginx:latest
          ports: [{{containerPort: 8080}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: "bind{h}"
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}
subjects:
  - kind: User
    name: "mallory{h}"
    apiGroup: rbac.authorization.k8s.io
  - kind: ServiceAccount
    name: "sa{h}"
    namespace: shop
"#
    )
}

/// A directory with the hostile manifests in a file with a hostile name.
fn inputs(name: &str) -> PathBuf {
    let dir = temp_dir(name);
    std::fs::write(dir.join(HOSTILE_FILE), manifests()).expect("write");
    dir
}

fn run_tty(args: &[&str]) -> Output {
    kubecomply()
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(args)
        .output()
        .expect("runs")
}

/// Asserts that neither stream of `o` holds a hostile sequence raw, and that standard output
/// shows the escaped form of `ESC` and U+202E (the hostile name was printed, escaped).
fn assert_escaped(what: &str, o: &Output) {
    for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        if what.contains("csv") {
            // RFC 4180 records end with CR LF: those are the writer's own.
            text = text.replace("\r\n", "\n");
        }
        for raw in RAW {
            // HTML keeps line feeds (inert in a page: `escape_text`), and with them the text
            // after one; every other hostile character is escaped there too.
            if what.contains("html") && raw.starts_with('\n') {
                continue;
            }
            assert!(
                !text.contains(raw),
                "{what}: {stream} holds {raw:?} raw:\n{}",
                text.escape_debug()
            );
        }
    }
    let out = stdout(o);
    assert!(
        out.contains("u{1b}") && out.contains("pwned") && out.contains("u{202e}"),
        "{what}: the escaped name is not shown:\n{}\nstderr: {}",
        out.escape_debug(),
        stderr(o).escape_debug()
    );
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn scan_outputs_escape_hostile_names_and_file_names() {
    let dir = inputs("scan");
    let d = s(&dir);
    let o = run_tty(&["scan", &d]);
    assert_escaped("scan table", &o);
    let out = stdout(&o);
    // The file name heading and the forged line, escaped and on one line.
    assert!(
        out.contains("\\nSummary: 0 failed\\u{9b}"),
        "{}",
        out.escape_debug()
    );
    assert!(out.contains("\\r\\u{8}"), "{}", out.escape_debug());
    assert_eq!(
        out.lines()
            .filter(|l| l.contains("Summary:") && !l.contains("\\n"))
            .count(),
        1,
        "one summary line: {}",
        out.escape_debug()
    );
    let o = run(&["scan", "--format", "junit", &d]);
    assert_escaped("scan junit", &o);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sarif_uris_are_percent_encoded_relative_references() {
    let dir = temp_dir("sarif");
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers: [{name: app, image: nginx:latest, securityContext: {privileged: true}}]\n";
    std::fs::write(dir.join("javascript:alert(1).yaml"), pod).expect("write");
    std::fs::write(dir.join(HOSTILE_FILE), pod).expect("write");
    std::fs::write(dir.join("a b#c?d%e é.yaml"), pod).expect("write");
    let o = run(&["scan", "--format", "sarif", &s(&dir)]);
    let v = json(&o);
    let mut uris: Vec<String> = v["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .expect("uri")
                .to_string()
        })
        .collect();
    uris.sort();
    uris.dedup();
    assert_eq!(uris.len(), 3, "{uris:?}");
    for u in &uris {
        // RFC 3986: only unreserved characters, sub-delimiters, `/` and percent escapes; no
        // scheme (no `:` at all), no fragment or query.
        assert!(
            u.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=/%".contains(&b)),
            "{u}"
        );
        assert!(!u.contains(':') && !u.starts_with("//"), "{u}");
    }
    assert!(
        uris.iter()
            .any(|u| u.ends_with("/javascript%3Aalert(1).yaml")),
        "{uris:?}"
    );
    assert!(
        uris.iter()
            .any(|u| u.ends_with("/a%20b%23c%3Fd%25e%20%C3%A9.yaml")),
        "{uris:?}"
    );
    assert!(
        uris.iter().any(|u| u.ends_with(
            "/f%1B%5D0;pwned%07%1B%5B2J%0D%08%0ASummary%3A%200%20failed%C2%9B%E2%80%AE.yaml"
        )),
        "{uris:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pss_rbac_and_netpol_tables_escape_hostile_names() {
    let dir = inputs("analyzers");
    let d = s(&dir);
    assert_escaped("pss", &run_tty(&["pss", &d]));
    assert_escaped(
        "rbac who-can",
        &run_tty(&["rbac", "who-can", "get", "secrets", &d]),
    );
    assert_escaped("rbac review", &run_tty(&["rbac", "review", &d]));
    assert_escaped("rbac paths", &run_tty(&["rbac", "paths", &d]));
    assert_escaped("netpol matrix", &run_tty(&["netpol", "matrix", &d]));
    assert_escaped("netpol inventory", &run_tty(&["netpol", "inventory", &d]));
    assert_escaped(
        "netpol inventory csv",
        &run_tty(&["netpol", "inventory", "--format", "csv", &d]),
    );
    assert_escaped("netpol review", &run_tty(&["netpol", "review", &d]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn framework_tables_and_reports_escape_hostile_names() {
    let dir = inputs("reports");
    let d = s(&dir);
    assert_escaped(
        "frameworks check",
        &run_tty(&["frameworks", "check", "cis-k8s", &d]),
    );
    for format in ["markdown", "html", "csv"] {
        let o = run_tty(&["report", "--framework", "cis-k8s", "--format", format, &d]);
        assert_escaped(&format!("report {format}"), &o);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn diagnostics_and_errors_escape_hostile_file_names() {
    let dir = temp_dir("diagnostics");
    std::fs::write(dir.join(HOSTILE_FILE), "a: [\n").expect("write");
    let d = s(&dir);
    for args in [
        vec!["scan", d.as_str()],
        vec!["scan", "--format", "json", d.as_str()],
        vec!["pss", d.as_str()],
        vec!["rbac", "review", d.as_str()],
    ] {
        let o = run_tty(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        // JSON is for programs and carries the exact text: only standard error is for people.
        let all = if args.contains(&"json") {
            stderr(&o)
        } else {
            format!("{}{}", stdout(&o), stderr(&o))
        };
        for raw in RAW {
            assert!(!all.contains(raw), "{args:?}: {}", all.escape_debug());
        }
        assert!(
            all.contains("f\\u{1b}]0;pwned"),
            "{args:?}: {}",
            all.escape_debug()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn evidence_verify_escapes_file_names_found_in_the_bundle() {
    let work = inputs("evidence");
    let bundle = work.join("bundle");
    let o = run(&[
        "report",
        "--framework",
        "cis-k8s",
        "--evidence",
        &s(&bundle),
        &s(&work.join(HOSTILE_FILE)),
    ]);
    assert!(bundle.join("manifest.json").exists(), "{}", stderr(&o));
    std::fs::write(bundle.join(HOSTILE_FILE), "x").expect("write");
    let o = run_tty(&["evidence", "verify", &s(&bundle)]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    for raw in RAW {
        assert!(!out.contains(raw), "{}", out.escape_debug());
    }
    assert!(
        out.contains("f\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\r\\u{8}\\nSummary: 0 failed\\u{9b}\\u{202e}.yaml: extra"),
        "{}",
        out.escape_debug()
    );
    let _ = std::fs::remove_dir_all(&work);
}
