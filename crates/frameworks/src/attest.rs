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

use kubecomply_core::value::Field;

use std::path::Path;

use kubecomply_core::date::Date;
use kubecomply_core::{Map, Value};
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

const ENTRY_KEYS: &[&str] = &[
    "requirement",
    "framework",
    "id",
    "statement",
    "evidence",
    "attestedBy",
    "date",
    "validUntil",
];

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
    let (items, base) = match &doc.value {
        Value::Array(a) => (Some(a), String::new()),
        Value::Object(m) => {
            for k in m.keys() {
                if !["apiVersion", "kind", "attestations"].contains(&k.as_str()) {
                    problems.push((
                        format!("/{k}"),
                        format!("unknown field {k:?} (expected apiVersion, kind, attestations)"),
                    ));
                }
            }
            match m.field("attestations") {
                Some(Value::Array(a)) => (Some(a), "/attestations".to_string()),
                Some(Value::Null) | None => (None, String::new()),
                Some(_) => {
                    problems.push(("/attestations".into(), "attestations must be a list".into()));
                    (None, String::new())
                }
            }
        }
        Value::Null => (None, String::new()),
        _ => {
            problems.push((
                String::new(),
                "an attestations file is a list of attestations".into(),
            ));
            (None, String::new())
        }
    };
    for (i, item) in items.into_iter().flatten().enumerate() {
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

fn text(m: &Map, ptr: &str, key: &str, p: &mut Vec<(String, String)>) -> String {
    match m.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        Some(Value::Number(n)) => n.to_string(),
        None => {
            p.push((ptr.into(), format!("missing required field {key:?}")));
            String::new()
        }
        Some(_) => {
            p.push((
                format!("{ptr}/{key}"),
                format!("{key:?} must be a non-empty string"),
            ));
            String::new()
        }
    }
}

fn date(m: &Map, ptr: &str, key: &str, p: &mut Vec<(String, String)>) -> Date {
    let s = text(m, ptr, key, p);
    if s.is_empty() {
        return Date {
            year: 1970,
            month: 1,
            day: 1,
        };
    }
    Date::parse(&s).unwrap_or_else(|| {
        p.push((
            format!("{ptr}/{key}"),
            format!("{key} {s:?} is not a date (YYYY-MM-DD)"),
        ));
        Date {
            year: 1970,
            month: 1,
            day: 1,
        }
    })
}

fn entry(v: &Value, ptr: &str, p: &mut Vec<(String, String)>) -> Option<Attestation> {
    let Value::Object(m) = v else {
        p.push((ptr.into(), "an attestation must be a mapping".into()));
        return None;
    };
    let before = p.len();
    for k in m.keys() {
        if !ENTRY_KEYS.contains(&k.as_str()) {
            p.push((
                format!("{ptr}/{k}"),
                format!(
                    "unknown field {k:?} (expected one of: {})",
                    ENTRY_KEYS.join(", ")
                ),
            ));
        }
    }
    let (framework, requirement) = if m.contains_key("requirement") {
        let r = text(m, ptr, "requirement", p);
        if m.contains_key("id") {
            p.push((
                format!("{ptr}/id"),
                "give either requirement or framework + id".into(),
            ));
        }
        match (r.split_once(':'), m.contains_key("framework")) {
            (Some((f, id)), false) if !f.is_empty() && !id.is_empty() => {
                (f.to_string(), id.to_string())
            }
            (None, true) => (text(m, ptr, "framework", p), r),
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
    } else if m.contains_key("framework") || m.contains_key("id") {
        (text(m, ptr, "framework", p), text(m, ptr, "id", p))
    } else {
        p.push((
            ptr.into(),
            "missing required field \"requirement\" (\"<framework>:<id>\")".into(),
        ));
        (String::new(), String::new())
    };
    let statement = text(m, ptr, "statement", p);
    let attested_by = text(m, ptr, "attestedBy", p);
    let date_v = date(m, ptr, "date", p);
    let valid_until = date(m, ptr, "validUntil", p);
    if p.len() == before && valid_until < date_v {
        p.push((
            format!("{ptr}/validUntil"),
            "validUntil is before date".into(),
        ));
    }
    let ep = format!("{ptr}/evidence");
    let evidence = match m.field("evidence") {
        None => {
            p.push((ptr.into(), "missing required field \"evidence\"".into()));
            None
        }
        Some(Value::Object(e)) => {
            let keys: Vec<&str> = e.keys().map(String::as_str).collect();
            let mut ok = true;
            for k in &keys {
                if !["url", "file", "sha256"].contains(k) {
                    p.push((
                        format!("{ep}/{k}"),
                        format!("unknown field {k:?} (expected url, or file and sha256)"),
                    ));
                    ok = false;
                }
            }
            if e.contains_key("url") {
                if e.contains_key("file") || e.contains_key("sha256") {
                    p.push((
                        ep.clone(),
                        "evidence is either a url or a file with its sha256".into(),
                    ));
                    ok = false;
                }
                let url = text(e, &ep, "url", p);
                (ok && !url.is_empty()).then_some(Evidence::Url { url })
            } else if e.contains_key("file") || e.contains_key("sha256") {
                let file = text(e, &ep, "file", p);
                let sha = text(e, &ep, "sha256", p).to_ascii_lowercase();
                let hex64 = sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit());
                if !sha.is_empty() && !hex64 {
                    p.push((
                        format!("{ep}/sha256"),
                        "sha256 must be 64 hexadecimal digits".into(),
                    ));
                    ok = false;
                }
                (ok && !file.is_empty() && !sha.is_empty())
                    .then_some(Evidence::File { file, sha256: sha })
            } else {
                p.push((
                    ep.clone(),
                    "evidence needs a url, or a file and its sha256".into(),
                ));
                None
            }
        }
        Some(_) => {
            p.push((
                ep.clone(),
                "evidence must be a mapping: {url} or {file, sha256}".into(),
            ));
            None
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

/// Decides whether each attestation counts on `today`: expiry, a date in the future, and the
/// sha256 of file evidence (read relative to `base_dir`, the attestations file's directory).
pub fn check_attestations(attestations: &mut [Attestation], today: Date, base_dir: &Path) {
    for a in attestations {
        a.state = AttestationState::Valid;
        a.problem = None;
        if let Evidence::File { file, sha256: want } = &a.evidence {
            let path = base_dir.join(file);
            match std::fs::read(&path) {
                Err(e) => {
                    a.state = AttestationState::Invalid;
                    a.problem = Some(format!(
                        "evidence file {} cannot be read: {e}",
                        path.display()
                    ));
                    continue;
                }
                Ok(bytes) => {
                    let got = sha256_hex(&bytes);
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
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, c) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}
