//! Attestations: signed-off statements that satisfy `manual` requirements.
//!
//! An attestations file is YAML, either a list or a mapping with an `attestations` list:
//!
//! ```yaml
//! attestations:
//!   - requirement: pci-dss:12.10.1      # or `framework: pci-dss` + `id: "12.10.1"`
//!     statement: Incident response plan reviewed and tested.
//!     evidence: { url: https://wiki.example.com/irp }   # or { file: irp.pdf, sha256: <64 hex> }
//!     attestedBy: security-officer@example.com
//!     date: 2026-01-15
//!     validUntil: 2027-01-15
//! ```
//!
//! Structural problems are errors with `file:line:column` ([`parse_attestations`]). Whether an
//! attestation counts is decided by [`check_attestations`]: it is `valid` on its dates
//! (`date` ≤ today ≤ `validUntil`) with evidence that checks out; `expired` past `validUntil`;
//! `invalid` when the evidence file is missing or its sha256 differs, or `date` is in the future.
//! Only valid attestations satisfy a requirement.

use std::path::Path;

use kubecomply_core::Value;
use kubecomply_core::date::Date;
use kubecomply_core::document::{self, Text};
use kubecomply_loader::Limits;
use kubecomply_loader::locate::PositionIndex;
use serde::Serialize;

use crate::FrameworkError;

/// The evidence behind an attestation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Evidence {
    /// A reference to a document.
    Url {
        /// The address.
        url: String,
    },
    /// A file (relative to the attestations file) and its expected digest.
    File {
        /// The path as written.
        file: String,
        /// Expected sha256, lower-case hex.
        sha256: String,
    },
}

/// Whether an attestation counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AttestationState {
    /// It satisfies its requirement.
    Valid,
    /// `validUntil` is before today: it counts as missing.
    Expired,
    /// The evidence does not check out (see `problem`), or the date is in the future.
    Invalid,
}

impl AttestationState {
    /// The lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            AttestationState::Valid => "valid",
            AttestationState::Expired => "expired",
            AttestationState::Invalid => "invalid",
        }
    }
}

/// One attestation.
#[derive(Clone, Debug, Serialize)]
pub struct Attestation {
    /// Framework id.
    pub framework: String,
    /// Requirement id.
    pub requirement: String,
    /// What is attested.
    pub statement: String,
    /// The evidence reference.
    pub evidence: Evidence,
    /// Who attests.
    #[serde(rename = "attestedBy")]
    pub attested_by: String,
    /// When (YYYY-MM-DD).
    #[serde(serialize_with = "display")]
    pub date: Date,
    /// Last day it is valid (YYYY-MM-DD).
    #[serde(rename = "validUntil", serialize_with = "display")]
    pub valid_until: Date,
    /// `file:line:column` of the entry.
    pub location: String,
    /// Whether it counts (set by [`check_attestations`]; `valid` until then).
    pub state: AttestationState,
    /// Why it does not count, when it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

fn display<S: serde::Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

/// An attestations file as written: a mapping with an `attestations` list (or a bare list
/// of entries). The entries are `T`: [`AttestationEntry`] for the schema, raw values while
/// parsing (so that one bad entry is reported without hiding the others).
#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(rename = "AttestationList")]
pub struct AttestationList<T = AttestationEntry> {
    /// `kubecomply.io/v1`.
    #[serde(default)]
    pub api_version: Option<String>,
    /// `AttestationList`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The attestations.
    #[serde(default)]
    pub attestations: Option<Vec<T>>,
}

/// One attestation as written. The requirement is `requirement: <framework>:<id>`, or
/// `framework` and `id` (or `framework` and `requirement: <id>`).
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AttestationEntry {
    /// `<framework>:<id>`, or the id when `framework` is given.
    #[serde(default)]
    pub requirement: Option<Text>,
    /// Framework id (with `id`).
    #[serde(default)]
    pub framework: Option<Text>,
    /// Requirement id (with `framework`).
    #[serde(default)]
    pub id: Option<Text>,
    /// What is attested.
    #[serde(default)]
    #[schemars(required)]
    pub statement: Option<Text>,
    /// The evidence: a url, or a file and its sha256.
    #[serde(default)]
    #[schemars(required)]
    pub evidence: Option<EvidenceEntry>,
    /// Who attests.
    #[serde(default)]
    #[schemars(required)]
    pub attested_by: Option<Text>,
    /// When, `YYYY-MM-DD`.
    #[serde(default)]
    #[schemars(required)]
    pub date: Option<Text>,
    /// The last day it is valid, `YYYY-MM-DD`.
    #[serde(default)]
    #[schemars(required)]
    pub valid_until: Option<Text>,
}

/// The evidence of an attestation as written: `{url}` or `{file, sha256}`.
#[derive(Debug, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceEntry {
    /// A reference to a document.
    #[serde(default)]
    pub url: Option<Text>,
    /// A file, relative to the attestations file.
    #[serde(default)]
    pub file: Option<Text>,
    /// The file's sha256, 64 hexadecimal digits.
    #[serde(default)]
    pub sha256: Option<Text>,
}

