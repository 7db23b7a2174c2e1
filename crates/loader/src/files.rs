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
                            let is_dir = e.file_type().is_none_or(|t| t.is_dir());
                            if is_dir || !is_manifest(p) {
                                continue;
                            }
                            // A manifest's name on a FIFO, a device or a link to one is
                            // reported and never read: a FIFO would hang the scan, a device
                            // never end.
                            match std::fs::metadata(p) {
                                Ok(m) if m.is_file() => found.push(p.to_path_buf()),
                                Ok(_) => diags.push(Diagnostic::file(
                                    Level::Error,
                                    &p.display().to_string(),
                                    "not a regular file (a FIFO, device or socket is never read)",
                                )),
                                // A broken link is reported when it is read.
                                Err(_) => found.push(p.to_path_buf()),
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

/// Opens a regular file. A FIFO, device or socket is refused before it is opened: opening a
/// FIFO blocks until a writer comes, and a device never ends, so a hostile repository could
/// hang a scan with one (`mkfifo`, a symbolic link to `/dev/zero`). Checked again on the
/// opened file, in case the path changed in between.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let not_regular = || {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, device or socket is never read)",
        )
    };
    let m = std::fs::metadata(path)?;
    if m.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    if !m.is_file() {
        return Err(not_regular());
    }
    let f = std::fs::File::open(path)?;
    if !f.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(f)
}

/// Reads a file the tool was pointed at by a setting (configuration, exceptions, report
/// definitions, framework, attestation and flow files, policy manifests): a regular file only,
/// at most `limits.max_file_size` bytes, UTF-8 text.
pub fn read_file(path: &Path, limits: &Limits) -> Result<SourceFile, Diagnostic> {
    let name = path.display().to_string();
    let f = open_regular(path)
        .map_err(|e| Diagnostic::file(Level::Error, &name, format!("cannot read: {e}")))?;
    read_opened(f, name, limits)
}

fn read_opened(f: std::fs::File, name: String, limits: &Limits) -> Result<SourceFile, Diagnostic> {
    let size = f.metadata().map_or(0, |m| m.len());
    if size > limits.max_file_size {
        return Err(Diagnostic::file(
            Level::Error,
            &name,
            format!(
                "{} MiB, larger than the {} MiB limit (raise it with --max-file-size)",
                size / (1024 * 1024),
                limits.max_file_size / (1024 * 1024)
            ),
        ));
    }
    let text = read_limited(f, &name, limits, size)?;
    let format = detect_format(&name, &text);
    Ok(SourceFile {
        path: name.as_str().into(),
        text,
        format,
    })
}

/// Reads one input into a source file.
pub fn read(input: &Input, limits: &Limits) -> Result<SourceFile, Diagnostic> {
    let (name, text) = match input {
        Input::Stdin => {
            let text = read_limited(std::io::stdin().lock(), STDIN, limits, 0)?;
            (STDIN.to_string(), text)
        }
        Input::File(p) => {
            // Named on the command line: a pipe is allowed here (`scan <(helm template ...)`),
            // bounded like any input. Files found by walking directories are regular files
            // only (see `discover`).
            let name = p.display().to_string();
            let f = std::fs::File::open(p)
                .map_err(|e| Diagnostic::file(Level::Error, &name, format!("cannot read: {e}")))?;
            if f.metadata().is_ok_and(|m| m.is_dir()) {
                return Err(Diagnostic::file(Level::Error, &name, "is a directory"));
            }
            return read_opened(f, name, limits);
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
