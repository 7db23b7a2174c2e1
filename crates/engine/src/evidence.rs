//! Evidence bundles: `kubecomply report --evidence DIR` writes the reports with everything
//! needed to show later what was evaluated, by which rules and with which result, and
//! `kubecomply evidence verify DIR` checks that nothing in the bundle changed since.
//!
//! A bundle is one flat directory:
//!
//! | file | content |
//! |---|---|
//! | `manifest.json` | what was evaluated and the sha256 of everything else (see [`Manifest`]) |
//! | `report.json` | the JSON report, always |
//! | `report.<ext>` | each other format requested (`report.md`, `report.html`, ...) |
//! | `inputs.jsonl` | every object scanned, as canonical JSON, with its source file and document index |
//! | `findings.jsonl` | the findings as canonical records, without positions or timestamps |
//! | `catalogue.json` | every rule that ran: code, slug, title, severity, category, docs, references |
//!
//! The manifest's `digest` is the sha256 of the manifest's canonical JSON without that field;
//! the manifest lists the sha256 of every other file, so the one digest covers the bundle.
//! A bundle is tamper-evident, not signed: someone who rewrites a file can rewrite the
//! manifest and its digest too, which is why `report` prints the digest for recording
//! elsewhere (ticket, CI log) and `verify --digest` compares against it.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use kubecomply_core::{Finding, Inventory};
use kubecomply_core::{Value, json};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::{Catalogue, Engine, Result, ScanOptions};

/// The manifest's file name.
pub const MANIFEST: &str = "manifest.json";
/// The `kind` of a manifest.
const KIND: &str = "EvidenceManifest";
/// The manifest format's version.
const SCHEMA_VERSION: &str = "1.0";
/// The largest manifest `verify` reads: a hostile bundle must not exhaust memory.
const MAX_MANIFEST: u64 = 64 * 1024 * 1024;
/// The parts of every bundle, whatever its manifest lists: a bundle without one of them is not
/// intact (besides `report.<ext>` of each format its `command.formats` records).
pub const REQUIRED: [&str; 4] = [
    "catalogue.json",
    "findings.jsonl",
    "inputs.jsonl",
    "report.json",
];
/// The largest `inputs.jsonl` `--rescan` loads (the scan's own file size limit applies to
/// each object's line as well).
const MAX_INPUTS: u64 = 4 * 1024 * 1024 * 1024;

/// The sha256 of one file, with its path as given and its size.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileDigest {
    /// The path as given (or `<stdin>`).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lower-case hex sha256.
    pub sha256: String,
}

impl FileDigest {
    /// The digest of `bytes`, recorded under `path`.
    pub fn of(path: &str, bytes: &[u8]) -> FileDigest {
        FileDigest {
            path: path.to_string(),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        }
    }

    /// Reads and hashes a file (streamed, see [`hash_file`]).
    pub fn read(path: &Path) -> Result<FileDigest> {
        hash_file(path).map_err(|e| err!("{}: cannot read: {e}", path.display()))
    }