/// Parses an attestations file (`file` names it in errors). Every problem is reported.
pub fn parse_attestations(text: &str, file: &str) -> Result<Vec<Attestation>, Vec<FrameworkError>> {
    let stream = kubecomply_loader::yaml::parse(text, &Limits::default());
    let err = |line: u32, column: u32, message: String| FrameworkError {
        file: file.to_string(),
        line,
        column,
        message,
    };
    let mut errors: Vec<FrameworkError> = stream
        .errors
        .iter()
        .map(|e| err(e.line, e.column, e.message.clone()))
        .collect();
    let Some(doc) = stream.documents.into_iter().next() else {
        if errors.is_empty() {
            return Ok(Vec::new());
        }
        return Err(errors);
    };
    let index = PositionIndex::build(text.get(doc.span.clone()).unwrap_or(text), doc.line);
    let mut problems: Vec<(String, String)> = Vec::new();
    let mut out = Vec::new();
    let (items, base): (Vec<Value>, String) = match &doc.value {
        Value::Array(a) => (a.clone(), String::new()),
        Value::Object(_) => {
            let (list, errs) =
                document::from_value_all::<AttestationList<serde_json::Value>>(&doc.value);
            problems.extend(errs.into_iter().map(|e| (e.pointer, e.message)));
            let items = list
                .and_then(|l| l.attestations)
                .unwrap_or_default()
                .into_iter()
                .map(Value::from)
                .collect();
            (items, "/attestations".to_string())
        }
        Value::Null => (Vec::new(), String::new()),
        _ => {
            problems.push((
                String::new(),
                "an attestations file is a list of attestations".into(),
            ));
            (Vec::new(), String::new())
        }
    };
    for (i, item) in items.iter().enumerate() {
        let ptr = format!("{base}/{i}");
        let (line, column) = index.locate(&ptr).unwrap_or((doc.line, 1));
        if let Some(a) = entry(item, &ptr, &mut problems) {
            out.push(Attestation {
                location: format!("{file}:{line}:{column}"),
                ..a
            });
        }
    }
    for (ptr, message) in problems {
        let (line, column) = index.locate(&ptr).unwrap_or((doc.line, 1));
        errors.push(err(line, column, message));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// A required, non-empty text field (trimmed).
fn required(v: Option<Text>, ptr: &str, key: &str, p: &mut Vec<(String, String)>) -> String {
    match v {
        None => {
            p.push((ptr.into(), format!("missing required field {key:?}")));
            String::new()
        }
        Some(Text(s)) if s.trim().is_empty() => {
            p.push((
                format!("{ptr}/{key}"),
                format!("{key:?} must be a non-empty string"),
            ));
            String::new()
        }
        Some(Text(s)) => s.trim().to_string(),
    }
}

fn date(v: Option<Text>, ptr: &str, key: &str, p: &mut Vec<(String, String)>) -> Date {
    const EPOCH: Date = Date {
        year: 1970,
        month: 1,
        day: 1,
    };
    let s = required(v, ptr, key, p);
    if s.is_empty() {
        return EPOCH;
    }
    Date::parse(&s).unwrap_or_else(|| {
        p.push((
            format!("{ptr}/{key}"),
            format!("{key} {s:?} is not a date (YYYY-MM-DD)"),
        ));
        EPOCH
    })
}

fn entry(v: &Value, ptr: &str, p: &mut Vec<(String, String)>) -> Option<Attestation> {
    if !v.is_object() {
        p.push((ptr.into(), "an attestation must be a mapping".into()));
        return None;
    }
    let before = p.len();
    let (m, errs) = document::from_value_all::<AttestationEntry>(v);
    p.extend(
        errs.into_iter()
            .map(|e| (format!("{ptr}{}", e.pointer), e.message)),
    );
    let m = m?;
    let (framework, requirement) = if let Some(req) = m.requirement {
        let r = required(Some(req), ptr, "requirement", p);
        if m.id.is_some() {
            p.push((
                format!("{ptr}/id"),
                "give either requirement or framework + id".into(),
            ));
        }
        match (r.split_once(':'), m.framework) {
            (Some((f, id)), None) if !f.is_empty() && !id.is_empty() => {
                (f.to_string(), id.to_string())
            }
            (None, Some(f)) => (required(Some(f), ptr, "framework", p), r),
            _ if r.is_empty() => (String::new(), String::new()),
            _ => {
                p.push((
                    format!("{ptr}/requirement"),
                    format!(
                        "requirement {r:?} must be \"<framework>:<id>\" (or give framework + id)"
                    ),
                ));
                (String::new(), String::new())
            }
        }
    } else if m.framework.is_some() || m.id.is_some() {
        (
            required(m.framework, ptr, "framework", p),
            required(m.id, ptr, "id", p),
        )
    } else {
        p.push((
            ptr.into(),
            "missing required field \"requirement\" (\"<framework>:<id>\")".into(),
        ));
        (String::new(), String::new())
    };
    let statement = required(m.statement, ptr, "statement", p);
    let attested_by = required(m.attested_by, ptr, "attestedBy", p);
    let date_v = date(m.date, ptr, "date", p);
    let valid_until = date(m.valid_until, ptr, "validUntil", p);
    if p.len() == before && valid_until < date_v {
        p.push((
            format!("{ptr}/validUntil"),
            "validUntil is before date".into(),
        ));
    }
    let ep = format!("{ptr}/evidence");
    let evidence = match m.evidence {
        None => {
            p.push((ptr.into(), "missing required field \"evidence\"".into()));
            None
        }
        Some(e) => {
            if let Some(url) = e.url {
                if e.file.is_some() || e.sha256.is_some() {
                    p.push((
                        ep.clone(),
                        "evidence is either a url or a file with its sha256".into(),
                    ));
                }
                let url = required(Some(url), &ep, "url", p);
                (!url.is_empty()).then_some(Evidence::Url { url })
            } else if e.file.is_some() || e.sha256.is_some() {
                let file = required(e.file, &ep, "file", p);
                let sha = required(e.sha256, &ep, "sha256", p).to_ascii_lowercase();
                let hex64 = sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit());
                if !sha.is_empty() && !hex64 {
                    p.push((
                        format!("{ep}/sha256"),
                        "sha256 must be 64 hexadecimal digits".into(),
                    ));
                }
                (!file.is_empty() && !sha.is_empty())
                    .then_some(Evidence::File { file, sha256: sha })
            } else {
                p.push((
                    ep.clone(),
                    "evidence needs a url, or a file and its sha256".into(),
                ));
                None
            }
        }
    };
    if p.len() != before {
        return None;
    }
    Some(Attestation {
        framework,
        requirement,
        statement,
        evidence: evidence?,
        attested_by,
        date: date_v,
        valid_until,
        location: String::new(),
        state: AttestationState::Valid,
        problem: None,
    })
}

/// The evidence file `file` of an attestation, read relative to `base_dir`: refused when it is
/// absolute, has a `..` component or resolves (symbolic links followed) outside `base_dir`.
/// An attestations file can name any path, and the report prints the sha256 of the evidence
/// it reads: without this it would print the sha256 of any readable file (a hash oracle).
fn evidence_path(base_dir: &Path, file: &str) -> Result<std::path::PathBuf, String> {
    let p = Path::new(file);
    if p.is_absolute()
        || p.components().any(|c| {
            matches!(
                c,
                std::path::Component::ParentDir | std::path::Component::Prefix(_)
            )
        })
    {
        return Err(format!(
            "evidence file {file:?} is not a path inside the attestations file's directory (absolute or `..`); refused"
        ));
    }
    let path = base_dir.join(p);
    // An attestations file named without a directory has the empty path as its directory.
    let base_dir = if base_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        base_dir
    };
    let (Ok(base), Ok(real)) = (base_dir.canonicalize(), path.canonicalize()) else {
        return Err(format!("evidence file {} cannot be read", path.display()));
    };
    if !real.starts_with(&base) {
        return Err(format!(
            "evidence file {} resolves outside the attestations file's directory; refused",
            path.display()
        ));
    }
    Ok(path)
}

