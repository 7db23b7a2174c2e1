//! Compliance reports: JSON, Markdown and self-contained HTML renderings of framework results,
//! and the threshold verdict that decides the exit status of `kubecomply report`.
//!
//! JSON structure (`schemaVersion` 1.0; JSON Schema in `docs/schema/compliance-report-v1.json`,
//! checked by `crates/cli/tests/report.rs`):
//!
//! ```text
//! { schemaVersion, kind: "ComplianceReport", generatedAt (RFC 3339 UTC),
//!   tool: {name, version},
//!   inputs: {paths, files, objects, config?, attestationsFile?, policyDigest?},
//!   thresholds: {minScore?, maxFailed: {severity: n}},
//!   passed,                       // every framework within its thresholds
//!   frameworks: [{
//!     id, name, version, description, appliesTo?, scope, inScope?: ["Kind/ns/name"],
//!     passed, violations: [text],
//!     score (0-100 or null), counts: {status: n}, failedBySeverity: {severity: n},
//!     requirements: [{id, title, assessment?, status, statusLabel, rulesEvaluated,
//!                     rulesNotEvaluated, plannedRules, needs, passed,
//!                     passedFindings, failed, excepted, errors: [finding],
//!                     attestations: [attestation], requirements: [...]}],
//!     attestations: [attestation],          // those naming a requirement of it
//!     unmatchedAttestations: [attestation]  // naming it but no requirement of it
//!   }] }
//! finding = {rule, status, severity, resource?: {apiVersion, kind, namespace?, name},
//!            container?, message, location: "file:line:column", exception?,
//!            exceptionDetail?: {source, reason, owner?, expires?}}
//! attestation = {framework, requirement, statement, evidence: {url} | {file, sha256},
//!                attestedBy, date, validUntil, location, state: valid|expired|invalid, problem?}
//! ```

use std::fmt::Write as _;

use kubecomply_core::Severity;
use kubecomply_core::date::Date;
use serde_json::{Value, json};

use crate::{Attestation, FindingRef, Framework, FrameworkResult, RequirementResult};
use crate::{AttestationState, RequirementStatus};

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

/// Everything a report shows.
pub struct Report<'a> {
    /// `generatedAt`, RFC 3339 UTC (see [`generated_at`]).
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
}