    fn to_json(&self) -> Value {
        json!({"path": self.path, "size": self.size, "sha256": self.sha256})
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The value with every object's keys in sorted order, recursively.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<&String, Value> =
                m.iter().map(|(k, x)| (k, canonical(x))).collect();
            Value::Object(sorted.into_iter().map(|(k, x)| (k.clone(), x)).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Compact JSON with sorted keys: equal values give equal text.
pub fn canonical_text(v: &Value) -> String {
    canonical(v).to_string()
}

/// One finding as the findings digest sees it: what failed or passed where, without line and
/// column (the bundled inputs are JSON, so positions differ on a rescan) and without time.
fn finding_record(f: &Finding) -> Value {
    json!({
        "fingerprint": f.fingerprint(),
        "rule": f.rule,
        "status": f.status.as_str(),
        "severity": f.severity.as_str(),
        "resource": f.resource.as_ref().map(|r| json!({
            "apiVersion": r.api_version,
            "kind": r.kind,
            "namespace": r.namespace,
            "name": r.name,
        })),
        "container": f.container,
        "message": f.message,
        "file": &*f.location.file,
        "document": f.location.origin.as_ref().map(|o| o.document),
        "pointer": f.location.pointer,
        "exception": f.exception.as_ref().map(|e| json!({
            "source": e.source,
            "reason": e.reason,
            "owner": e.owner,
            "expires": e.expires,
        })),
    })
}

/// The findings as sorted canonical records, and their digest: sha256 over each record's
/// length (8 bytes, little-endian) and text, in sorted order, so the digest does not depend
/// on the order findings were produced in.
pub fn findings_digest(findings: &[Finding]) -> (Vec<String>, String) {
    let mut records: Vec<String> = findings
        .iter()
        .map(|f| canonical_text(&finding_record(f)))
        .collect();
    records.sort_unstable();
    let mut h = Sha256::new();
    for r in &records {
        h.update((r.len() as u64).to_le_bytes());
        h.update(r.as_bytes());
    }
    (records, format!("sha256:{}", hex(&h.finalize())))
}

/// `inputs.jsonl`: one canonical line per object, ordered by source file, document and item.
fn inputs_jsonl(inventory: &Inventory) -> String {
    let mut rows: Vec<(&str, u32, &str, String)> = inventory
        .objects
        .iter()
        .map(|o| {
            let line = canonical_text(&json!({
                "source": o.origin.source.path,
                "document": o.origin.document,
                "item": o.origin.prefix,
                "object": o.value,
            }));
            (
                &*o.origin.source.path,
                o.origin.document,
                o.origin.prefix.as_str(),
                line,
            )
        })
        .collect();
    rows.sort_by(|a, b| (a.0, a.1, a.2, &a.3).cmp(&(b.0, b.1, b.2, &b.3)));
    let mut s = String::new();
    for r in rows {
        s.push_str(&r.3);
        s.push('\n');
    }
    s
}

/// `catalogue.json`: every rule of the engine (built-in, then the team's policies).
fn catalogue_json(catalogue: &Catalogue<'_>) -> String {
    let rules: Vec<Value> = catalogue
        .all()
        .iter()
        .map(|m| kubecomply_core::tree::to_value(m).unwrap_or(Value::Null))
        .collect();
    format!("{}\n", canonical_text(&json!({ "rules": rules })))
}

/// The settings files and policy sources of a report run, recorded so that a rescan can use
/// them again.
#[derive(Debug, Default)]
pub struct Files {
    /// The configuration file.
    pub config: Option<PathBuf>,
    /// The exceptions file in effect.
    pub exceptions: Option<PathBuf>,
    /// The attestations file.
    pub attestations: Option<PathBuf>,
    /// Custom framework files.
    pub framework_files: Vec<PathBuf>,
    /// The team's policies.
    pub policies: crate::PolicySettings,
}

/// Everything a report run gives its evidence bundle.
pub struct Evidence<'a> {
    /// The bundle directory.
    pub dir: &'a Path,
    /// Replace a previous bundle in `dir`.
    pub force: bool,
    /// The report files: (file name, text); `report.json` among them.
    pub reports: Vec<(String, String)>,
    /// The engine that scanned (its rules and policies are recorded).
    pub engine: &'a Engine,
    /// The objects scanned.
    pub inventory: &'a Inventory,
    /// The findings of the scan.
    pub findings: &'a [Finding],
    /// The sha256 of every input file, as read.
    pub input_digests: &'a [FileDigest],
    /// The report's `generatedAt`.
    pub generated_at: &'a str,
    /// The command's arguments that shaped the report (frameworks, scope, thresholds...).
    pub command: Value,
    /// The input paths as given.
    pub paths: &'a [String],
    /// Inputs that could not be read or parsed: recorded, so that a bundle of a run that
    /// missed inputs says so.
    pub input_errors: &'a [kubecomply_core::Diagnostic],
    /// The settings files.
    pub files: Files,
}

fn optional_file(p: &Option<PathBuf>) -> Result<Value> {
    Ok(match p {
        Some(p) => FileDigest::read(p)?.to_json(),
        None => Value::Null,
    })
}

/// Writes the bundle and returns its digest.
///
/// The bundle is written into a new directory beside `e.dir` and renamed into place only when
/// complete (see [`write_staged`]): a failure part way leaves a previous bundle as it was.
pub fn write(e: Evidence<'_>) -> Result<String> {
    let (dir, force) = (e.dir, e.force);
    write_staged(dir, force, |staging| fill(e, staging))
}

/// Writes every file of the bundle into `dir` (a new, empty directory).
fn fill(e: Evidence<'_>, dir: &Path) -> Result<String> {
    let (records, fdigest) = findings_digest(e.findings);
    let mut files: Vec<(String, String)> = e.reports;
    files.push(("inputs.jsonl".into(), inputs_jsonl(e.inventory)));
    let mut findings_text = String::with_capacity(records.iter().map(|r| r.len() + 1).sum());
    for r in &records {
        findings_text.push_str(r);
        findings_text.push('\n');
    }
    files.push(("findings.jsonl".into(), findings_text));
    let rule_catalogue = e.engine.catalogue();
    let catalogue = catalogue_json(&rule_catalogue);
    let catalogue_sha = hex(&Sha256::digest(catalogue.as_bytes()));
    files.push(("catalogue.json".into(), catalogue));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let mut listed = Vec::new();
    for (name, text) in &files {
        let path = dir.join(name);
        std::fs::write(&path, text)
            .map_err(|err| err!("{}: cannot write: {err}", path.display()))?;
        listed.push(FileDigest::of(name, text.as_bytes()).to_json());
    }
    let mut frameworks: Vec<Value> = kubecomply_frameworks::CATALOGS
        .iter()
        .map(|(name, text)| {
            let d = FileDigest::of(&format!("builtin:{name}"), text.as_bytes());
            d.to_json()
        })
        .collect();
    for p in &e.files.framework_files {
        frameworks.push(FileDigest::read(p)?.to_json());
    }
    let s = &e.files;
    let policies = match e.engine.policies().and_then(|p| p.digest.as_deref()) {
        None => Value::Null,
        Some(d) => json!({
            "digest": d,
            "policy": s.policies.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "data": s.policies.data.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "namespace": s.policies.namespaces,
            "allNamespaces": s.policies.all_namespaces,
            "regoVersion": s.policies.rego_version,
        }),
    };
    let rules = rule_catalogue.all().len();
    let mut manifest = json!({
        "kind": KIND,
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "kubecomply", "version": env!("CARGO_PKG_VERSION")},
        "generatedAt": e.generated_at,
        "command": e.command,
        "paths": e.paths,
        "inputs": e.input_digests.iter().map(FileDigest::to_json).collect::<Vec<_>>(),
        "objects": e.inventory.len(),
        "catalogue": {"file": "catalogue.json", "rules": rules, "sha256": catalogue_sha},
        "frameworks": frameworks,
        "config": optional_file(&s.config)?,
        "exceptions": optional_file(&s.exceptions)?,
        "attestations": optional_file(&s.attestations)?,
        "policies": policies,
        "findings": {"file": "findings.jsonl", "count": records.len(), "digest": fdigest},
        "files": listed,
    });
    if !e.input_errors.is_empty()
        && let Value::Object(m) = &mut manifest
    {
        // Only when there are some: bundles of clean runs keep their manifest unchanged.
        let errors: Vec<Value> = e
            .input_errors
            .iter()
            .map(|d| json!({"file": d.file, "line": d.line, "column": d.column, "message": d.message}))
            .collect();
        m.insert("inputErrors".into(), Value::Array(errors));
    }
    let digest = manifest_digest(&manifest);
    if let Value::Object(m) = &mut manifest {
        m.insert("digest".into(), json!(digest));
    }
    let path = dir.join(MANIFEST);
    std::fs::write(
        &path,
        format!("{}\n", serde_json::to_string_pretty(&canonical(&manifest))?),
    )
    .map_err(|err| err!("{}: cannot write: {err}", path.display()))?;
    Ok(digest)
}

/// The top digest: sha256 of the manifest's canonical JSON without `digest`.
fn manifest_digest(manifest: &Value) -> String {
    let mut m = manifest.clone();
    if let Value::Object(o) = &mut m {
        o.remove("digest");
    }
    format!(
        "sha256:{}",
        hex(&Sha256::digest(canonical_text(&m).as_bytes()))
    )
}

/// The top digest of a manifest as read: its fields are in canonical order, so its JSON
/// without `digest` is the canonical JSON [`manifest_digest`] hashes.
fn typed_digest(manifest: &Manifest) -> Result<String> {
    let text = serde_json::to_string(manifest)?;
    Ok(format!("sha256:{}", hex(&Sha256::digest(text.as_bytes()))))
}

/// Checks, before any work, that `dir` can take a bundle (see [`write_staged`]); changes
/// nothing.
pub fn check_target(dir: &Path, force: bool) -> Result<()> {
    replaceable(dir, force).map(|_| ())
}

/// The files of a previous bundle `dir` holds, which `force` allows to replace; an error when
/// the directory cannot take a bundle.
fn replaceable(dir: &Path, force: bool) -> Result<Vec<String>> {
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return Ok(Vec::new());
    };
    if !meta.is_dir() {
        fail!("{}: not a directory", dir.display());
    }
    let entries = list_dir(dir)?;
    if entries.is_empty() {
        return Ok(entries);
    }
    let Ok(files) = read_listing(dir) else {
        fail!(
            "{}: not empty and not an evidence bundle; give an empty or new directory",
            dir.display()
        );
    };
    if !force {
        fail!(
            "{}: holds a previous evidence bundle; give --force to replace it",
            dir.display()
        );
    }
    let listed: std::collections::HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let foreign: Vec<&str> = entries
        .iter()
        .map(String::as_str)
        .filter(|n| *n != MANIFEST && !listed.contains(n))
        .collect();
    if !foreign.is_empty() {
        fail!(
            "{}: holds files the previous bundle does not list ({}); not replacing it",
            dir.display(),
            foreign.join(", ")
        );
    }
    Ok(entries)
}

