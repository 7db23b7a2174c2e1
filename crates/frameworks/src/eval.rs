//! Evaluation: requirement statuses and a score from findings.

use std::collections::{BTreeMap, HashSet};

use kubecomply_core::finding::AppliedException;
use kubecomply_core::{Finding, ObjectRef, Severity, Status};
use serde::Serialize;

use crate::attest::{Attestation, AttestationState};
use crate::{Assessment, Framework, Need, Requirement};

/// The status of one requirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementStatus {
    /// Every mapped rule ran and nothing failed.
    Pass,
    /// A mapped rule failed on some resource.
    Fail,
    /// The rules that ran pass, but they cover only part of the requirement.
    Partial,
    /// Needs an attestation and has no valid one: `manual (not attested)`.
    Manual,
    /// A manual requirement with a valid attestation: `manual (attested)`; counts as passing.
    #[serde(rename = "manual-attested")]
    Attested,
    /// No evidence source: none of its rules exist or ran.
    NotAssessed,
    /// Its rules ran but found no resource to check.
    NotApplicable,
}

impl RequirementStatus {
    /// All statuses, in display order.
    pub const ALL: [RequirementStatus; 7] = [
        RequirementStatus::Pass,
        RequirementStatus::Fail,
        RequirementStatus::Partial,
        RequirementStatus::Manual,
        RequirementStatus::Attested,
        RequirementStatus::NotAssessed,
        RequirementStatus::NotApplicable,
    ];

    /// The display name.
    pub fn as_str(self) -> &'static str {
        match self {
            RequirementStatus::Pass => "pass",
            RequirementStatus::Fail => "fail",
            RequirementStatus::Partial => "partial",
            RequirementStatus::Manual => "manual (not attested)",
            RequirementStatus::Attested => "manual (attested)",
            RequirementStatus::NotAssessed => "not assessed",
            RequirementStatus::NotApplicable => "not applicable",
        }
    }

    /// Whether the status counts in the score's denominator.
    pub fn is_assessed(self) -> bool {
        matches!(
            self,
            RequirementStatus::Pass
                | RequirementStatus::Fail
                | RequirementStatus::Partial
                | RequirementStatus::Attested
        )
    }

    /// Whether the status counts as passing in the score's numerator.
    pub fn is_passing(self) -> bool {
        matches!(self, RequirementStatus::Pass | RequirementStatus::Attested)
    }
}

/// A finding behind a requirement's status.
#[derive(Clone, Debug, Serialize)]
pub struct FindingRef {
    /// Rule code.
    pub rule: String,
    /// Status of the finding.
    pub status: Status,
    /// Severity.
    pub severity: Severity,
    /// The resource, when the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<ObjectRef>,
    /// The container, when the finding is about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Explanation.
    pub message: String,
    /// `file:line:column` (or just the file when the position is unknown).
    pub location: String,
    /// Owner and reason of the exception, for excepted findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exception: Option<String>,
    /// The exception itself (source, reason, owner, expiry), for excepted findings.
    #[serde(rename = "exceptionDetail", skip_serializing_if = "Option::is_none")]
    pub exception_detail: Option<AppliedException>,
}

impl FindingRef {
    fn of(f: &Finding) -> FindingRef {
        let location = if f.location.line > 0 {
            format!(
                "{}:{}:{}",
                f.location.file, f.location.line, f.location.column
            )
        } else {
            f.location.file.to_string()
        };
        FindingRef {
            rule: f.rule.to_string(),
            status: f.status,
            severity: f.severity,
            resource: f.resource.as_deref().cloned(),
            container: f.container.clone(),
            message: f.message.clone(),
            location,
            exception: f.exception.as_ref().map(|e| {
                let mut s = e.reason.clone();
                if let Some(o) = &e.owner {
                    s.push_str(&format!(" (owner {o})"));
                }
                if let Some(x) = &e.expires {
                    s.push_str(&format!(" (expires {x})"));
                }
                s
            }),
            exception_detail: f.exception.as_deref().cloned(),
        }
    }
}

