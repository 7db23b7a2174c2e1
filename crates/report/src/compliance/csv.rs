//! The CSV compliance report: one row per requirement × resource, for spreadsheets and GRC imports.
//!
//! RFC 4180: comma-separated, CRLF line ends, a header row, and a field quoted (with inner
//! quotes doubled) when it holds a comma, a quote, CR or LF. Leaf requirements only (groups
//! aggregate their children); a requirement without any finding still gets one row with the
//! resource columns empty.
//!
//! Formula injection: a spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (and, in
//! some programs, tab or carriage return) as a formula. Resource names, messages and policy
//! titles come from the scanned manifests and the team's policies, so any field starting with
//! one of those characters is prefixed with a single quote `'`, as OWASP's "CSV Injection"
//! page advises. The quote is visible in the cell; the rest of the text is unchanged.

use kubecomply_frameworks::report::leaves;

use super::{Report, findings_of};
use crate::csv::field;

/// The header row.
pub const HEADER: [&str; 14] = [
    "framework",
    "requirement",
    "requirement_title",
    "requirement_status",
    "resource_api_version",
    "resource_kind",
    "resource_namespace",
    "resource_name",
    "container",
    "location",
    "rule",
    "finding_status",
    "severity",
    "message",
];

fn row(out: &mut String, cells: &[&str]) {
    let fields: Vec<String> = cells.iter().map(|c| field(c)).collect();
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

impl Report<'_> {
    /// The CSV document (see the module documentation).
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        row(&mut out, &HEADER);
        for f in &self.frameworks {
            for q in leaves(&f.result) {
                let status = q.status.as_str();
                let mut any = false;
                for x in findings_of(q) {
                    any = true;
                    let (api, kind, ns, name) = match &x.resource {
                        Some(o) => (
                            o.api_version.as_str(),
                            o.kind.as_str(),
                            o.namespace.as_deref().unwrap_or(""),
                            o.name.as_str(),
                        ),
                        None => ("", "", "", ""),
                    };
                    row(
                        &mut out,
                        &[
                            &f.result.id,
                            &q.id,
                            &q.title,
                            status,
                            api,
                            kind,
                            ns,
                            name,
                            x.container.as_deref().unwrap_or(""),
                            &x.location,
                            &x.rule,
                            x.status.as_str(),
                            x.severity.as_str(),
                            &x.message,
                        ],
                    );
                }
                if !any {
                    row(
                        &mut out,
                        &[
                            &f.result.id,
                            &q.id,
                            &q.title,
                            status,
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                            "",
                        ],
                    );
                }
            }
        }
        out
    }
}
