//! JUnit XML: one test suite per rule, one test case per rule × resource.

use std::collections::BTreeMap;
use std::fmt::Write;

use kubecomply_core::{Finding, Status};

use crate::{ScanReport, xml_escape, xml_text};

fn case_name(f: &Finding) -> String {
    match &f.resource {
        Some(r) => match &r.namespace {
            Some(ns) => format!("{}/{}/{}", r.kind, ns, r.name),
            None => format!("{}/{}", r.kind, r.name),
        },
        None => f.location.file.to_string(),
    }
}

/// Renders the report as JUnit XML. Failed findings become `<failure>`, errors `<error>`,
/// excepted ones `<skipped>` with the exception's reason, passes empty test cases.
pub fn render(report: &ScanReport<'_>) -> String {
    // rule -> resource -> findings
    let mut suites: BTreeMap<&str, BTreeMap<String, Vec<&Finding>>> = BTreeMap::new();
    for f in report.findings {
        suites
            .entry(&f.rule)
            .or_default()
            .entry(case_name(f))
            .or_default()
            .push(f);
    }
    let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    let mut body = String::new();
    for (rule, cases) in &suites {
        let title = report.rule(rule).map(|m| m.title).unwrap_or("");
        let slug = report.rule(rule).map(|m| m.slug).unwrap_or("");
        let (mut t, mut fl, mut er, mut sk) = (0, 0, 0, 0);
        let mut suite = String::new();
        for (name, findings) in cases {
            t += 1;
            let _ = write!(
                suite,
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml_escape(rule),
                xml_escape(name)
            );
            let fails: Vec<_> = findings
                .iter()
                .filter(|f| f.status == Status::Fail)
                .collect();
            let errs: Vec<_> = findings
                .iter()
                .filter(|f| f.status == Status::Error)
                .collect();
            let excepted: Vec<_> = findings
                .iter()
                .filter(|f| f.status == Status::Excepted)
                .collect();
            let detail = |list: &[&&Finding]| {
                list.iter()
                    .map(|f| {
                        // One line per finding: escaped before the lines are joined.
                        kubecomply_core::text::esc(format_args!(
                            "{}:{}:{} {} ({})",
                            f.location.file,
                            f.location.line,
                            f.location.column,
                            f.message,
                            f.location.pointer
                        ))
                        .to_string()
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            if !errs.is_empty() {
                er += 1;
                let _ = write!(
                    suite,
                    ">\n      <error message=\"{}\" type=\"invalid\">{}</error>\n    </testcase>\n",
                    xml_escape(&errs[0].message),
                    xml_text(&detail(&errs))
                );
            } else if !fails.is_empty() {
                fl += 1;
                let _ = write!(
                    suite,
                    ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>\n",
                    xml_escape(&fails[0].message),
                    fails[0].severity,
                    xml_text(&detail(&fails))
                );
            } else if !excepted.is_empty() {
                sk += 1;
                let reason = excepted[0]
                    .exception
                    .as_ref()
                    .map(|e| e.reason.as_str())
                    .unwrap_or("");
                let _ = write!(
                    suite,
                    ">\n      <skipped message=\"excepted: {}\"/>\n    </testcase>\n",
                    xml_escape(reason)
                );
            } else {
                suite.push_str("/>\n");
            }
        }
        let _ = writeln!(
            body,
            "  <testsuite name=\"{} {}\" tests=\"{t}\" failures=\"{fl}\" errors=\"{er}\" skipped=\"{sk}\">",
            xml_escape(rule),
            xml_escape(slug)
        );
        if !title.is_empty() {
            let _ = writeln!(
                body,
                "    <properties><property name=\"title\" value=\"{}\"/></properties>",
                xml_escape(title)
            );
        }
        body.push_str(&suite);
        body.push_str("  </testsuite>\n");
        tests += t;
        failures += fl;
        errors += er;
        skipped += sk;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"kubecomply\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n{body}</testsuites>\n"
    )
}
