//! Every output format of kubecomply. This crate formats; it never evaluates.
//!
//! - Findings of a scan: a terminal table, JSON (versioned schema), SARIF 2.1.0, JUnit XML.
//! - Compliance reports ([`compliance`]): JSON, Markdown, HTML, CSV, Open Reports /
//!   PolicyReport objects, OSCAL assessment results.
//! - Network policy analysis ([`netpol`]): the reachability matrix, the per-workload
//!   inventory, generated NetworkPolicies; the inventory GlobalReport ([`inventory`]).
//!
//! HTML comes from the askama templates in `crates/report/templates/` (self-contained pages:
//! no scripts, no external assets), escaped by [`html::Escaper`]; YAML from the one emitter
//! in [`yaml`]; CSV fields from [`csv::field`].
//!
//! Every writer for people (the tables, Markdown, CSV, HTML, JUnit) passes text that comes
//! from the inputs through [`kubecomply_core::text::escape`] (or `escape_text` where line
//! breaks are inert): terminal escapes, controls, NUL and bidirectional controls are shown as
//! `\u{1b}`-style escapes and never reach the output raw. SARIF locations are percent-encoded
//! relative references ([`sarif`]).

pub mod compliance;
pub mod csv;
pub mod html;
pub mod inventory;
pub mod json;
pub mod junit;
pub mod netpol;
pub mod sarif;
pub mod table;
pub mod yaml;

use kubecomply_core::diagnostic::Diagnostic;
use kubecomply_core::{Finding, RuleMeta, Severity, Status};
use serde::Serialize;

/// Everything a scan produced, ready to format.
pub struct ScanReport<'a> {
    /// kubecomply's version.
    pub tool_version: &'a str,
    /// Findings, sorted by file, line, column.
    pub findings: &'a [Finding],
    /// Input problems.
    pub diagnostics: &'a [Diagnostic],
    /// The metadata of every rule that ran.
    pub rules: &'a [&'a RuleMeta<'a>],
    /// Number of objects scanned.
    pub objects: usize,
    /// Number of input files read.
    pub files: usize,
    /// Number of passed checks (also when passes are not in `findings`).
    pub passed: usize,
    /// Digest of the team's policy files that ran (`sha256:<hex>`), if any.
    pub policy_digest: Option<&'a str>,
}

/// Counts for the summary line and the JSON summary.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Objects scanned.
    pub objects: usize,
    /// Files read.
    pub files: usize,
    /// Checks passed.
    pub passed: usize,
    /// Checks failed.
    pub failed: usize,
    /// Failures accepted by exceptions or annotations.
    pub excepted: usize,
    /// Checks that could not be evaluated (invalid objects).
    pub errors: usize,
    /// Input problems (unreadable files, parse errors).
    #[serde(rename = "inputErrors")]
    pub input_errors: usize,
    /// Failed checks by severity.
    #[serde(rename = "failedBySeverity")]
    pub failed_by_severity: std::collections::BTreeMap<&'static str, usize>,
}

impl<'a> ScanReport<'a> {
    /// The summary counts.
    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            objects: self.objects,
            files: self.files,
            passed: self.passed,
            ..Summary::default()
        };
        for sev in Severity::ALL {
            s.failed_by_severity.insert(sev.as_str(), 0);
        }
        for f in self.findings {
            match f.status {
                Status::Fail => {
                    s.failed += 1;
                    *s.failed_by_severity.entry(f.severity.as_str()).or_default() += 1;
                }
                Status::Excepted => s.excepted += 1,
                Status::Error => s.errors += 1,
                Status::Pass | Status::Skipped => {}
            }
        }
        s.input_errors = self
            .diagnostics
            .iter()
            .filter(|d| d.level == kubecomply_core::diagnostic::Level::Error)
            .count();
        s
    }

    /// Looks up a rule's metadata by code.
    pub fn rule(&self, code: &str) -> Option<&'a RuleMeta<'a>> {
        self.rules.iter().copied().find(|r| r.code == code)
    }
}

/// Escapes text for an XML attribute: controls (which XML 1.0 mostly forbids, NUL among them),
/// line breaks and bidirectional controls are first written as visible escapes
/// ([`kubecomply_core::text::escape`]), then the markup characters as entities.
pub(crate) fn xml_escape(s: &str) -> String {
    xml_entities(&kubecomply_core::text::escape(s))
}

/// Escapes XML element content whose line feeds are its own (each line already escaped with
/// [`kubecomply_core::text::escape`]): as [`xml_escape`], keeping line feeds and tabs.
pub(crate) fn xml_text(s: &str) -> String {
    xml_entities(&kubecomply_core::text::escape_text(s))
}

fn xml_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
