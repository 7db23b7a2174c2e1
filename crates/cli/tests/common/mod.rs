//! Helpers shared by the CLI integration tests: the binary run from the repository root in a
//! fixed environment, its output, and scratch directories.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The repository root (the bundled examples and fixtures are named relative to it).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `kubecomply`, run from the repository root without colour and with "today" fixed at
/// 2026-06-01 (exception expiries, attestation validity, report dates); a test needing another
/// day sets `KUBECOMPLY_TODAY` again.
pub fn kubecomply() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubecomply"));
    c.current_dir(root())
        .env("NO_COLOR", "1")
        .env("KUBECOMPLY_TODAY", "2026-06-01");
    c
}

/// Runs `kubecomply args...` to completion.
pub fn run(args: &[&str]) -> Output {
    kubecomply().args(args).output().expect("runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Standard output as JSON; the panic shows standard error.
pub fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\nstderr: {}", stdout(o), stderr(o)))
}

/// A scratch path private to this test binary and process, removed if it exists and not
/// created (for commands that must create it themselves).
pub fn temp_path(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!(
        "kubecomply-{}-{}-{name}",
        env!("CARGO_CRATE_NAME"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&p);
    p
}

/// [`temp_path`], created empty.
pub fn temp_dir(name: &str) -> PathBuf {
    let d = temp_path(name);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}
