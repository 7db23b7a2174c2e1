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

/// Reads at most `limits.max_file_size` bytes (plus one, to see the end).
fn read_limited(
    mut r: impl Read,
    name: &str,
    limits: &Limits,
    size_hint: u64,
) -> Result<Vec<u8>, Diagnostic> {
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
    Ok(buf)
}

/// The first byte of `part` that is not text (invalid UTF-8 or NUL): its offset in `part`
/// and what is wrong with it.
fn bad_byte(part: &[u8]) -> Option<(usize, &'static str)> {
    let valid = match std::str::from_utf8(part) {
        Ok(_) => part.len(),
        Err(e) => e.valid_up_to(),
    };
    match memchr::memchr(0, &part[..valid]) {
        Some(i) => Some((i, "a NUL byte (binary data), not YAML or JSON")),
        None if valid < part.len() => Some((valid, "not valid UTF-8 text (binary data?)")),
        None => None,
    }
}

/// The 1-based line and column (in characters) of byte `at` of `bytes`, whose line up to `at`
/// is valid UTF-8.
fn position(bytes: &[u8], at: usize) -> (u32, u32) {
    let line = memchr::memchr_iter(b'\n', &bytes[..at]).count() + 1;
    let line_start = bytes[..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let column = std::str::from_utf8(&bytes[line_start..at])
        .map_or(at - line_start, |s| s.chars().count())
        + 1;
    (line as u32, column as u32)
}

/// Decodes the bytes of an input document by document: a document with invalid UTF-8 or a NUL
/// byte is an error at the line and column of its first bad byte, and only that document is
/// left out (its lines are kept blank, so the other documents keep their line numbers). Where
/// documents start is found on the bytes ([`crate::split::parts`]: `---` and `...` lines, and
/// each value of JSON per line).
///
/// An input with no readable document at all is one error.
const LEFT_OUT: &str = ": this document is left out, the others are read";

fn decode(buf: Vec<u8>, name: &str) -> Result<(String, Vec<Diagnostic>), Diagnostic> {
    let buf = match String::from_utf8(buf) {
        Ok(s) if memchr::memchr(0, s.as_bytes()).is_none() => return Ok((s, Vec::new())),
        Ok(s) => s.into_bytes(),
        Err(e) => e.into_bytes(),
    };
    let parts = crate::split::parts(&buf, true);
    let mut text = String::with_capacity(buf.len());
    let mut diagnostics = Vec::new();
    let mut readable = false;
    for p in parts {
        let part = &buf[p.start..p.end];
        match bad_byte(part) {
            None => {
                // Checked by `bad_byte`.
                let s = std::str::from_utf8(part).unwrap_or_default();
                readable |= s.lines().any(|l| {
                    let t = l.trim();
                    !t.is_empty() && !t.starts_with('#') && t != "---" && t != "..."
                });
                text.push_str(s);
            }
            Some((at, what)) => {
                let (line, column) = position(&buf, p.start + at);
                diagnostics.push(Diagnostic {
                    level: Level::Error,
                    file: name.to_string(),
                    line,
                    column,
                    message: what.to_string(),
                });
                // The marker stays, so that the document before still ends here; every line
                // of the document is left, empty.
                if part.starts_with(b"---") {
                    text.push_str("---");
                }
                for _ in memchr::memchr_iter(b'\n', part) {
                    text.push('\n');
                }
            }
        }
    }
    if !readable && !diagnostics.is_empty() {
        // Nothing but bad documents (a binary file): one error is enough.
        let mut first = diagnostics.swap_remove(0);
        if first.message.starts_with("a NUL") {
            first.message = "binary data (NUL bytes), not YAML or JSON".into();
        }
        return Err(first);
    }
    for d in &mut diagnostics {
        d.message.push_str(LEFT_OUT);
    }
    Ok((text, diagnostics))
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
    strict(read_opened(f, name, limits)?)
}

/// The source when every document is text; else the error of the first that is not.
fn strict(c: Contents) -> Result<SourceFile, Diagnostic> {
    match c.diagnostics.into_iter().next() {
        None => Ok(c.source),
        Some(mut d) => {
            if let Some(i) = d.message.find(LEFT_OUT) {
                d.message.truncate(i);
            }
            Err(d)
        }
    }
}

fn read_opened(f: std::fs::File, name: String, limits: &Limits) -> Result<Contents, Diagnostic> {
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
    let buf = read_limited(f, &name, limits, size)?;
    finish(name, buf)
}

fn finish(name: String, buf: Vec<u8>) -> Result<Contents, Diagnostic> {
    let (text, diagnostics) = decode(buf, &name)?;
    let format = detect_format(&name, &text);
    Ok(Contents {
        source: SourceFile {
            path: name.as_str().into(),
            text,
            format,
        },
        diagnostics,
    })
}

/// An input read document by document: its text, and one error for each document that is not
/// text (invalid UTF-8, NUL bytes), which is left out of `source`.
#[derive(Debug)]
pub struct Contents {
    /// The text, with the lines of the documents that are not text left empty.
    pub source: SourceFile,
    /// One error for each document left out, at its first bad byte.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads one input into a source file; any document that is not text makes it an error (see
/// [`read_documents`] to keep the other documents).
pub fn read(input: &Input, limits: &Limits) -> Result<SourceFile, Diagnostic> {
    strict(read_documents(input, limits)?)
}

/// Reads one input: an error when it cannot be read, is too large or holds no readable
/// document; otherwise its text and an error for each document that is not text (invalid
/// UTF-8, NUL bytes), left out while the others are read.
pub fn read_documents(input: &Input, limits: &Limits) -> Result<Contents, Diagnostic> {
    match input {
        Input::Stdin => {
            let buf = read_limited(std::io::stdin().lock(), STDIN, limits, 0)?;
            finish(STDIN.to_string(), buf)
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
            read_opened(f, name, limits)
        }
    }
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