/// A new directory beside `dir` (same parent, so a rename moves it into place), named
/// `.NAME.kubecomply-TAG-PID[-N]`.
fn sibling_dir(dir: &Path, tag: &str, create: bool) -> Result<PathBuf> {
    let Some(name) = dir.file_name() else {
        fail!(
            "{}: name the bundle directory (not `.`, `..` or a root)",
            dir.display()
        );
    };
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let base = format!(
        ".{}.kubecomply-{tag}-{}",
        name.to_string_lossy(),
        std::process::id()
    );
    for n in 0..100u32 {
        let p = parent.join(if n == 0 {
            base.clone()
        } else {
            format!("{base}-{n}")
        });
        if !create {
            if std::fs::symlink_metadata(&p).is_err() {
                return Ok(p);
            }
            continue;
        }
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(p),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => fail!("{}: cannot create: {e}", p.display()),
        }
    }
    fail!("{}: no free name for a directory beside it", dir.display())
}

/// Writes a bundle to `dir` with `fill`, which writes the files into the directory it is given.
///
/// `dir` must be new, empty, or (with `force`) hold only a previous bundle ([`replaceable`]).
/// `fill` writes into a new directory beside `dir`; only when it succeeds is that directory
/// renamed into place: the previous `dir` is moved aside, the new one renamed to `dir`, then
/// the previous bundle's files and directory are removed. A failure of `fill` removes the new
/// directory and leaves `dir` as it was; `--evidence` never deletes a file it did not write.
pub fn write_staged(
    dir: &Path,
    force: bool,
    fill: impl FnOnce(&Path) -> Result<String>,
) -> Result<String> {
    let old = replaceable(dir, force)?;
    let existed = std::fs::symlink_metadata(dir).is_ok();
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| err!("{}: cannot create: {e}", parent.display()))?;
    }
    let staging = sibling_dir(dir, "new", true)?;
    let digest = match fill(&staging) {
        Ok(d) => d,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if !existed {
        return match std::fs::rename(&staging, dir) {
            Ok(()) => Ok(digest),
            Err(e) => {
                let _ = std::fs::remove_dir_all(&staging);
                fail!(
                    "{}: cannot move the new bundle into place: {e}",
                    dir.display()
                )
            }
        };
    }
    // Checked again: the directory may have changed while the report was computed.
    let old_now = replaceable(dir, force);
    let aside = sibling_dir(dir, "old", false);
    let (old_now, aside) = match (old_now, aside) {
        (Ok(o), Ok(a)) => (o, a),
        (Err(e), _) | (_, Err(e)) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    if let Err(e) = std::fs::rename(dir, &aside) {
        let _ = std::fs::remove_dir_all(&staging);
        fail!(
            "{}: cannot move the previous bundle aside: {e}; it is unchanged",
            dir.display()
        );
    }
    if let Err(e) = std::fs::rename(&staging, dir) {
        let back = std::fs::rename(&aside, dir);
        let _ = std::fs::remove_dir_all(&staging);
        match back {
            Ok(()) => fail!(
                "{}: cannot move the new bundle into place: {e}; the previous bundle is unchanged",
                dir.display()
            ),
            Err(_) => fail!(
                "{}: cannot move the new bundle into place: {e}; the previous bundle is at {}",
                dir.display(),
                aside.display()
            ),
        }
    }
    for name in old.iter().chain(&old_now) {
        let _ = std::fs::remove_file(aside.join(name));
    }
    if std::fs::remove_dir(&aside).is_err() {
        fail!(
            "{}: the new bundle is written, but the previous one, moved to {}, now holds files it did not list: left there",
            dir.display(),
            aside.display()
        );
    }
    Ok(digest)
}

/// The names of a directory's entries, sorted.
fn list_dir(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    let rd = std::fs::read_dir(dir).map_err(|e| err!("{}: {e}", dir.display()))?;
    for entry in rd {
        let entry = entry.map_err(|e| err!("{}: {e}", dir.display()))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// One `{path, size, sha256}` entry of a manifest, as written (fields in canonical order).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    path: String,
    sha256: String,
    size: u64,
}

/// A file the run read: `null` or an [`Entry`] (the key must be present).
type Recorded = Option<Entry>;

/// `catalogue`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CatalogueEntry {
    file: String,
    rules: u64,
    sha256: String,
}

/// `findings`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct FindingsEntry {
    count: u64,
    digest: String,
    file: String,
}

/// `policies`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PoliciesEntry {
    all_namespaces: bool,
    data: Vec<String>,
    digest: String,
    namespace: Vec<String>,
    policy: Vec<String>,
    #[serde(deserialize_with = "present")]
    rego_version: Option<String>,
}

/// One of `inputErrors`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct InputError {
    column: u64,
    file: String,
    line: u64,
    message: String,
}

/// `tool`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct Tool {
    name: String,
    version: String,
}

/// A manifest as `verify` reads it: every field typed, unknown fields refused, so that reading
/// it costs about the size of its text whatever it holds (a generic value tree of a manifest
/// of nested arrays took 3.6 GB for 62 MB). Fields are declared in canonical (sorted) order:
/// serialized without `digest`, it is the canonical JSON the digest covers.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Manifest {
    #[serde(deserialize_with = "present")]
    attestations: Recorded,
    catalogue: CatalogueEntry,
    /// The command's arguments: the only free-form part, bounded ([`Bounded`]).
    command: Bounded,
    #[serde(deserialize_with = "present")]
    config: Recorded,
    #[serde(skip_serializing)]
    digest: String,
    #[serde(deserialize_with = "present")]
    exceptions: Recorded,
    files: Vec<Entry>,
    findings: FindingsEntry,
    frameworks: Vec<Entry>,
    generated_at: String,
    #[serde(
        default,
        deserialize_with = "some",
        skip_serializing_if = "Option::is_none"
    )]
    input_errors: Option<Vec<InputError>>,
    inputs: Vec<Entry>,
    kind: String,
    objects: u64,
    paths: Vec<String>,
    #[serde(deserialize_with = "present")]
    policies: Option<PoliciesEntry>,
    schema_version: String,
    tool: Tool,
}

