//! What a compliance report is made of, as far as evaluation goes: one framework's evaluated
//! result with its scope and attestations ([`FrameworkReport`], built by the engine), the
//! thresholds that decide the exit status of `kubecomply report` ([`Thresholds`]), and walks
//! over a result. The renderings (JSON, Markdown, HTML, CSV, policy reports, OSCAL) are in
//! `kubecomply_report::compliance`.

use kubecomply_core::Severity;
use kubecomply_core::date::Date;

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

/// Seconds since the Unix epoch of an RFC 3339 UTC time as reports write `generatedAt`
/// (`YYYY-MM-DDTHH:MM:SSZ`); `None` for anything else.
pub fn unix_seconds(t: &str) -> Option<i64> {
    let (date, time) = t.strip_suffix('Z')?.split_once('T')?;
    let d = Date::parse(date)?;
    let mut hms = time.split(':').map(|x| x.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || h > 23 || m > 59 || s > 60 {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let (y, mo) = (i64::from(d.year), i64::from(d.month));
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d.day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}