/// The sha256 of a regular file, streamed (a FIFO or device is refused, see
/// [`kubecomply_loader::files::open_regular`]).
fn file_sha256(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest as _, Sha256};
    use std::io::Read as _;
    let mut f = kubecomply_loader::files::open_regular(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Decides whether each attestation counts on `today`: expiry, a date in the future, and the
/// sha256 of file evidence (read relative to `base_dir`, the attestations file's directory,
/// and only inside it: see [`evidence_path`]).
pub fn check_attestations(attestations: &mut [Attestation], today: Date, base_dir: &Path) {
    for a in attestations {
        a.state = AttestationState::Valid;
        a.problem = None;
        if let Evidence::File { file, sha256: want } = &a.evidence {
            let path = match evidence_path(base_dir, file) {
                Ok(p) => p,
                Err(problem) => {
                    a.state = AttestationState::Invalid;
                    a.problem = Some(problem);
                    continue;
                }
            };
            match file_sha256(&path) {
                Err(e) => {
                    a.state = AttestationState::Invalid;
                    a.problem = Some(format!(
                        "evidence file {} cannot be read: {e}",
                        path.display()
                    ));
                    continue;
                }
                Ok(got) => {
                    if &got != want {
                        a.state = AttestationState::Invalid;
                        a.problem = Some(format!(
                            "evidence file {} has sha256 {got}, not the attested {want}",
                            path.display()
                        ));
                        continue;
                    }
                }
            }
        }
        if a.date > today {
            a.state = AttestationState::Invalid;
            a.problem = Some(format!("dated {}, in the future", a.date));
        } else if a.valid_until < today {
            a.state = AttestationState::Expired;
            a.problem = Some(format!("expired on {}", a.valid_until));
        }
    }
}

/// SHA-256 (FIPS 180-4) of `data`, lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest as _, Sha256};
    use std::fmt::Write as _;
    let digest = Sha256::digest(data);
    let mut hex = String::with_capacity(64);
    for b in digest {
        // Writing to a String cannot fail.
        let _ = write!(hex, "{b:02x}");
    }
    hex
}