impl Manifest {
    /// When the run that wrote the bundle happened (`generatedAt`, RFC 3339).
    pub fn generated_at(&self) -> &str {
        &self.generated_at
    }

    /// The version of kubecomply that wrote the bundle.
    pub fn tool_version(&self) -> &str {
        &self.tool.version
    }

    /// How many input errors the recorded run had (`inputErrors`).
    pub fn input_errors(&self) -> usize {
        self.input_errors.as_ref().map_or(0, Vec::len)
    }
}

/// An optional field whose key must be present (`null` or a value): the digest covers the
/// key, so a missing one must not read as `null`.
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<T>, D::Error> {
    Option::deserialize(d)
}

/// A field that is absent or a value, never `null` (`inputErrors`).
fn some<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> std::result::Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The most values `command` may hold, and its deepest nesting: what the CLI records is a few
/// dozen values three levels deep.
const COMMAND_VALUES: usize = 10_000;
const COMMAND_DEPTH: usize = 16;

/// A JSON value of at most [`COMMAND_VALUES`] values nested at most [`COMMAND_DEPTH`] deep,
/// refused as soon as it exceeds either.
#[derive(Debug)]
struct Bounded(Value);

impl Serialize for Bounded {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        canonical(&self.0).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Bounded {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Bounded, D::Error> {
        let budget = std::cell::Cell::new(COMMAND_VALUES);
        serde::de::DeserializeSeed::deserialize(
            BoundedSeed {
                depth: 0,
                budget: &budget,
            },
            d,
        )
        .map(Bounded)
    }
}

/// Reads one value of a [`Bounded`], counting it against the budget.
#[derive(Clone, Copy)]
struct BoundedSeed<'b> {
    depth: usize,
    budget: &'b std::cell::Cell<usize>,
}

impl BoundedSeed<'_> {
    fn take<E: serde::de::Error>(self) -> std::result::Result<(), E> {
        match self.budget.get().checked_sub(1) {
            Some(left) => {
                self.budget.set(left);
                Ok(())
            }
            None => Err(E::custom(format_args!(
                "`command` holds more than {COMMAND_VALUES} values"
            ))),
        }
    }

    fn inner<E: serde::de::Error>(self) -> std::result::Result<Self, E> {
        self.take()?;
        if self.depth >= COMMAND_DEPTH {
            return Err(E::custom(format_args!(
                "`command` is nested deeper than {COMMAND_DEPTH} levels"
            )));
        }
        Ok(BoundedSeed {
            depth: self.depth + 1,
            budget: self.budget,
        })
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for BoundedSeed<'_> {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        d: D,
    ) -> std::result::Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for BoundedSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, b: bool) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::Bool(b))
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, f: f64) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::from(f))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::String(s.to_string()))
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::String(s))
    }

    fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Value, E> {
        self.take()?;
        Ok(Value::Null)
    }

    fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Value, E> {
        self.visit_unit()
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(inner)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Value, A::Error> {
        let inner = self.inner()?;
        let mut entries = Vec::new();
        while let Some(k) = map.next_key::<String>()? {
            inner.take()?;
            let v = map.next_value_seed(inner)?;
            entries.push((k, v));
        }
        Ok(Value::Object(kubecomply_core::Map::from_entries(entries)))
    }
}

/// What is read of a manifest before the rest: its kind and format version, whatever else it
/// holds (other fields are skipped, not built).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head {
    kind: Option<Scalar>,
    schema_version: Option<Scalar>,
}

/// A JSON scalar, or the type of anything else (never built).
#[derive(Debug, PartialEq)]
enum Scalar {
    Text(String),
    Other(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Scalar, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_str<E>(self, s: &str) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Text(s.to_string()))
            }
            fn visit_bool<E>(self, b: bool) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Other(b.to_string()))
            }
            fn visit_i64<E>(self, n: i64) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Other(n.to_string()))
            }
            fn visit_u64<E>(self, n: u64) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Other(n.to_string()))
            }
            fn visit_f64<E>(self, n: f64) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Other(Value::from(n).to_string()))
            }
            fn visit_unit<E>(self) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Other("null".into()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Scalar, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other("an array".into()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Scalar, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Scalar::Other("an object".into()))
            }
        }
        d.deserialize_any(V)
    }
}

fn digest_entry(v: &Entry, at: &str) -> Result<FileDigest> {
    if v.sha256.len() == 64 && v.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(FileDigest {
            path: v.path.clone(),
            size: v.size,
            sha256: v.sha256.to_ascii_lowercase(),
        })
    } else {
        fail!("{MANIFEST}: {at}: expected path, size and a sha256 of 64 hex digits")
    }
}

/// Whether a bundle file name is a plain name inside the bundle (no directory part).
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\'])
        && !name.contains('\0')
}

/// A manifest's `files`, everything else skipped unbuilt.
#[derive(Deserialize)]
struct Listing {
    files: Vec<Entry>,
}

/// The files a previous bundle's manifest lists, for replacing it: its kind, version and
/// `files` are read, everything else skipped unbuilt.
fn read_listing(dir: &Path) -> Result<Vec<Entry>> {
    let path = dir.join(MANIFEST);
    let text = read_bounded(&path, MAX_MANIFEST)?;
    let head: Head = serde_json::from_str(&text)?;
    if head.kind != Some(Scalar::Text(KIND.into()))
        || head.schema_version != Some(Scalar::Text(SCHEMA_VERSION.into()))
    {
        fail!("{}: not an evidence manifest", path.display());
    }
    Ok(serde_json::from_str::<Listing>(&text)?.files)
}

