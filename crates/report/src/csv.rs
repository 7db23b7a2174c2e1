//! CSV fields as every CSV writer writes them (controls escaped, RFC 4180 quoting, formula
//! cells neutralised).
//!
//! Controls and bidirectional controls: a field is first passed through
//! [`kubecomply_core::text::escape`], as every output for people is, so NUL, terminal escapes,
//! carriage returns and bidi overrides are written as visible `\u{..}` escapes and every record
//! is one line (a line break in a value is written `\n`).
//!
//! Formula injection: a spreadsheet runs a cell starting with `=`, `+`, `-` or `@` (and, in
//! some programs, tab or carriage return) as a formula. Resource names, messages and policy
//! titles come from the scanned manifests and the team's policies, so any field starting with
//! one of those characters is prefixed with a single quote `'`, as OWASP's "CSV Injection"
//! page advises. The quote is visible in the cell; the rest of the text is unchanged.

/// One field: neutralised against formula injection, then quoted as RFC 4180 requires.
pub fn field(s: &str) -> String {
    let escaped = kubecomply_core::text::escape(s);
    let s: &str = &escaped;
    let guarded;
    // A tab or carriage return is escaped above; kept here in case escaping ever keeps them.
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
        assert_eq!(field("two\nlines"), "two\\nlines");
        assert_eq!(field(""), "");
    }

    #[test]
    fn controls_are_visible_escapes() {
        assert_eq!(
            field("a\0b\u{1b}[2J\r\u{202e}"),
            "a\\0b\\u{1b}[2J\\r\\u{202e}"
        );
        assert_eq!(field("=1\n"), "'=1\\n");
    }

    #[test]
    fn formula_cells_are_neutralised() {
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field("+1"), "'+1");
        assert_eq!(field("-2+3"), "'-2+3");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("\tx"), "\\tx");
        assert_eq!(field("a=b"), "a=b");
    }
}
