//! Finding and reading inputs: files, directories (recursive, honouring `.gitignore` and
//! `.kubecomplyignore`) and standard input.

use std::io::Read;
use std::path::{Path, PathBuf};

use kubecomply_core::diagnostic::{Diagnostic, Level};
use kubecomply_core::{SourceFile, SourceFormat};

use crate::{Limits, detect_format};

/// The name used for standard input.
pub const STDIN: &str = "<stdin>";

/// An input to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A file path.
    File(PathBuf),
    /// Standard input.
    Stdin,
}

fn is_manifest(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

/// Expands the user's arguments into inputs. Files named explicitly are always read;
/// directories are walked for `.yaml`, `.yml` and `.json` files, skipping hidden entries and
/// whatever `.gitignore` / `.kubecomplyignore` exclude. Missing paths become diagnostics.
pub fn discover(args: &[String]) -> (Vec<Input>, Vec<Diagnostic>) {
    let mut inputs = Vec::new();
    let mut diags = Vec::new();
    for arg in args {
        if arg == "-" {
            inputs.push(Input::Stdin);
            continue;
        }
        let path = Path::new(arg);
        match std::fs::metadata(path) {
            Err(e) => {
                let what = if std::fs::symlink_metadata(path).is_ok() {
                    "broken symbolic link"
                } else {
                    "cannot read"
                };
                diags.push(Diagnostic::file(Level::Error, arg, format!("{what}: {e}")));
            }
            Ok(m) if m.is_dir() => {
                let mut found = Vec::new();
                let walker = ignore::WalkBuilder::new(path)
                    .hidden(true)
                    .git_ignore(true)
                    .git_exclude(false)
                    .git_global(false)
                    .require_git(false)
                    .add_custom_ignore_filename(".kubecomplyignore")
                    .follow_links(false)
                    .build();
                for entry in walker {
                    match entry {
                        Ok(e) => {
                            let p = e.path();
                            let is_file =
                                e.file_type().is_some_and(|t| t.is_file() || t.is_symlink());
                            if is_file && is_manifest(p) {
                                found.push(p.to_path_buf());
                            }
                        }
                        Err(e) => diags.push(Diagnostic::file(Level::Error, arg, e.to_string())),
                    }
                }
                found.sort();
                inputs.extend(found.into_iter().map(Input::File));
            }
            Ok(_) => inputs.push(Input::File(path.to_path_buf())),
        }
    }
    (inputs, diags)
}

fn read_limited(
    mut r: impl Read,
    name: &str,
    limits: &Limits,
    size_hint: u64,
) -> Result<String, Diagnostic> {
    // Sized from the file's length (plus one byte to see the end without growing), so the
    // text is held without spare capacity.
    let mut buf = Vec::with_capacity(size_hint.min(limits.max_file_size) as usize + 1);
    r.by_ref()
        .take(limits.max_file_size + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Diagnostic::file(Level::Error, name, format!("cannot read: {e}")))?;
    if buf.len() as u64 > limits.max_file_size {
        return Err(Diagnostic::file(
            Level::Error,
            name,
            format!(
                "larger than the {} MiB limit (raise it with --max-file-size)",
                limits.max_file_size / (1024 * 1024)
            ),
        ));
    }
    // A byte-order mark is allowed at the start.
    if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
        buf.drain(..3);
    }
    match String::from_utf8(buf) {
        Ok(s) => {
            if s.contains('\0') {
                return Err(Diagnostic::file(
                    Level::Error,
                    name,
                    "binary data (NUL bytes), not YAML or JSON",
                ));
            }
            Ok(s)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let buf = e.into_bytes();
            let line = memchr::memchr_iter(b'\n', &buf[..at]).count() + 1;
            let col = at
                - buf[..at]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1)
                + 1;
            Err(Diagnostic {
                level: Level::Error,
                file: name.to_string(),
                line: line as u32,
                column: col as u32,
                message: "not valid UTF-8 text (binary file?)".into(),
            })
        }
    }
}

/// Reads one input into a source file.
pub fn read(input: &Input, limits: &Limits) -> Result<SourceFile, Diagnostic> {
    let (name, text) = match input {
        Input::Stdin => {
            let text = read_limited(std::io::stdin().lock(), STDIN, limits, 0)?;
            (STDIN.to_string(), text)
        }
        Input::File(p) => {
            let name = p.display().to_string();
            let f = std::fs::File::open(p)
                .map_err(|e| Diagnostic::file(Level::Error, &name, format!("cannot read: {e}")))?;
            if let Ok(m) = f.metadata() {
                if m.is_dir() {
                    return Err(Diagnostic::file(Level::Error, &name, "is a directory"));
                }
                if m.len() > limits.max_file_size {
                    return Err(Diagnostic::file(
                        Level::Error,
                        &name,
                        format!(
                            "{} MiB, larger than the {} MiB limit (raise it with --max-file-size)",
                            m.len() / (1024 * 1024),
                            limits.max_file_size / (1024 * 1024)
                        ),
                    ));
                }
            }
            let size = f.metadata().map_or(0, |m| m.len());
            let text = read_limited(f, &name, limits, size)?;
            (name, text)
        }
    };
    let format = detect_format(&name, &text);
    Ok(SourceFile {
        path: name.into(),
        text,
        format,
    })
}

/// A source from a string (tests, the admission webhook).
pub fn from_string(name: &str, text: String) -> SourceFile {
    let format: SourceFormat = detect_format(name, &text);
    SourceFile {
        path: name.into(),
        text,
        format,
    }
}