/// Reads and checks a manifest: its kind and version first (a manifest of another format is
/// refused as such), then the whole of it into [`Manifest`], whose shape is fixed: a value of
/// another type than the format's, or a field it does not have, stops the reading there. The
/// file names it lists are plain and listed once (checked with a hash set: a manifest lists
/// up to hundreds of thousands).
fn read_manifest(dir: &Path) -> Result<(Manifest, Vec<FileDigest>)> {
    let path = dir.join(MANIFEST);
    let text = read_bounded(&path, MAX_MANIFEST)?;
    let not_json = |e: serde_json::Error| {
        err!(
            "{}:{}:{}: not JSON: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    };
    if !text.trim_start().starts_with('{') {
        fail!(
            "{}: not an evidence manifest (not a JSON object)",
            path.display()
        );
    }
    let head: Head = serde_json::from_str(&text).map_err(not_json)?;
    if head.kind != Some(Scalar::Text(KIND.into())) {
        fail!(
            "{}: not an evidence manifest (kind is not {KIND})",
            path.display()
        );
    }
    match head.schema_version {
        Some(Scalar::Text(v)) if v == SCHEMA_VERSION => {}
        Some(Scalar::Text(v)) => fail!(
            "{}: schemaVersion {} is not one this kubecomply reads ({SCHEMA_VERSION}); not verified",
            path.display(),
            Value::String(v)
        ),
        Some(Scalar::Other(v)) => fail!(
            "{}: schemaVersion {v} is not one this kubecomply reads ({SCHEMA_VERSION}); not verified",
            path.display()
        ),
        None => fail!(
            "{}: no schemaVersion; this kubecomply reads {SCHEMA_VERSION}",
            path.display()
        ),
    }
    // The file list first: a name that is not a plain bundle file name is refused as such,
    // whatever else the manifest holds.
    let listing: Listing = serde_json::from_str(&text).map_err(|e| {
        err!(
            "{}:{}:{}: not an evidence manifest of schema {SCHEMA_VERSION}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    let mut files = Vec::with_capacity(listing.files.len());
    let mut seen = std::collections::HashSet::with_capacity(listing.files.len());
    for (i, v) in listing.files.iter().enumerate() {
        let d = digest_entry(v, &format!("files[{i}]"))?;
        if !plain_name(&d.path) || d.path == MANIFEST {
            fail!(
                "{MANIFEST}: files[{i}]: {:?} is not a bundle file name",
                d.path
            );
        }
        if !seen.insert(v.path.as_str()) {
            fail!("{MANIFEST}: files[{i}]: {:?} is listed twice", d.path);
        }
        files.push(d);
    }
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        err!(
            "{}:{}:{}: not an evidence manifest of schema {SCHEMA_VERSION}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    Ok((manifest, files))
}

/// Opens a file of a bundle: a regular file, never through a symbolic link (a bundle is one
/// flat directory, and a link could make `verify` read and vouch for a file outside it), and
/// checked after opening to be the file that was looked at.
fn open_in_bundle(path: &Path) -> std::io::Result<std::fs::File> {
    use std::io::{Error, ErrorKind};
    let m = std::fs::symlink_metadata(path)?;
    if m.file_type().is_symlink() {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "a symbolic link (a bundle's files are never followed out of it)",
        ));
    }
    if !m.is_file() {
        return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    let f = kubecomply_loader::files::open_regular(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let o = f.metadata()?;
        if (o.dev(), o.ino()) != (m.dev(), m.ino()) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "replaced while it was being opened",
            ));
        }
    }
    Ok(f)
}

/// A bundle file's text: a regular file of the bundle ([`open_in_bundle`]) of at most `max`
/// bytes.
fn read_bounded(path: &Path, max: u64) -> Result<String> {
    let f = open_in_bundle(path).map_err(|e| err!("{}: cannot read: {e}", path.display()))?;
    let mut text = String::new();
    f.take(max + 1)
        .read_to_string(&mut text)
        .map_err(|e| err!("{}: cannot read: {e}", path.display()))?;
    if text.len() as u64 > max {
        fail!("{}: larger than {max} bytes", path.display());
    }
    Ok(text)
}

/// Streams a file through sha256 (bounded memory whatever its size).
fn hash_file(path: &Path) -> std::io::Result<FileDigest> {
    hash_open(kubecomply_loader::files::open_regular(path)?, path)
}

/// Streams an opened file through sha256.
fn hash_open(mut f: std::fs::File, path: &Path) -> std::io::Result<FileDigest> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        h.update(&buf[..n]);
    }
    Ok(FileDigest {
        path: path.display().to_string(),
        size,
        sha256: hex(&h.finalize()),
    })
}

/// What `verify` found wrong with one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Listed in the manifest, not in the bundle.
    Missing,
    /// In the bundle, not listed in the manifest.
    Extra,
    /// Its sha256 or size differs from the manifest's.
    Altered,
    /// Not a regular file (directory, symbolic link...).
    NotAFile,
    /// The manifest's digest does not match its content.
    DigestMismatch,
    /// The manifest's digest differs from the one given with `--digest`.
    UnexpectedDigest,
}

impl Problem {
    /// The kebab-case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Problem::Missing => "missing",
            Problem::Extra => "extra",
            Problem::Altered => "altered",
            Problem::NotAFile => "not-a-file",
            Problem::DigestMismatch => "digest-mismatch",
            Problem::UnexpectedDigest => "unexpected-digest",
        }
    }
}

/// The result of verifying a bundle.
pub struct Verification {
    /// The manifest's digest.
    pub digest: String,
    /// The digest recomputed from the manifest.
    pub computed: String,
    /// Every problem, by file name.
    pub problems: Vec<(String, Problem, String)>,
    /// Files checked.
    pub checked: usize,
    /// The manifest.
    pub manifest: Manifest,
}

/// Recomputes every hash of the bundle in `dir`; `Err` when the bundle is unreadable or its
/// manifest malformed.
pub fn verify(dir: &Path, expected: Option<&str>) -> Result<Verification> {
    if !dir.is_dir() {
        fail!("{}: not a directory", dir.display());
    }
    let (manifest, files) = read_manifest(dir)?;
    let mut problems = Vec::new();
    let computed = typed_digest(&manifest)?;
    if computed != manifest.digest {
        problems.push((
            MANIFEST.to_string(),
            Problem::DigestMismatch,
            format!(
                "the manifest was edited: its digest is {} but its content hashes to {computed}",
                manifest.digest
            ),
        ));
    }
    if let Some(x) = expected
        && x.trim() != manifest.digest
    {
        problems.push((
            MANIFEST.to_string(),
            Problem::UnexpectedDigest,
            format!(
                "the bundle's digest is {}, not the expected {}",
                manifest.digest,
                x.trim()
            ),
        ));
    }
    let present = list_dir(dir)?;
    let listed: std::collections::HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for f in &files {
        let p = dir.join(&f.path);
        match std::fs::symlink_metadata(&p) {
            Err(_) => problems.push((
                f.path.clone(),
                Problem::Missing,
                "listed in the manifest but not in the bundle".into(),
            )),
            Ok(m) if !m.file_type().is_file() => problems.push((
                f.path.clone(),
                Problem::NotAFile,
                "not a regular file".into(),
            )),
            Ok(_) => match open_in_bundle(&p).and_then(|f| hash_open(f, &p)) {
                Err(e) => fail!("{}: cannot read: {e}", p.display()),
                Ok(d) if d.sha256 != f.sha256 || d.size != f.size => problems.push((
                    f.path.clone(),
                    Problem::Altered,
                    format!(
                        "sha256 {} ({} bytes), manifest says {} ({} bytes)",
                        d.sha256, d.size, f.sha256, f.size
                    ),
                )),
                Ok(_) => {}
            },
        }
    }
    for name in required_parts(&manifest)? {
        if !listed.contains(name.as_str()) {
            problems.push((
                name,
                Problem::Missing,
                "a part of every bundle, but the manifest does not list it".into(),
            ));
        }
    }
    for name in &present {
        if name != MANIFEST && !listed.contains(name.as_str()) {
            problems.push((
                name.clone(),
                Problem::Extra,
                "in the bundle but not listed in the manifest".into(),
            ));
        }
    }
    problems.sort_by(|a, b| a.0.cmp(&b.0));
    let checked = files.len();
    drop(listed);
    Ok(Verification {
        digest: manifest.digest.clone(),
        computed,
        problems,
        checked,
        manifest,
    })
}

