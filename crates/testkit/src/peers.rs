//! The peers kubecomply is compared with (OPA, ...), built from their Go modules at pinned
//! versions and cached per version, so that a machine builds each once:
//! `$KUBECOMPLY_PEERS` (default `~/.cache/kubecomply/peers`)`/<name>-<version>/<binary>`.
//!
//! The build needs the `go` command and the Go module proxy; the first test that needs a peer
//! builds it (minutes), holding a lock so that parallel tests wait for one build.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A pinned peer: its Go package and version.
pub struct Peer {
    /// Directory and binary name.
    pub name: &'static str,
    /// `go install` package path.
    pub package: &'static str,
    /// Module version.
    pub version: &'static str,
}

/// OPA, the reference Rego engine.
pub const OPA: Peer = Peer {
    name: "opa",
    package: "github.com/open-policy-agent/opa",
    version: "v1.22.4",
};

fn cache_root() -> PathBuf {
    if let Some(p) = std::env::var_os("KUBECOMPLY_PEERS") {
        return PathBuf::from(p);
    }
    let home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    home.join(".cache/kubecomply/peers")
}

/// The path of the peer's binary, building it first when this machine has not yet.
///
/// # Panics
/// When it cannot be built (no `go`, no module proxy): the differential tests cannot run
/// without it, and a skipped comparison must not look like a passed one.
pub fn binary(peer: &Peer) -> PathBuf {
    let dir = cache_root().join(format!("{}-{}", peer.name, peer.version));
    let bin = dir.join(peer.name);
    if bin.is_file() {
        return bin;
    }
    std::fs::create_dir_all(&dir).expect("peer cache directory");
    let lock = dir.join(".lock");
    // One build per machine: the first test to create the lock builds, the others wait.
    loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        {
            Ok(_) => break,
            Err(_) if bin.is_file() => return bin,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(500)),
        }
    }
    let built = build(peer, &dir);
    let _ = std::fs::remove_file(&lock);
    if let Err(why) = built {
        panic!(
            "cannot build {} {} ({why}); it is needed for the differential tests",
            peer.name, peer.version
        );
    }
    bin
}

fn build(peer: &Peer, dir: &Path) -> Result<(), String> {
    let status = Command::new("go")
        .args([
            "install",
            "-trimpath",
            &format!("{}@{}", peer.package, peer.version),
        ])
        .env("GOBIN", dir)
        .status()
        .map_err(|e| format!("go: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("go install exited with {status}"))
    }
}
