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

/// Writes the report as pretty JSON, streaming (large reports are never held as one string).
pub fn write(report: &ScanReport<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
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
    serde_json::to_writer_pretty(&mut *out, &doc)?;
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