/// The files every bundle holds ([`REQUIRED`]), and `report.<ext>` of each format the
/// manifest's `command.formats` records.
fn required_parts(manifest: &Manifest) -> Result<Vec<String>> {
    let mut names: Vec<String> = REQUIRED.iter().map(|s| s.to_string()).collect();
    for (i, f) in manifest
        .command
        .0
        .pointer("/formats")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .enumerate()
    {
        let ext = f.as_str().unwrap_or_default();
        if ext.is_empty() || !ext.bytes().all(|b| b.is_ascii_alphanumeric()) {
            fail!("{MANIFEST}: command.formats[{i}]: {f} is not a report format");
        }
        names.push(format!("report.{ext}"));
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// The outcome of `evidence verify --rescan`.
pub struct Rescan {
    /// The findings digest the bundle records.
    pub recorded: String,
    /// The findings digest of the rescan.
    pub computed: String,
    /// Whether they are the same.
    pub same: bool,
    /// The version of kubecomply that wrote the bundle.
    pub bundle_version: String,
    /// Finding records only in the bundle.
    pub only_in_bundle: Vec<String>,
    /// Finding records only in the rescan.
    pub only_in_rescan: Vec<String>,
}

impl Rescan {
    /// The outcome as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "recordedFindingsDigest": self.recorded,
            "findingsDigest": self.computed,
            "same": self.same,
            "bundleToolVersion": self.bundle_version,
            "toolVersion": env!("CARGO_PKG_VERSION"),
            "onlyInBundle": self.only_in_bundle.iter().map(|s| serde_json::from_str::<Value>(s).unwrap_or(Value::Null)).collect::<Vec<_>>(),
            "onlyInRescan": self.only_in_rescan.iter().map(|s| serde_json::from_str::<Value>(s).unwrap_or(Value::Null)).collect::<Vec<_>>(),
        })
    }

    /// The outcome as lines for people.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        if self.bundle_version != env!("CARGO_PKG_VERSION") {
            kubecomply_core::text::push_line(
                &mut s,
                format_args!(
                    "note: the bundle was written by kubecomply {}, this is {}",
                    self.bundle_version,
                    env!("CARGO_PKG_VERSION")
                ),
            );
        }
        if self.same {
            s.push_str(&format!(
                "rescan: same findings (digest {})\n",
                self.computed
            ));
        } else {
            kubecomply_core::text::push_line(
                &mut s,
                format_args!(
                    "rescan: DIFFERENT findings: recorded {}, now {} ({} only in the bundle, {} only in the rescan)",
                    self.recorded,
                    self.computed,
                    self.only_in_bundle.len(),
                    self.only_in_rescan.len()
                ),
            );
            // Records quote the inputs (names, messages): each one line, escaped.
            for r in self.only_in_bundle.iter().take(20) {
                kubecomply_core::text::push_line(&mut s, format_args!("- {r}"));
            }
            for r in self.only_in_rescan.iter().take(20) {
                kubecomply_core::text::push_line(&mut s, format_args!("+ {r}"));
            }
        }
        s
    }
}

/// A path outside the bundle that the manifest records (a settings or policy file), allowed
/// only when it resolves, symbolic links followed, inside the working directory `base`
/// (canonical): no `..`, and an absolute path only when it points inside. A hostile bundle
/// can name any path; without this `--rescan` would read any file and report on it (its
/// sha256, whether it equals a guess, its parse errors).
fn confined(recorded: &str, key: &str, base: &Path) -> Result<PathBuf> {
    let p = Path::new(recorded);
    let refuse = |why: &str| {
        err!(
            "cannot rescan: the {key} path the bundle records, {recorded:?}, {why}; refused (run verify from the directory the report ran in)"
        )
    };
    if p.components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(refuse("contains `..`"));
    }
    let real = base
        .join(p)
        .canonicalize()
        .map_err(|e| refuse(&format!("cannot be resolved ({e})")))?;
    if !real.starts_with(base) {
        return Err(refuse(&format!(
            "is outside the working directory {}",
            base.display()
        )));
    }
    Ok(p.to_path_buf())
}

/// The working directory, canonical: the base of the paths a manifest records.
fn working_dir() -> Result<PathBuf> {
    std::env::current_dir()
        .and_then(|d| d.canonicalize())
        .map_err(|e| err!("cannot rescan: the working directory: {e}"))
}

/// A settings file the manifest records ([`confined`]), checked to be unchanged on disk. Its
/// sha256 on disk is never printed: only whether it is the recorded one.
fn recorded_file(recorded: &Recorded, key: &str, base: &Path) -> Result<Option<PathBuf>> {
    let Some(v) = recorded else {
        return Ok(None);
    };
    let want = digest_entry(v, key)?;
    let path = confined(&want.path, key, base)?;
    let have = FileDigest::read(&path)
        .map_err(|e| err!("cannot rescan: the {key} file the bundle records: {e}"))?;
    if have.sha256 != want.sha256 {
        fail!(
            "cannot rescan: {} ({key}) changed since the bundle was written (its sha256 is not the recorded {})",
            want.path,
            want.sha256
        );
    }
    Ok(Some(path))
}