/// The result of one requirement (or group).
#[derive(Clone, Debug, Serialize)]
pub struct RequirementResult {
    /// Requirement id.
    pub id: String,
    /// Title.
    pub title: String,
    /// How it is assessed (`None` for groups).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assessment: Option<Assessment>,
    /// Status (for a group: aggregated from its children).
    pub status: RequirementStatus,
    /// Mapped rules that ran.
    #[serde(rename = "rulesEvaluated", skip_serializing_if = "Vec::is_empty")]
    pub rules_evaluated: Vec<String>,
    /// Mapped rules that did not run (unknown here, or disabled).
    #[serde(rename = "rulesNotEvaluated", skip_serializing_if = "Vec::is_empty")]
    pub rules_not_evaluated: Vec<String>,
    /// Planned rules (analyzers not written yet).
    #[serde(rename = "plannedRules", skip_serializing_if = "Vec::is_empty")]
    pub planned_rules: Vec<String>,
    /// Evidence sources it needs that we do not have.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<Need>,
    /// Number of passing findings behind it.
    pub passed: usize,
    /// The passing findings (resources checked and found compliant).
    #[serde(rename = "passedFindings", skip_serializing_if = "Vec::is_empty")]
    pub passed_findings: Vec<FindingRef>,
    /// The failing findings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<FindingRef>,
    /// Findings accepted by an exception (they do not fail the requirement).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub excepted: Vec<FindingRef>,
    /// Findings whose rule could not be evaluated.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FindingRef>,
    /// Attestations naming this requirement (valid or not), when attestations were applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attestations: Vec<Attestation>,
    /// Children.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requirements: Vec<RequirementResult>,
}

/// The result of a framework.
#[derive(Clone, Debug, Serialize)]
pub struct FrameworkResult {
    /// Framework id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// The score, 0–100 (one decimal), or `None` when no requirement could be assessed.
    ///
    /// `score = passing / assessed × 100`, over leaf requirements, where *passing* counts the
    /// leaves whose status is `pass` or `manual (attested)` and *assessed* those whose status
    /// is `pass`, `fail`, `partial` or `manual (attested)`. `partial` is in the denominator but
    /// not the numerator (it is not proven until the manual part is attested); `manual (not
    /// attested)`, `not assessed` and `not applicable` are left out, so missing evidence never
    /// raises or lowers the score. Every requirement weighs the same.
    ///
    /// Kubescape's framework score, as we understand its documentation, averages per-control
    /// scores (each the share of resources passing the control), so one failing resource among
    /// many barely moves it. Here a requirement fails as soon as one resource fails it, which is
    /// what an auditor asks ("is 7.2 met?"); the resources behind each status are listed. See
    /// the crate README.
    pub score: Option<f64>,
    /// Number of leaf requirements per status, in [`RequirementStatus::ALL`] order.
    pub counts: BTreeMap<RequirementStatus, usize>,
    /// Failed findings behind any requirement, by severity (each finding counted once).
    #[serde(rename = "failedBySeverity")]
    pub failed_by_severity: BTreeMap<Severity, usize>,
    /// The requirement tree.
    pub requirements: Vec<RequirementResult>,
}

impl FrameworkResult {
    /// Whether any requirement fails.
    pub fn has_failures(&self) -> bool {
        self.counts
            .get(&RequirementStatus::Fail)
            .is_some_and(|n| *n > 0)
    }
}

