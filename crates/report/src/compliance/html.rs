//! The self-contained HTML report: no scripts, no external assets; inline SVG charts,
//! `<details>` drill-down and print CSS. The markup is in `crates/report/templates/`
//! (`compliance-*.html`), which a web front end can render with the same views.

use askama::Template;
use kubecomply_core::Severity;
use kubecomply_frameworks::{
    Attestation, AttestationState, FindingRef, RequirementResult, RequirementStatus,
};

use super::{
    FrameworkReport, Report, attestations_of, collect, exception_parts, resource, score_text,
};

/// A requirement's badge class.
pub(crate) fn status_class(s: &RequirementStatus) -> &'static str {
    match s {
        RequirementStatus::Pass => "pass",
        RequirementStatus::Fail => "fail",
        RequirementStatus::Partial => "partial",
        RequirementStatus::Manual => "manual",
        RequirementStatus::Attested => "attested",
        RequirementStatus::NotAssessed => "na",
        RequirementStatus::NotApplicable => "notapp",
    }
}

fn status_color(s: RequirementStatus) -> &'static str {
    match s {
        RequirementStatus::Pass => "#1a7f37",
        RequirementStatus::Fail => "#cf222e",
        RequirementStatus::Partial => "#bf8700",
        RequirementStatus::Manual => "#8250df",
        RequirementStatus::Attested => "#0969da",
        RequirementStatus::NotAssessed => "#6e7781",
        RequirementStatus::NotApplicable => "#afb8c1",
    }
}

/// An attestation's badge class.
pub(crate) fn attestation_class(s: &AttestationState) -> &'static str {
    match s {
        AttestationState::Valid => "pass",
        AttestationState::Expired => "manual",
        AttestationState::Invalid => "fail",
    }
}

/// `templates/compliance-report.html`: the page.
#[derive(Template)]
#[template(path = "compliance-report.html")]
struct Page<'a> {
    r: &'a Report<'a>,
    names: String,
    inputs: String,
    passed: bool,
    frameworks: Vec<Section<'a>>,
}

/// The score gauge: a half-ring whose filled part is the score.
struct Gauge {
    label: String,
    color: &'static str,
    /// Length of the filled arc and of the whole half circle (radius 80), two decimals.
    filled: String,
    length: String,
}

impl Gauge {
    fn new(score: Option<f64>) -> Gauge {
        let v = score.unwrap_or(0.0).clamp(0.0, 100.0);
        let len = std::f64::consts::PI * 80.0;
        let filled = len * v / 100.0;
        let color = match score {
            None => "#afb8c1",
            Some(x) if x >= 90.0 => "#1a7f37",
            Some(x) if x >= 60.0 => "#bf8700",
            Some(_) => "#cf222e",
        };
        Gauge {
            label: score_text(score),
            color,
            filled: format!("{filled:.2}"),
            length: format!("{len:.2}"),
        }
    }
}

/// One bar of the chart of leaf requirements per status.
struct Bar {
    label: &'static str,
    color: &'static str,
    count: usize,
    y: usize,
    width: usize,
    text_x: usize,
    text_y: usize,
}

/// An excepted finding in the framework's exceptions table.
struct ExceptionRow<'a> {
    requirement: &'a str,
    rule: &'a str,
    resource: String,
    location: &'a str,
    owner: String,
    reason: String,
    expires: String,
}

/// `templates/compliance-framework.html`: one framework.
#[derive(Template)]
#[template(path = "compliance-framework.html")]
struct Section<'a> {
    r: &'a kubecomply_frameworks::FrameworkResult,
    description: &'a str,
    scope: &'a str,
    in_scope: Option<String>,
    gauge: Gauge,
    bars_height: usize,
    bars: Vec<Bar>,
    severities: Vec<(&'static str, usize)>,
    violations: Vec<String>,
    requirements: Vec<Requirement<'a>>,
    excepted: Vec<ExceptionRow<'a>>,
    attestations: Vec<&'a Attestation>,
    has_unmatched: bool,
}

/// `templates/compliance-requirement.html`: a requirement and, for a group, its children.
#[derive(Template)]
#[template(path = "compliance-requirement.html")]
struct Requirement<'a> {
    q: &'a RequirementResult,
    needs: String,
    children: Vec<Requirement<'a>>,
}

impl<'a> Requirement<'a> {
    fn new(q: &'a RequirementResult) -> Requirement<'a> {
        let needs: Vec<&str> = q.needs.iter().map(|n| n.as_str()).collect();
        Requirement {
            q,
            needs: needs.join(", "),
            children: q.requirements.iter().map(Requirement::new).collect(),
        }
    }
}

impl<'a> Section<'a> {
    fn new(report: &'a Report<'a>, f: &'a FrameworkReport<'a>) -> Section<'a> {
        let r = &f.result;
        let max = r.counts.values().copied().max().unwrap_or(0).max(1);
        let row_h = 22;
        let bars = RequirementStatus::ALL
            .iter()
            .enumerate()
            .map(|(i, st)| {
                let count = r.counts.get(st).copied().unwrap_or(0);
                let y = 5 + i * row_h;
                let width = 220 * count / max;
                Bar {
                    label: st.as_str(),
                    color: status_color(*st),
                    count,
                    y,
                    width,
                    text_x: 162 + width,
                    text_y: y + 12,
                }
            })
            .collect();
        let excepted = collect(r, |q| &q.excepted)
            .into_iter()
            .map(|(requirement, x): (&str, &FindingRef)| {
                let (owner, reason, expires) = exception_parts(x);
                ExceptionRow {
                    requirement,
                    rule: &x.rule,
                    resource: resource(x),
                    location: &x.location,
                    owner,
                    reason,
                    expires,
                }
            })
            .collect();
        Section {
            r,
            description: &f.framework.description,
            scope: &f.scope.description,
            in_scope: f.scope.resources.as_ref().map(|l| l.join(", ")),
            gauge: Gauge::new(r.score),
            bars_height: row_h * RequirementStatus::ALL.len() + 10,
            bars,
            severities: Severity::ALL
                .iter()
                .rev()
                .map(|s| {
                    (
                        s.as_str(),
                        r.failed_by_severity.get(s).copied().unwrap_or(0),
                    )
                })
                .collect(),
            violations: report.thresholds.violations(r),
            requirements: r.requirements.iter().map(Requirement::new).collect(),
            excepted,
            attestations: attestations_of(r).into_iter().chain(&f.unmatched).collect(),
            has_unmatched: !f.unmatched.is_empty(),
        }
    }
}

impl Report<'_> {
    /// One self-contained HTML file: no scripts, no external assets; inline SVG charts,
    /// `<details>` drill-down and print CSS.
    pub fn to_html(&self) -> askama::Result<String> {
        let names: Vec<&str> = self
            .frameworks
            .iter()
            .map(|f| f.result.name.as_str())
            .collect();
        Page {
            r: self,
            names: names.join(", "),
            inputs: self.inputs.join(", "),
            passed: self.passed(),
            frameworks: self
                .frameworks
                .iter()
                .map(|f| Section::new(self, f))
                .collect(),
        }
        .render()
    }
}