/// The leaf requirements of a result, depth first (groups only aggregate their children).
pub(crate) fn leaves(r: &FrameworkResult) -> Vec<&RequirementResult> {
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

/// Seconds since the Unix epoch of an RFC 3339 UTC time as [`generated_at`] writes it
/// (`YYYY-MM-DDTHH:MM:SSZ`); `None` for anything else.
pub(crate) fn unix_seconds(t: &str) -> Option<i64> {
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

fn attestations_of(r: &FrameworkResult) -> Vec<&Attestation> {
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

fn requirement_json(r: &RequirementResult) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("statusLabel".into(), json!(r.status.as_str()));
        if !r.requirements.is_empty() {
            m.insert(
                "requirements".into(),
                Value::Array(r.requirements.iter().map(requirement_json).collect()),
            );
        }
    }
    v
}

impl Report<'_> {
    /// Whether every framework is within its thresholds.
    pub fn passed(&self) -> bool {
        self.frameworks
            .iter()
            .all(|f| self.thresholds.violations(&f.result).is_empty())
    }

    /// The JSON document (see the module documentation for its structure).
    pub fn to_json(&self) -> Value {
        let frameworks: Vec<Value> = self
            .frameworks
            .iter()
            .map(|f| {
                let r = &f.result;
                let violations = self.thresholds.violations(r);
                let by_sev: serde_json::Map<String, Value> = Severity::ALL
                    .iter()
                    .rev()
                    .map(|s| {
                        (
                            s.as_str().to_string(),
                            json!(r.failed_by_severity.get(s).copied().unwrap_or(0)),
                        )
                    })
                    .collect();
                json!({
                    "id": r.id,
                    "name": r.name,
                    "version": r.version,
                    "description": f.framework.description,
                    "appliesTo": f.framework.applies_to,
                    "extends": f.framework.extends,
                    "scope": f.scope.description,
                    "inScope": f.scope.resources,
                    "passed": violations.is_empty(),
                    "violations": violations,
                    "score": r.score,
                    "counts": r.counts,
                    "failedBySeverity": by_sev,
                    "requirements": r.requirements.iter().map(requirement_json).collect::<Vec<_>>(),
                    "attestations": attestations_of(r),
                    "unmatchedAttestations": f.unmatched,
                })
            })
            .collect();
        let max_failed: serde_json::Map<String, Value> = self
            .thresholds
            .max_failed
            .iter()
            .map(|(s, n)| (s.as_str().to_string(), json!(n)))
            .collect();
        json!({
            "schemaVersion": "1.0",
            "kind": "ComplianceReport",
            "generatedAt": self.generated_at,
            "tool": {"name": "kubecomply", "version": self.tool_version},
            "inputs": {
                "paths": self.inputs,
                "files": self.files,
                "objects": self.objects,
                "config": self.config,
                "attestationsFile": self.attestations_file,
                "policyDigest": self.policy_digest,
            },
            "thresholds": {"minScore": self.thresholds.min_score, "maxFailed": max_failed},
            "passed": self.passed(),
            "frameworks": frameworks,
        })
    }

    /// Markdown: a summary table, each framework's requirement tree and its failing resources.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# Compliance report\n");
        let _ = writeln!(
            s,
            "Generated {} by kubecomply {} from {} ({} files, {} objects).\n",
            self.generated_at,
            self.tool_version,
            md(&self.inputs.join(", ")),
            self.files,
            self.objects
        );
        if let Some(d) = &self.policy_digest {
            let _ = writeln!(s, "Team policies: `{d}`.\n");
        }
        let _ = writeln!(
            s,
            "| Framework | Version | Score | Pass | Fail | Partial | Manual (attested) | Manual (not attested) | Not assessed | Not applicable | Verdict |"
        );
        let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        for f in &self.frameworks {
            let r = &f.result;
            let n = |st| r.counts.get(&st).copied().unwrap_or(0);
            let v = self.thresholds.violations(r);
            let _ = writeln!(
                s,
                "| {} (`{}`) | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                md(&r.name),
                md(&r.id),
                md(&r.version),
                score_text(r.score),
                n(RequirementStatus::Pass),
                n(RequirementStatus::Fail),
                n(RequirementStatus::Partial),
                n(RequirementStatus::Attested),
                n(RequirementStatus::Manual),
                n(RequirementStatus::NotAssessed),
                n(RequirementStatus::NotApplicable),
                if v.is_empty() {
                    "passed".to_string()
                } else {
                    format!("FAILED: {}", md(&v.join("; ")))
                }
            );
        }
        for f in &self.frameworks {
            let r = &f.result;
            let _ = writeln!(s, "\n## {} {} (`{}`)\n", md(&r.name), md(&r.version), r.id);
            let _ = writeln!(s, "Scope: {}.\n", f.scope.description);
            if let Some(list) = &f.scope.resources {
                let _ = writeln!(s, "In scope: {}.\n", md(&list.join(", ")));
            }
            let sev: Vec<String> = r
                .failed_by_severity
                .iter()
                .rev()
                .map(|(k, v)| format!("{v} {}", k.as_str()))
                .collect();
            if !sev.is_empty() {
                let _ = writeln!(s, "Failed findings: {}.\n", sev.join(", "));
            }
            let _ = writeln!(s, "### Requirements\n");
            fn tree(s: &mut String, r: &RequirementResult, depth: usize) {
                let _ = writeln!(
                    s,
                    "{}- **{}** {} — *{}*{}",
                    "  ".repeat(depth),
                    md(&r.id),
                    md(&r.title),
                    r.status.as_str(),
                    if r.rules_evaluated.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", r.rules_evaluated.join(", "))
                    }
                );
                for a in &r.attestations {
                    let _ = writeln!(
                        s,
                        "{}  - attestation by {} on {} ({}{})",
                        "  ".repeat(depth),
                        md(&a.attested_by),
                        a.date,
                        a.state.as_str(),
                        a.problem
                            .as_deref()
                            .map_or(String::new(), |p| format!(": {}", md(p)))
                    );
                }
                for c in &r.requirements {
                    tree(s, c, depth + 1);
                }
            }
            for q in &r.requirements {
                tree(&mut s, q, 0);
            }
            let failing = collect(r, |q| &q.failed);
            if !failing.is_empty() {
                let _ = writeln!(s, "\n### Failing resources\n");
                let _ = writeln!(
                    s,
                    "| Requirement | Rule | Severity | Resource | Location | Message |"
                );
                let _ = writeln!(s, "|---|---|---|---|---|---|");
                for (req, x) in failing {
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} | {} | {} |",
                        md(req),
                        x.rule,
                        x.severity.as_str(),
                        md(&resource(x)),
                        md(&x.location),
                        md(&x.message)
                    );
                }
            }
            let excepted = collect(r, |q| &q.excepted);
            if !excepted.is_empty() {
                let _ = writeln!(s, "\n### Exceptions\n");
                let _ = writeln!(
                    s,
                    "| Requirement | Rule | Resource | Location | Owner | Reason | Expires |"
                );
                let _ = writeln!(s, "|---|---|---|---|---|---|---|");
                for (req, x) in excepted {
                    let (owner, reason, expires) = exception_parts(x);
                    let _ = writeln!(
                        s,
                        "| {} | {} | {} | {} | {} | {} | {} |",
                        md(req),
                        x.rule,
                        md(&resource(x)),
                        md(&x.location),
                        md(&owner),
                        md(&reason),
                        md(&expires)
                    );
                }
            }
        }
        s
    }

    /// One self-contained HTML file: no scripts, no external assets; inline SVG charts,
    /// `<details>` drill-down and print CSS.
    pub fn to_html(&self) -> String {
        let mut s = String::new();
        s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let names: Vec<&str> = self
            .frameworks
            .iter()
            .map(|f| f.result.name.as_str())
            .collect();
        let _ = writeln!(
            s,
            "<title>Compliance report: {}</title>",
            esc(&names.join(", "))
        );
        s.push_str(CSS);
        s.push_str("</head>\n<body>\n");
        let _ = writeln!(s, "<h1>Compliance report</h1>");
        let _ = writeln!(
            s,
            "<p class=\"meta\">Generated {} by kubecomply {}. Inputs: {} ({} files, {} objects){}{}{}.</p>",
            esc(&self.generated_at),
            esc(self.tool_version),
            esc(&self.inputs.join(", ")),
            self.files,
            self.objects,
            self.config
                .as_deref()
                .map_or(String::new(), |c| format!("; configuration {}", esc(c))),
            self.attestations_file
                .as_deref()
                .map_or(String::new(), |c| format!("; attestations {}", esc(c))),
            self.policy_digest
                .as_deref()
                .map_or(String::new(), |d| format!("; team policies {}", esc(d)))
        );
        let verdict = if self.passed() {
            "<span class=\"badge pass\">passed</span>"
        } else {
            "<span class=\"badge fail\">failed</span>"
        };
        let _ = writeln!(s, "<p>Overall verdict: {verdict}</p>");
        for f in &self.frameworks {
            self.html_framework(&mut s, f);
        }
        s.push_str("</body>\n</html>\n");
        s
    }

    fn html_framework(&self, s: &mut String, f: &FrameworkReport<'_>) {
        let r = &f.result;
        let _ = writeln!(s, "<section class=\"framework\" id=\"fw-{}\">", esc(&r.id));
        let _ = writeln!(
            s,
            "<h2>{} {} <code>{}</code></h2>",
            esc(&r.name),
            esc(&r.version),
            esc(&r.id)
        );
        if !f.framework.description.is_empty() {
            let _ = writeln!(s, "<p>{}</p>", esc(&f.framework.description));
        }
        let _ = writeln!(
            s,
            "<p><strong>Scope:</strong> {}.</p>",
            esc(&f.scope.description)
        );
        if let Some(list) = &f.scope.resources {
            let _ = writeln!(
                s,
                "<p><strong>In scope:</strong> {}.</p>",
                esc(&list.join(", "))
            );
        }
        s.push_str("<div class=\"summary\">\n");
        s.push_str(&gauge(r.score));
        s.push_str(&bars(r));
        s.push_str("<table class=\"counts\"><tr><th>Severity</th><th>Failed findings</th></tr>\n");
        for sev in Severity::ALL.iter().rev() {
            let _ = writeln!(
                s,
                "<tr><td><span class=\"sev {0}\">{0}</span></td><td>{1}</td></tr>",
                sev.as_str(),
                r.failed_by_severity.get(sev).copied().unwrap_or(0)
            );
        }
        s.push_str("</table>\n</div>\n");
        let v = self.thresholds.violations(r);
        if v.is_empty() {
            s.push_str("<p>Verdict: <span class=\"badge pass\">passed</span></p>\n");
        } else {
            let _ = writeln!(
                s,
                "<p>Verdict: <span class=\"badge fail\">failed</span> {}</p>",
                esc(&v.join("; "))
            );
        }
        s.push_str("<h3>Requirements</h3>\n<ul class=\"tree\">\n");
        for q in &r.requirements {
            html_requirement(s, q);
        }
        s.push_str("</ul>\n");
        let excepted = collect(r, |q| &q.excepted);
        if !excepted.is_empty() {
            s.push_str("<h3>Exceptions</h3>\n<table><tr><th>Requirement</th><th>Rule</th><th>Resource</th><th>Location</th><th>Owner</th><th>Reason</th><th>Expires</th></tr>\n");
            for (req, x) in excepted {
                let (owner, reason, expires) = exception_parts(x);
                let _ = writeln!(
                    s,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(req),
                    esc(&x.rule),
                    esc(&resource(x)),
                    esc(&x.location),
                    esc(&owner),
                    esc(&reason),
                    esc(&expires)
                );
            }
            s.push_str("</table>\n");
        }
        let atts = attestations_of(r);
        if !atts.is_empty() || !f.unmatched.is_empty() {
            s.push_str("<h3>Attestations</h3>\n<table><tr><th>Requirement</th><th>Statement</th><th>Evidence</th><th>Attested by</th><th>Date</th><th>Valid until</th><th>State</th></tr>\n");
            for a in atts.into_iter().chain(f.unmatched.iter()) {
                html_attestation_row(s, a);
            }
            s.push_str("</table>\n");
            if !f.unmatched.is_empty() {
                s.push_str("<p class=\"note\">Attestations whose requirement is not in this framework are listed with state <em>unmatched</em>.</p>\n");
            }
        }
        s.push_str("</section>\n");
    }
}