/// Evaluates a framework on findings. `known_rules` are the codes of the rules that were run
/// (a rule that ran and produced no finding had nothing to check).
pub fn evaluate(
    framework: &Framework,
    findings: &[Finding],
    known_rules: &[&str],
) -> FrameworkResult {
    let known: HashSet<&str> = known_rules.iter().copied().collect();
    let mut by_rule: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        by_rule.entry(f.rule.as_ref()).or_default().push(i);
    }
    let ctx = Ctx {
        findings,
        known: &known,
        by_rule: &by_rule,
    };
    let requirements: Vec<RequirementResult> = framework
        .requirements
        .iter()
        .map(|r| ctx.requirement(r))
        .collect();
    let (counts, score) = tally(&requirements);
    let mapped: HashSet<&str> = framework.rule_codes().into_iter().collect();
    let mut failed_by_severity: BTreeMap<Severity, usize> = BTreeMap::new();
    for f in findings {
        if f.status == Status::Fail
            && mapped.contains(f.rule.as_ref())
            && known.contains(f.rule.as_ref())
        {
            *failed_by_severity.entry(f.severity).or_default() += 1;
        }
    }
    FrameworkResult {
        id: framework.id.clone(),
        name: framework.name.clone(),
        version: framework.version.clone(),
        score,
        counts,
        failed_by_severity,
        requirements,
    }
}

/// Counts leaves per status and computes the score (see [`FrameworkResult::score`]).
fn tally(requirements: &[RequirementResult]) -> (BTreeMap<RequirementStatus, usize>, Option<f64>) {
    let mut counts: BTreeMap<RequirementStatus, usize> =
        RequirementStatus::ALL.into_iter().map(|s| (s, 0)).collect();
    fn count(r: &RequirementResult, counts: &mut BTreeMap<RequirementStatus, usize>) {
        if r.requirements.is_empty() {
            *counts.entry(r.status).or_default() += 1;
        }
        for c in &r.requirements {
            count(c, counts);
        }
    }
    for r in requirements {
        count(r, &mut counts);
    }
    let sum = |f: fn(RequirementStatus) -> bool| -> usize {
        counts.iter().filter(|(s, _)| f(**s)).map(|(_, n)| *n).sum()
    };
    let assessed = sum(RequirementStatus::is_assessed);
    let passing = sum(RequirementStatus::is_passing);
    let score = (assessed > 0).then(|| (passing as f64 * 1000.0 / assessed as f64).round() / 10.0);
    (counts, score)
}

/// Applies attestations (already checked with [`crate::check_attestations`]) to a result:
/// each leaf requirement of `result`'s framework gets the attestations that name it; a
/// `manual` leaf with a `valid` one becomes `manual (attested)`, which counts as passing.
/// Groups, counts and the score are recomputed. Returns the attestations that named no
/// requirement of this framework although they name the framework (to report them).
pub fn apply_attestations<'a>(
    result: &mut FrameworkResult,
    attestations: &'a [Attestation],
) -> Vec<&'a Attestation> {
    let mine: Vec<&Attestation> = attestations
        .iter()
        .filter(|a| a.framework.eq_ignore_ascii_case(&result.id))
        .collect();
    let mut used = vec![false; mine.len()];
    fn walk(r: &mut RequirementResult, mine: &[&Attestation], used: &mut [bool]) {
        if !r.requirements.is_empty() {
            for c in &mut r.requirements {
                walk(c, mine, used);
            }
            r.status = aggregate(r.requirements.iter().map(|c| c.status));
            return;
        }
        r.attestations.clear();
        for (i, a) in mine.iter().enumerate() {
            if a.requirement == r.id {
                used[i] = true;
                r.attestations.push((*a).clone());
            }
        }
        if matches!(
            r.status,
            RequirementStatus::Manual | RequirementStatus::Attested
        ) {
            r.status = if r
                .attestations
                .iter()
                .any(|a| a.state == AttestationState::Valid)
            {
                RequirementStatus::Attested
            } else {
                RequirementStatus::Manual
            };
        }
    }
    for r in &mut result.requirements {
        walk(r, &mine, &mut used);
    }
    let (counts, score) = tally(&result.requirements);
    result.counts = counts;
    result.score = score;
    mine.into_iter()
        .zip(used)
        .filter(|(_, u)| !u)
        .map(|(a, _)| a)
        .collect()
}

