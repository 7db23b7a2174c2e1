//! What a compliance report is made of, as far as evaluation goes: one framework's evaluated
//! result with its scope and attestations ([`FrameworkReport`], built by the engine), the
//! thresholds that decide the exit status of `kubecomply report` ([`Thresholds`]), and walks
//! over a result. The renderings (JSON, Markdown, HTML, CSV, policy reports, OSCAL) are in
//! `kubecomply_report::compliance`.

use kubecomply_core::Severity;

use crate::{Attestation, Framework, FrameworkResult, RequirementResult, RequirementStatus};

/// Limits that decide whether a framework result is acceptable.
#[derive(Clone, Debug, Default)]
pub struct Thresholds {
    /// The lowest acceptable score (0-100).
    pub min_score: Option<f64>,
    /// Per severity, the most failed findings allowed at that severity or above.
    pub max_failed: Vec<(Severity, usize)>,
}

impl Thresholds {
    /// Whether any threshold is set (without one, any failing requirement is a violation).
    pub fn is_set(&self) -> bool {
        self.min_score.is_some() || !self.max_failed.is_empty()
    }

    /// The violations of a result: with thresholds, a score below `min_score` (no score counts
    /// as 0) and every exceeded `max_failed` limit (failed findings at that severity or above);
    /// without thresholds, any failing requirement.
    pub fn violations(&self, r: &FrameworkResult) -> Vec<String> {
        let mut out = Vec::new();
        if !self.is_set() {
            let n = r.counts.get(&RequirementStatus::Fail).copied().unwrap_or(0);
            if n > 0 {
                out.push(format!("{n} requirement(s) fail"));
            }
            return out;
        }
        if let Some(min) = self.min_score {
            let score = r.score.unwrap_or(0.0);
            if score < min {
                out.push(format!("score {score:.1} is below the minimum {min}"));
            }
        }
        for (sev, max) in &self.max_failed {
            let n: usize = r
                .failed_by_severity
                .iter()
                .filter(|(s, _)| *s >= sev)
                .map(|(_, n)| *n)
                .sum();
            if n > *max {
                out.push(format!(
                    "{n} failed finding(s) at {} or above (limit {max})",
                    sev.as_str()
                ));
            }
        }
        out
    }
}

/// One framework in a report.
pub struct FrameworkReport<'a> {
    /// The framework evaluated.
    pub framework: &'a Framework,
    /// The resources it was evaluated on (data-class scope).
    pub scope: crate::scope::Scope,
    /// Its result (attestations applied).
    pub result: FrameworkResult,
    /// Attestations naming the framework but none of its requirements.
    pub unmatched: Vec<Attestation>,
}

/// The leaf requirements of a result, depth first (groups only aggregate their children).
pub fn leaves(r: &FrameworkResult) -> Vec<&RequirementResult> {
    fn walk<'a>(r: &'a RequirementResult, out: &mut Vec<&'a RequirementResult>) {
        if r.requirements.is_empty() {
            out.push(r);
        }
        for c in &r.requirements {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    for q in &r.requirements {
        walk(q, &mut out);
    }
    out
}