fn html_attestation_row(s: &mut String, a: &Attestation) {
    let evidence = match &a.evidence {
        crate::Evidence::Url { url } => format!("<code>{}</code>", esc(url)),
        crate::Evidence::File { file, sha256 } => format!(
            "<code>{}</code><br><small>sha256 {}</small>",
            esc(file),
            esc(sha256)
        ),
    };
    let class = match a.state {
        AttestationState::Valid => "pass",
        AttestationState::Expired => "manual",
        AttestationState::Invalid => "fail",
    };
    let _ = writeln!(
        s,
        "<tr><td>{}:{}</td><td>{}</td><td>{evidence}</td><td>{}</td><td>{}</td><td>{}</td><td><span class=\"badge {class}\">{}</span>{}</td></tr>",
        esc(&a.framework),
        esc(&a.requirement),
        esc(&a.statement),
        esc(&a.attested_by),
        a.date,
        a.valid_until,
        a.state.as_str(),
        a.problem
            .as_deref()
            .map_or(String::new(), |p| format!(" {}", esc(p)))
    );
}

fn status_class(s: RequirementStatus) -> &'static str {
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

fn findings_table(s: &mut String, title: &str, list: &[FindingRef], open: bool) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "<details{}><summary>{} ({})</summary><table><tr><th>Rule</th><th>Severity</th><th>Resource</th><th>Location</th><th>Message</th></tr>",
        if open { " open" } else { "" },
        esc(title),
        list.len()
    );
    for x in list {
        let _ = writeln!(
            s,
            "<tr><td class=\"nw\">{}</td><td><span class=\"sev {sev}\">{sev}</span></td><td>{}</td><td><code>{}</code></td><td>{}{}</td></tr>",
            esc(&x.rule),
            esc(&resource(x)),
            esc(&x.location),
            esc(&x.message),
            x.exception.as_deref().map_or(String::new(), |e| format!(
                "<br><em>excepted: {}</em>",
                esc(e)
            )),
            sev = x.severity.as_str(),
        );
    }
    s.push_str("</table></details>\n");
}