struct Ctx<'a> {
    findings: &'a [Finding],
    known: &'a HashSet<&'a str>,
    by_rule: &'a BTreeMap<&'a str, Vec<usize>>,
}

impl Ctx<'_> {
    fn requirement(&self, r: &Requirement) -> RequirementResult {
        let mut out = RequirementResult {
            id: r.id.clone(),
            title: r.title.clone(),
            assessment: r.assessment,
            status: RequirementStatus::NotAssessed,
            rules_evaluated: Vec::new(),
            rules_not_evaluated: Vec::new(),
            planned_rules: r.planned_rules.clone(),
            needs: r.needs.clone(),
            passed: 0,
            passed_findings: Vec::new(),
            failed: Vec::new(),
            excepted: Vec::new(),
            errors: Vec::new(),
            attestations: Vec::new(),
            requirements: Vec::new(),
        };
        if !r.is_leaf() {
            out.requirements = r.requirements.iter().map(|c| self.requirement(c)).collect();
            out.status = aggregate(out.requirements.iter().map(|c| c.status));
            return out;
        }
        for code in &r.rules {
            if self.known.contains(code.as_str()) {
                out.rules_evaluated.push(code.clone());
            } else {
                out.rules_not_evaluated.push(code.clone());
            }
        }
        for code in &out.rules_evaluated {
            for &i in self.by_rule.get(code.as_str()).into_iter().flatten() {
                let f = &self.findings[i];
                match f.status {
                    Status::Pass => {
                        out.passed += 1;
                        out.passed_findings.push(FindingRef::of(f));
                    }
                    Status::Fail => out.failed.push(FindingRef::of(f)),
                    Status::Excepted => out.excepted.push(FindingRef::of(f)),
                    Status::Error => out.errors.push(FindingRef::of(f)),
                    Status::Skipped => {}
                }
            }
        }
        let assessment = r.assessment.unwrap_or(Assessment::Manual);
        out.status = if out.rules_evaluated.is_empty() {
            if assessment == Assessment::Manual {
                RequirementStatus::Manual
            } else {
                RequirementStatus::NotAssessed
            }
        } else if !out.failed.is_empty() {
            RequirementStatus::Fail
        } else if assessment == Assessment::Manual {
            RequirementStatus::Manual
        } else if out.passed == 0 && out.excepted.is_empty() && out.errors.is_empty() {
            RequirementStatus::NotApplicable
        } else if assessment == Assessment::Partial
            || !out.rules_not_evaluated.is_empty()
            || !out.errors.is_empty()
        {
            RequirementStatus::Partial
        } else {
            RequirementStatus::Pass
        };
        out
    }
}

/// A group's status: `fail` if a child fails; `pass` if every child passes or is not
/// applicable (at least one passing); `partial` if some evidence passes but not all children
/// pass; otherwise `not applicable` if all children are, `manual` if all the others are manual,
/// else `not assessed`.
fn aggregate(children: impl Iterator<Item = RequirementStatus>) -> RequirementStatus {
    use RequirementStatus as S;
    let all: Vec<S> = children.collect();
    let has = |s: S| all.contains(&s);
    if has(S::Fail) {
        S::Fail
    } else if has(S::Pass) || has(S::Partial) || has(S::Attested) {
        if all
            .iter()
            .all(|s| matches!(s, S::Pass | S::Attested | S::NotApplicable))
        {
            S::Pass
        } else {
            S::Partial
        }
    } else if !all.is_empty() && all.iter().all(|s| *s == S::NotApplicable) {
        S::NotApplicable
    } else if all
        .iter()
        .all(|s| matches!(s, S::Manual | S::NotApplicable))
    {
        S::Manual
    } else {
        S::NotAssessed
    }
}
