//! Shared by the targets that parse files: arbitrary bytes as text, and a scratch file per
//! process for the readers that take a path. Each target uses part of it.
#![allow(dead_code)]

use std::path::PathBuf;

/// The input as text (the readers refuse other bytes before parsing).
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// `name` in this process's scratch directory, holding `contents`.
pub fn scratch_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubecomply-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join(name);
    let _ = std::fs::write(&path, contents);
    path
}

/// The objects of a YAML/JSON text.
pub fn objects(text: &str) -> Vec<kubecomply_core::Object> {
    kubecomply_loader::load(
        kubecomply_loader::files::from_string("fuzz.yaml", text.to_string()),
        &kubecomply_loader::Limits {
            max_alias_nodes: 100_000,
            ..kubecomply_loader::Limits::default()
        },
    )
    .objects
}

/// Each document of a YAML/JSON text as a value.
pub fn documents(text: &str) -> Vec<kubecomply_core::Value> {
    kubecomply_loader::parse_documents(text).unwrap_or_default()
}