fn html_requirement(s: &mut String, r: &RequirementResult) {
    let badge = format!(
        "<span class=\"badge {}\">{}</span>",
        status_class(r.status),
        esc(r.status.as_str())
    );
    let open = if r.status == RequirementStatus::Fail {
        " open"
    } else {
        ""
    };
    let _ = writeln!(
        s,
        "<li><details{open}><summary>{badge} <strong>{}</strong> {}</summary>",
        esc(&r.id),
        esc(&r.title)
    );
    if r.requirements.is_empty() {
        s.push_str("<div class=\"body\">");
        if let Some(a) = r.assessment {
            let _ = write!(s, "<p>Assessment: {}", a.as_str());
            if !r.rules_evaluated.is_empty() {
                let _ = write!(s, "; rules: {}", codes(&r.rules_evaluated));
            }
            if !r.rules_not_evaluated.is_empty() {
                let _ = write!(s, "; rules not run: {}", codes(&r.rules_not_evaluated));
            }
            if !r.planned_rules.is_empty() {
                let _ = write!(s, "; planned: {}", codes(&r.planned_rules));
            }
            if !r.needs.is_empty() {
                let needs: Vec<&str> = r.needs.iter().map(|n| n.as_str()).collect();
                let _ = write!(s, "; needs: {}", esc(&needs.join(", ")));
            }
            let _ = writeln!(s, ". Passing findings: {}.</p>", r.passed);
        }
        findings_table(s, "Failing resources", &r.failed, true);
        findings_table(s, "Excepted resources", &r.excepted, false);
        findings_table(s, "Errors", &r.errors, false);
        findings_table(s, "Passing resources", &r.passed_findings, false);
        if !r.attestations.is_empty() {
            s.push_str("<table><tr><th>Requirement</th><th>Statement</th><th>Evidence</th><th>Attested by</th><th>Date</th><th>Valid until</th><th>State</th></tr>\n");
            for a in &r.attestations {
                html_attestation_row(s, a);
            }
            s.push_str("</table>\n");
        }
        s.push_str("</div>");
    } else {
        s.push_str("<ul>\n");
        for c in &r.requirements {
            html_requirement(s, c);
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</details></li>\n");
}

/// Rule codes for HTML, each kept on one line (`KC-CTR-003` must not break at its hyphens).
fn codes(list: &[String]) -> String {
    let parts: Vec<String> = list
        .iter()
        .map(|c| format!("<span class=\"nw\">{}</span>", esc(c)))
        .collect();
    parts.join(", ")
}

/// The score gauge: a half-ring whose filled part is the score.
fn gauge(score: Option<f64>) -> String {
    let v = score.unwrap_or(0.0).clamp(0.0, 100.0);
    // Half circle of radius 80 centred at (100, 100): length π·80.
    let len = std::f64::consts::PI * 80.0;
    let filled = len * v / 100.0;
    let color = match score {
        None => "#afb8c1",
        Some(x) if x >= 90.0 => "#1a7f37",
        Some(x) if x >= 60.0 => "#bf8700",
        Some(_) => "#cf222e",
    };
    format!(
        "<svg class=\"gauge\" role=\"img\" aria-label=\"score {label}\" width=\"200\" height=\"120\" viewBox=\"0 0 200 120\">\
<path d=\"M 20 100 A 80 80 0 0 1 180 100\" fill=\"none\" stroke=\"#eaeef2\" stroke-width=\"18\"/>\
<path d=\"M 20 100 A 80 80 0 0 1 180 100\" fill=\"none\" stroke=\"{color}\" stroke-width=\"18\" stroke-dasharray=\"{filled:.2} {len:.2}\"/>\
<text x=\"100\" y=\"95\" text-anchor=\"middle\" font-size=\"28\" font-weight=\"bold\">{label}</text>\
<text x=\"100\" y=\"115\" text-anchor=\"middle\" font-size=\"11\">score</text></svg>\n",
        label = score_text(score)
    )
}

/// A horizontal bar chart of leaf requirements per status.
fn bars(r: &FrameworkResult) -> String {
    let max = r.counts.values().copied().max().unwrap_or(0).max(1);
    let row_h = 22;
    let h = row_h * RequirementStatus::ALL.len() + 10;
    let mut s = format!(
        "<svg class=\"bars\" role=\"img\" aria-label=\"requirements by status\" width=\"420\" height=\"{h}\" viewBox=\"0 0 420 {h}\">"
    );
    for (i, st) in RequirementStatus::ALL.iter().enumerate() {
        let n = r.counts.get(st).copied().unwrap_or(0);
        let y = 5 + i * row_h;
        let w = 220 * n / max;
        let _ = write!(
            s,
            "<text x=\"150\" y=\"{ty}\" text-anchor=\"end\" font-size=\"12\">{label}</text>\
<rect x=\"158\" y=\"{y}\" width=\"{w}\" height=\"16\" fill=\"{color}\"/>\
<text x=\"{tx}\" y=\"{ty}\" font-size=\"12\">{n}</text>",
            ty = y + 12,
            label = esc(st.as_str()),
            color = status_color(*st),
            tx = 162 + w,
        );
    }
    s.push_str("</svg>\n");
    s
}

fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "n/a".to_string(), |x| format!("{x:.1}%"))
}

