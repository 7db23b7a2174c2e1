//! The Markdown compliance report: a summary table, each framework's requirement tree, its
//! failing resources and exceptions.

use std::fmt::Write as _;

use kubecomply_core::text::{esc, escape};
use kubecomply_frameworks::{RequirementResult, RequirementStatus};

use super::{Report, collect, exception_parts, resource, score_text};

impl Report<'_> {
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
        if !self.input_errors.is_empty() {
            let _ = writeln!(
                s,
                "**Input errors: {}. What these inputs hold was not evaluated; the report does not pass.**\n",
                self.input_errors.len()
            );
            for d in &self.input_errors {
                let _ = writeln!(s, "- {}", md(&d.render()));
            }
            s.push('\n');
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
                esc(&r.id),
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
            let _ = writeln!(
                s,
                "\n## {} {} (`{}`)\n",
                md(&r.name),
                md(&r.version),
                esc(&r.id)
            );
            let _ = writeln!(s, "Scope: {}.\n", esc(&f.scope.description));
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
                        format!(" ({})", md(&r.rules_evaluated.join(", ")))
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
                        md(&x.rule),
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
                        md(&x.rule),
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
}

/// Escapes text for a Markdown table cell or list item: controls, bidirectional controls and
/// line breaks as visible escapes ([`escape`]: a cell stays one line, NUL never reaches the
/// file), then Markdown's own punctuation (the escapes' backslashes among it, so a viewer shows
/// `\u{1b}`).
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in escape(s).chars() {
        match c {
            '|' | '\\' | '*' | '_' | '`' | '[' | ']' | '<' | '>' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}
