//! SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
//!
//! Every rule that ran is listed with its help text; results are the failed, excepted
//! (as suppressed results) and error findings, each with a physical location and region.

use kubecomply_core::{Finding, RuleMeta, Severity, Status};
use serde_json::{Value, json};

use crate::ScanReport;

/// The SARIF schema URI written into the log.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(f: &Finding) -> &'static str {
    match (f.status, f.severity) {
        (Status::Error, _) => "error",
        (_, Severity::Critical | Severity::High) => "error",
        (_, Severity::Medium) => "warning",
        _ => "note",
    }
}

/// GitHub's `security-severity` scale: 9+ critical, 7+ high, 4+ medium, above 0 low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

fn default_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        _ => "note",
    }
}

/// The path as the user gave it, as an RFC 3986 relative reference with forward slashes, for
/// `artifactLocation.uri`.
///
/// Every byte but the unreserved characters (`A-Z a-z 0-9 - . _ ~`) and the sub-delimiters
/// (`! $ & ' ( ) * + , ; =`) is percent-encoded in each segment, `:` and `@` included, so a
/// file named `javascript:alert(1).yaml` is `javascript%3Aalert(1).yaml`: a relative path,
/// never a URI with a scheme. Spaces, `%`, `#`, `?`, controls and non-ASCII (as UTF-8 bytes)
/// are encoded too. Empty segments are dropped, so `//host/x` cannot become a network-path
/// reference (an authority); an absolute path keeps its one leading `/`.
fn uri(path: &str) -> String {
    let p = path.replace('\\', "/");
    let p = p.strip_prefix("./").unwrap_or(&p);
    if p == "<stdin>" {
        return "stdin".to_string();
    }
    let mut out = String::with_capacity(p.len());
    if p.starts_with('/') {
        out.push('/');
    }
    let mut first = true;
    for seg in p.split('/').filter(|s| !s.is_empty()) {
        if !first {
            out.push('/');
        }
        first = false;
        for b in seg.bytes() {
            match b {
                b'A'..=b'Z'
                | b'a'..=b'z'
                | b'0'..=b'9'
                | b'-'
                | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'=' => out.push(b as char),
                b => {
                    use std::fmt::Write as _;
                    // Writing to a String cannot fail.
                    let _ = write!(out, "%{b:02X}");
                }
            }
        }
    }
    out
}

fn rule_descriptor(m: &RuleMeta) -> Value {
    let refs: Vec<String> = m
        .references
        .iter()
        .map(|r| format!("{}:{}", r.tool, r.id))
        .collect();
    json!({
        "id": m.code,
        "name": m.slug,
        "shortDescription": {"text": m.title},
        "fullDescription": {"text": first_paragraph(m.docs)},
        "help": {"text": m.docs, "markdown": m.docs},
        "defaultConfiguration": {"level": default_level(m.severity)},
        "properties": {
            "tags": ["security", "kubernetes", m.category.as_str()],
            "security-severity": security_severity(m.severity),
            "precision": "very-high",
            "references": refs,
        }
    })
}

fn first_paragraph(docs: &str) -> String {
    docs.lines()
        .skip_while(|l| l.starts_with('#') || l.trim().is_empty())
        .take_while(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Renders the report as a SARIF 2.1.0 log.
pub fn render(report: &ScanReport<'_>) -> String {
    let rules: Vec<Value> = report.rules.iter().map(|m| rule_descriptor(m)).collect();
    let mut results = Vec::new();
    for f in report.findings {
        if !matches!(f.status, Status::Fail | Status::Excepted | Status::Error) {
            continue;
        }
        let index = report.rules.iter().position(|m| m.code == f.rule);
        let mut region = json!({"startLine": f.location.line.max(1)});
        if f.location.column > 0 {
            region["startColumn"] = json!(f.location.column);
        }
        let mut logical = Vec::new();
        if let Some(r) = &f.resource {
            let fqn = match &r.namespace {
                Some(ns) => format!("{}/{}/{}", r.kind, ns, r.name),
                None => format!("{}/{}", r.kind, r.name),
            };
            logical.push(json!({"fullyQualifiedName": fqn, "kind": "resource"}));
        }
        let mut result = json!({
            "ruleId": f.rule,
            "level": level(f),
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": uri(&f.location.file)},
                    "region": region,
                },
                "logicalLocations": logical,
            }],
            "properties": {"pointer": f.location.pointer, "severity": f.severity.as_str()},
            "partialFingerprints": {
                "kubecomply/v2": f.fingerprint(),
            },
        });
        if let Some(i) = index {
            result["ruleIndex"] = json!(i);
        }
        if let (Status::Excepted, Some(e)) = (f.status, &f.exception) {
            result["suppressions"] = json!([{
                "kind": if e.source == "annotation" { "inSource" } else { "external" },
                "justification": e.reason,
            }]);
        }
        results.push(result);
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubecomply",
                "version": report.tool_version,
                "semanticVersion": report.tool_version,
                "informationUri": "https://github.com/kubecomply/kubecomply",
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn uris_are_percent_encoded_relative_references() {
        assert_eq!(uri("deploy/web.yaml"), "deploy/web.yaml");
        assert_eq!(uri("./deploy/web.yaml"), "deploy/web.yaml");
        assert_eq!(
            uri("javascript:alert(1).yaml"),
            "javascript%3Aalert(1).yaml"
        );
        assert_eq!(uri("a b/c#d?e%f.yaml"), "a%20b/c%23d%3Fe%25f.yaml");
        assert_eq!(uri("é\u{1b}.yaml"), "%C3%A9%1B.yaml");
        assert_eq!(uri("//evil.example/x.yaml"), "/evil.example/x.yaml");
        assert_eq!(uri("C:\\x\\y.yaml"), "C%3A/x/y.yaml");
        assert_eq!(uri("/abs/x.yaml"), "/abs/x.yaml");
        assert_eq!(uri("<stdin>"), "stdin");
        assert_eq!(uri("user@host:x"), "user%40host%3Ax");
    }
}