/// Loads `inputs.jsonl` back into objects with their recorded source file and document index.
fn load_bundled_inputs(dir: &Path) -> Result<crate::Loaded> {
    let path = dir.join("inputs.jsonl");
    let text = read_bounded(&path, MAX_INPUTS)?;
    let mut objects = Vec::new();
    let mut diagnostics = Vec::new();
    let mut sources = std::collections::HashSet::new();
    let limits = kubecomply_loader::Limits::default();
    for (i, line) in text.lines().enumerate() {
        let at = |msg: String| err!("{}:{}: {msg}", path.display(), i + 1);
        let row: Value = serde_json::from_str(line).map_err(|e| at(format!("not JSON: {e}")))?;
        let (Some(source), Some(document), Some(object)) = (
            row.get("source").and_then(Value::as_str),
            row.get("document").and_then(Value::as_u64),
            row.get("object"),
        ) else {
            return Err(at("expected source, document and object".into()));
        };
        let document =
            u32::try_from(document).map_err(|_| at("document index out of range".into()))?;
        sources.insert(source.to_string());
        // Each object is loaded as a JSON document of its original source, so findings name
        // the original file; positions are of the JSON text, which the digest leaves out.
        let src = kubecomply_core::SourceFile {
            path: source.into(),
            text: serde_json::to_string_pretty(object)?,
            format: kubecomply_core::SourceFormat::Json,
        };
        let loaded = kubecomply_loader::load(src, &limits);
        diagnostics.extend(loaded.diagnostics);
        for mut o in loaded.objects {
            std::sync::Arc::make_mut(&mut o.origin).document = document;
            objects.push(o);
        }
    }
    Ok(crate::Loaded {
        inventory: Inventory::new(objects),
        diagnostics,
        files: sources.len(),
        digests: Vec::new(),
    })
}

/// Evaluates the bundled inputs again with this build, the configuration, exceptions and
/// policy files the manifest records (which must be unchanged) and `clock`, and compares the
/// findings digest with the recorded one.
pub fn rescan(dir: &Path, manifest: &Manifest, clock: crate::Clock) -> Result<Rescan> {
    let base = working_dir()?;
    let config = recorded_file(&manifest.config, "config", &base)?;
    let exceptions = recorded_file(&manifest.exceptions, "exceptions", &base)?;
    let mut settings = crate::Settings::load(config.as_deref(), None, clock)?;
    // The bundle records every policy source in effect (the configuration's among them).
    let mut policies = crate::PolicySettings {
        memory_limit: settings.policies.memory_limit,
        ..crate::PolicySettings::default()
    };
    let recorded_policy = manifest.policies.as_ref();
    if let Some(recorded) = recorded_policy {
        policies.paths = recorded
            .policy
            .iter()
            .map(|p| confined(p, "policy", &base))
            .collect::<Result<_>>()?;
        policies.data = recorded
            .data
            .iter()
            .map(|p| confined(p, "policy data", &base))
            .collect::<Result<_>>()?;
        policies.namespaces = recorded.namespace.clone();
        policies.all_namespaces = recorded.all_namespaces;
        policies.rego_version = recorded.rego_version.clone();
    }
    settings.policies = policies;
    settings.exceptions_file = exceptions;
    let loaded = load_bundled_inputs(dir)?;
    let (engine, _) = Engine::new(settings)?;
    let scanned = engine.scan(&loaded.inventory, &ScanOptions::for_frameworks());
    let policy_digest = engine.policies().and_then(|p| p.digest.as_deref());
    let recorded_policy_digest = recorded_policy.map(|p| p.digest.as_str());
    if recorded_policy_digest != policy_digest {
        fail!(
            "cannot rescan: the policies now have digest {}, the bundle records {}",
            policy_digest.unwrap_or("none"),
            recorded_policy_digest.unwrap_or("none")
        );
    }
    let (records, computed) = findings_digest(&scanned.findings);
    let recorded = manifest.findings.digest.clone();
    // Verified before a rescan: a regular file of the size the manifest records.
    let bundled_text = read_bounded(&dir.join("findings.jsonl"), MAX_INPUTS)?;
    let mut bundled: Vec<&str> = bundled_text.lines().collect();
    bundled.sort_unstable();
    let now: Vec<&str> = records.iter().map(String::as_str).collect();
    let (only_in_bundle, only_in_rescan) = diff_sorted(&bundled, &now);
    Ok(Rescan {
        same: computed == recorded,
        recorded,
        computed,
        bundle_version: manifest.tool.version.clone(),
        only_in_bundle,
        only_in_rescan,
    })
}

