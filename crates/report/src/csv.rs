//! CSV fields as every CSV writer writes them (RFC 4180 quoting, formula cells neutralised).
//!
//! Formula injection: a spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (and, in
//! some programs, tab or carriage return) as a formula. Resource names, messages and policy
//! titles come from the scanned manifests and the team's policies, so any field starting with
//! one of those characters is prefixed with a single quote `'`, as OWASP's "CSV Injection"
//! page advises. The quote is visible in the cell; the rest of the text is unchanged.

/// One field: neutralised against formula injection, then quoted as RFC 4180 requires.
pub fn field(s: &str) -> String {
    let guarded;
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        guarded = format!("'{s}");
        guarded.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quoting_follows_rfc_4180() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(""), "");
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("-2+3"), "'-2+3");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("\tx"), "'\tx");
        assert_eq!(field("a=b"), "a=b");
    }
}