fn collect(
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

fn resource(x: &FindingRef) -> String {
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

fn exception_parts(x: &FindingRef) -> (String, String, String) {
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

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escapes text for a Markdown table cell or list item.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

const CSS: &str = "<style>
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2rem;color:#1f2328;line-height:1.4}
h1,h2,h3{margin-bottom:.4rem}
.meta{color:#57606a}
.summary{display:flex;flex-wrap:wrap;gap:2rem;align-items:center;margin:1rem 0}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.badge{display:inline-block;padding:0 .45rem;border-radius:.6rem;font-size:.8rem;color:#fff;background:#6e7781;white-space:nowrap}
.badge.pass{background:#1a7f37}.badge.fail{background:#cf222e}.badge.partial{background:#bf8700}
.badge.manual{background:#8250df}.badge.attested{background:#0969da}.badge.na{background:#6e7781}
.badge.notapp{background:#afb8c1;color:#1f2328}
.sev{font-weight:600}.sev.critical,.sev.high{color:#cf222e}.sev.medium{color:#bf8700}
ul.tree,ul.tree ul{list-style:none;padding-left:1.2rem}
summary{cursor:pointer}
.body{margin:.3rem 0 .6rem 1.2rem}
code{font-size:.85rem}
.note{color:#57606a;font-size:.85rem}
.nw{white-space:nowrap}
@media print{
body{margin:0;font-size:10pt}
details>summary{list-style:none}
details:not([open])>*:not(summary){display:block}
.framework{page-break-before:always}
.framework:first-of-type{page-break-before:auto}
a{color:inherit;text-decoration:none}
}
</style>
";
