//! Compliance reports: the renderings of framework results as JSON, Markdown, self-contained
//! HTML (templates), CSV, Open Reports / PolicyReport objects and OSCAL assessment results.
//!
//! [`Report`] gathers what every rendering shows: the report's metadata and the evaluated
//! frameworks (`kubecomply_frameworks::report::FrameworkReport`, built by
//! `kubecomply_engine::Engine::assess`). The thresholds and their verdict are evaluation and
//! stay in `kubecomply_frameworks::report::Thresholds`.

pub mod csv;
mod html;
pub mod json;
mod markdown;
pub mod oscal;
pub mod policy_report;

pub use kubecomply_frameworks::report::{FrameworkReport, Thresholds};

use kubecomply_frameworks::{Attestation, FindingRef, FrameworkResult, RequirementResult};

/// Everything a report shows.
pub struct Report<'a> {
    /// `generatedAt`, RFC 3339 UTC.
    pub generated_at: String,
    /// The tool's version.
    pub tool_version: &'a str,
    /// The input paths as given.
    pub inputs: &'a [String],
    /// Number of files read.
    pub files: usize,
    /// Number of objects loaded.
    pub objects: usize,
    /// The configuration file used, if any.
    pub config: Option<String>,
    /// The attestations file used, if any.
    pub attestations_file: Option<String>,
    /// Digest of the team's policy files that ran (`sha256:<hex>`), if any.
    pub policy_digest: Option<String>,
    /// The thresholds.
    pub thresholds: Thresholds,
    /// The frameworks.
    pub frameworks: Vec<FrameworkReport<'a>>,
    /// Inputs that could not be read or parsed (a missing path, an unreadable document): what
    /// they hold was not evaluated, so a report with any does not pass.
    pub input_errors: Vec<kubecomply_core::Diagnostic>,
}

impl Report<'_> {
    /// Whether every framework is within its thresholds and every input was read.
    pub fn passed(&self) -> bool {
        self.input_errors.is_empty()
            && self
                .frameworks
                .iter()
                .all(|f| self.thresholds.violations(&f.result).is_empty())
    }
}

/// The attestations of a result's requirements, depth first.
pub(crate) fn attestations_of(r: &FrameworkResult) -> Vec<&Attestation> {
    fn walk<'a>(r: &'a RequirementResult, out: &mut Vec<&'a Attestation>) {
        out.extend(r.attestations.iter());
        for c in &r.requirements {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    for r in &r.requirements {
        walk(r, &mut out);
    }
    out
}

/// The findings behind a leaf requirement, in report order: failed, excepted, errors, passed.
pub(crate) fn findings_of(r: &RequirementResult) -> impl Iterator<Item = &FindingRef> {
    r.failed
        .iter()
        .chain(&r.excepted)
        .chain(&r.errors)
        .chain(&r.passed_findings)
}

pub(crate) fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "n/a".to_string(), |x| format!("{x:.1}%"))
}

/// Per requirement, depth first, the findings `pick` chooses, with the requirement's id.
pub(crate) fn collect(
    r: &FrameworkResult,
    pick: fn(&RequirementResult) -> &Vec<FindingRef>,
) -> Vec<(&str, &FindingRef)> {
    fn walk<'a>(
        r: &'a RequirementResult,
        pick: fn(&RequirementResult) -> &Vec<FindingRef>,
        out: &mut Vec<(&'a str, &'a FindingRef)>,
    ) {
        for x in pick(r) {
            out.push((r.id.as_str(), x));
        }
        for c in &r.requirements {
            walk(c, pick, out);
        }
    }
    let mut out = Vec::new();
    for q in &r.requirements {
        walk(q, pick, &mut out);
    }
    out
}

/// `Kind/namespace/name [container]`, or `(cluster)` for a finding without a resource.
pub(crate) fn resource(x: &FindingRef) -> String {
    let mut s = x.resource.as_ref().map_or_else(
        || "(cluster)".to_string(),
        |o| {
            let ns = o
                .namespace
                .as_deref()
                .map_or(String::new(), |n| format!("{n}/"));
            format!("{}/{ns}{}", o.kind, o.name)
        },
    );
    if let Some(c) = &x.container {
        s.push_str(&format!(" [{c}]"));
    }
    s
}

/// Owner, reason and expiry of an excepted finding's exception.
pub(crate) fn exception_parts(x: &FindingRef) -> (String, String, String) {
    match &x.exception_detail {
        Some(e) => (
            e.owner.clone().unwrap_or_default(),
            e.reason.clone(),
            e.expires.clone().unwrap_or_default(),
        ),
        None => (
            String::new(),
            x.exception.clone().unwrap_or_default(),
            String::new(),
        ),
    }
}
