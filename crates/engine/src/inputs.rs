//! Reading inputs into an [`Inventory`]: discovery (directories, `.gitignore`,
//! `.kubecomplyignore`), bounded reads and parsing, in parallel.

use kubecomply_core::{Diagnostic, Inventory, Object};
use kubecomply_loader::{AliasBudget, Limits, files};
use rayon::prelude::*;

use crate::evidence::FileDigest;

/// Objects and diagnostics of all inputs.
pub struct Loaded {
    /// The inventory.
    pub inventory: Inventory,
    /// Input problems and notes.
    pub diagnostics: Vec<Diagnostic>,
    /// Number of inputs read.
    pub files: usize,
    /// The sha256 of every input read, in input order (only when asked for).
    pub digests: Vec<FileDigest>,
}

/// How to read inputs.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReadOptions {
    /// Drop the text of inputs whose findings can be located without it (scans and framework
    /// evaluation); commands that show source text keep it.
    pub lean: bool,
    /// Hash each input's text as it was read (evidence bundles: the digest is of the bytes
    /// scanned, not of a second read).
    pub hash: bool,
}

type FileResult = (Vec<Object>, Vec<Diagnostic>, Option<FileDigest>);

/// Reads and parses all inputs (files, directories, `-` for standard input) in parallel.
/// A document that is not text is an error and the others of its input are read; aliases of
/// all the inputs copy nodes from one budget (`limits.max_alias_nodes`).
pub fn load(paths: &[String], limits: &Limits, options: ReadOptions) -> Loaded {
    let (inputs, mut diagnostics) = files::discover(paths);
    let budget = AliasBudget::of(limits);
    let results: Vec<FileResult> = inputs
        .par_iter()
        .map(|input| match files::read_documents(input, limits) {
            Ok(read) => {
                let src = read.source;
                let digest = options
                    .hash
                    .then(|| FileDigest::of(&src.path, src.text.as_bytes()));
                let l = kubecomply_loader::load_in_budget(src, limits, &budget, options.lean);
                let mut diags = read.diagnostics;
                diags.extend(l.diagnostics);
                (l.objects, diags, digest)
            }
            Err(d) => (Vec::new(), vec![d], None),
        })
        .collect();
    // Sized exactly: the objects of 100,000 inputs are tens of MiB, which a doubling vector
    // would hold twice while growing.
    let mut objects = Vec::with_capacity(results.iter().map(|r| r.0.len()).sum());
    let mut digests = Vec::new();
    for (o, d, h) in results {
        objects.extend(o);
        diagnostics.extend(d);
        digests.extend(h);
    }
    let inventory = Inventory::new(objects);
    diagnostics.extend(inventory.invalid.iter().map(excluded));
    Loaded {
        inventory,
        diagnostics,
        files: inputs.len(),
        digests,
    }
}

/// The note that an invalid object was left out of the analyses (the commands that show no
/// findings, `rbac`, `netpol` and `pss`, say so only here).
pub fn excluded(o: &Object) -> Diagnostic {
    let first = o.invalid.first().map_or("", |i| i.message.as_str());
    let more = match o.invalid.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    let (line, column) = o
        .invalid
        .first()
        .zip(o.origin.positions.as_ref())
        .and_then(|(i, p)| kubecomply_loader::locate::locate_recorded(&o.value, p, &i.pointer))
        .unwrap_or((o.origin.line, 1));
    Diagnostic {
        level: kubecomply_core::diagnostic::Level::Warning,
        file: o.origin.source.path.to_string(),
        line,
        column,
        message: format!(
            "{} is invalid and left out of every analysis: {first}{more}",
            o.display_name()
        ),
    }
}

/// Reads a file a setting names (configuration, exceptions, report definitions, framework,
/// attestation and flow files): a regular file only, within `limits`
/// (`kubecomply_loader::files::read_file`); the error names the file.
pub fn read_setting(path: &std::path::Path, limits: &Limits) -> crate::Result<String> {
    files::read_file(path, limits)
        .map(|src| src.text)
        .map_err(|d| crate::Error::new(format!("{}: {}", d.file, d.message)))
}