/// The lines only in `a` and only in `b` (both sorted; multiset difference).
fn diff_sorted(a: &[&str], b: &[&str]) -> (Vec<String>, Vec<String>) {
    let (mut i, mut j) = (0, 0);
    let (mut only_a, mut only_b) = (Vec::new(), Vec::new());
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x == y => {
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x < y => {
                only_a.push((*x).to_string());
                i += 1;
            }
            (Some(_), Some(y)) => {
                only_b.push((*y).to_string());
                j += 1;
            }
            (Some(x), None) => {
                only_a.push((*x).to_string());
                i += 1;
            }
            (None, Some(y)) => {
                only_b.push((*y).to_string());
                j += 1;
            }
            (None, None) => break,
        }
    }
    (only_a, only_b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_sorts_keys_recursively() {
        let v: Value =
            serde_json::from_str(r#"{"b":1,"a":{"d":[{"z":1,"y":2}],"c":null}}"#).expect("json");
        assert_eq!(
            canonical_text(&v),
            r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#
        );
    }

    #[test]
    fn diff_is_a_multiset_difference() {
        let (a, b) = diff_sorted(&["a", "b", "b", "d"], &["b", "c", "d", "e"]);
        assert_eq!(a, ["a", "b"]);
        assert_eq!(b, ["c", "e"]);
    }

    /// A minimal previous bundle in `dir`: one listed file and a manifest.
    fn old_bundle(dir: &Path) {
        std::fs::create_dir_all(dir).expect("mkdir");
        std::fs::write(dir.join("report.json"), "old\n").expect("write");
        let mut m = json!({
            "kind": KIND,
            "schemaVersion": SCHEMA_VERSION,
            "files": [FileDigest::of("report.json", b"old\n").to_json()],
        });
        let d = manifest_digest(&m);
        m["digest"] = json!(d);
        std::fs::write(dir.join(MANIFEST), m.to_string()).expect("write");
    }

    fn names(dir: &Path) -> Vec<String> {
        list_dir(dir).expect("list")
    }

    fn scratch(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!(
            "kubecomply-evidence-unit-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("mkdir");
        p
    }

    /// A manifest of the written shape, with `extra` as its command and `files` entries.
    fn manifest_text(command: &str, files: usize) -> String {
        let sha = "0".repeat(64);
        let files: Vec<String> = (0..files)
            .map(|i| format!(r#"{{"path":"f{i}","sha256":"{sha}","size":1}}"#))
            .collect();
        format!(
            r#"{{"attestations":null,"catalogue":{{"file":"catalogue.json","rules":1,"sha256":"{sha}"}},"command":{command},"config":null,"digest":"sha256:x","exceptions":null,"files":[{}],"findings":{{"count":0,"digest":"d","file":"findings.jsonl"}},"frameworks":[],"generatedAt":"t","inputs":[],"kind":"EvidenceManifest","objects":0,"paths":[],"policies":null,"schemaVersion":"1.0","tool":{{"name":"kubecomply","version":"0"}}}}"#,
            files.join(",")
        )
    }

    /// Issue 14: a 62 MB manifest of nested arrays took 3.6 GB, read into a generic value tree
    /// before its shape was checked. It is read into the manifest's own types: a field the
    /// format does not have, a value of another type, or a `command` nested deeper than
    /// [`COMMAND_DEPTH`] or holding more than [`COMMAND_VALUES`] values stops the reading where
    /// it appears. The digest of a manifest so read is the canonical JSON's.
    #[test]
    fn a_manifest_is_read_into_its_types_and_refused_at_the_first_unknown_shape() {
        let dir = scratch("typed");
        let read = |text: &str| {
            std::fs::write(dir.join(MANIFEST), text).expect("write");
            read_manifest(&dir).map(|(m, files)| (m, files.len()))
        };
        let ok = manifest_text(
            r#"{"formats":["md"],"minScore":80.5,"maxFailed":{"high":0}}"#,
            3,
        );
        let (m, n) = read(&ok).expect("a manifest of the written shape");
        assert_eq!(n, 3);
        let value: Value = serde_json::from_str(&ok).expect("json");
        assert_eq!(typed_digest(&m).expect("digest"), manifest_digest(&value));
        let deep = format!(
            "{}{}",
            "[".repeat(COMMAND_DEPTH + 1),
            "]".repeat(COMMAND_DEPTH + 1)
        );
        let wide = format!("[{}]", vec!["[]"; COMMAND_VALUES].join(","));
        let extra = ok.replacen(
            r#""attestations":null,"#,
            r#""attestations":null,"x":[[[]]],"#,
            1,
        );
        let wrong = ok.replacen(r#""paths":[]"#, r#""paths":[[[]]]"#, 1);
        for (what, text) in [
            ("deep command", manifest_text(&deep, 1)),
            ("wide command", manifest_text(&wide, 1)),
            ("unknown field", extra),
            ("wrong type", wrong),
            ("an array", "[\"EvidenceManifest\"]".to_string()),
        ] {
            assert!(read(&text).is_err(), "{what} was read");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Issue 14: `--force` removed the previous bundle before writing; a failure part way now
    /// leaves it exactly as it was, and no partial directory behind.
    #[test]
    fn a_failed_write_leaves_the_previous_bundle_untouched() {
        let root = scratch("failed");
        let dir = root.join("bundle");
        old_bundle(&dir);
        let before = std::fs::read(dir.join(MANIFEST)).expect("read");
        let e = write_staged(&dir, true, |staging| {
            std::fs::write(staging.join("report.json"), "new, half written").expect("write");
            fail!("disk full")
        })
        .expect_err("fails");
        assert!(e.to_string().contains("disk full"), "{e}");
        assert_eq!(names(&dir), ["manifest.json", "report.json"]);
        assert_eq!(std::fs::read(dir.join(MANIFEST)).expect("read"), before);
        assert_eq!(
            std::fs::read_to_string(dir.join("report.json")).expect("read"),
            "old\n"
        );
        assert_eq!(names(&root), ["bundle"], "no staging directory left");
        // Success swaps the new bundle in and removes the old one.
        let d = write_staged(&dir, true, |staging| {
            std::fs::write(staging.join("new.txt"), "new").expect("write");
            Ok("sha256:new".into())
        })
        .expect("writes");
        assert_eq!(d, "sha256:new");
        assert_eq!(names(&dir), ["new.txt"]);
        assert_eq!(names(&root), ["bundle"]);
        // New and empty targets.
        let fresh = root.join("fresh");
        write_staged(&fresh, false, |s| {
            std::fs::write(s.join("a"), "a").map_err(|e| err!("{e}"))?;
            Ok(String::new())
        })
        .expect("new dir");
        assert_eq!(names(&fresh), ["a"]);
        let empty = root.join("empty");
        std::fs::create_dir_all(&empty).expect("mkdir");
        write_staged(&empty, false, |s| {
            std::fs::write(s.join("b"), "b").map_err(|e| err!("{e}"))?;
            Ok(String::new())
        })
        .expect("empty dir");
        assert_eq!(names(&empty), ["b"]);
        let _ = std::fs::remove_dir_all(&root);
    }

    /// Without --force, or with files the previous bundle does not list, nothing is written.
    #[test]
    fn a_refused_target_is_not_touched() {
        let root = scratch("refused");
        let dir = root.join("bundle");
        old_bundle(&dir);
        let called = std::cell::Cell::new(false);
        let fill = |_: &Path| {
            called.set(true);
            Ok(String::new())
        };
        assert!(write_staged(&dir, false, fill).is_err());
        std::fs::write(dir.join("mine.txt"), "keep").expect("write");
        assert!(write_staged(&dir, true, fill).is_err());
        assert!(!called.get());
        assert_eq!(names(&dir), ["manifest.json", "mine.txt", "report.json"]);
        assert_eq!(names(&root), ["bundle"]);
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn recorded_paths_stay_inside_the_working_directory() {
        let root = scratch("confined").canonicalize().expect("canonical");
        std::fs::create_dir_all(root.join("in")).expect("mkdir");
        std::fs::write(root.join("in/a.yaml"), "a").expect("write");
        std::fs::write(root.join("out.yaml"), "b").expect("write");
        let base = root.join("in");
        assert!(confined("a.yaml", "config", &base).is_ok());
        let abs = base.join("a.yaml").display().to_string();
        assert!(confined(&abs, "config", &base).is_ok(), "absolute, inside");
        for bad in [
            "../out.yaml".to_string(),
            "x/../a.yaml".to_string(),
            root.join("out.yaml").display().to_string(),
            "/etc/hostname".to_string(),
        ] {
            let e = confined(&bad, "config", &base).expect_err(&bad);
            assert!(e.to_string().contains("refused"), "{e}");
        }
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("out.yaml"), base.join("link.yaml"))
                .expect("symlink");
            assert!(confined("link.yaml", "config", &base).is_err());
        }
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn bundle_names_are_plain() {
        assert!(plain_name("report.json"));
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", "/etc/passwd"] {
            assert!(!plain_name(bad), "{bad}");
        }
    }
}
