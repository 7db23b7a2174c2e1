//! The JSON format (schema `docs/schema/findings-v1.json`, version field `schemaVersion`).

use kubecomply_core::Finding;
use kubecomply_core::diagnostic::Diagnostic;
use serde::Serialize;

use crate::{ScanReport, Summary};

/// The version of the JSON format. Additive changes keep the major version.
pub const SCHEMA_VERSION: &str = "1.0";

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
    #[serde(rename = "policyDigest", skip_serializing_if = "Option::is_none")]
    policy_digest: Option<&'a str>,
}

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: &'static str,
    tool: Tool<'a>,
    summary: Summary,
    findings: &'a [Finding],
    diagnostics: &'a [Diagnostic],
}

/// Findings serialized per parallel piece of [`write`].
const PIECE: usize = 512;

/// Writes the report as pretty JSON, streaming (large reports are never held as one string).
/// Large reports have their findings serialized in parallel pieces, then written in order; the
/// bytes are the same as one `serde_json::to_writer_pretty` of the whole document.
pub fn write(report: &ScanReport<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "kubecomply",
            version: report.tool_version,
            policy_digest: report.policy_digest,
        },
        summary: report.summary(),
        findings: report.findings,
        diagnostics: report.diagnostics,
    };
    if report.findings.len() <= PIECE {
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        return out.write_all(b"\n");
    }
    // The document around the findings, with an empty list where they go. Raw line breaks
    // only appear between JSON tokens, so the marker cannot occur inside a string.
    doc.findings = &[];
    let frame = serde_json::to_string_pretty(&doc).map_err(std::io::Error::other)?;
    const MARKER: &str = "\n  \"findings\": [],\n";
    let Some(at) = frame.find(MARKER) else {
        doc.findings = report.findings;
        serde_json::to_writer_pretty(&mut *out, &doc)?;
        return out.write_all(b"\n");
    };
    use rayon::prelude::*;
    out.write_all(&frame.as_bytes()[..at])?;
    out.write_all(b"\n  \"findings\": [")?;
    // A batch of pieces is serialized in parallel, then written, so that the report is never
    // held whole in memory.
    let batch = PIECE * rayon::current_num_threads().max(1) * 2;
    let mut first = true;
    for group in report.findings.chunks(batch) {
        let pieces: Vec<std::io::Result<Vec<u8>>> = group
            .par_chunks(PIECE)
            .map(|chunk| {
                let mut buf = Vec::with_capacity(chunk.len() * 512);
                let mut one = Vec::with_capacity(1024);
                for f in chunk {
                    one.clear();
                    serde_json::to_writer_pretty(&mut one, f)?;
                    // An element of the top-level `findings` array sits two levels deep.
                    buf.extend_from_slice(b",\n    ");
                    for line in one.split_inclusive(|&b| b == b'\n') {
                        buf.extend_from_slice(line);
                        if line.ends_with(b"\n") {
                            buf.extend_from_slice(b"    ");
                        }
                    }
                }
                Ok(buf)
            })
            .collect();
        for piece in pieces {
            let piece = piece?;
            // Every piece starts with a separator; the first one of the list has no comma.
            let bytes = if first { &piece[1..] } else { &piece[..] };
            first = false;
            out.write_all(bytes)?;
        }
    }
    out.write_all(b"\n  ],\n")?;
    out.write_all(&frame.as_bytes()[at + MARKER.len()..])?;
    out.write_all(b"\n")
}

/// Renders the report as pretty JSON.
pub fn render(report: &ScanReport<'_>) -> String {
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "kubecomply",
            version: report.tool_version,
            policy_digest: report.policy_digest,
        },
        summary: report.summary(),
        findings: report.findings,
        diagnostics: report.diagnostics,
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubecomply_core::{Finding, Location, Severity, Status};
    use std::borrow::Cow;

    fn finding(i: usize) -> Finding {
        Finding {
            rule: Cow::Borrowed("KC-HOST-001"),
            slug: Cow::Borrowed("privileged-container"),
            status: if i.is_multiple_of(7) {
                Status::Pass
            } else {
                Status::Fail
            },
            severity: Severity::High,
            resource: None,
            container: i.is_multiple_of(3).then(|| format!("c{i}")),
            message: format!("finding {i} with \"quotes\", a line\nbreak and \u{e9}"),
            location: Location::at("deploy/app.yaml", i as u32 + 1, 3),
            exception: None,
        }
    }

    /// The parallel writer gives exactly what one pretty serialization gives.
    #[test]
    fn parallel_write_equals_one_serialization() {
        for n in [0, 1, PIECE, PIECE + 1, 3 * PIECE + 17] {
            let findings: Vec<Finding> = (0..n).map(finding).collect();
            let report = ScanReport {
                tool_version: "0.1.0",
                findings: &findings,
                diagnostics: &[],
                rules: &[],
                objects: n,
                files: 1,
                passed: 0,
                policy_digest: Some("sha256:00"),
            };
            let mut fast = Vec::new();
            write(&report, &mut fast).expect("write");
            assert_eq!(
                String::from_utf8(fast).expect("utf8"),
                render(&report),
                "{n}"
            );
        }
    }
}
