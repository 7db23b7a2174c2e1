//! Finding policy files under the paths a user gives, and the digest of a policy repository.

use std::io;
use std::path::{Path, PathBuf};

use kubecomply_loader::Limits;
use sha2::{Digest, Sha256};

/// Reads a policy file (a module, a manifest, a data file, a Suite's object) as text: a
/// regular file only (a FIFO or a device is refused, never waited on), at most
/// `limits.max_file_size` bytes. Every file this crate reads goes through here.
pub fn read_text(path: &Path, limits: &Limits) -> io::Result<String> {
    kubecomply_loader::files::read_file(path, limits)
        .map(|src| src.text)
        .map_err(|d| io::Error::new(io::ErrorKind::InvalidData, d.message))
}

/// Every file under `paths` (files as given, directories walked recursively, hidden entries
/// skipped) whose name satisfies `keep`, sorted within each directory argument. Unreadable
/// paths are returned as errors next to the files found.
pub fn walk(
    paths: &[PathBuf],
    keep: &dyn Fn(&Path) -> bool,
) -> (Vec<PathBuf>, Vec<(PathBuf, io::Error)>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        match std::fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                let mut found = Vec::new();
                walk_dir(p, keep, &mut found, &mut errors);
                found.sort();
                files.extend(found);
            }
            Ok(_) => files.push(p.clone()),
            Err(e) => errors.push((p.clone(), e)),
        }
    }
    (files, errors)
}

fn walk_dir(
    dir: &Path,
    keep: &dyn Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
    errors: &mut Vec<(PathBuf, io::Error)>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push((dir.to_path_buf(), e));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk_dir(&path, keep, out, errors),
            Ok(_) if keep(&path) => out.push(path),
            _ => {}
        }
    }
}

/// Whether a path is a Rego module.
pub fn is_rego(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "rego")
}

/// Whether a path is a YAML or JSON file.
pub fn is_manifest(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Whether a path is a Rego unit-test module (`*_test.rego`).
pub fn is_rego_test(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with("_test.rego"))
}

/// The SHA-256 (hex) of a policy repository: every `.rego`, `.yaml`, `.yml` and `.json` file
/// under `paths`, sorted by path relative to the argument that found it, hashing each relative
/// path and content (both length-prefixed, so that no two repositories collide by
/// concatenation). A report carrying it names exactly the policy version that produced it.
pub fn repository_digest(paths: &[PathBuf], limits: &Limits) -> io::Result<String> {
    let mut entries: Vec<(String, PathBuf)> = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root)?;
        if meta.is_dir() {
            let (files, errors) = walk(std::slice::from_ref(root), &|p| {
                is_rego(p) || is_manifest(p)
            });
            if let Some((_, e)) = errors.into_iter().next() {
                return Err(e);
            }
            for f in files {
                let rel = f.strip_prefix(root).unwrap_or(&f);
                entries.push((portable(rel), f));
            }
        } else {
            let name = root
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            entries.push((name, root.clone()));
        }
    }
    entries.sort();
    let mut hasher = Sha256::new();
    for (rel, path) in &entries {
        let content = read_bytes(path, limits)?;
        hasher.update((rel.len() as u64).to_le_bytes());
        hasher.update(rel.as_bytes());
        hasher.update((content.len() as u64).to_le_bytes());
        hasher.update(&content);
    }
    let digest = hasher.finalize();
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// The bytes of a regular file of at most `limits.max_file_size` bytes (a policy repository
/// may hold binary files next to its modules: they are hashed, not decoded).
fn read_bytes(path: &Path, limits: &Limits) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let f = kubecomply_loader::files::open_regular(path)?;
    let mut content = Vec::new();
    f.take(limits.max_file_size.saturating_add(1))
        .read_to_end(&mut content)?;
    if content.len() as u64 > limits.max_file_size {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: larger than the {} byte limit",
                path.display(),
                limits.max_file_size
            ),
        ));
    }
    Ok(content)
}

fn portable(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect::<Vec<_>>()
        .join("/")
}
