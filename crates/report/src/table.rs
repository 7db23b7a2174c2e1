//! The terminal table: findings grouped by file, a summary line. Colours are ANSI escapes;
//! the caller strips them when the output is not a terminal.

use std::fmt::Write;

use anstyle::{AnsiColor, Style};
use kubecomply_core::diagnostic::Level;
use kubecomply_core::text::{esc, escape};
use kubecomply_core::{Severity, Status};

use crate::ScanReport;

fn sev_style(s: Severity) -> Style {
    match s {
        Severity::Critical => Style::new().bold().fg_color(Some(AnsiColor::Red.into())),
        Severity::High => Style::new().fg_color(Some(AnsiColor::Red.into())),
        Severity::Medium => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Severity::Low => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        Severity::Info => Style::new().dimmed(),
    }
}

/// `text` escaped (see [`kubecomply_core::text`]), in `style`: the only colour codes in the
/// table are ours.
fn paint(style: Style, text: &str) -> String {
    format!("{style}{}{style:#}", escape(text))
}

/// Renders failed, error and excepted findings grouped by file, then diagnostics and a summary.
pub fn render(report: &ScanReport<'_>) -> String {
    let mut out = String::new();
    let bold = Style::new().bold();
    let dim = Style::new().dimmed();
    let mut current_file: Option<&str> = None;
    for f in report.findings {
        if !matches!(f.status, Status::Fail | Status::Error | Status::Excepted) {
            continue;
        }
        if current_file != Some(&*f.location.file) {
            if current_file.is_some() {
                out.push('\n');
            }
            let _ = writeln!(out, "{}", paint(bold, &f.location.file));
            current_file = Some(&f.location.file);
        }
        let pos = format!("{}:{}", f.location.line, f.location.column);
        let sev = match f.status {
            Status::Error => paint(sev_style(Severity::High), "error"),
            Status::Excepted => paint(dim, "excepted"),
            _ => paint(sev_style(f.severity), f.severity.as_str()),
        };
        let sev_pad = " ".repeat(8usize.saturating_sub(match f.status {
            Status::Error => 5,
            Status::Excepted => 8,
            _ => f.severity.as_str().len(),
        }));
        let resource = f
            .resource
            .as_ref()
            .map(|r| match &r.namespace {
                Some(ns) => format!("{}/{}/{}", r.kind, ns, r.name),
                None => format!("{}/{}", r.kind, r.name),
            })
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {pos:>7}  {sev}{sev_pad}  {:<12} {}  {}",
            esc(&f.rule),
            paint(dim, &resource),
            esc(&f.message)
        );
        if let (Status::Excepted, Some(e)) = (f.status, &f.exception) {
            let _ = writeln!(
                out,
                "  {:>7}  {}",
                "",
                paint(
                    dim,
                    &format!(
                        "excepted by {}: {}{}{}",
                        e.source,
                        e.reason,
                        e.owner
                            .as_ref()
                            .map(|o| format!(" (owner {o})"))
                            .unwrap_or_default(),
                        e.expires
                            .as_ref()
                            .map(|d| format!(", until {d}"))
                            .unwrap_or_default()
                    )
                )
            );
        }
    }
    let diags: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.level >= Level::Warning)
        .collect();
    if !diags.is_empty() {
        if !out.is_empty() {
            out.push('\n');
        }
        for d in diags {
            let _ = writeln!(out, "{}", d.render());
        }
    }
    let s = report.summary();
    if !out.is_empty() {
        out.push('\n');
    }
    let by_sev: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|sev| {
            let n = s.failed_by_severity.get(sev.as_str()).copied().unwrap_or(0);
            (n > 0).then(|| paint(sev_style(*sev), &format!("{n} {sev}")))
        })
        .collect();
    let failed = if s.failed == 0 {
        "0 failed".to_string()
    } else {
        format!("{} failed ({})", s.failed, by_sev.join(", "))
    };
    let _ = writeln!(
        out,
        "{} {} objects in {} files: {failed}, {} passed, {} excepted, {} invalid, {} input errors",
        paint(bold, "Summary:"),
        s.objects,
        s.files,
        s.passed,
        s.excepted,
        s.errors,
        s.input_errors
    );
    out
}
